/**
 * A private mount namespace held by a process (`unshare -m --propagation private sleep
 * infinity`), for daemons that mount (tsrund pins network namespaces) and must keep those mounts
 * across their own restarts, never in the machine's namespace: enter() wraps a command line in
 * `nsenter --mount=…` (which execs it: the pid is the command's). close() kills exactly the holder.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';

export class MountNamespaceHolder {
  private constructor(
    private readonly proc: ChildProcess,
    readonly pid: number,
  ) {}

  static async start(): Promise<MountNamespaceHolder> {
    const proc = spawn('unshare', ['-m', '--propagation', 'private', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
    const pid = proc.pid;
    if (pid === undefined) throw new Error('unshare -m did not start');
    const own = fs.readlinkSync('/proc/self/ns/mnt');
    for (let i = 0; i < 500; i++) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/ns/mnt`) !== own && fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep') return new MountNamespaceHolder(proc, pid);
      } catch {
        // not there yet
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    proc.kill('SIGKILL');
    throw new Error('unshare -m: the namespace did not appear');
  }

  /** `argv` run inside the namespace. */
  enter(argv: string[]): string[] {
    return ['nsenter', `--mount=/proc/${this.pid}/ns/mnt`, '--', ...argv];
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
  }
}
