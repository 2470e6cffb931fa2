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

/** A command line run in a new private mount namespace (unshare execs it, so the pid is the command's). */
export function inPrivateMountNamespace(argv: string[]): string[] {
  return ['unshare', '-m', '--propagation', 'private', ...argv];
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
   * `privateMounts`: start tsrund in a mount namespace of its own (`unshare -m --propagation
   * private`, which execs it: the pid is tsrund's), so that what containers mount without a
   * mount namespace of their own never reaches the machine's.
   */
  constructor(private readonly o: { privateMounts?: boolean } = {}) {}

  /**
   * Start tsrund and resolve once it answers Health with SERVING; returns how long that took (ms).
   * `wrap` turns tsrund's command line into the one to run (e.g. inside `unshare -m`; it must exec
   * tsrund, so that signals reach it).
   */
  async start(extraArgs: string[] = [], wrap: (argv: string[]) => string[] = this.o.privateMounts ? inPrivateMountNamespace : (argv) => argv): Promise<number> {
    const t0 = Date.now();
    const [command, ...args] = wrap([TSRUND, '--address', this.address, '--root', this.root, '--state', this.state, '--log-level', 'debug', ...extraArgs]);
    const proc = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
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

/** Resolves once `cond` holds (polled every 20 ms); rejects after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
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

/** What `dir` holds once it is empty (tsrund removes snapshot trees in the background), or after ~2 minutes. */
export async function emptied(dir: string): Promise<string[]> {
  for (let t = 0; t < 1200 && fs.readdirSync(dir).length > 0; t++) await new Promise((r) => setTimeout(r, 100));
  return fs.readdirSync(dir);
}
