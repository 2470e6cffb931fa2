/**
 * Drives any OCI runtime binary through its runc-compatible command line, with a private --root
 * state dir, remembering every container id so that deleteAll() can force-delete them all.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ContainerState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}

let serial = 0;

export class RuntimeDriver {
  readonly root: string;
  private readonly io: string;
  private readonly ids = new Set<string>();

  constructor(readonly binary: string, readonly scratch: string) {
    this.root = fs.mkdtempSync(path.join(scratch, 'root-'));
    this.io = fs.mkdtempSync(path.join(scratch, 'io-'));
  }

  /** A fresh container id, force-deleted by deleteAll(). */
  newId(prefix: string): string {
    const id = `conf-${prefix}-${process.pid}-${++serial}`;
    this.ids.add(id);
    return id;
  }

  /**
   * Run `<binary> --root <root> ...args` to completion. Output goes to files rather than pipes: a
   * created container inherits the runtime's stdio and would hold a pipe open after it exits.
   */
  cmd(args: string[], timeoutMs = 20_000, cwd?: string): CommandResult {
    const out = path.join(this.io, 'stdout');
    const err = path.join(this.io, 'stderr');
    const fds = [fs.openSync(out, 'w+'), fs.openSync(err, 'w+')];
    try {
      const r = spawnSync(this.binary, ['--root', this.root, ...args], { stdio: ['ignore', fds[0], fds[1]], timeout: timeoutMs, cwd });
      if (r.error) throw new Error(`${this.binary} ${args.join(' ')}: ${r.error.message}`);
      return { code: r.status, signal: r.signal, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
    } finally {
      fds.forEach((fd) => fs.closeSync(fd));
    }
  }

  /** `create --bundle <bundle> <id>`; the container's stdio is the runtime's (output files). */
  create(id: string, bundle: string): CommandResult {
    return this.cmd(['create', '--bundle', bundle, id]);
  }

  /** `run` in the foreground; resolves with the container's exit status and output. */
  run(id: string, bundle: string, timeoutMs = 20_000): Promise<CommandResult> {
    const out = path.join(this.io, `${id}.out`);
    const err = path.join(this.io, `${id}.err`);
    const fds = [fs.openSync(out, 'w+'), fs.openSync(err, 'w+')];
    const child = spawn(this.binary, ['--root', this.root, 'run', '--bundle', bundle, id], { stdio: ['ignore', fds[0], fds[1]] });
    fds.forEach((fd) => fs.closeSync(fd));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.cmd(['kill', id, 'KILL']);
        reject(new Error(`${path.basename(this.binary)} run ${id} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') });
      });
    });
  }

  /** The parsed `state` of a container, or the error text when the runtime reports none. */
  state(id: string): ContainerState | { error: string } {
    const r = this.cmd(['state', id]);
    if (r.code !== 0) return { error: r.stderr.trim() || `exit code ${r.code}` };
    try {
      return JSON.parse(r.stdout) as ContainerState;
    } catch {
      return { error: `state printed invalid JSON: ${JSON.stringify(r.stdout.slice(0, 200))}` };
    }
  }

  /** Poll `state` until the status is `status` or `timeoutMs` passes; returns the last state. */
  async waitForStatus(id: string, status: string, timeoutMs = 5_000): Promise<ContainerState | { error: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.state(id);
      if (('status' in s && s.status === status) || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Force-delete one container the case made (errors ignored: it may be gone already). */
  forceDelete(id: string): void {
    this.cmd(['delete', '--force', id]);
    this.ids.delete(id);
  }

  /** Force-delete every container made so far. */
  deleteAll(): void {
    for (const id of [...this.ids]) this.forceDelete(id);
  }

  /** deleteAll(), then remove the state and output dirs. */
  dispose(): void {
    this.deleteAll();
    fs.rmSync(this.root, { recursive: true, force: true });
    fs.rmSync(this.io, { recursive: true, force: true });
  }
}

/** A scratch dir for one runner invocation, under the OS temp dir. */
export function makeScratch(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-conformance-'));
}
