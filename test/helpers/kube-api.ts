/**
 * A minimal Kubernetes API server on 127.0.0.1 for kubectl cross-checks: it answers discovery and
 * the GET of one running pod (default/p1, container c1) and, for the exec and portforward
 * subresources, asks the test for a streaming URL (a session registered with a streaming server,
 * or a CRI Exec/PortForward answer) and relays the upgraded connection there, as the API server
 * proxies to kubelet. A kubeconfig for it, and kubectl run with it.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export const KUBECTL = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p1', namespace: 'default', uid: '1' },
  spec: { containers: [{ name: 'c1', image: 'busybox' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'c1', ready: true, state: { running: {} } }] },
};

const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [] },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
      { name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'pods/portforward', singularName: '', namespaced: true, kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    ],
  },
  '/api/v1/namespaces/default/pods/p1': POD,
};

/** What kubectl's exec asked for, from the subresource's query. */
export interface ExecQuery {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface StreamingUrls {
  exec(q: ExecQuery): string | Promise<string>;
  portforward(): string | Promise<string>;
}

/** Relays an upgrade to `target`, rewriting only the request line, as a proxy would. */
function relay(req: http.IncomingMessage, socket: net.Socket, head: Buffer, target: string): void {
  const t = new URL(target);
  const upstream = net.connect(Number(t.port), t.hostname, () => {
    const lines = [`${req.method} ${t.pathname}${new URL(req.url!, 'http://x').search} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', () => socket.destroy());
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
}

export class KubeApi {
  /** "<subresource> <Upgrade header>" of each upgrade, in order. */
  readonly subresources: string[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    readonly kubeconfig: string,
  ) {}

  static async start(urls: StreamingUrls): Promise<KubeApi> {
    const server = http.createServer((req, res) => {
      const body = DISCOVERY[new URL(req.url!, 'http://x').pathname];
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body ?? { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kube-api-')), 'config');
    fs.writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: local, cluster: {server: "' + url + '"}}]',
        'users: [{name: u, user: {}}]',
        'contexts: [{name: c, context: {cluster: local, user: u, namespace: default}}]',
        'current-context: c',
        '',
      ].join('\n'),
    );
    const api = new KubeApi(server, url, kubeconfig);
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      const u = new URL(req.url!, 'http://x');
      const sub = u.pathname.split('/').pop()!;
      api.subresources.push(`${sub} ${String(req.headers.upgrade)}`);
      const q = u.searchParams;
      const target =
        sub === 'exec'
          ? urls.exec({ command: q.getAll('command'), stdin: q.get('stdin') === 'true', stdout: q.get('stdout') === 'true', stderr: q.get('stderr') === 'true', tty: q.get('tty') === 'true' })
          : sub === 'portforward'
            ? urls.portforward()
            : null;
      if (target === null) {
        socket.destroy();
        return;
      }
      Promise.resolve(target).then(
        (t) => relay(req, socket, head, t),
        () => socket.destroy(),
      );
    });
    return api;
  }

  /** HOME for kubectl: the kubeconfig's directory (its cache goes there). */
  get home(): string {
    return path.dirname(this.kubeconfig);
  }

  kubectl(args: string[], env: Record<string, string>, input?: Buffer): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
    return new Promise((resolve) => {
      const p = spawn(KUBECTL, ['--kubeconfig', this.kubeconfig, ...args], {
        env: { PATH: process.env.PATH!, HOME: this.home, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      let err = '';
      p.stdout.on('data', (d: Buffer) => out.push(d));
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.stdin.on('error', () => undefined);
      p.stdin.end(input ?? Buffer.alloc(0));
      p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    });
  }

  /** `kubectl port-forward <target> <ports>` once it listens: its local port, and a stop that waits for it to end. */
  async portForward(target: string, ports: string, env: Record<string, string>): Promise<{ local: number; stop(): Promise<void> }> {
    const p = spawn(KUBECTL, ['--kubeconfig', this.kubeconfig, 'port-forward', target, ports], { env: { PATH: process.env.PATH!, HOME: this.home, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = async () => {
      p.kill('SIGTERM');
      await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('close', r)));
    };
    let out = '';
    const local = await new Promise<number>((resolve, reject) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      p.on('close', () => reject(new Error(`kubectl port-forward ended: ${out}`)));
    }).catch(async (err: Error) => {
      await stop();
      throw err;
    });
    return { local, stop };
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}
