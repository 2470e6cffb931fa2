/**
 * Drive the built tsrun CLI (bin/tsrun, as podman or containerd would) with a private --root, so
 * tests never see or touch other containers' state.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The repository root, whether this runs from the sources (ts-jest) or from dist/ (bench). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

export const TSRUN = path.join(repoRoot(), 'bin/tsrun');

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class Tsrun {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-state-'));
  private readonly io = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-io-'));
  private ids = new Set<string>();

  /**
   * Run `tsrun --root <root> ...args` to completion. Output goes to files, not pipes: a created
   * container inherits tsrun's stdio and would hold a pipe open long after tsrun exits.
   */
  cmd(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Result {
    const out = path.join(this.io, 'stdout');
    const err = path.join(this.io, 'stderr');
    const fds = [fs.openSync(out, 'w+'), fs.openSync(err, 'w+')];
    try {
      const r = spawnSync(TSRUN, ['--root', this.root, ...args], { stdio: ['ignore', fds[0], fds[1]], timeout: opts.timeoutMs ?? 30_000, env: opts.env });
      if (r.error) throw r.error;
      return { code: r.status, signal: r.signal, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
    } finally {
      fds.forEach((fd) => fs.closeSync(fd));
    }
  }

  /** Run a tsrun command in the background (e.g. a foreground `run` to signal). */
  background(args: string[]) {
    return spawn(TSRUN, ['--root', this.root, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Remember an id so cleanup() force-deletes it whatever the test did. */
  track(id: string): string {
    this.ids.add(id);
    return id;
  }

  state(id: string): Record<string, unknown> {
    const r = this.cmd(['state', id]);
    if (r.code !== 0) throw new Error(`tsrun state ${id}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  cleanup(): void {
    for (const id of this.ids) this.cmd(['delete', '--force', id]);
    fs.rmSync(this.root, { recursive: true, force: true });
    fs.rmSync(this.io, { recursive: true, force: true });
  }
}

/** Unique ids across parallel and repeated runs. */
let serial = 0;
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++serial}`;
}

/** True while `pid` exists and is not a zombie. */
export function processExists(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
