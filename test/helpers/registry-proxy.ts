/**
 * An HTTP proxy on 127.0.0.1 in front of a test registry: it passes every request on (the Host
 * header kept, so the registry's Location headers name the proxy), records what clients asked
 * (method, path and query, Content-Range), and can cut one connection in the middle of an upload's
 * body, as a network that fails would.
 */
import * as http from 'http';
import type * as net from 'net';

export interface SeenRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  contentRange: string;
  status: number;
}

export class RegistryProxy {
  readonly requests: SeenRequest[] = [];
  host = '';
  private readonly server: http.Server;
  private cut: { minStart: number; afterBytes: number } | null = null;
  /** Connections cut since the last reset. */
  cuts = 0;

  constructor(private readonly upstream: string) {
    this.server = http.createServer((req, res) => this.pass(req, res));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.host = `127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** The next PATCH whose Content-Range starts at `minStart` or later loses its connection after `afterBytes` of its body (0: before the registry sees it). */
  cutNextPatch(minStart: number, afterBytes: number): void {
    this.cut = { minStart, afterBytes };
  }

  /** Requests whose path (without the query) matches. */
  matching(method: string, pathPattern: RegExp): SeenRequest[] {
    return this.requests.filter((r) => r.method === method && pathPattern.test(r.url.split('?')[0]));
  }

  /** Forget the requests and cuts so far. */
  reset(): void {
    this.requests.length = 0;
    this.cuts = 0;
  }

  private pass(req: http.IncomingMessage, res: http.ServerResponse): void {
    const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', contentRange: String(req.headers['content-range'] ?? ''), status: 0 };
    this.requests.push(seen);
    const [host, port] = this.upstream.split(':');
    const up = http.request({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      seen.status = upRes.statusCode ?? 0;
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    const start = Number(/^(\d+)-/.exec(seen.contentRange)?.[1] ?? -1);
    const cut = this.cut;
    if (req.method === 'PATCH' && cut && start >= cut.minStart) {
      this.cut = null;
      if (cut.afterBytes === 0) {
        // Cut as the request arrives: the registry sees nothing of it.
        this.cuts++;
        seen.status = -1;
        up.destroy();
        req.socket.destroy();
        return;
      }
      let passed = 0;
      req.on('data', (chunk: Buffer) => {
        if (passed >= cut.afterBytes) return;
        const part = chunk.subarray(0, cut.afterBytes - passed);
        passed += part.length;
        up.write(part);
        if (passed >= cut.afterBytes) {
          this.cuts++;
          seen.status = -1;
          // Both ends at once: the registry sees its body end early, the client its connection reset.
          up.destroy();
          req.socket.destroy();
        }
      });
      return;
    }
    req.pipe(up);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
