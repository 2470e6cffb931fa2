/**
 * A process's stdin and output through tsrund, end to end, with real monitors and tsctl: ordered,
 * lossless and binary-safe (every byte value, NULs, invalid UTF-8, CR LF, lines longer than a log
 * record), with and without a terminal, at the edges of the monitor's 64 KiB buffer, with a
 * process that does not read and a Logs client that does not read (flow control holds the other
 * side, not tsrund's memory), and a reader of tsctl's stdout that goes away early (tsctl ends
 * quietly, `run --rm` still removes the container).
 */
import * as grpc from '@grpc/grpc-js';
import { spawn } from 'child_process';
import { once } from 'events';
import type { Writable } from 'stream';
import * as crypto from 'crypto';
import * as fs from 'fs';
import { BUSYBOX } from '../helpers/bundle';
import { apiServices } from '../../supervisor/api/load';
import { GrpcStatus } from '../../supervisor/client/client';
import { STDOUT_CLOSED_EXIT } from '../../supervisor/tsctl/output';
import { TSCTL, failure } from './daemon';
import { useDaemon } from './fixtures';
import { seededRandom } from '../helpers/seeded-random';

jest.setTimeout(180_000);

const { daemon, c, bundle, run, remove } = useDaemon();

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');


/** Bytes that text handling breaks: every byte value, NULs, invalid UTF-8, CR LF, a 100 KB line. */
const HOSTILE = Buffer.concat([
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from([0, 0, 0, 0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xc0, 0xaf]),
  Buffer.from('\r\n\r\r\n\n\n'),
  Buffer.alloc(100_000, 'x'),
  Buffer.from('\n'),
]);

/** `size` bytes: HOSTILE, then seeded random bytes. */
function payload(size: number, seed = 1): Buffer {
  const rand = seededRandom(seed);
  const b = Buffer.alloc(size + 3);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((rand() * 2 ** 32) >>> 0, i);
  HOSTILE.copy(b, 0, 0, Math.min(size, HOSTILE.length));
  return b.subarray(0, size);
}

/**
 * A seeded split of `total` bytes into writes: sizes from 1 byte to past the monitor's 64 KiB
 * buffer and its 32 KiB frames, and whether to wait for the write and to pause after it.
 */
function* seededWrites(rand: () => number, total: number): Generator<{ start: number; end: number; wait: boolean; pauseMs: number }> {
  for (let start = 0; start < total;) {
    const size = rand() < 0.5 ? 1 + ((rand() * 64) | 0) : 1 + ((rand() * 200_000) | 0);
    const end = Math.min(total, start + size);
    yield { start, end, wait: rand() < 0.3, pauseMs: rand() < 0.05 ? (rand() * 20) | 0 : 0 };
    start = end;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** tsrund's resident memory, bytes. */
const daemonRss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${daemon.proc!.pid}/status`, 'utf8'))![1]) * 1024;

interface Tsctl {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/**
 * tsctl with `input` on its stdin (ended after it); with `after`, the input is written only
 * once its stdout holds that text (the process is ready), and stdout is what came after it.
 */
function tsctl(args: string[], input: Buffer | ((stdin: Writable) => Promise<void>) | null, o: { after?: string } = {}): Promise<Tsctl> {
  const child = spawn(TSCTL, ['--address', daemon.address, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  let waiting = o.after !== undefined;
  const feed = () => {
    if (typeof input === 'function') void input(child.stdin).then(() => child.stdin.end());
    else if (input) child.stdin.end(input);
    else child.stdin.end();
  };
  child.stdin.on('error', () => undefined); // the process may stop reading early
  child.stdout.on('data', (d: Buffer) => {
    out.push(d);
    if (waiting && Buffer.concat(out).includes(o.after!)) {
      waiting = false;
      feed();
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  if (!waiting) feed();
  return new Promise((resolve) =>
    child.on('close', (code) => {
      let stdout = Buffer.concat(out);
      if (o.after !== undefined) {
        const at = stdout.indexOf(o.after);
        stdout = at < 0 ? stdout : stdout.subarray(at + Buffer.byteLength(o.after));
      }
      resolve({ code, stdout, stderr: err });
    }),
  );
}

describe('stdin and output through tsctl are byte-exact', () => {
  beforeAll(() => run('io', ['sleep', '600']));
  afterAll(() => remove('io'));

  test('10 MB of random bytes through `tsctl exec -i c cat`', async () => {
    const input = payload(10 * 1024 * 1024);
    const r = await tsctl(['exec', '-i', 'io', 'cat'], input);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(input.length);
    expect(sha256(r.stdout)).toBe(sha256(input));
  });

  test('10 MB of random bytes through `tsctl run -i --rm` of cat', async () => {
    const input = payload(10 * 1024 * 1024, 2);
    const r = await tsctl(['run', '-i', '--rm', '--name', 'io-run', '--bundle', bundle(['cat']).dir], input);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(input));
    expect((await c().listContainers()).map((k) => k.id)).not.toContain('io-run');
  });

  test('10 MB through a terminal in raw mode (`exec -it`, `stty raw -echo` in the container)', async () => {
    const input = payload(10 * 1024 * 1024, 3);
    // The line discipline alters bytes unless raw, and only input that arrives after stty is raw.
    const script = `stty raw -echo -iexten && echo READY && exec head -c ${input.length}`;
    const r = await tsctl(['exec', '-i', '-t', 'io', 'sh', '-c', script], input, { after: 'READY\n' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(input.length);
    expect(sha256(r.stdout)).toBe(sha256(input));
  });

  test.each([0, 1, 65535, 65536, 65537, 1_288_895])('%d bytes of stdin, then end of file', async (size) => {
    const input = payload(size, size);
    const r = await tsctl(['exec', '-i', 'io', 'cat'], input);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(size);
    expect(r.stdout.equals(input)).toBe(true);
  });

  // The class at tsctl's edge: whatever pieces and pace its stdin comes in, the same bytes come out.
  test.each([101, 202, 303])('seeded write sizes and pauses into `tsctl exec -i c cat` (seed %d)', async (seed) => {
    const rand = seededRandom(seed);
    const input = payload(512 * 1024 + ((rand() * 2 * 1024 * 1024) | 0), seed);
    const r = await tsctl(['exec', '-i', 'io', 'cat'], async (stdin) => {
      for (const w of seededWrites(rand, input.length)) {
        if (!stdin.write(input.subarray(w.start, w.end)) && w.wait) await once(stdin, 'drain');
        if (w.pauseMs) await sleep(w.pauseMs);
      }
    });
    expect(r.code).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(input));
  });

  test('a process that stops reading ends the input quietly: `exec -i c head -c 1` of 10 MB', async () => {
    const r = await tsctl(['exec', '-i', 'io', 'head', '-c', '1'], payload(10 * 1024 * 1024, 4));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(1);
  });

  test('`tsctl exec c cat /bin/busybox` prints the binary byte for byte', async () => {
    const r = await tsctl(['exec', 'io', 'cat', '/bin/busybox'], null);
    expect(r.code).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(fs.readFileSync(BUSYBOX)));
  });

  test('`tsctl logs` of binary output is byte for byte what the process wrote', async () => {
    await run('io-logs', ['cat', '/bin/busybox']);
    await c().wait('io-logs');
    const r = await tsctl(['logs', 'io-logs'], null);
    expect(r.code).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(fs.readFileSync(BUSYBOX)));
    await remove('io-logs');
  });
});

describe('Tasks.Stdin through the client', () => {
  /** Everything a process exec'd as `cat` in task `id` printed, once it exited. */
  async function output(id: string, execId: string): Promise<Buffer> {
    expect((await c().wait(id, { execId })).exitStatus).toBe(0);
    const parts: Buffer[] = [];
    for await (const e of c().logs(id, { execId })) parts.push(e.data, e.partial ? Buffer.alloc(0) : Buffer.from('\n'));
    return Buffer.concat(parts);
  }

  beforeAll(() => run('st', ['sleep', '600']));
  afterAll(() => remove('st'));

  test('many small writes stay in order', async () => {
    await c().exec({ id: 'st', execId: 'small', args: ['cat'], stdin: true });
    const writer = c().stdin('st', { execId: 'small' });
    const chunks = Array.from({ length: 3000 }, (_, i) => Buffer.from(`${i},`));
    for (const chunk of chunks) await writer.write(chunk);
    expect((await writer.close()).bytesWritten).toBe(Buffer.concat(chunks).length);
    expect((await output('st', 'small')).toString()).toBe(chunks.join(''));
  });

  // The class: any split of the stream into writes, at any pace, delivers the same bytes.
  test.each([11, 22, 33, 44, 55, 66])('seeded chunk sizes and pauses (seed %d) keep order and digest', async (seed) => {
    const rand = seededRandom(seed);
    const execId = `fuzz-${seed}`;
    await c().exec({ id: 'st', execId, args: ['cat'], stdin: true });
    const writer = c().stdin('st', { execId });
    const input = payload(256 * 1024 + ((rand() * 1024 * 1024) | 0), seed);
    for (const w of seededWrites(rand, input.length)) {
      const write = writer.write(input.subarray(w.start, w.end));
      if (w.wait) await write;
      if (w.pauseMs) await sleep(w.pauseMs);
    }
    expect((await writer.close()).bytesWritten).toBe(input.length);
    expect(sha256(await output('st', execId))).toBe(sha256(input));
  });

  test('WriteStdin calls awaited one by one, then CloseIO, deliver every byte in order', async () => {
    await c().exec({ id: 'st', execId: 'unary', args: ['cat'], stdin: true });
    const input = payload(700_000, 7);
    for (let off = 0; off < input.length; off += 50_000) await c().writeStdin('st', input.subarray(off, off + 50_000), { execId: 'unary' });
    await c().closeStdin('st', { execId: 'unary' });
    expect(sha256(await output('st', 'unary'))).toBe(sha256(input));
  });

  test('stdin closed by the process is FAILED_PRECONDITION, not an internal error', async () => {
    await c().exec({ id: 'st', execId: 'head', args: ['head', '-c', '1'], stdin: true });
    const writer = c().stdin('st', { execId: 'head' });
    const chunk = Buffer.alloc(64 * 1024, 'y');
    const err = await failure(
      (async () => {
        for (;;) await writer.write(chunk);
      })(),
    );
    expect(err?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    // Which one depends on whether tsrund has seen head exit before the write that finds no reader.
    expect(err?.details).toMatch(/stdin is closed|exec head has stopped/);
    const writeAfterClose = await failure(c().writeStdin('st', Buffer.from('z'), { execId: 'head' }));
    expect(writeAfterClose?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  });

  test('malformed Stdin streams get a status naming the field, and tsrund keeps serving', async () => {
    await c().exec({ id: 'st', execId: 'in', args: ['cat'], stdin: true });
    await c().exec({ id: 'st', execId: 'noin', args: ['sleep', '600'] });
    const Tasks = grpc.makeGenericClientConstructor(apiServices().Tasks, 'Tasks');
    const raw = new Tasks(`unix://${daemon.address}`, grpc.credentials.createInsecure()) as unknown as {
      stdin(cb: (err: grpc.ServiceError | null) => void): grpc.ClientWritableStream<object>;
      close(): void;
    };
    const stream = (messages: object[]) =>
      failure(
        new Promise((resolve, reject) => {
          const call = raw.stdin((err) => (err ? reject(err) : resolve(undefined)));
          for (const m of messages) call.write(m);
          call.end();
        }),
      );
    const data = Buffer.from('d');
    const cases: [object[], number, RegExp][] = [
      [[{ data }], GrpcStatus.INVALID_ARGUMENT, /^id: /],
      [[{ id: 'no-such', data }], GrpcStatus.NOT_FOUND, /no-such/],
      [[{ id: 'st', execId: 'noin', data }], GrpcStatus.FAILED_PRECONDITION, /without stdin/],
      [
        [
          { id: 'st', execId: 'in', data },
          { id: 'st', execId: 'noin', data },
        ],
        GrpcStatus.INVALID_ARGUMENT,
        /^id\/exec_id: /,
      ],
      [[{ id: 'st', execId: 'in', data: Buffer.alloc(1536 * 1024) }], GrpcStatus.INVALID_ARGUMENT, /^data: /],
    ];
    try {
      for (const [messages, code, details] of cases) {
        const err = await stream(messages);
        expect({ code: err?.code, details: err?.details }).toEqual({ code, details: expect.stringMatching(details) });
        expect(await c().health()).toBe('SERVING');
      }
    } finally {
      raw.close();
    }
    await c().closeStdin('st', { execId: 'in' });
    expect((await output('st', 'in')).toString()).toBe('d');
    await c().deleteTask('st', { execId: 'noin', force: true });
  });

  test('a process that does not read holds the writer back: tsrund buffers a bounded amount', async () => {
    await c().exec({ id: 'st', execId: 'noread', args: ['sleep', '600'], stdin: true });
    const before = daemonRss();
    const writer = c().stdin('st', { execId: 'noread' });
    const chunk = Buffer.alloc(256 * 1024, 'n');
    let accepted = 0;
    const writing = failure(
      (async () => {
        for (;;) {
          await writer.write(chunk);
          accepted += chunk.length;
        }
      })(),
    );
    // Without flow control 256 MiB would be accepted in this time many times over.
    for (let i = 0; i < 30 && accepted < 256 * 1024 * 1024; i++) await sleep(100);
    expect(accepted).toBeLessThan(32 * 1024 * 1024);
    expect(daemonRss() - before).toBeLessThan(64 * 1024 * 1024);
    // The process removed under the writer: its stream ends with a status, not an internal error.
    const logged = daemon.stderr.length;
    await c().deleteTask('st', { execId: 'noread', force: true });
    expect([GrpcStatus.FAILED_PRECONDITION, GrpcStatus.NOT_FOUND]).toContain((await writing)?.code);
    expect(daemon.stderr.slice(logged)).not.toMatch(/Tasks\.Stdin/);
  });
});

test('a Logs client that does not read holds tsrund back: its memory stays bounded', async () => {
  await run('slow-logs', ['sh', '-c', 'head -c 30000000 /dev/urandom']);
  await c().wait('slow-logs');
  const before = daemonRss();
  // Opened, never read: tsrund may send only what flow control lets through.
  const stream = c().logs('slow-logs');
  let peak = 0;
  for (let i = 0; i < 20; i++) {
    await sleep(100);
    peak = Math.max(peak, daemonRss() - before);
  }
  stream.cancel();
  expect(peak).toBeLessThan(32 * 1024 * 1024);
  expect(await c().health()).toBe('SERVING');
  await remove('slow-logs');
});

describe('a reader of tsctl’s stdout that goes away', () => {
  /** tsctl with its stdout closed by the reader after the first bytes. */
  function closedEarly(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const child = spawn(TSCTL, ['--address', daemon.address, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.once('data', () => child.stdout.destroy());
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  }

  test('`tsctl logs | head` ends quietly with 141 (as SIGPIPE ends docker)', async () => {
    await run('pipe-logs', ['seq', '1', '300000']);
    await c().wait('pipe-logs');
    const r = await closedEarly(['logs', 'pipe-logs']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(STDOUT_CLOSED_EXIT);
    await remove('pipe-logs');
  });

  test('`tsctl run --rm | head` ends quietly and removes the container', async () => {
    const b = bundle(['sh', '-c', 'seq 1 300000; exec sleep 600']);
    const r = await closedEarly(['run', '--rm', '--name', 'pipe-run', '--bundle', b.dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(STDOUT_CLOSED_EXIT);
    expect((await c().listContainers()).map((k) => k.id)).not.toContain('pipe-run');
    expect((await c().listTasks()).map((t) => t.id)).not.toContain('pipe-run');
  });

  test('`tsctl exec | head` ends quietly and removes the exec', async () => {
    await run('pipe-exec', ['sleep', '600']);
    const r = await closedEarly(['exec', '--exec-id', 'yes', 'pipe-exec', 'sh', '-c', 'seq 1 300000; exec sleep 600']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(STDOUT_CLOSED_EXIT);
    expect((await failure(c().wait('pipe-exec', { execId: 'yes' })))?.code).toBe(GrpcStatus.NOT_FOUND);
    await remove('pipe-exec');
  });
});
