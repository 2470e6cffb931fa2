/**
 * Network namespaces for tests, held by a process instead of a bind mount (so nothing is mounted
 * in the machine's mount namespace): `/proc/<pid>/ns/net` is the file a CNI plugin or `nsenter`
 * opens. close() kills exactly that process (and the namespace goes with its last reference).
 * `outsideHost` makes "the outside world" of the network tests: a namespace with a veth to the
 * host, an address of its own and a route back through the host.
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';

export class NetnsHolder {
  private constructor(
    private readonly proc: ChildProcess,
    readonly pid: number,
  ) {}

  /** A new network namespace (loopback down, as the kernel makes it). */
  static async start(): Promise<NetnsHolder> {
    const proc = spawn('unshare', ['--net', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
    const pid = proc.pid;
    if (pid === undefined) throw new Error('unshare --net did not start');
    // unshare execs sleep: the namespace is ready once the pid's netns differs from ours.
    const own = fs.readlinkSync('/proc/self/ns/net');
    for (let i = 0; i < 500; i++) {
      const ns = (() => {
        try {
          return fs.readlinkSync(`/proc/${pid}/ns/net`);
        } catch {
          return own;
        }
      })();
      if (ns !== own && fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep') return new NetnsHolder(proc, pid);
      await new Promise((r) => setTimeout(r, 5));
    }
    proc.kill('SIGKILL');
    throw new Error('unshare --net: the namespace did not appear');
  }

  /** The namespace file (what CNI_NETNS names). */
  get path(): string {
    return `/proc/${this.pid}/ns/net`;
  }

  /** Run `argv` inside the namespace (synchronously). */
  run(argv: string[], timeoutMs = 10_000): SpawnSyncReturns<string> {
    return spawnSync('nsenter', [`--net=${this.path}`, '--', ...argv], { encoding: 'utf8', timeout: timeoutMs });
  }

  /** Like run, but throws with stderr when the command fails. */
  check(argv: string[], timeoutMs = 10_000): string {
    const r = this.run(argv, timeoutMs);
    if (r.status !== 0) throw new Error(`${argv.join(' ')} in netns ${this.pid}: ${r.stderr || r.error?.message || `status ${r.status}`}`);
    return r.stdout;
  }

  /** Start a long-running `argv` inside the namespace; the caller kills it (by this pid). */
  spawn(argv: string[]): ChildProcess {
    return spawn('nsenter', [`--net=${this.path}`, '--', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
  }
}

export interface OutsideHost {
  netns: NetnsHolder;
  /** The host's end of the veth (in the test's namespace). */
  hostLink: string;
  /** The outside host's address and the host's address on the link. */
  address: string;
  hostAddress: string;
  close(): Promise<void>;
}

/**
 * "The outside": a namespace whose veth `<tag>o` has `address` (e.g. "198.18.7.2") in a /30
 * with the host's end `<tag>h` at `hostAddress`. Nothing routes to the outside host's namespace
 * but that link, and it has no default route: it answers only what reaches it from the host.
 * `tag` (at most 13 bytes) must be unique on the machine.
 */
export async function outsideHost(tag: string, address: string, hostAddress: string): Promise<OutsideHost> {
  if (tag.length > 13) throw new Error(`outsideHost: tag ${tag} is longer than 13 bytes`);
  const netns = await NetnsHolder.start();
  const hostLink = `${tag}h`;
  const inner = `${tag}o`;
  const ip = (args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  };
  try {
    ip(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', inner, 'netns', String(netns.pid)]);
    ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostLink]);
    ip(['link', 'set', hostLink, 'up']);
    netns.check(['ip', 'addr', 'add', `${address}/30`, 'dev', inner]);
    netns.check(['ip', 'link', 'set', inner, 'up']);
    netns.check(['ip', 'link', 'set', 'lo', 'up']);
  } catch (err) {
    spawnSync('ip', ['link', 'del', hostLink], { stdio: 'ignore' });
    await netns.close();
    throw err;
  }
  return {
    netns,
    hostLink,
    address,
    hostAddress,
    async close() {
      spawnSync('ip', ['link', 'del', hostLink], { stdio: 'ignore' });
      await netns.close();
    },
  };
}
