/**
 * A real tsrund for tests: built bin/tsrund on a private socket, --root and --state in a temp
 * directory; a client of the library on it. Its networks are its own: --cni-conf-dir in the temp
 * directory, a bridge named after the test process, a slice of the tests' address range that no
 * other test daemon on the machine has (./network-slots.ts), no DNS forwarding. It runs in a
 * mount namespace of its own held for its whole life (restarts included), so the network
 * namespaces it pins are never mounted in the machine's. Its --auth-file is in the temp directory
 * (unless a test gives one). stop() tears down exactly what the test
 * made: every task (force-deleted) and container through the API, then the daemon, then its
 * networks (rules, bridges, leases), then the directories.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TsrundClient } from '../../supervisor/client/client';
import { TSRUN } from '../helpers/tsrun';
import { MountNamespaceHolder } from '../helpers/mount-namespace-holder';
import { claimNetworkSlot, removeNetworks, type NetworkSlot } from './network-slots';

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

let daemonSerial = 0;

export class TestDaemon {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrund-test-'));
  readonly address = path.join(this.dir, 'run', 'tsrund.sock');
  /** The Kubernetes CRI's socket (--cri-address): each test daemon its own. */
  readonly criAddress = path.join(this.dir, 'run', 'cri.sock');
  readonly root = path.join(this.dir, 'root');
  readonly state = path.join(this.dir, 'state');
  /** The network configuration lists (--cni-conf-dir). */
  readonly cniConfDir = path.join(this.dir, 'cni');
  /** The default network's bridge (--bridge). */
  readonly bridge = `tsrt${process.pid}-${daemonSerial++}`;
  proc: ChildProcess | null = null;
  stderr = '';
  private exited: Promise<DaemonExit> | null = null;
  private clientInstance: TsrundClient | null = null;
  private mounts: MountNamespaceHolder | null = null;
  private slot: NetworkSlot | null = null;

  /**
   * `privateMounts`: start tsrund in a mount namespace of its own (`unshare -m --propagation
   * private`, which execs it: the pid is tsrund's), so that what containers mount without a
   * mount namespace of their own never reaches the machine's. `networkPool`: the --network-pool
   * (default: a /22 of 10.234.0.0/16 no other test daemon uses, see networkPool).
   */
  constructor(private readonly o: { privateMounts?: boolean; networkPool?: string } = {}) {}

  /** The daemon's --network-pool (claimed at the first start). */
  get networkPool(): string {
    if (this.o.networkPool) return this.o.networkPool;
    this.slot ??= claimNetworkSlot();
    return this.slot.pool;
  }

  /**
   * Start tsrund and resolve once it answers Health with SERVING; returns how long that took (ms).
   * `wrap` turns tsrund's command line into the one to run (e.g. inside `unshare -m`; it must exec
   * tsrund, so that signals reach it).
   */
  async start(extraArgs: string[] = [], wrap: (argv: string[]) => string[] = this.o.privateMounts ? inPrivateMountNamespace : (argv) => argv): Promise<number> {
    const t0 = Date.now();
    const networkArgs = ['--cni-conf-dir', this.cniConfDir, '--bridge', this.bridge, '--network-pool', this.networkPool, '--dns-upstream', 'none'];
    this.mounts ??= await MountNamespaceHolder.start();
    // An auth file of its own unless the test gives one: a login or logout never touches the host's.
    const authArgs = extraArgs.includes('--auth-file') ? [] : ['--auth-file', path.join(this.dir, 'auth.json')];
    const argv = [TSRUND, '--address', this.address, '--cri-address', this.criAddress, '--root', this.root, '--state', this.state, '--log-level', 'debug', ...networkArgs, ...authArgs, ...extraArgs];
    const [command, ...args] = this.mounts.enter(wrap(argv));
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
    removeNetworks(this.cniConfDir);
    await this.mounts?.close();
    this.mounts = null;
    this.slot?.release();
    this.slot = null;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Create, start and wait for container `id`'s task, then delete it: the exit status and what the task wrote. */
export async function runTaskToEnd(c: TsrundClient, id: string): Promise<{ status: number; out: string }> {
  await c.createTask(id);
  await c.startTask(id);
  const exit = await c.wait(id);
  const out: string[] = [];
  for await (const e of c.logs(id)) out.push(e.text + (e.partial ? '' : '\n'));
  await c.deleteTask(id);
  return { status: exit.exitStatus, out: out.join('') };
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
