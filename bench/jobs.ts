/**
 * One measurement each: a job names the command lines to run, and `perform` runs it and returns
 * the figures. Jobs are plain data so that a helper process in another mount namespace
 * (bench/agent.ts, for crun) performs them exactly as the main process does.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

type Argv = string[];

export type Job =
  /** Spawn to exit of one command; `cleanup` runs (untimed) when it fails. */
  | { kind: 'time'; argv: Argv; cleanup?: Argv }
  /** create, start, delete of one container, each timed. */
  | { kind: 'lifecycle'; create: Argv; start: Argv; delete: Argv }
  /** Every container's create-then-start launched at once; wall time to the last exit. Deleted after, untimed. */
  | { kind: 'parallel'; containers: { create: Argv; start: Argv; delete: Argv }[] }
  /** Peak RSS of one command, by GNU time's %M (wait4's ru_maxrss, KiB). */
  | { kind: 'rss'; argv: Argv; cleanup?: Argv };

export type JobResult = number | { create: number; start: number; delete: number };

export const GNU_TIME = '/usr/bin/time';

/** Every runtime gets the same environment, reduced to PATH, whatever the bench was started with. */
const ENV = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };

/**
 * Standard error goes to a file: a created container inherits the runtime's stdio and would hold
 * a pipe open after the runtime exits.
 */
const errLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-log-')), 'stderr');

function failure(argv: Argv, how: string): Error {
  const text = fs.existsSync(errLog) ? fs.readFileSync(errLog, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
  return new Error(`${argv.join(' ')}: ${how}${text ? `\n${text}` : ''}`);
}

function timeSync(argv: Argv): number {
  const fd = fs.openSync(errLog, 'w');
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', fd], env: ENV });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.error) throw failure(argv, r.error.message);
    if (r.status !== 0) throw failure(argv, `exited ${r.status ?? r.signal}`);
    return ms;
  } finally {
    fs.closeSync(fd);
  }
}

function quietly(argv: Argv): void {
  spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', env: ENV });
}

function spawnAsync(argv: Argv, fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', fd], env: ENV });
    child.on('error', (err) => reject(failure(argv, err.message)));
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(failure(argv, `exited ${code ?? signal}`))));
  });
}

async function parallelWall(containers: { create: Argv; start: Argv }[]): Promise<number> {
  const fd = fs.openSync(errLog, 'w');
  try {
    const t0 = process.hrtime.bigint();
    await Promise.all(containers.map(async (c) => {
      await spawnAsync(c.create, fd);
      await spawnAsync(c.start, fd);
    }));
    return Number(process.hrtime.bigint() - t0) / 1e6;
  } finally {
    fs.closeSync(fd);
  }
}

function peakRssKiB(argv: Argv): number {
  const out = `${errLog}.rss`;
  timeSync([GNU_TIME, '-f', '%M', '-o', out, ...argv]);
  return Number(fs.readFileSync(out, 'utf8').trim().split('\n').pop());
}

export async function perform(job: Job): Promise<JobResult> {
  switch (job.kind) {
    case 'time':
    case 'rss':
      try {
        return job.kind === 'time' ? timeSync(job.argv) : peakRssKiB(job.argv);
      } catch (err) {
        if (job.cleanup) quietly(job.cleanup);
        throw err;
      }
    case 'lifecycle':
      try {
        const create = timeSync(job.create);
        const start = timeSync(job.start);
        return { create, start, delete: timeSync(job.delete) };
      } catch (err) {
        quietly(job.delete);
        throw err;
      }
    case 'parallel':
      try {
        return await parallelWall(job.containers);
      } finally {
        for (const c of job.containers) quietly(c.delete);
      }
  }
}

/** Remove the temporary stderr log (call once, when no more jobs will run). */
export function removeLog(): void {
  fs.rmSync(path.dirname(errLog), { recursive: true, force: true });
}
