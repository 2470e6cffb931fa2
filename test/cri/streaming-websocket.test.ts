/**
 * The streaming server over WebSocket (RFC 6455) with Kubernetes' channel protocols, driven by
 * the tests' own client the way newer clients (v5.channel.k8s.io) and older ones (v4, base64)
 * speak it, with busybox sh behind exec and a loopback TCP server behind port forwarding.
 */
import { randomBytes } from 'crypto';
import { StreamingServer } from '../../supervisor/cri/streaming/server';
import { Opcode } from '../../supervisor/cri/streaming/websocket-frames';
import type { RemoteCommandRequest } from '../../supervisor/cri/streaming/types';
import { WsClient } from '../helpers/websocket-client';
import { closedPort, echoServer, failing, loopbackForward, sha256, shell, suiteServer } from './streaming-handlers';

jest.setTimeout(60_000);

const current = suiteServer();
let server: StreamingServer;
beforeEach(() => {
  server = current();
});

const io: RemoteCommandRequest = { stdin: true, stdout: true, stderr: true, tty: false };

async function connect(url: string, protocols: string[]): Promise<WsClient> {
  const { client, response } = await WsClient.connect(url, protocols);
  expect(response.status).toBe(101);
  return client!;
}

describe('exec over WebSocket', () => {
  test('v5: an empty first message on stdout, then output, the status on channel 3, a 1000 close', async () => {
    const url = server.register('exec', { ...io, stdin: false }, shell('echo out; echo err >&2'));
    const c = await connect(url, ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    expect(c.protocol).toBe('v5.channel.k8s.io');
    await c.closedP();
    expect(c.messages[0]).toEqual({ channel: 1, data: Buffer.alloc(0) });
    expect(c.output(1).toString()).toBe('out\n');
    expect(c.output(2).toString()).toBe('err\n');
    expect(JSON.parse(c.output(3).toString())).toEqual({ metadata: {}, status: 'Success' });
    expect(c.closeCode).toBe(1000);
  });

  test('v5: stdin in fragments, then half-closed with the close channel (255, 0)', async () => {
    const url = server.register('exec', io, shell('tr a-z A-Z; echo "[eof]"'));
    const c = await connect(url, ['v5.channel.k8s.io']);
    c.send(0, 'hello ', 3);
    c.send(0, 'world\n');
    c.sendFrames(Opcode.Binary, Buffer.from([255, 0]));
    await c.closedP();
    expect(c.output(1).toString()).toBe('HELLO WORLD\n[eof]\n');
    expect(JSON.parse(c.output(3).toString()).status).toBe('Success');
  });

  test('v5: 4 MiB of binary in and out intact', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const url = server.register('exec', io, shell('cat'));
    const c = await connect(url, ['v5.channel.k8s.io']);
    for (let off = 0; off < data.length; off += 100_000) c.send(0, data.subarray(off, off + 100_000));
    c.sendFrames(Opcode.Binary, Buffer.from([255, 0]));
    await c.closedP();
    const out = c.output(1);
    expect(out.length).toBe(data.length);
    expect(sha256(out)).toBe(sha256(data));
  });

  test('v4: a non-zero exit as a NonZeroExitCode status; pings are answered', async () => {
    const url = server.register('exec', { ...io, stdin: false }, shell('sleep 0.2; exit 7'));
    const c = await connect(url, ['v4.channel.k8s.io']);
    const pong = new Promise((r) => c.once('pong', r));
    c.ping(Buffer.from('are you there'));
    expect((await pong as Buffer).toString()).toBe('are you there');
    await c.closedP();
    expect(JSON.parse(c.output(3).toString())).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
  });

  test('v4.base64: text frames, channel digit then base64, both ways', async () => {
    const url = server.register('exec', io, shell('cat; exit 2'));
    const c = await connect(url, ['v4.base64.channel.k8s.io']);
    const bytes = Buffer.from([0, 1, 2, 250, 255, 10]);
    c.send(0, bytes);
    // v4 has no close channel: the client's end of stdin is the end of the connection's input.
    await new Promise((r) => setTimeout(r, 100));
    c.socket.end();
    await c.closedP();
    expect(c.frames.filter((f) => f.opcode === Opcode.Text).length).toBeGreaterThan(0);
    expect(c.output(1)).toEqual(bytes);
  });

  test('channel.k8s.io (v1): the exit as text on channel 3; a handler failure likewise', async () => {
    const url = server.register('exec', { ...io, stdin: false }, shell('exit 4'));
    const c = await connect(url, ['channel.k8s.io']);
    await c.closedP();
    expect(c.output(3).toString()).toBe('command terminated with non-zero exit code: exit status 4');
    const url2 = server.register('exec', io, failing);
    const c2 = await connect(url2, ['v5.channel.k8s.io']);
    await c2.closedP();
    expect(JSON.parse(c2.output(3).toString())).toMatchObject({ reason: 'InternalError', message: 'Internal error occurred: container "c0ffee" is not running' });
  });

  test('tty: sizes on channel 4 reach the process', async () => {
    const req = { stdin: false, stdout: true, stderr: true, tty: true };
    const url = server.register('exec', req, shell('read w h <&3; echo "size $w x $h"'));
    const c = await connect(url, ['v5.channel.k8s.io']);
    c.send(4, JSON.stringify({ Width: 100, Height: 30 }));
    await c.closedP();
    expect(c.output(1).toString()).toBe('size 100 x 30\n');
  });

  test('an unsupported subprotocol is refused with 403 naming what is supported', async () => {
    const url = server.register('exec', io, shell('true'));
    const { client, response } = await WsClient.connect(url, ['v9.channel.k8s.io']);
    expect(client).toBeUndefined();
    expect(response.status).toBe(403);
    expect(response.body).toMatch(/^requested protocol\(s\) are not supported: \[v9.channel.k8s.io\]; supports \[v5.channel.k8s.io /);
  });
});

describe('port forward over WebSocket', () => {
  test('each channel starts with the port little-endian; data reaches a real TCP server', async () => {
    const echo = await echoServer();
    try {
      const url = server.register('portforward', { podSandboxId: 'pod-w' }, loopbackForward);
      const c = await connect(`${url}?port=${echo.port}`, ['v4.channel.k8s.io']);
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16LE(echo.port);
      while (c.messages.length < 2) await new Promise((r) => c.once('message', r));
      expect(c.messages.slice(0, 2)).toEqual([
        { channel: 0, data: prefix },
        { channel: 1, data: prefix },
      ]);
      const payload = randomBytes(512 * 1024);
      for (let off = 0; off < payload.length; off += 64 * 1024) c.send(0, payload.subarray(off, off + 64 * 1024));
      while (c.output(0).length < 2 + payload.length) await new Promise((r) => c.once('message', r));
      expect(sha256(c.output(0).subarray(2))).toBe(sha256(payload));
      c.close();
      await c.closedP();
    } finally {
      await echo.close();
    }
  });

  test('a refused port is reported on its error channel', async () => {
    const port = await closedPort();
    const url = server.register('portforward', { podSandboxId: 'pod-x' }, loopbackForward);
    const c = await connect(`${url}?port=${port}`, ['portforward.k8s.io']);
    await c.closedP();
    expect(c.output(1).subarray(2).toString()).toBe(`error forwarding port ${port} to pod pod-x, uid : connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  test('no port, or a bad one, is a 400 before the upgrade', async () => {
    const url = server.register('portforward', { podSandboxId: 'p' }, loopbackForward);
    const { response } = await WsClient.connect(url, ['v4.channel.k8s.io']);
    expect(response.status).toBe(400);
    expect(response.body).toBe('no port given: name each port as ?port=N\n');
    const url2 = server.register('portforward', { podSandboxId: 'p' }, loopbackForward);
    const r2 = await WsClient.connect(`${url2}?port=99999`, ['v4.channel.k8s.io']);
    expect(r2.response.body).toBe('port "99999" is not a TCP port (1-65535): name each port as ?port=N\n');
  });
});
