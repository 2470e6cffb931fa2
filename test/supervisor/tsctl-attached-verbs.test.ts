/**
 * The real bin/tsctl against a real tsrund for docker's `start -a`/`-i` (the output of the run it
 * starts, none of an earlier run's, stdin passed on, its exit status), `logs -t` (docker's
 * RFC3339NanoFixed times) and `-f` (what comes while it runs, to its exit).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { useDaemon } from './fixtures';
import { TSCTL, until } from './daemon';

jest.setTimeout(120_000);

const f = useDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-tsctl-attached-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const P = `ps-${process.pid}`;
let image = '';

const tsctl = (args: string[], input?: string) =>
  spawnSync(TSCTL, ['--address', f.daemon.address, ...args], { input, encoding: 'utf8', timeout: 60_000 });
function ok(...args: string[]): string {
  const r = tsctl(args);
  if (r.status !== 0) throw new Error(`tsctl ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  const archive = buildBusyboxArchive(work, 'localhost/tsrun-test/attached:1');
  ok('images', 'import', archive.file);
  image = archive.ref;
});

describe('start -a / -i', () => {
  test("start -a: the run's stdout and stderr, its exit status; a second start -a shows only the second run", () => {
    const id = `${P}-sa`;
    ok('create', '--name', id, image, 'sh', '-c', 'echo out; echo err >&2; exit 4');
    for (let run = 0; run < 2; run++) {
      const r = tsctl(['start', '-a', id]);
      expect({ run, status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ run, status: 4, stdout: 'out\n', stderr: 'err\n' });
    }
    // The log keeps both runs, as docker's does.
    expect(ok('logs', id)).toBe('out\nout\n');
    ok('rm', id);
  });

  test('start -a -i passes stdin on and closes it at its end; --interactive alone attaches too', () => {
    const id = `${P}-si`;
    ok('create', '--name', id, image, 'sh', '-c', 'cat; echo done');
    let r = tsctl(['start', '-a', '-i', id], 'hello\nworld\n');
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'hello\nworld\ndone\n', '']);
    r = tsctl(['start', '--interactive', id], 'again\n');
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'again\ndone\n', '']);
    // Without -i the new task's stdin is empty: cat ends at once.
    r = tsctl(['start', '-a', id], 'not passed\n');
    expect([r.status, r.stdout]).toEqual([0, 'done\n']);
    ok('rm', id);
  });

  test('start -a of a running container attaches to it until it exits', async () => {
    const id = `${P}-sr`;
    ok('run', '-d', '--name', id, image, 'sh', '-c', 'echo early; while [ ! -e /go ]; do sleep 0.05; done; echo late; exit 5');
    await until(() => ok('logs', id) === 'early\n');
    const child = spawn(TSCTL, ['--address', f.daemon.address, 'start', '-a', id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Attached once its follow is under way: then the container may go on.
    await new Promise((r) => setTimeout(r, 500));
    ok('exec', id, 'touch', '/go');
    expect(await exited).toBe(5);
    expect(stdout).toBe('late\n');
    ok('rm', id);
  });

  test('start -a with several containers, or one that does not exist: one line, exit 1, nothing started', () => {
    const id = `${P}-sn`;
    ok('create', '--name', id, image, 'true');
    let r = tsctl(['start', '-a', id, `${P}-other`]);
    expect([r.status, r.stdout, r.stderr]).toEqual([1, '', 'tsctl: start: --attach and --interactive take one container (start the others apart)\n']);
    expect(ok('ps', '-a', '--filter', `name=${id}`, '--format', '{{.Status}}')).toBe('Created\n');
    r = tsctl(['start', '-a', `${P}-missing`]);
    expect([r.status, r.stderr]).toEqual([1, `tsctl: container ${P}-missing not found\n`]);
    ok('rm', id);
  });
});

describe('logs -t / -f', () => {
  const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (.*)$/;

  test('-t: each line after its time as docker prints it (RFC 3339 with nine fraction digits, UTC), on the stream it was written to', () => {
    const id = `${P}-lt`;
    const t0 = Date.now();
    expect(tsctl(['run', '--name', id, image, 'sh', '-c', 'echo one; echo two >&2; printf "three\\nfour"']).status).toBe(0);
    const t1 = Date.now();
    const r = tsctl(['logs', '-t', id]);
    const lines = (text: string) => text.split('\n').filter(Boolean).map((l) => STAMP.exec(l));
    const out = lines(r.stdout);
    const err = lines(r.stderr);
    expect(out.map((m) => m?.[2])).toEqual(['one', 'three', 'four']);
    expect(err.map((m) => m?.[2])).toEqual(['two']);
    // Down to the millisecond a Date keeps: within the run, in order.
    const times = [...out, ...err].map((m) => Date.parse(m![1]));
    for (const t of times) expect(t >= t0 - 1 && t <= t1 + 1).toBe(true);
    expect(out.map((m) => m![1])).toEqual([...out.map((m) => m![1])].sort());
    // Without -t the bytes as written, the last line without a newline it did not have.
    expect(tsctl(['logs', id]).stdout).toBe('one\nthree\nfour');
    ok('rm', id);
  });

  test('-f prints what comes while the container runs and ends when it exits; of a stopped container it ends at once', async () => {
    const id = `${P}-lf`;
    ok('run', '-d', '--name', id, image, 'sh', '-c', 'echo first; while [ ! -e /go ]; do sleep 0.05; done; echo second; exit 2');
    const child = spawn(TSCTL, ['--address', f.daemon.address, 'logs', '-f', '-t', id], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => stdout.includes(' first\n'));
    expect(child.exitCode).toBeNull();
    ok('exec', id, 'touch', '/go');
    expect(await exited).toBe(0);
    expect(stdout.split('\n').filter(Boolean).map((l) => STAMP.exec(l)?.[2])).toEqual(['first', 'second']);
    const again = tsctl(['logs', '-f', '--tail', '1', id]);
    expect([again.status, again.stdout]).toEqual([0, 'second\n']);
    ok('rm', id);
  });
});
