/**
 * Handlers the streaming tests register: a real busybox sh per exec (the streaming library needs
 * no container, only a process), and a real TCP connection per forwarded port.
 */
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import * as net from 'net';
import * as os from 'os';
import { pipeline } from 'stream/promises';
import type { Duplex } from 'stream';
import { StreamingServer, StreamingServerOptions } from '../../supervisor/cri/streaming/server';
import type { PortForwardHandler, RemoteCommandHandler } from '../../supervisor/cri/streaming/types';
import { BUSYBOX } from '../helpers/bundle';

/**
 * Runs `script` under busybox sh with the session's streams as its stdio. Each terminal size
 * the client sends is written to the script's fd 3 as "W H\n", so a script can `read w h <&3`.
 * Under a tty, stderr joins stdout, as on a terminal (there is no pty here: the library does not
 * need one).
 */
export function shell(script: string): RemoteCommandHandler {
  return async (streams) => {
    const child = spawn(BUSYBOX, ['sh', '-c', streams.tty ? `exec 2>&1; ${script}` : script], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const onAbort = () => child.kill('SIGKILL');
    streams.signal.addEventListener('abort', onAbort);
    const sizes = child.stdio[3] as NodeJS.WritableStream & { destroy(): void };
    sizes.on('error', () => undefined);
    child.stdin.on('error', () => undefined);
    if (streams.stdin) streams.stdin.pipe(child.stdin);
    else child.stdin.end();
    const copies: Promise<void>[] = [];
    if (streams.stdout) copies.push(pipeline(child.stdout, streams.stdout).catch(() => undefined));
    else child.stdout.resume();
    const errTo = streams.tty ? undefined : streams.stderr;
    if (errTo) copies.push(pipeline(child.stderr, errTo).catch(() => undefined));
    else child.stderr.resume();
    if (streams.resize) {
      void (async () => {
        for await (const s of streams.resize!) sizes.write(`${s.width} ${s.height}\n`);
      })().catch(() => undefined);
    }
    const code = await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (c, sig) => resolve(c ?? 128 + (sig ? os.constants.signals[sig] : 0)));
    });
    sizes.destroy();
    streams.signal.removeEventListener('abort', onAbort);
    await Promise.all(copies);
    return { exitCode: code };
  };
}

/** A handler that fails before running anything, as a runtime whose container is gone would. */
export const failing: RemoteCommandHandler = async () => {
  throw new Error('container "c0ffee" is not running');
};

/** Connects each forwarded port to that port on 127.0.0.1. */
export const loopbackForward: PortForwardHandler = async (port: number, socket: Duplex) => {
  const conn = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    conn.once('connect', resolve);
    conn.once('error', reject);
  });
  await Promise.all([pipeline(socket, conn).catch(() => undefined), pipeline(conn, socket).catch(() => undefined)]);
};

/** An echo server on 127.0.0.1 that prefixes nothing: what it reads, it writes back. */
export async function echoServer(): Promise<{ port: number; close: () => Promise<void>; connections: () => number }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on: bound, then closed. */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Waits until every upgraded connection of `server` is gone, and fails if one is left. */
export async function expectNoConnections(server: StreamingServer): Promise<void> {
  for (let i = 0; i < 100 && server.connections > 0; i++) await new Promise((r) => setTimeout(r, 20));
  expect(server.connections).toBe(0);
}

/** A streaming server for the suite; after each test none of its connections may be left. */
export function suiteServer(opts: StreamingServerOptions = {}): () => StreamingServer {
  let server: StreamingServer;
  beforeAll(async () => {
    server = await StreamingServer.start(opts);
  });
  afterAll(() => server.close());
  afterEach(() => expectNoConnections(server));
  return () => server;
}
