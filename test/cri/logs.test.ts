/**
 * ReopenContainerLog through the CRI socket of a real tsrund, as kubelet rotates a log: rename
 * the file away, ask for a new one. What was written before is in the old file only, what comes
 * after in the new one; a container printing a counter as fast as it can while the test rotates
 * several times loses no line and tears none across a switch. Errors: an unknown container, one
 * not running, a log directory that is gone (the monitor's failed open, and the old log kept).
 */
import * as fs from 'fs';
import * as path from 'path';
import { failure, until } from '../supervisor/daemon';
import { busyboxSuite } from './busybox-suite';

jest.setTimeout(180_000);

const suite = busyboxSuite('cl-');
let serial = 0;

async function container(script: string) {
  const n = serial++;
  const config = {
    metadata: { name: `cl-pod-${n}`, uid: `cl-${process.pid}-${n}`, namespace: 'cl-ns', attempt: 0 },
    logDirectory: path.join(suite.work, `pod-${n}`),
  };
  const { podSandboxId } = await suite.cri.runtime('runPodSandbox', { config });
  const { containerId } = await suite.cri.runtime('createContainer', {
    podSandboxId,
    config: { metadata: { name: 'cl' }, image: { image: suite.image }, command: ['/bin/sh', '-c', script], logPath: 'cl/0.log' },
    sandboxConfig: config,
  });
  return { pod: podSandboxId, id: containerId, log: path.join(config.logDirectory, 'cl', '0.log') };
}

const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');

/** A CRI log's lines (P records joined with the F that ends them), and whether it ends inside a line (a P with no F). */
function linesOf(log: string): { lines: string[]; open: boolean } {
  const lines: string[] = [];
  let part = '';
  for (const record of log.split('\n').slice(0, -1)) {
    const m = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout ([FP]) (.*)$/.exec(record);
    if (!m) throw new Error(`not a CRI log record of stdout: ${JSON.stringify(record)}`);
    part += m[2];
    if (m[1] === 'F') {
      lines.push(part);
      part = '';
    }
  }
  return { lines, open: part !== '' };
}

const exec = (id: string, cmd: string) => suite.cri.runtime('execSync', { containerId: id, cmd: ['/bin/sh', '-c', cmd], timeout: 20 });

test('after a rename and ReopenContainerLog the old file has the old lines only, the new file the new ones', async () => {
  const c = await container('echo cl-one; exec sleep 1000');
  await suite.cri.runtime('startContainer', { containerId: c.id });
  await until(() => read(c.log).includes('cl-one'), 20_000);
  fs.renameSync(c.log, `${c.log}.1`);
  await suite.cri.runtime('reopenContainerLog', { containerId: c.id });
  // The new file is there when the call returns, before anything was written to it.
  expect(fs.statSync(c.log).mode & 0o777).toBe(0o600);
  expect(read(c.log)).toBe('');
  // The exec writes into the init's own stdout, which the monitor logs.
  await exec(c.id, 'echo cl-two > /proc/1/fd/1');
  await until(() => read(c.log).includes('cl-two'), 20_000);
  expect(linesOf(read(`${c.log}.1`))).toEqual({ lines: ['cl-one'], open: false });
  expect(linesOf(read(c.log))).toEqual({ lines: ['cl-two'], open: false });

  // Reopened without a rename: the same file, appended to.
  await suite.cri.runtime('reopenContainerLog', { containerId: c.id });
  await exec(c.id, 'echo cl-three > /proc/1/fd/1');
  await until(() => read(c.log).includes('cl-three'), 20_000);
  expect(linesOf(read(c.log)).lines).toEqual(['cl-two', 'cl-three']);
  await suite.cri.runtime('removePodSandbox', { podSandboxId: c.pod });
});

/**
 * Each line one write() of 3 KiB (a pipe keeps it whole), from three writers at once, so the
 * pipe stays full and the monitor's 8 KiB reads end inside a line: most switches come in the
 * middle of one.
 */
const PAD = 'x'.repeat(3000);
const WRITERS = ['a', 'b', 'c'];

test('three counters printed as fast as they can across six rotations: every number once, in order, none torn', async () => {
  const c = await container(`pad=${PAD}; for w in ${WRITERS.join(' ')}; do (i=0; while [ ! -e /cl-stop ]; do echo "$w $i $pad"; i=$((i+1)); done) & done; wait; echo end`);
  await suite.cri.runtime('startContainer', { containerId: c.id });
  const files: string[] = [];
  for (let k = 1; k <= 6; k++) {
    // Each file gets some lines before it is rotated away.
    await until(() => linesOf(read(c.log)).lines.length > 300, 30_000);
    const rotated = `${c.log}.${k}`;
    fs.renameSync(c.log, rotated);
    files.push(rotated);
    await suite.cri.runtime('reopenContainerLog', { containerId: c.id });
  }
  await until(() => linesOf(read(c.log)).lines.length > 300, 30_000);
  await exec(c.id, 'touch /cl-stop');
  await until(async () => (await suite.cri.runtime('containerStatus', { containerId: c.id })).status!.state === 'CONTAINER_EXITED', 30_000);
  files.push(c.log);

  const next: Record<string, number> = Object.fromEntries(WRITERS.map((w) => [w, 0]));
  for (const file of files) {
    const { lines, open } = linesOf(read(file));
    expect({ file, open }).toEqual({ file, open: false });
    const counted = file === c.log ? lines.slice(0, -1) : lines;
    // Each writer's numbers go on from where the previous file ended: nothing lost, nothing twice, no line cut.
    const expected = counted.map((line) => {
      const w = line.split(' ')[0];
      return w in next ? `${w} ${next[w]++} ${PAD}` : `(not a line of a writer)`;
    });
    expect({ file, lines: counted }).toEqual({ file, lines: expected });
  }
  expect(linesOf(read(c.log)).lines.at(-1)).toBe('end');
  await suite.cri.runtime('removePodSandbox', { podSandboxId: c.pod });
});

test('errors: no id INVALID_ARGUMENT, an unknown one NOT_FOUND, a created or exited container FAILED_PRECONDITION', async () => {
  expect(await failure(suite.cri.runtime('reopenContainerLog', {}))).toMatchObject({ code: 3, details: expect.stringContaining('container_id') });
  expect(await failure(suite.cri.runtime('reopenContainerLog', { containerId: 'cl-none' }))).toMatchObject({ code: 5 });
  const c = await container('echo cl-done');
  expect(await failure(suite.cri.runtime('reopenContainerLog', { containerId: c.id }))).toEqual({ code: 9, details: `container ${c.id} is not running (it is created)` });
  await suite.cri.runtime('startContainer', { containerId: c.id });
  await until(async () => (await suite.cri.runtime('containerStatus', { containerId: c.id })).status!.state === 'CONTAINER_EXITED', 20_000);
  fs.renameSync(c.log, `${c.log}.1`);
  expect(await failure(suite.cri.runtime('reopenContainerLog', { containerId: c.id }))).toEqual({ code: 9, details: `container ${c.id} is not running (it is exited)` });
  // No new log file was made.
  expect(fs.existsSync(c.log)).toBe(false);
  await suite.cri.runtime('removePodSandbox', { podSandboxId: c.pod });
});

test('a log directory that is gone: the failed open is reported (syscall, path, errno) and the output stays in the old file', async () => {
  const c = await container('echo cl-before; exec sleep 1000');
  await suite.cri.runtime('startContainer', { containerId: c.id });
  await until(() => read(c.log).includes('cl-before'), 20_000);
  const dir = path.dirname(c.log);
  const moved = `${dir}-moved`;
  fs.renameSync(dir, moved);
  expect(await failure(suite.cri.runtime('reopenContainerLog', { containerId: c.id }))).toEqual({
    code: 13,
    details: expect.stringMatching(new RegExp(`^tsrun-monitor \\(task .+\\): open ${c.log.replace(/[.]/g, '\\.')}: ENOENT \\(No such file or directory\\)$`)),
  });
  await exec(c.id, 'echo cl-after > /proc/1/fd/1');
  const old = path.join(moved, '0.log');
  await until(() => read(old).includes('cl-after'), 20_000);
  expect(linesOf(read(old)).lines).toEqual(['cl-before', 'cl-after']);
  expect(fs.existsSync(dir)).toBe(false);
  // The daemon keeps serving the container.
  expect((await suite.cri.runtime('containerStatus', { containerId: c.id })).status!.state).toBe('CONTAINER_RUNNING');
  await suite.cri.runtime('removePodSandbox', { podSandboxId: c.pod });
});
