/**
 * A cross-check with a client this project did not write: kubectl (client-go's remotecommand and
 * portforward, SPDY/3.1 and WebSocket v5) against the streaming server. kubectl talks to an API
 * server, so the test stands a minimal one on 127.0.0.1 (../helpers/kube-api.ts) whose exec and
 * portforward subresources register a session here and relay the upgraded connection to its URL.
 */
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as net from 'net';
import { StreamingServer } from '../../supervisor/cri/streaming/server';
import { KUBECTL, KubeApi } from '../helpers/kube-api';
import { echoServer, loopbackForward, sha256, shell } from './streaming-handlers';

jest.setTimeout(120_000);

const describeIf = KUBECTL ? describe : describe.skip;
if (!KUBECTL) console.warn('kubectl is not installed: the cross-check with a real Kubernetes client is skipped');

let streaming: StreamingServer;
let api: KubeApi;

beforeAll(async () => {
  if (!KUBECTL) return;
  streaming = await StreamingServer.start();
  api = await KubeApi.start({
    exec: ({ command, ...req }) => streaming.register('exec', req, shell(command[0] === 'sh' && command[1] === '-c' ? command[2] : command.join(' '))),
    portforward: () => streaming.register('portforward', { podSandboxId: 'p1' }, loopbackForward),
  });
});

afterAll(async () => {
  if (!KUBECTL) return;
  await api.close();
  await streaming.close();
});

const kubectl = (args: string[], env: Record<string, string>, input?: Buffer) => api.kubectl(args, env, input);

describeIf('kubectl against the streaming server', () => {
  test.each([
    ['SPDY/3.1', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }, 'spdy/3.1'],
    ['WebSocket', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' }, 'websocket'],
  ])('kubectl exec over %s: stdin, stdout, stderr, and the exit code', async (_name, env, upgrade) => {
    api.subresources.length = 0;
    const r = await kubectl(['exec', '-i', 'p1', '--', 'sh', '-c', 'tr a-z A-Z; echo to-stderr >&2; exit 3'], env, Buffer.from('through kubectl\n'));
    expect(api.subresources).toEqual([`exec ${upgrade === 'spdy/3.1' ? 'SPDY/3.1' : 'websocket'}`]);
    expect(r.stdout.toString()).toBe('THROUGH KUBECTL\n');
    expect(r.stderr).toContain('to-stderr\n');
    expect(r.code).toBe(3);
  });

  test.each([
    ['SPDY/3.1', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }],
    ['WebSocket', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true' }],
  ])('kubectl exec over %s: 2 MiB of binary through cat, intact', async (_name, env) => {
    const data = randomBytes(2 * 1024 * 1024);
    const r = await kubectl(['exec', '-i', 'p1', '--', 'sh', '-c', 'cat'], env, data);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(data.length);
    expect(sha256(r.stdout)).toBe(sha256(data));
  });

  // kubectl sends the size of the terminal it runs in; util-linux's script gives it one (a pty)
  // whose size stty sets.
  test.each([
    ['SPDY/3.1', 'false'],
    ['WebSocket', 'true'],
  ])('kubectl exec -it over %s sends its terminal size to the resize stream', async (_name, ws) => {
    const inner = `stty cols 91 rows 33; KUBECTL_REMOTE_COMMAND_WEBSOCKETS=${ws} ${KUBECTL} --kubeconfig ${api.kubeconfig} exec -it p1 -- sh -c 'read w h <&3; echo "size $w x $h"'`;
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const p = spawn('script', ['-qec', inner, '/dev/null'], { env: { PATH: process.env.PATH!, HOME: api.home }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      p.stdin.end();
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      p.on('close', (code) => resolve({ code, out }));
      setTimeout(() => p.kill('SIGKILL'), 15_000).unref();
    });
    expect(r.out.replace(/\r/g, '')).toContain('size 91 x 33\n');
    expect(r.code).toBe(0);
  });

  // kubectl 1.31+ first tries SPDY tunnelled in a WebSocket (SPDY/3.1+portforward.k8s.io), which
  // kubelet answers but this server does not: the 403 makes kubectl fall back to plain SPDY.
  test.each([
    ['SPDY/3.1', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, ['portforward SPDY/3.1']],
    ['its default (a refused WebSocket tunnel, then SPDY/3.1)', {}, ['portforward websocket', 'portforward SPDY/3.1']],
  ])('kubectl port-forward over %s to a real TCP server', async (_name, env: Record<string, string>, upgrades) => {
    api.subresources.length = 0;
    const echo = await echoServer();
    const forward = await api.portForward('pod/p1', `:${echo.port}`, env).catch(async (err: Error) => {
      await echo.close();
      throw err;
    });
    try {
      const payload = randomBytes(300 * 1024);
      const got = await new Promise<Buffer>((resolve) => {
        const s = net.connect(forward.local, '127.0.0.1', () => s.write(payload));
        const chunks: Buffer[] = [];
        let n = 0;
        s.on('data', (d: Buffer) => {
          chunks.push(d);
          n += d.length;
          if (n >= payload.length) {
            s.end();
            resolve(Buffer.concat(chunks));
          }
        });
      });
      expect(sha256(got)).toBe(sha256(payload));
      expect(api.subresources).toEqual(upgrades);
    } finally {
      await forward.stop();
      await echo.close();
    }
  });
});
