/**
 * The streaming server over SPDY/3.1, driven by the tests' own client the way client-go's
 * remotecommand and portforward clients drive kubelet, with a real busybox sh behind exec and a
 * real TCP server behind port forwarding.
 */
import { randomBytes } from 'crypto';
import { StreamingServer } from '../../supervisor/cri/streaming/server';
import type { RemoteCommandRequest } from '../../supervisor/cri/streaming/types';
import { SpdyClient, spdyRemoteCommand } from '../helpers/spdy-client';
import { closedPort, echoServer, expectNoConnections, failing, loopbackForward, sha256, shell, suiteServer } from './streaming-handlers';

jest.setTimeout(60_000);

const current = suiteServer();
let server: StreamingServer;
beforeEach(() => {
  server = current();
});

const exec = spdyRemoteCommand;

const io: RemoteCommandRequest = { stdin: true, stdout: true, stderr: true, tty: false };

describe('exec over SPDY/3.1', () => {
  test('stdout, stderr and a Success status on the error stream (v4)', async () => {
    const url = server.register('exec', { ...io, stdin: false }, shell('echo out; echo err >&2'));
    expect(url).toMatch(new RegExp(`^${server.url}/exec/[A-Za-z0-9_-]{11}$`));
    const r = await exec(url, { ...io, stdin: false });
    expect(r.protocol).toBe('v4.channel.k8s.io');
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr.toString()).toBe('err\n');
    expect(JSON.parse(r.error)).toEqual({ metadata: {}, status: 'Success' });
    expect(r.client.goaway).toEqual({ lastGoodStreamId: 5, status: 0 });
  });

  test('stdin reaches the process and its close ends the read', async () => {
    const url = server.register('exec', io, shell('tr a-z A-Z; echo "[done]"'));
    const r = await exec(url, io, { stdin: Buffer.from('hello\nworld\n') });
    expect(r.stdout.toString()).toBe('HELLO\nWORLD\n[done]\n');
    expect(JSON.parse(r.error).status).toBe('Success');
  });

  test.each([
    ['no flow control (as spdystream)', undefined],
    ['a strict 16 KiB window', 16 * 1024],
  ])('4 MiB of binary in and out intact with %s', async (_name, window) => {
    const data = randomBytes(4 * 1024 * 1024);
    const url = server.register('exec', io, shell('cat; cat /dev/null >&2'));
    const r = await exec(url, io, { stdin: data, window });
    expect(r.stdout.length).toBe(data.length);
    expect(sha256(r.stdout)).toBe(sha256(data));
    expect(JSON.parse(r.error).status).toBe('Success');
  });

  test('a non-zero exit is a NonZeroExitCode Failure with the code as its cause', async () => {
    const url = server.register('exec', { ...io, stdin: false }, shell('echo partial; exit 3'));
    const r = await exec(url, { ...io, stdin: false });
    expect(r.stdout.toString()).toBe('partial\n');
    expect(JSON.parse(r.error)).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: exit status 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  test('a handler that fails is an InternalError status with its message', async () => {
    const url = server.register('exec', io, failing);
    const r = await exec(url, io, { stdin: Buffer.from('ignored') });
    const status = JSON.parse(r.error);
    expect(status).toMatchObject({ status: 'Failure', reason: 'InternalError', code: 500 });
    expect(status.message).toBe('Internal error occurred: container "c0ffee" is not running');
  });

  test.each([
    ['v3.channel.k8s.io', 'command terminated with non-zero exit code: exit status 5'],
    ['v2.channel.k8s.io', 'command terminated with non-zero exit code: exit status 5'],
    ['channel.k8s.io', 'command terminated with non-zero exit code: exit status 5'],
  ])('%s reports the exit as text on the error stream', async (protocol, text) => {
    const url = server.register('exec', { ...io, stdin: false }, shell('echo x; exit 5'));
    const r = await exec(url, { ...io, stdin: false }, { protocol });
    expect(r.protocol).toBe(protocol);
    expect(r.stdout.toString()).toBe('x\n');
    expect(r.error).toBe(text);
  });

  test('a tty session gets the resize stream: each size reaches the process, stderr goes to stdout', async () => {
    const req = { stdin: false, stdout: true, stderr: true, tty: true };
    const url = server.register('exec', req, shell('read w h <&3; echo "size $w x $h" >&2; read w h <&3; echo "size $w x $h"'));
    const r = await exec(url, req, { resize: [{ Width: 80, Height: 24 }, { Width: 132, Height: 43 }] });
    expect(r.stdout.toString()).toBe('size 80 x 24\nsize 132 x 43\n');
    expect(JSON.parse(r.error).status).toBe('Success');
  });

  test('stdin the request did not ask for is drained, not let to stall the session', async () => {
    const req = { ...io, stdin: false };
    const url = server.register('exec', req, shell('sleep 0.3; echo fine'));
    const { client } = await SpdyClient.connect(url, ['v4.channel.k8s.io']);
    const error = await client!.open({ streamtype: ['error'] });
    const stdin = await client!.open({ streamtype: ['stdin'] });
    // Ahead of the streams the exec waits for: were it left unread, they would never be read.
    await stdin.write(randomBytes(1024 * 1024));
    const stdout = await client!.open({ streamtype: ['stdout'] });
    await client!.open({ streamtype: ['stderr'] });
    await Promise.all([error.done(), stdout.done()]);
    expect(stdout.data.toString()).toBe('fine\n');
    expect(JSON.parse(error.data.toString()).status).toBe('Success');
    await client!.closedP();
  });

  test('attach speaks the same protocol on /attach/', async () => {
    const url = server.register('attach', { ...io, stderr: false }, shell('cat'));
    expect(url).toContain('/attach/');
    const r = await exec(url, { ...io, stderr: false }, { stdin: Buffer.from('attached\n') });
    expect(r.stdout.toString()).toBe('attached\n');
  });

  test('the client names its preference: the first of its protocols the server has wins', async () => {
    const url = server.register('exec', { ...io, stdin: false }, shell('true'));
    const { client, response } = await SpdyClient.connect(url, ['v9.channel.k8s.io', 'v2.channel.k8s.io', 'v4.channel.k8s.io']);
    expect(response.headers['x-stream-protocol-version']).toEqual(['v2.channel.k8s.io']);
    client!.close();
    await client!.closedP();
  });

  test('no common protocol: 403 naming both sides, with the accepted versions', async () => {
    const url = server.register('exec', io, shell('true'));
    const { client, response } = await SpdyClient.connect(url, ['v9.channel.k8s.io']);
    expect(client).toBeUndefined();
    expect(response.status).toBe(403);
    expect(response.body).toBe(
      'unable to upgrade: unable to negotiate protocol: client supports [v9.channel.k8s.io], server accepts [v4.channel.k8s.io v3.channel.k8s.io v2.channel.k8s.io channel.k8s.io]\n',
    );
    expect(response.headers['x-accepted-stream-protocol-versions']).toEqual(['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']);
  });

  test('PING is echoed', async () => {
    const url = server.register('exec', io, shell('cat'));
    const { client } = await SpdyClient.connect(url, ['v4.channel.k8s.io']);
    const pong = new Promise((r) => client!.on('frame', (f) => f.type === 'ping' && r(f)));
    client!.ping(7);
    expect(await pong).toEqual({ type: 'ping', id: 7 });
    client!.close();
    await client!.closedP();
  });

  test('a client that goes away mid-exec ends the process (the handler sees the abort)', async () => {
    let ended!: (r: { aborted: boolean; exitCode: number }) => void;
    const outcome = new Promise<{ aborted: boolean; exitCode: number }>((r) => (ended = r));
    const sleep = shell('sleep 30');
    const url = server.register('exec', io, async (streams) => {
      const r = await sleep(streams);
      ended({ aborted: streams.signal.aborted, exitCode: r.exitCode });
      return r;
    });
    const { client } = await SpdyClient.connect(url, ['v4.channel.k8s.io']);
    for (const t of ['error', 'stdin', 'stdout', 'stderr']) await client!.open({ streamtype: [t] });
    await new Promise((r) => setTimeout(r, 200));
    client!.socket.destroy();
    // The sleep was SIGKILLed (128 + 9), not left to run its 30 s.
    expect(await outcome).toEqual({ aborted: true, exitCode: 137 });
  });
});

describe('tokens', () => {
  test('a token is good for one connection; the second gets 404', async () => {
    const url = server.register('exec', { ...io, stdin: false }, shell('echo once'));
    const r = await exec(url, { ...io, stdin: false });
    expect(r.stdout.toString()).toBe('once\n');
    const again = await SpdyClient.connect(url, ['v4.channel.k8s.io']);
    expect(again.response.status).toBe(404);
    expect(again.response.body).toBe('404 page not found\n');
  });

  test('an unused token expires after its TTL', async () => {
    const short = await StreamingServer.start({ tokenTtlMs: 150 });
    try {
      const url = short.register('exec', io, shell('true'));
      expect(short.pending).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      expect(short.pending).toBe(0);
      const { response } = await SpdyClient.connect(url, ['v4.channel.k8s.io']);
      expect(response.status).toBe(404);
    } finally {
      await short.close();
    }
  });

  test('an exec token does not open a port forward, and a plain GET is refused with 400', async () => {
    const url = server.register('exec', io, shell('true'));
    const pf = await SpdyClient.connect(url.replace('/exec/', '/portforward/'), ['portforward.k8s.io']);
    expect(pf.response.status).toBe(404);
    const other = server.register('exec', io, shell('true'));
    const res = await fetch(other);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^unable to upgrade: missing upgrade headers/);
  });

  test('too many waiting sessions: register refuses with a clear line', async () => {
    const small = await StreamingServer.start({ maxInFlight: 2 });
    try {
      small.register('exec', io, shell('true'));
      small.register('exec', io, shell('true'));
      expect(() => small.register('exec', io, shell('true'))).toThrow('streaming server: 2 sessions already wait for their client; retry once some are used or expire');
    } finally {
      await small.close();
    }
  });

  test('a connection idle past the stream idle timeout is closed', async () => {
    const idle = await StreamingServer.start({ streamIdleTimeoutMs: 300 });
    try {
      const url = idle.register('portforward', { podSandboxId: 'p' }, loopbackForward);
      const { client } = await SpdyClient.connect(url, ['portforward.k8s.io']);
      expect(idle.connections).toBe(1);
      await client!.closedP();
      await expectNoConnections(idle);
    } finally {
      await idle.close();
    }
  });

  test('a malformed --stream-address is refused naming the flag', async () => {
    await expect(StreamingServer.start({ address: 'localhost' })).rejects.toThrow(
      '--stream-address "localhost": expected host:port, e.g. 127.0.0.1:0 or [::1]:10010',
    );
  });
});

describe('port forward over SPDY/3.1', () => {
  test('a data/error pair per request reaches a real TCP server; two requests at once', async () => {
    const echo = await echoServer();
    try {
      const url = server.register('portforward', { podSandboxId: 'pod-a' }, loopbackForward);
      const { client, response } = await SpdyClient.connect(url, ['portforward.k8s.io']);
      expect(response.headers['x-stream-protocol-version']).toEqual(['portforward.k8s.io']);
      const c = client!;
      const pairs = [];
      for (const id of ['0', '1']) {
        const error = await c.open({ streamtype: ['error'], port: [String(echo.port)], requestid: [id] });
        const data = await c.open({ streamtype: ['data'], port: [String(echo.port)], requestid: [id] });
        pairs.push({ id, error, data });
      }
      const payloads = pairs.map(() => randomBytes(256 * 1024));
      await Promise.all(pairs.map((p, i) => p.data.write(payloads[i])));
      for (const [i, p] of pairs.entries()) {
        while (p.data.received < payloads[i].length) await new Promise((r) => p.data.once('data', r));
        expect(sha256(p.data.data)).toBe(sha256(payloads[i]));
      }
      await Promise.all(pairs.map((p) => p.data.end()));
      await Promise.all(pairs.flatMap((p) => [p.data.done(), p.error.done()]));
      expect(pairs.map((p) => p.error.data.toString())).toEqual(['', '']);
      c.close();
      await c.closedP();
    } finally {
      await echo.close();
    }
  });

  test('a port nothing listens on: the error stream says so, as kubelet words it', async () => {
    const port = await closedPort();
    const url = server.register('portforward', { podSandboxId: 'pod-b' }, loopbackForward);
    const { client } = await SpdyClient.connect(url, ['portforward.k8s.io']);
    // No requestID header: paired by stream id, as kubelet pairs clients that predate it.
    const error = await client!.open({ streamtype: ['error'], port: [String(port)] });
    const data = await client!.open({ streamtype: ['data'], port: [String(port)] });
    await Promise.all([error.done(), data.done()]);
    expect(error.data.toString()).toMatch(new RegExp(`^error forwarding port ${port} to pod pod-b, uid : connect ECONNREFUSED 127.0.0.1:${port}$`));
    client!.close();
    await client!.closedP();
  });

  test('a bad port header is answered on the error stream; an unknown stream type is reset', async () => {
    const url = server.register('portforward', { podSandboxId: 'pod-c' }, loopbackForward);
    const { client } = await SpdyClient.connect(url, ['portforward.k8s.io']);
    const odd = await client!.open({ streamtype: ['video'], port: ['80'], requestid: ['9'] });
    await odd.done();
    expect(odd.resetStatus).toBe(1);
    const error = await client!.open({ streamtype: ['error'], port: ['http'], requestid: ['1'] });
    const data = await client!.open({ streamtype: ['data'], port: ['http'], requestid: ['1'] });
    await Promise.all([error.done(), data.done()]);
    expect(error.data.toString()).toBe('port "http" is not a TCP port (1-65535)');
    client!.close();
    await client!.closedP();
  });
});
