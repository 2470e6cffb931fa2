/**
 * ExecSync, Exec, Attach and PortForward through the CRI socket of a real tsrund: commands run
 * in a busybox container of a pod through tsrund's exec path; the streaming sessions over the
 * URLs the RPCs answer, with the tests' own SPDY/3.1 and WebSocket clients; a port forward to a
 * busybox httpd listening on the pod's 127.0.0.1; and kubectl (client-go) exec and port-forward
 * through URLs the CRI answered, behind a minimal API server (../helpers/kube-api.ts).
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as net from 'net';
import { spawnSync } from 'child_process';
import { KUBECTL, KubeApi } from '../helpers/kube-api';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { SpdyClient, spdyRemoteCommand } from '../helpers/spdy-client';
import { WsClient } from '../helpers/websocket-client';
import { Opcode } from '../../supervisor/cri/streaming/websocket-frames';
import { failure, TestDaemon, TSRUND, until } from '../supervisor/daemon';
import { CriClient } from './client';
import { sha256 } from './streaming-handlers';

jest.setTimeout(120_000);

const IMAGE = 'localhost/ce-busybox:1';
const MiB = 1 << 20;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ce-exec-'));
const daemon = new TestDaemon();
let cri: CriClient;
let serial = 0;

/** A port free a moment ago, for --stream-address. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
let streamPort = 0;

beforeAll(async () => {
  streamPort = await freePort();
  await daemon.start(['--stream-address', `127.0.0.1:${streamPort}`]);
  cri = new CriClient(daemon.criAddress, { 'grpc.max_receive_message_length': 40 * MiB });
  await daemon.client.importImages(buildBusyboxArchive(work, IMAGE).file);
});

afterAll(async () => {
  await cri.removeAllPods();
  cri.close();
  await daemon.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

async function runPod() {
  const n = serial++;
  const config = {
    metadata: { name: `ce-pod-${n}`, uid: `ce-uid-${process.pid}-${n}`, namespace: 'ce-ns', attempt: 0 },
    hostname: `ce-host-${n}`,
    logDirectory: path.join(work, 'logs', `pod-${n}`),
  };
  const { podSandboxId } = await cri.runtime('runPodSandbox', { config });
  return { id: podSandboxId, config };
}

type Pod = Awaited<ReturnType<typeof runPod>>;

/** A started container of `pod` running `sh -c script`. */
async function runIn(pod: Pod, name: string, script: string, more: object = {}) {
  const { containerId } = await cri.runtime('createContainer', {
    podSandboxId: pod.id,
    config: { metadata: { name }, image: { image: IMAGE }, command: ['/bin/sh', '-c'], args: [script], logPath: `${name}/0.log`, ...more },
    sandboxConfig: pod.config,
  });
  await cri.runtime('startContainer', { containerId });
  return containerId;
}

let pod: Pod;
let box: string;
beforeAll(async () => {
  pod = await runPod();
  box = await runIn(pod, 'box', 'echo ce-ready; exec sleep 1000');
});

const execSync = (cmd: string[], timeout = 0, containerId = box) => cri.runtime('execSync', { containerId, cmd, timeout });
/** The exec directories left in the container's task. */
const execsLeft = () => {
  const dir = path.join(daemon.dir, 'state', 'tasks', box, 'execs');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
};

describe('ExecSync', () => {
  test('stdout, stderr and the exit code, each stream apart; the exec is removed after', async () => {
    const r = await execSync(['sh', '-c', 'echo out; printf "no newline" >&2; echo $HOSTNAME; exit 3']);
    expect(r.stdout.toString()).toBe(`out\n${pod.config.hostname}\n`);
    expect(r.stderr.toString()).toBe('no newline');
    expect(r.exitCode).toBe(3);
    expect(execsLeft()).toEqual([]);
  });

  test('binary output comes back byte for byte', async () => {
    const r = await execSync(['sh', '-c', 'head -c 300000 /dev/urandom > /tmp/ce-bytes; md5sum /tmp/ce-bytes >&2; cat /tmp/ce-bytes']);
    expect(r.stdout.length).toBe(300000);
    expect(r.stderr.toString().split(' ')[0]).toBe(createHash('md5').update(r.stdout).digest('hex'));
  });

  test('each stream is cut at 16 MiB, as containerd caps them; the rest is dropped', async () => {
    const r = await execSync(['sh', '-c', 'yes 0123456789abcde | head -c 17000000; yes err | head -c 17000000 >&2; exit 0']);
    expect(r.stdout.length).toBe(16 * MiB);
    expect(r.stderr.length).toBe(16 * MiB);
    expect(r.stdout.subarray(0, 32).toString()).toBe('0123456789abcde\n0123456789abcde\n');
    expect(r.stderr.subarray(16 * MiB - 4).toString()).toBe('err\n');
    expect(r.exitCode).toBe(0);
  });

  test('ten at once, each with its own output and exit code', async () => {
    const rs = await Promise.all([...Array(10).keys()].map((i) => execSync(['sh', '-c', `echo ce-${i}; exit ${i}`])));
    expect(rs.map((r) => [r.stdout.toString(), r.exitCode])).toEqual([...Array(10).keys()].map((i) => [`ce-${i}\n`, i]));
    expect(execsLeft()).toEqual([]);
  });

  test('a timeout kills the command and answers DEADLINE_EXCEEDED; 0 is no timeout', async () => {
    const err = await failure(execSync(['sh', '-c', 'echo started; exec sleep 300'], 1));
    expect(err?.code).toBe(4); // DEADLINE_EXCEEDED
    expect(err?.details).toBe('timeout 1s exceeded: the command was killed');
    const ps = await execSync(['ps', '-o', 'args']);
    expect(ps.stdout.toString()).not.toContain('sleep 300');
    expect(execsLeft()).toEqual([]);
    expect((await execSync(['sh', '-c', 'sleep 1.5; echo late'], 0)).stdout.toString()).toBe('late\n');
    // Beyond what a Node timer holds (which would fire at once): as good as none.
    expect((await execSync(['sh', '-c', 'sleep 0.5; echo later'], 2 ** 40)).stdout.toString()).toBe('later\n');
  });

  test('errors: unknown container NOT_FOUND, one not running FAILED_PRECONDITION, no cmd INVALID_ARGUMENT naming cmd, a missing binary', async () => {
    expect(await failure(execSync(['true'], 0, 'ce-nothing'))).toMatchObject({ code: 5, details: 'container ce-nothing not found' });
    const done = await runIn(pod, 'done', 'true');
    await until(async () => (await cri.runtime('containerStatus', { containerId: done })).status!.state === 'CONTAINER_EXITED', 20_000);
    expect(await failure(execSync(['true'], 0, done))).toMatchObject({ code: 9, details: `container ${done} is not running (it is exited)` });
    expect(await failure(execSync([]))).toMatchObject({ code: 3, details: 'cmd: is required: name the program to run' });
    expect(await failure(execSync(['echo', 'a\0b']))).toMatchObject({ code: 3, details: 'cmd[1]: contains a NUL character, which no argument can hold' });
    expect(await failure(cri.runtime('execSync', { containerId: '', cmd: ['true'] }))).toMatchObject({ code: 3, details: 'container_id: is required' });
    const missing = await failure(execSync(['/ce-no-such-binary']));
    expect(missing?.code).toBe(9);
    expect(missing?.details).toContain('/ce-no-such-binary');
    expect(execsLeft()).toEqual([]);
  });
});

const spdyExec = spdyRemoteCommand;

const execUrl = async (cmd: string[], streams: object) => (await cri.runtime('exec', { containerId: box, cmd, ...streams })).url;

describe('Exec', () => {
  test('the URL is on the streaming server; over SPDY/3.1: stdin, stdout, stderr and the exit code on the error stream', async () => {
    const io = { stdin: true, stdout: true, stderr: true, tty: false };
    const url = await execUrl(['sh', '-c', 'tr a-z A-Z; echo ce-err >&2; exit 5'], io);
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${streamPort}/exec/[A-Za-z0-9_-]+$`));
    const r = await spdyExec(url, io, { stdin: Buffer.from('hello pod\n') });
    expect(r.stdout.toString()).toBe('HELLO POD\n');
    expect(r.stderr.toString()).toBe('ce-err\n');
    expect(JSON.parse(r.error)).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '5' }] } });
    expect(execsLeft()).toEqual([]);
  });

  test('over SPDY/3.1 with a tty: the size the client sends reaches the terminal', async () => {
    const io = { stdin: true, stdout: true, stderr: false, tty: true };
    const url = await execUrl(['sh', '-c', 'read line; stty size'], io);
    const r = await spdyExec(url, io, { resize: [{ Width: 111, Height: 33 }], stdin: Buffer.from('go\n') });
    expect(r.stdout.toString()).toContain('33 111');
    expect(JSON.parse(r.error)).toEqual({ metadata: {}, status: 'Success' });
  });

  test('over WebSocket v5: 2 MiB of binary through cat, stdin half-closed with channel 255, the status on channel 3', async () => {
    const data = randomBytes(2 * MiB);
    const url = await execUrl(['cat'], { stdin: true, stdout: true, stderr: true });
    const { client, response } = await WsClient.connect(url, ['v5.channel.k8s.io']);
    expect(response.status).toBe(101);
    const c = client!;
    for (let at = 0; at < data.length; at += 100_000) c.send(0, data.subarray(at, at + 100_000));
    c.sendFrames(Opcode.Binary, Buffer.from([255, 0]));
    await c.closedP();
    expect(sha256(c.output(1))).toBe(sha256(data));
    expect(JSON.parse(c.output(3).toString())).toEqual({ metadata: {}, status: 'Success' });
    expect(c.closeCode).toBe(1000);
  });

  test('over WebSocket v5 with a tty: resize on channel 4', async () => {
    const url = await execUrl(['sh', '-c', 'read line; stty size; exit 2'], { stdin: true, stdout: true, tty: true });
    const c = (await WsClient.connect(url, ['v5.channel.k8s.io'])).client!;
    c.send(4, JSON.stringify({ Width: 97, Height: 21 }));
    await new Promise((r) => setTimeout(r, 300));
    c.send(0, 'go\n');
    await c.closedP();
    expect(c.output(1).toString()).toContain('21 97');
    expect(JSON.parse(c.output(3).toString())).toMatchObject({ reason: 'NonZeroExitCode', details: { causes: [{ message: '2' }] } });
  });

  test('a client that goes away mid-exec: the process is killed and the exec removed', async () => {
    const url = await execUrl(['sh', '-c', 'echo ce-started; exec sleep 301'], { stdout: true });
    const c = (await WsClient.connect(url, ['v5.channel.k8s.io'])).client!;
    await until(() => c.output(1).toString().includes('ce-started'), 10_000);
    c.socket.destroy();
    await until(async () => !(await execSync(['ps', '-o', 'args'])).stdout.toString().includes('sleep 301') && execsLeft().length === 0, 10_000);
  });

  test('errors: no streams, tty with stderr, no cmd, unknown or exited container', async () => {
    expect(await failure(cri.runtime('exec', { containerId: box, cmd: ['true'] }))).toMatchObject({ code: 3, details: 'stdin/stdout/stderr: ask for at least one of them' });
    expect(await failure(cri.runtime('exec', { containerId: box, cmd: ['true'], tty: true, stdout: true, stderr: true }))).toMatchObject({ code: 3, details: expect.stringMatching(/^stderr: must be false with tty/) });
    expect(await failure(cri.runtime('exec', { containerId: box, cmd: [], stdout: true }))).toMatchObject({ code: 3, details: expect.stringMatching(/^cmd: is required/) });
    expect(await failure(cri.runtime('exec', { containerId: 'ce-none', cmd: ['true'], stdout: true }))).toMatchObject({ code: 5 });
  });
});

describe('Attach', () => {
  test("the init's output from the attach on, its stdin, and its exit code at the end (SPDY/3.1)", async () => {
    const id = await runIn(pod, 'talker', 'echo before-attach; read line; echo "got $line"; echo bye >&2; exit 4', { stdin: true, stdinOnce: true });
    await until(() => fs.existsSync(path.join(pod.config.logDirectory, 'talker', '0.log')) && fs.readFileSync(path.join(pod.config.logDirectory, 'talker', '0.log'), 'utf8').includes('before-attach'), 20_000);
    const io = { stdin: true, stdout: true, stderr: true, tty: false };
    const { url } = await cri.runtime('attach', { containerId: id, ...io });
    expect(url).toMatch(/\/attach\//);
    const r = await spdyExec(url, io, { stdin: Buffer.from('ce-line\n') });
    expect(r.stdout.toString()).toBe('got ce-line\n');
    expect(r.stderr.toString()).toBe('bye\n');
    expect(JSON.parse(r.error)).toMatchObject({ reason: 'NonZeroExitCode', details: { causes: [{ message: '4' }] } });
  });

  test('a tty container: its terminal through the session, the size sent reaching it (SPDY/3.1)', async () => {
    const id = await runIn(pod, 'tty', 'read line; stty size; echo "tty got $line"', { stdin: true, stdinOnce: true, tty: true });
    const io = { stdin: true, stdout: true, stderr: false, tty: true };
    const { url } = await cri.runtime('attach', { containerId: id, ...io });
    const r = await spdyExec(url, io, { resize: [{ Width: 77, Height: 19 }], stdin: Buffer.from('ce-tty\n') });
    expect(r.stdout.toString().replace(/\r/g, '')).toMatch(/19 77\ntty got ce-tty\n$/);
    expect(JSON.parse(r.error)).toEqual({ metadata: {}, status: 'Success' });
  });

  test('stdin on a container created without it is refused; tty with stderr too', async () => {
    expect(await failure(cri.runtime('attach', { containerId: box, stdin: true, stdout: true }))).toMatchObject({ code: 9, details: expect.stringContaining('was created without stdin') });
    expect(await failure(cri.runtime('attach', { containerId: box, tty: true, stdout: true, stderr: true }))).toMatchObject({ code: 3 });
  });
});

describe('PortForward', () => {
  test("a busybox httpd on the pod's 127.0.0.1, reached over SPDY/3.1 and WebSocket", async () => {
    const www = await runIn(pod, 'www', 'mkdir -p /www && echo ce-page > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www');
    await until(async () => (await execSync(['sh', '-c', 'nc 127.0.0.1 8080 </dev/null && echo up'], 0, www)).stdout.toString().includes('up'), 20_000);
    const { url } = await cri.runtime('portForward', { podSandboxId: pod.id, port: [8080] });
    expect(url).toMatch(/\/portforward\//);
    const { client } = await SpdyClient.connect(url, ['portforward.k8s.io']);
    const c = client!;
    const error = await c.open({ streamtype: ['error'], port: ['8080'], requestid: ['0'] });
    const data = await c.open({ streamtype: ['data'], port: ['8080'], requestid: ['0'] });
    await data.write(Buffer.from('GET /index.html HTTP/1.0\r\n\r\n'));
    await Promise.all([data.done(), error.done()]);
    expect(data.data.toString()).toMatch(/^HTTP\/1\.[01] 200 OK\r\n[\s\S]*\r\n\r\nce-page\n$/);
    expect(error.data.toString()).toBe('');
    c.close();
    await c.closedP();

    const ws = (await cri.runtime('portForward', { podSandboxId: pod.id, port: [8080] })).url;
    const w = (await WsClient.connect(`${ws}?port=8080`, ['v4.channel.k8s.io'])).client!;
    w.send(0, 'GET /index.html HTTP/1.0\r\n\r\n');
    await until(() => w.output(0).toString().includes('ce-page'), 10_000);
    w.close();
    await w.closedP();
  });

  test('a port nothing listens on in the pod: the error stream says so; a bad port or sandbox is refused', async () => {
    const { url } = await cri.runtime('portForward', { podSandboxId: pod.id, port: [8099] });
    const { client } = await SpdyClient.connect(url, ['portforward.k8s.io']);
    const error = await client!.open({ streamtype: ['error'], port: ['8099'], requestid: ['0'] });
    const data = await client!.open({ streamtype: ['data'], port: ['8099'], requestid: ['0'] });
    await Promise.all([error.done(), data.done()]);
    expect(error.data.toString()).toMatch(new RegExp(`^error forwarding port 8099 to pod ${pod.id}, uid : nc 127.0.0.1:8099: .*`));
    client!.close();
    await client!.closedP();
    expect(await failure(cri.runtime('portForward', { podSandboxId: pod.id, port: [70000] }))).toMatchObject({ code: 3, details: 'port[0]: 70000 is not a port (1-65535)' });
    expect(await failure(cri.runtime('portForward', { podSandboxId: 'ce-none', port: [80] }))).toMatchObject({ code: 5 });
  });
});

test('--stream-address that is not host:port, or taken, stops tsrund from starting, naming the flag', async () => {
  const dir = fs.mkdtempSync(path.join(work, 'flag-'));
  const args = (value: string) => ['--address', path.join(dir, 'a.sock'), '--cri-address', path.join(dir, 'c.sock'), '--root', path.join(dir, 'root'), '--state', path.join(dir, 'state'), '--cni-conf-dir', path.join(dir, 'cni'), '--dns-upstream', 'none', '--stream-address', value];
  const bad = spawnSync(TSRUND, args('ce-nowhere'), { encoding: 'utf8', timeout: 30_000 });
  expect(bad.status).toBe(1);
  expect(bad.stderr.trim()).toBe('tsrund: --stream-address "ce-nowhere": expected host:port, e.g. 127.0.0.1:0 or [::1]:10010');
  const taken = spawnSync(TSRUND, args(`127.0.0.1:${streamPort}`), { encoding: 'utf8', timeout: 30_000 });
  expect(taken.status).toBe(1);
  expect(taken.stderr.trim()).toMatch(new RegExp(`^tsrund: --stream-address 127\\.0\\.0\\.1:${streamPort}: cannot listen: .*EADDRINUSE`));
  expect(fs.existsSync(path.join(dir, 'a.sock')) || fs.existsSync(path.join(dir, 'c.sock'))).toBe(false);
});

const describeIf = KUBECTL ? describe : describe.skip;
if (!KUBECTL) console.warn('kubectl is not installed: the kubectl exec through the CRI is skipped');

describeIf('kubectl through CRI-issued URLs', () => {
  let api: KubeApi;
  let www: string;
  beforeAll(async () => {
    www = await runIn(pod, 'kube-www', 'mkdir -p /www && echo ce-kube-page > /www/index.html && exec httpd -f -p 127.0.0.1:8081 -h /www');
    api = await KubeApi.start({
      exec: async ({ command, ...streams }) => (await cri.runtime('exec', { containerId: box, cmd: command, ...streams })).url,
      portforward: async () => (await cri.runtime('portForward', { podSandboxId: pod.id, port: [8081] })).url,
    });
  });
  afterAll(() => api?.close());

  test.each([
    ['SPDY/3.1', 'false'],
    ['WebSocket', 'true'],
  ])('kubectl exec -i over %s: stdin, stdout, stderr and the exit code', async (_name, ws) => {
    const r = await api.kubectl(['exec', '-i', 'p1', '--', 'sh', '-c', 'tr a-z A-Z; echo ce-to-stderr >&2; hostname; exit 3'], { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: ws }, Buffer.from('through the cri\n'));
    expect(r.stdout.toString()).toBe(`THROUGH THE CRI\n${pod.config.hostname}\n`);
    expect(r.stderr).toContain('ce-to-stderr\n');
    expect(r.code).toBe(3);
  });

  test("kubectl port-forward to the pod's httpd", async () => {
    await until(async () => (await execSync(['sh', '-c', 'nc 127.0.0.1 8081 </dev/null && echo up'], 0, www)).stdout.toString().includes('up'), 20_000);
    const forward = await api.portForward('pod/p1', ':8081', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
    try {
      const page = await new Promise<string>((resolve, reject) => {
        let got = '';
        const sock = net.connect(forward.local, '127.0.0.1', () => sock.write('GET /index.html HTTP/1.0\r\n\r\n'));
        sock.on('data', (d: Buffer) => (got += d.toString()));
        sock.on('end', () => resolve(got));
        sock.on('error', reject);
      });
      expect(page).toMatch(/^HTTP\/1\.[01] 200 OK\r\n[\s\S]*\r\n\r\nce-kube-page\n$/);
    } finally {
      await forward.stop();
    }
  });
});
