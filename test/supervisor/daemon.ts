/**
 * A real tsrund for tests: built bin/tsrund on a private socket, --root and --state in a temp
 * directory; a client of the library on it. stop() tears down exactly what the test made: every
 * task (force-deleted) and container through the API, then the daemon, then the directories.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TsrundClient } from '../../supervisor/client/client';
import { TSRUN } from '../helpers/tsrun';

export const TSRUND = path.join(path.dirname(TSRUN), 'tsrund');
export const TSCTL = path.join(path.dirname(TSRUN), 'tsctl');

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class TestDaemon {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrund-test-'));
  readonly address = path.join(this.dir, 'run', 'tsrund.sock');
  readonly root = path.join(this.dir, 'root');
  readonly state = path.join(this.dir, 'state');
  proc: ChildProcess | null = null;
  stderr = '';
  private exited: Promise<DaemonExit> | null = null;
  private clientInstance: TsrundClient | null = null;

  /**
   * Start tsrund and resolve once it answers Health with SERVING; returns how long that took (ms).
   * `wrap`: a command that execs its arguments (`unshare -n`, `sh -c 'umask 0; exec "$@"' sh`).
   */
  async start(extraArgs: string[] = [], wrap: string[] = []): Promise<number> {
    const t0 = Date.now();
    const argv = [...wrap, TSRUND, '--address', this.address, '--root', this.root, '--state', this.state, '--log-level', 'debug', ...extraArgs];
    const proc = spawn(
      argv[0],
      argv.slice(1),
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    this.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`tsrund exited at start: ${this.stderr}`);
      if (fs.existsSync(this.address)) {
        const status = await this.client.health().catch(() => null);
        if (status === 'SERVING') return Date.now() - t0;
      }
      if (Date.now() > deadline) throw new Error(`tsrund did not become ready: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  get client(): TsrundClient {
    this.clientInstance ??= new TsrundClient(this.address);
    return this.clientInstance;
  }

  /** A fresh client (the old one's channel may have seen the daemon die). */
  reconnect(): TsrundClient {
    this.clientInstance?.close();
    this.clientInstance = null;
    return this.client;
  }

  async signal(signal: NodeJS.Signals): Promise<DaemonExit> {
    this.proc?.kill(signal);
    const exit = await this.exited!;
    this.proc = null;
    return exit;
  }

  /** Remove every task and container this daemon knows, stop it, remove the directories. */
  async cleanup(): Promise<void> {
    if (this.proc) {
      const c = this.reconnect();
      for (const t of await c.listTasks().catch(() => [])) await c.deleteTask(t.id, { force: true }).catch(() => undefined);
      for (const k of await c.listContainers().catch(() => [])) await c.deleteContainer(k.id).catch(() => undefined);
      await this.signal('SIGTERM');
    }
    this.clientInstance?.close();
    this.clientInstance = null;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The gRPC status code and message a call fails with, or null when it succeeds. */
export async function failure(p: Promise<unknown>): Promise<{ code: number; details: string } | null> {
  try {
    await p;
    return null;
  } catch (err) {
    const e = err as { code: number; details: string };
    return { code: e.code, details: e.details };
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
