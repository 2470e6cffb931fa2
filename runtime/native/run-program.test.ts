/**
 * runProgram (native/src/addon/child_processes.cc): posix_spawn and the wait on a worker thread.
 * What the program sees (argv, environment, fds, signal state) and what the caller gets back
 * (how it ended, the errno of a start that failed, the handed-over fds closed either way).
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { runProgram, socketPair } from './index';

let scratch: string;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-run-program-'));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A socket pair: the program's end to hand over, and ours with everything read from it until EOF. */
function channel(): { theirs: number; ours: net.Socket; text: Promise<string> } {
  const [own, theirs] = socketPair();
  const ours = new net.Socket({ fd: own, readable: true, writable: true });
  const chunks: Buffer[] = [];
  ours.on('data', (b: Buffer) => chunks.push(b));
  const text = new Promise<string>((resolve, reject) => {
    ours.once('error', reject);
    ours.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  return { theirs, ours, text };
}

const SH = '/bin/sh';

test('argv, argv[0] included, is exactly the one given', async () => {
  const out = channel();
  expect(await runProgram('/bin/cat', ['my-name', '/proc/self/cmdline'], [], [null, out.theirs])).toEqual({ code: 0, signal: null });
  expect(await out.text).toBe('my-name\0/proc/self/cmdline\0');
});

test('the environment is exactly the one given, nothing of this process', async () => {
  const out = channel();
  const env = ['A=1', 'B=two words', 'EMPTY=', 'UNICODE=é'];
  expect(await runProgram('/usr/bin/env', ['env'], env, [null, out.theirs])).toEqual({ code: 0, signal: null });
  expect(await out.text).toBe(env.map((e) => `${e}\n`).join(''));
});

test('stdio[i] is fd i; null is /dev/null; the program reads EOF from it', async () => {
  const out = channel();
  const err = channel();
  const extra = channel();
  const script = 'readlink /proc/self/fd/0; cat; echo to-stderr >&2; echo to-3 >&3';
  expect(await runProgram(SH, [SH, '-c', script], [], [null, out.theirs, err.theirs, extra.theirs])).toEqual({ code: 0, signal: null });
  expect(await out.text).toBe('/dev/null\n');
  expect(await err.text).toBe('to-stderr\n');
  expect(await extra.text).toBe('to-3\n');
});

test('every signal a program can use at its default and none blocked, though Node ignores SIGPIPE', async () => {
  const mask = (status: string, field: string) => BigInt(`0x${new RegExp(`${field}:\\s*([0-9a-f]+)`).exec(status)![1]}`);
  expect(mask(fs.readFileSync('/proc/self/status', 'utf8'), 'SigIgn') & (1n << 12n)).not.toBe(0n); // SIGPIPE (13): the case this guards
  const out = channel();
  await runProgram('/bin/cat', ['cat', '/proc/self/status'], [], [null, out.theirs]);
  const status = await out.text;
  // glibc's posix_spawn leaves its two internal signals (32, 33) ignored; no program can ask for
  // them (glibc's SIGRTMIN is 34), and the monitor's containers get every signal reset anyway.
  const glibcInternal = (1n << 31n) | (1n << 32n);
  expect(mask(status, 'SigIgn') & ~glibcInternal).toBe(0n);
  expect(mask(status, 'SigBlk')).toBe(0n);
});

test('how the program ended: its exit code, or the signal that killed it', async () => {
  expect(await runProgram(SH, [SH, '-c', 'exit 7'], [], [])).toEqual({ code: 7, signal: null });
  expect(await runProgram(SH, [SH, '-c', 'kill -KILL $$'], [], [])).toEqual({ code: null, signal: 9 });
});

test('the caller runs on while the program does: the wait is on a worker thread', async () => {
  const io = channel();
  const running = runProgram(SH, [SH, '-c', 'read line; echo "got $line"'], [], [io.theirs, io.theirs]);
  io.ours.write('hello\n');
  expect(await io.text).toBe('got hello\n');
  expect(await running).toEqual({ code: 0, signal: null });
});

test('a program that cannot start: the errno of posix_spawn naming the file, and the fds closed all the same', async () => {
  const out = channel();
  const missing = path.join(scratch, 'no-such-program');
  await expect(runProgram(missing, [missing], [], [null, out.theirs])).rejects.toMatchObject({ code: 'ENOENT', syscall: 'posix_spawn', path: missing });
  expect(await out.text).toBe(''); // EOF: no copy of the handed-over end is left open
  const notExecutable = path.join(scratch, 'data');
  fs.writeFileSync(notExecutable, 'not a program', { mode: 0o644 });
  await expect(runProgram(notExecutable, [notExecutable], [], [])).rejects.toMatchObject({ code: 'EACCES', syscall: 'posix_spawn' });
});

test('arguments of the wrong kind are refused before anything starts', () => {
  expect(() => runProgram(SH, [SH, 'a\0b'], [], [])).toThrow(/must be an array of/);
  expect(() => runProgram(SH, [SH], ['A=1', 2 as unknown as string], [])).toThrow(/must be an array of/);
  expect(() => runProgram(SH, [SH], [], [-1])).toThrow(/must be an array of/);
  expect(() => runProgram(SH, [SH], [], ['1' as unknown as number])).toThrow(/must be an array of/);
  expect(() => runProgram(SH, [SH], [], [1.5])).toThrow(/must be an array of/);
  expect(() => runProgram(SH, 'sh -c' as unknown as string[], [], [])).toThrow(/must be an array of/);
});
