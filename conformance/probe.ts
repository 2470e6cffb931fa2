/**
 * The probe binary (probe/probe.c) and its report. The runner compiles it once per source
 * version with the host's C compiler, caching the binary under the OS temp dir by source hash.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from '../test/helpers/tsrun';

export interface MountInfo {
  mountPoint: string;
  root: string;
  /** Per-mount options (ro/rw, nosuid, ...). */
  options: string;
  fsType: string;
  source: string;
  superOptions: string;
  /** The optional fields of mountinfo: propagation tags such as `shared:3 master:1`, space-separated. */
  optional: string;
}

export interface DeviceInfo {
  type: 'c' | 'b' | 'd' | 'l' | 'p' | 's' | 'f';
  major: number;
  minor: number;
  /** Permission bits only. */
  mode: number;
  uid: number;
  gid: number;
  target?: string;
}

export interface PathFacts {
  error?: string;
  type?: string;
  /** Owner as the process sees it (lstat). */
  uid?: number;
  gid?: number;
  entries?: number;
  bytesRead?: number;
  readError?: string;
  /** null when the path opened for writing. */
  writeOpenError?: string | null;
}

export interface ProbeReport {
  args: string[];
  pid: number;
  uid: number;
  gid: number;
  euid: number;
  egid: number;
  groups: number[];
  umask: number;
  cwd: string | null;
  hostname: string | null;
  domainname: string | null;
  env: string[];
  CapInh: string;
  CapPrm: string;
  CapEff: string;
  CapBnd: string;
  CapAmb: string;
  NoNewPrivs: string;
  /** /proc/self/status seccomp mode (0 none, 2 filter) and number of filters; null when absent. */
  Seccomp: string | null;
  Seccomp_filters: string | null;
  /** Unlimited is -1. */
  rlimits: Record<string, { soft: number; hard: number }>;
  oomScoreAdj: string | null;
  uidMap: string | null;
  gidMap: string | null;
  cgroup: string | null;
  /** null when creating a file in / succeeded. */
  rootWriteError: string | null;
  namespaces: Record<string, string | null>;
  mounts: MountInfo[];
  devices: Record<string, DeviceInfo>;
  paths: Record<string, PathFacts>;
  /** uname(2) machine, as the execution domain shows it. */
  machine: string | null;
  /** personality(0xffffffff): the current persona. */
  personality: number;
  /** sched_getattr(2); null when it failed. */
  scheduler: { policy: number; nice: number; priority: number; flags: number } | null;
  /** ioprio_get(2) of the process: class << 13 | level. */
  ioPriority: number;
  /** get_mempolicy(2): MPOL_* mode and nodes; null when it failed. */
  memoryPolicy: { mode: number; nodes: number[] } | null;
  /** Open file descriptors of the process. */
  fds: number[];
  /** sched_getaffinity(2): the CPUs the process may run on; null when it failed. */
  cpuAffinity: number[] | null;
  /** isatty() of fds 0, 1 and 2. */
  stdioTty: [boolean, boolean, boolean];
  /** ttyname(0), null when stdin is not a terminal. */
  stdinTtyName: string | null;
  /** Results of the system calls asked for with `--call NAME`. */
  calls: Record<string, { ret: number; errno: string | null } | { error: string }>;
  /** KEYCTL_DESCRIBE of the session keyring ("keyring;uid;gid;perm;name"), null when it fails. */
  sessionKeyring: string | null;
  /** The "user" keys asked for with `--key NAME`: found from the session keyring and read, or the errno. */
  keys: Record<string, { payload: string } | { errno: string }>;
  /** Contents of the files asked for with `--read`, null when unreadable. */
  files: Record<string, string | null>;
}

/** Where the probe lives inside a bundle's rootfs. */
export const PROBE_IN_CONTAINER = '/probe';

const SOURCE = path.join(repoRoot(), 'conformance', 'probe', 'probe.c');

/** Path of the compiled probe, building it if this source version has not been built yet. */
export function probeBinary(): string {
  const source = fs.readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const binary = path.join(os.tmpdir(), `tsrun-conformance-probe-${hash}`);
  if (!fs.existsSync(binary)) {
    const partial = `${binary}.${process.pid}`;
    try {
      execFileSync('cc', ['-static', '-O2', '-o', partial, SOURCE], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      throw new Error(`compiling ${SOURCE} with cc -static failed: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? e}`);
    }
    fs.renameSync(partial, binary);
  }
  return binary;
}

/** The probe's JSON object from a container's stdout (the last line that is one). */
export function parseProbeOutput(stdout: string): ProbeReport {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith('{'));
  if (!line) throw new Error(`the probe printed no JSON; stdout was: ${JSON.stringify(stdout.slice(0, 300))}`);
  return JSON.parse(line) as ProbeReport;
}
