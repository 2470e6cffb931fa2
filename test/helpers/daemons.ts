/**
 * podman and containerd driving a runtime binary, for integration tests. Each engine runs in a
 * private mount namespace of its own with fresh tmpfs over /run and /var/lib, so its mounts and
 * global state (/run/containers, /var/lib/containers/cache, /run/containerd/s, the runtime's
 * default --root) never reach the host; its storage and sockets live in a temp dir; its containers
 * sit under a cgroup parent named for this test run. cleanup() removes the containers through the
 * engine, then kills what is left in that namespace and that cgroup parent and removes them.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseCgroupMounts } from '../../runtime/cgroups/host';
import { processExists, sleep, TSRUN } from './tsrun';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The runtimes each engine test runs with: tsrun, and runc to show the expectations are runc's. */
export function runtimesUnderTest(): [string, string][] {
  return [
    ['tsrun', TSRUN],
    ['runc', commandPath('runc') ?? 'runc'],
  ];
}

/** Of the commands a test needs, those this host lacks. */
export function missingCommands(names: string[]): string[] {
  return names.filter((n) => !commandPath(n));
}

/** Where `name` is on PATH, or null. */
function commandPath(name: string): string | null {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function runSync(argv: string[], timeoutMs: number): Run {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new Error(`${argv.join(' ')}: ${r.error.message}\n${r.stderr ?? ''}`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run `argv` with a pseudo-terminal as its stdio (util-linux `script`), for `-t` commands. */
export function runInTerminal(argv: string[], timeoutMs: number): Run {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return runSync(['script', '-qec', quoted, '/dev/null'], timeoutMs);
}

/** Sets up the namespace, then execs the command ("$@"). */
const PRIVATE_NAMESPACE_SETUP = 'mount -t tmpfs -o mode=755 tmpfs /run && mount -t tmpfs -o mode=755 tmpfs /var/lib && exec "$@"';

/** Start `argv` as the first process of a new private mount namespace (see the file comment). */
function spawnInPrivateNamespace(argv: string[], logFile: string): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  try {
    return spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', PRIVATE_NAMESPACE_SETUP, 'sh', ...argv], {
      stdio: ['ignore', log, log],
    });
  } finally {
    fs.closeSync(log);
  }
}

function commandOf(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

function mountNamespaceOf(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return null;
  }
}

/** Pids of the processes in mount namespace `ns` (the engine's, the shims and monitors it left). */
function processesInMountNamespace(ns: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid && mountNamespaceOf(pid) === ns);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

async function killAndWait(pids: number[], timeoutMs = 5000): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGKILL');
  for (const end = Date.now() + timeoutMs; Date.now() < end && pids.some(processExists); ) await sleep(20);
}

/** Every hierarchy's directory for cgroup `cgroup` (an absolute cgroup path), where it exists. */
function cgroupDirs(cgroup: string): string[] {
  const mounts = parseCgroupMounts(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  return [...new Set(mounts.map((m) => path.join(m.mountpoint, cgroup)))].filter((d) => fs.existsSync(d));
}

function subtree(dir: string): string[] {
  const below = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => subtree(path.join(dir, e.name)));
  return [dir, ...below];
}

/** What cgroup directories exist under `cgroup` in any hierarchy (for tests to assert on). */
export function cgroupsUnder(cgroup: string): string[] {
  return cgroupDirs(cgroup).flatMap((d) => subtree(d).slice(1));
}

/** Kill every process under `cgroup` (thawing frozen ones), then remove its directories, deepest first. */
async function removeCgroupTree(cgroup: string): Promise<void> {
  const dirs = cgroupDirs(cgroup).flatMap(subtree);
  // Killed processes in a frozen cgroup only die once it thaws (v1 freezer, v2 cgroup.freeze).
  for (const d of dirs) {
    const freezerState = path.join(d, 'freezer.state');
    if (fs.existsSync(freezerState)) fs.writeFileSync(freezerState, 'THAWED');
    const freeze = path.join(d, 'cgroup.freeze');
    if (fs.existsSync(freeze)) fs.writeFileSync(freeze, '0');
  }
  const pids = dirs.flatMap((d) => {
    try {
      return fs.readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  await killAndWait([...new Set(pids)]);
  for (const d of dirs.reverse()) {
    for (let i = 0; i < 50; i++) {
      try {
        fs.rmdirSync(d);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        if (i === 49) throw err;
        await sleep(20);
      }
    }
  }
}

/** The engine's first process and its namespace, torn down together. */
class PrivateEngineProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly mountNamespace: string,
  ) {}

  /** Start `argv` and wait until it runs (the namespace is set up) and `ready()` says so. */
  static async start(argv: string[], logFile: string, ready: () => boolean = () => true): Promise<PrivateEngineProcess> {
    const child = spawnInPrivateNamespace(argv, logFile);
    const pid = child.pid!;
    for (const end = Date.now() + 10_000; Date.now() < end; await sleep(20)) {
      if (child.exitCode !== null) break;
      if (commandOf(pid) === path.basename(argv[0]) && ready()) return new PrivateEngineProcess(child, mountNamespaceOf(pid)!);
    }
    signal(pid, 'SIGKILL');
    throw new Error(`${argv[0]} did not start (exit ${child.exitCode}): ${fs.readFileSync(logFile, 'utf8').slice(-2000)}`);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Stop the engine by its pid (TERM, then KILL), then everything left in its namespace. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      let timer: NodeJS.Timeout | undefined;
      const exited = new Promise((r) => {
        this.child.once('exit', r);
        timer = setTimeout(r, 5000);
      });
      signal(this.pid, 'SIGTERM');
      await exited;
      clearTimeout(timer);
    }
    await killAndWait([this.pid, ...processesInMountNamespace(this.mountNamespace)]);
  }
}

function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`;
}

/** A CNI network podman makes its containers' default (written into its own network_config_dir). */
export interface PodmanNetwork {
  name: string;
  /** The configuration list (JSON). */
  configList: Record<string, unknown>;
}

/**
 * A rootful podman running `runtime` (an absolute path; podman runs it through conmon) with storage,
 * run and tmp dirs of its own, cgroupfs, file events and no network — or, given `network`, CNI
 * with that list as its only and default network (plugins from /usr/lib/cni).
 */
export class Podman {
  readonly cgroupParent = '/' + uniqueName('tsrun-podman');
  private constructor(
    readonly runtime: string,
    private readonly dir: string,
    private readonly holder: PrivateEngineProcess,
  ) {}

  static async start(runtime: string, o: { network?: PodmanNetwork } = {}): Promise<Podman> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-podman-'));
    fs.mkdirSync(path.join(dir, 'tmp'));
    const networkConf: string[] = [];
    if (o.network) {
      const confDir = path.join(dir, 'cni');
      fs.mkdirSync(confDir);
      fs.writeFileSync(path.join(confDir, `${o.network.name}.conflist`), JSON.stringify(o.network.configList));
      networkConf.push(
        '[network]',
        'network_backend = "cni"',
        'cni_plugin_dirs = ["/usr/lib/cni"]',
        `network_config_dir = ${JSON.stringify(confDir)}`,
        `default_network = ${JSON.stringify(o.network.name)}`,
      );
    }
    // No default sysctls (net.* ones need a network); file locks, not /dev/shm; conmon's
    // terminal sockets in our tmp dir, not /tmp (it leaves them there when the runtime fails).
    const conmonEnv = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `TMPDIR=${path.join(dir, 'tmp')}`];
    fs.writeFileSync(
      path.join(dir, 'containers.conf'),
      [
        '[containers]',
        `netns = "${o.network ? 'bridge' : 'none'}"`,
        'default_sysctls = []',
        '[engine]',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        'lock_type = "file"',
        `conmon_env_vars = ${JSON.stringify(conmonEnv)}`,
        ...networkConf,
      ].join('\n') + '\n',
    );
    // Storage of its own, in place of the host's storage.conf (whose overlay options would not apply).
    const storage = ['[storage]', 'driver = "vfs"', `graphroot = ${JSON.stringify(path.join(dir, 'root'))}`, `runroot = ${JSON.stringify(path.join(dir, 'runroot'))}`];
    fs.writeFileSync(path.join(dir, 'storage.conf'), storage.join('\n') + '\n');
    const holder = await PrivateEngineProcess.start(['sleep', 'infinity'], path.join(dir, 'holder.log'));
    return new Podman(runtime, dir, holder);
  }

  /** The command line of `podman ARGS` in this podman's namespace and configuration (for a caller that runs it itself). */
  argv(args: string[]): string[] {
    const d = this.dir;
    return [
      'nsenter', '-t', String(this.holder.pid), '-m', '--',
      'env', `CONTAINERS_CONF=${path.join(d, 'containers.conf')}`, `CONTAINERS_STORAGE_CONF=${path.join(d, 'storage.conf')}`,
      'podman', '--tmpdir', path.join(d, 'tmp'), '--runtime', this.runtime, '--cgroup-manager', 'cgroupfs', '--events-backend', 'file',
      ...args,
    ];
  }

  /** Flags every `podman run` of a test needs here: its cgroup parent and limits this host allows. */
  get runFlags(): string[] {
    return ['--cgroup-parent', this.cgroupParent, '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];
  }

  cmd(args: string[], timeoutMs = 60_000): Run {
    return runSync(this.argv(args), timeoutMs);
  }

  /** The podman command with a terminal as its stdin and stdout (`run -t`, `exec -t`). */
  inTerminal(args: string[], timeoutMs = 60_000): Run {
    return runInTerminal(this.argv(args), timeoutMs);
  }

  async cleanup(): Promise<void> {
    try {
      this.cmd(['rm', '--all', '--force', '--time', '0']);
    } finally {
      await this.holder.stop();
      await removeCgroupTree(this.cgroupParent);
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** A containerd of its own: config, root, state, socket and ctr namespace under a temp dir. */
export class Containerd {
  readonly namespace = uniqueName('tsrun-ctr');
  private constructor(
    readonly dir: string,
    private readonly daemon: PrivateEngineProcess,
  ) {}

  get socket(): string {
    return path.join(this.dir, 'containerd.sock');
  }

  /** The containerd process (for measuring it; its shims share its mount namespace). */
  get pid(): number {
    return this.daemon.pid;
  }

  get mountNamespace(): string {
    return this.daemon.mountNamespace;
  }

  /** Where ctr puts its stdio fifos (its default is /run/containerd/fifo on the host). */
  get fifoDir(): string {
    return path.join(this.dir, 'fifo');
  }

  /** The --root ctr's --runc-root gives the runtime is <this>/<namespace>. */
  get runtimeRoot(): string {
    return path.join(this.dir, 'runtime-root');
  }

  /** Containers get the cgroup /<namespace>/<id> from ctr. */
  get cgroupParent(): string {
    return '/' + this.namespace;
  }

  /**
   * `cri`: serve its CRI plugin too (on the same socket), with registry hosts from `configPath`
   * (hosts.toml layout) and CNI directories of its own (empty: the network is not ready).
   */
  static async start(o: { cri?: { configPath: string } } = {}): Promise<Containerd> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-containerd-'));
    const socket = path.join(dir, 'containerd.sock');
    // No CRI unless asked (it wants CNI), and no snapshotters or tracing this host lacks (they only log errors).
    const disabled = [...(o.cri ? [] : ['grpc.v1.cri']), 'snapshotter.v1.btrfs', 'snapshotter.v1.zfs', 'snapshotter.v1.devmapper', 'snapshotter.v1.aufs', 'internal.v1.tracing', 'tracing.processor.v1.otlp'];
    const config = [
      'version = 2',
      `root = ${JSON.stringify(path.join(dir, 'root'))}`,
      `state = ${JSON.stringify(path.join(dir, 'state'))}`,
      `disabled_plugins = ${JSON.stringify(disabled.map((p) => `io.containerd.${p}`))}`,
      '[grpc]',
      `  address = ${JSON.stringify(socket)}`,
      '[ttrpc]',
      `  address = ${JSON.stringify(socket + '.ttrpc')}`,
      ...(o.cri
        ? [
            '[plugins."io.containerd.grpc.v1.cri"]',
            '  stream_server_address = "127.0.0.1"',
            '[plugins."io.containerd.grpc.v1.cri".cni]',
            `  bin_dir = ${JSON.stringify(path.join(dir, 'cni-bin'))}`,
            `  conf_dir = ${JSON.stringify(path.join(dir, 'cni-conf'))}`,
            '[plugins."io.containerd.grpc.v1.cri".registry]',
            `  config_path = ${JSON.stringify(o.cri.configPath)}`,
          ]
        : []),
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'config.toml'), config + '\n');
    const daemon = await PrivateEngineProcess.start(['containerd', '--config', path.join(dir, 'config.toml')], path.join(dir, 'containerd.log'), () =>
      fs.existsSync(socket),
    );
    return new Containerd(dir, daemon);
  }

  ctr(args: string[], timeoutMs = 60_000): Run {
    return runSync(['ctr', '--address', this.socket, '--namespace', this.namespace, ...args], timeoutMs);
  }

  ctrInTerminal(args: string[], timeoutMs = 60_000): Run {
    return runInTerminal(['ctr', '--address', this.socket, '--namespace', this.namespace, ...args], timeoutMs);
  }

  async cleanup(): Promise<void> {
    try {
      for (const task of this.ctr(['tasks', 'ls', '--quiet']).stdout.split('\n').filter(Boolean)) {
        this.ctr(['tasks', 'rm', '--force', task]);
      }
      for (const c of this.ctr(['containers', 'ls', '--quiet']).stdout.split('\n').filter(Boolean)) this.ctr(['containers', 'rm', c]);
    } finally {
      await this.daemon.stop();
      await removeCgroupTree(this.cgroupParent);
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
