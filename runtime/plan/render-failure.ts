/**
 * A failure the executor reported, as the one line a user reads: what the failed step was
 * doing and where, then the errno, e.g.
 *   mount proc on /proc (rootfs /tmp/b/rootfs): EPERM (Operation not permitted)
 *   exec: "foo": executable file not found in $PATH
 * The failed call ("<syscall> <path>", or the executor's reason in words) is added when it names
 * something the step description does not (a path component that could not be made, a
 * different syscall). The record is data (failure-record.ts): every word is chosen here.
 */
import {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWTIME,
  CLONE_NEWUSER,
  CLONE_NEWUTS,
  IOPRIO_CLASSES,
  MS_BIND,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  MS_SHARED,
  MS_SLAVE,
  MS_UNBINDABLE,
  PERSONALITIES,
  RLIMITS,
  SCHED_POLICIES,
} from './linux';
import {
  MOUNT_ATTR__ATIME,
  MOUNT_ATTR_NOATIME,
  MOUNT_ATTR_NODEV,
  MOUNT_ATTR_NODIRATIME,
  MOUNT_ATTR_NOEXEC,
  MOUNT_ATTR_NOSUID,
  MOUNT_ATTR_NOSYMFOLLOW,
  MOUNT_ATTR_RDONLY,
  MOUNT_ATTR_STRICTATIME,
} from './mount-options';
import type { PlanFailure } from './failure-record';
import type { InitPlan, InitStep, MountSetattrStep, MountStep, ParentStep, PlanContext, RunHooksStep, SetrlimitStep, Stage1Step } from './types';
import { isRootChange } from './rootfs';

/** glibc's strerror() text of the errnos a container set-up meets. */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  ENOEXEC: 'Exec format error',
  EBADF: 'Bad file descriptor',
  ECHILD: 'No child processes',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  ENOTBLK: 'Block device required',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  ENFILE: 'Too many open files in system',
  EMFILE: 'Too many open files',
  ENOTTY: 'Inappropriate ioctl for device',
  ETXTBSY: 'Text file busy',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  ESPIPE: 'Illegal seek',
  EROFS: 'Read-only file system',
  EMLINK: 'Too many links',
  EPIPE: 'Broken pipe',
  ERANGE: 'Numerical result out of range',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  EOVERFLOW: 'Value too large for defined data type',
  EOPNOTSUPP: 'Operation not supported',
  EUSERS: 'Too many users',
};

const NAMESPACE_NAMES: ReadonlyArray<[number, string]> = [
  [CLONE_NEWUSER, 'user'],
  [CLONE_NEWIPC, 'ipc'],
  [CLONE_NEWUTS, 'uts'],
  [CLONE_NEWNET, 'network'],
  [CLONE_NEWPID, 'pid'],
  [CLONE_NEWNS, 'mount'],
  [CLONE_NEWCGROUP, 'cgroup'],
  [CLONE_NEWTIME, 'time'],
];

const PROPAGATION_NAMES: ReadonlyArray<[number, string]> = [
  [MS_PRIVATE, 'private'],
  [MS_SLAVE, 'slave'],
  [MS_SHARED, 'shared'],
  [MS_UNBINDABLE, 'unbindable'],
];

type AnyStep = Stage1Step | ParentStep | InitStep;

export function renderFailure(plan: InitPlan, failure: PlanFailure, ctx: Pick<PlanContext, 'rootfs'>): string {
  const errno = errnoText(failure);
  if (failure.phase === 'monitor' || failure.phase === 'release') return renderRecord(failure);
  if (failure.phase === 'exec' && plan.exec.seccomp && isSeccompFailure(failure)) {
    return `${describe(plan.exec.seccomp, ctx)}: ${describeCall(failure)}: ${errno}`;
  }
  if (failure.phase === 'exec') return renderExecFailure(plan, failure, errno);
  const steps: readonly AnyStep[] = plan[failure.phase];
  const step = steps[failure.step];
  if (!step) return `${describeCall(failure) || failure.phase}: ${errno}`;
  if (step.op === 'runHooks') return renderHookFailure(step, failure);
  const what = describe(step, ctx) + (inContainer(plan, failure, step) ? ` (rootfs ${ctx.rootfs})` : '');
  const call = redundant(failure, step) ? '' : `${describeCall(failure)}: `;
  return `${what}: ${call}${errno}`;
}

/** A failure of no plan step (tsrun-monitor's start-up, the release of a created init). */
export function renderRecord(failure: PlanFailure): string {
  const call = describeCall(failure);
  return failure.errno ? `${call || failure.phase}: ${errnoText(failure)}` : call || failure.phase;
}

/** How much of a failed hook's output a message quotes (as runtime/hooks/run.ts does). */
const OUTPUT_QUOTED = 200;

/** errno is 0 when the hook itself failed (exit status, signal, timeout) rather than a call of the runner. */
function renderHookFailure(step: RunHooksStep, failure: PlanFailure): string {
  const index = failure.hook ?? -1;
  const hook = step.hooks[index];
  const where = hook ? `${step.kind} hook #${index} (${hook.path})` : `${step.kind} hook`;
  return `error running ${where}: ${hookOutcome(failure)}`;
}

function hookOutcome(failure: PlanFailure): string {
  const text = (failure.output ?? '').trim().replace(/\s*\n\s*/g, ' ');
  const output = text ? `, output: ${text.slice(0, OUTPUT_QUOTED)}` : '';
  if (failure.timeout !== undefined) return `ran past its timeout of ${failure.timeout}s and was killed${output}`;
  if (failure.signal !== undefined) return `killed by signal ${failure.signal}${output}`;
  if (failure.exitStatus !== undefined) return `exit status ${failure.exitStatus}${output}`;
  return `${failure.syscall}: ${errnoText(failure)}`;
}

function errnoText(failure: PlanFailure): string {
  const code = failure.code || `errno ${failure.errno}`;
  const text = Object.hasOwn(ERRNO_TEXT, code) ? ERRNO_TEXT[code] : undefined;
  return text ? `${code} (${text})` : code;
}

/** The lookup of args[0] reports exec on it; anything else is the preparation before it. */
function renderExecFailure(plan: InitPlan, failure: PlanFailure, errno: string): string {
  const file = plan.exec.args[0];
  if (failure.syscall !== 'exec' || failure.path !== file) return `prepare exec of "${file}": ${describeCall(failure)}: ${errno}`;
  // runc's wording (Go's exec.LookPath), which tools match on.
  if (failure.code === 'ENOENT' && !file.includes('/')) return `exec: "${file}": executable file not found in $PATH`;
  return `exec: "${file}": ${errno}`;
}

/** A failure of compiling or loading a seccomp filter (libseccomp's calls, seccomp(2), the filter's size). */
function isSeccompFailure(failure: PlanFailure): boolean {
  return failure.syscall.startsWith('seccomp') || failure.reason === 'filterTooLong' || failure.reason === 'filterSize';
}

/** What the failed call acted on: the path, or the number (a uid, a capability, an rlimit resource). */
function callSubject(failure: PlanFailure): string {
  if (failure.path) return failure.path;
  if (failure.value === undefined) return '';
  // Audit architecture numbers read in hex, as <linux/audit.h> writes them.
  return failure.syscall === 'seccomp_arch_add' ? `0x${failure.value.toString(16).padStart(8, '0')}` : String(failure.value);
}

/** "<syscall> <subject>", e.g. "mkdirat dev/pts"; "" when the record names no call. */
function plainCall(failure: PlanFailure): string {
  const call = [failure.syscall, callSubject(failure)].filter(Boolean).join(' ');
  return failure.path2 ? `${call} (from ${failure.path2})` : call;
}

/**
 * The failed call in words: "<syscall> <path>", or what the executor's reason says happened
 * (naming the syscall and path too, when the record has them). Also what PlanExecutionError's
 * message names.
 */
export function describeCall(failure: PlanFailure): string {
  const { path, value, syscall } = failure;
  const call = plainCall(failure);
  /** The syscall and path without the number, for the reasons that word the number themselves. */
  const named = [syscall, path].filter(Boolean).join(' ');
  const after = (text: string, before: string) => (before ? `${before}: ${text}` : text);
  switch (failure.reason) {
    case undefined:
      return call;
    case 'opNotAllowed':
      return after(`op not allowed in ${failure.phase}`, call);
    case 'noOpenRoot':
      return `no openRoot step before ${call}`;
    case 'notDirectory':
      return `must be an ordinary directory, not a symlink or a file: ${call}`;
    case 'containerRoot':
      return `resolves to the container's root itself: ${call}`;
    case 'noFileName':
      return `no file name in ${call}`;
    case 'shortWrite':
      return `${call}: short write`;
    case 'cpusUnavailable':
      return after('none of the CPUs is available (the host lacks them, they are offline, or the cpuset excludes them)', named);
    case 'cpuUnavailable':
      return after(`CPU ${value} is not available (the host lacks it, it is offline, or the cpuset excludes it)`, named);
    case 'nodeOutOfRange':
      return after(`NUMA node ${value} is above the highest node the executor can name`, named);
    case 'filterTooLong':
      return after(`seccomp filter of ${value} instructions, longer than BPF_MAXINSNS`, named);
    case 'filterSize':
      return after(`wrote ${value} bytes, no whole filter`, named);
    case 'keyringPermissions':
      return `${call}: no permissions in the key's description`;
    case 'hooksNotRunnable':
      return after('init stopped for runtime-namespace hooks, which this caller cannot run (spawnInitWithHooks can)', call);
    case 'silentExit': {
      const how =
        failure.signal !== undefined ? `killed by signal ${failure.signal}` : failure.exitStatus !== undefined ? `exit status ${failure.exitStatus}` : 'no exit status';
      return after(`${failure.phase} exited without reporting: ${how}`, call);
    }
    case 'parent':
      return `${call} to the parent`;
    case 'seccompAgent':
      return path ? `${syscall} to the seccomp agent at ${path}` : `${call} to the seccomp agent`;
    case 'consoleSocket':
      return `${call} on the console socket`;
    case 'idMappingHelper':
      return `${call} of the id-mapping helper`;
    case 'oldRoot':
      return `${call} (old root)`;
    case 'newRoot':
      return `${call} (new root)`;
    case 'copyUp':
      return `copy-up ${call}`;
    case 'copyUpTooDeep':
      return `copy-up: too many levels of directories at ${call}`;
    case 'copyUpPathTooLong':
      return `copy-up: path too long under ${call}`;
    case 'initExited':
      return after(`container init (pid ${value}) exited before it was started (exec fifo ${path})`, syscall);
    case 'initClosedFifo':
      return after(`exec fifo ${path}: closed by container init (pid ${value}) without the start byte`, syscall);
    case 'malformedPlan':
      return after(failure.output ?? 'malformed plan', call);
    case 'planPreservesFds':
      return after('exec.preserveFds must be 0 under tsrun-monitor', call);
    case 'planLacksConsole':
      return after('with --terminal the plan needs a console step on fd 4', call);
    case 'planHasConsole':
      return after('a console step needs --terminal', call);
  }
}

/** The path or value a step acts on, as the executor's failure record names it. */
function subject(step: AnyStep): string | undefined {
  switch (step.op) {
    case 'setns':
    case 'writeFile':
    case 'writePid':
    case 'joinCgroup':
    case 'openRoot':
    case 'maskPath':
    case 'chdir':
      return step.path;
    case 'mount':
    case 'mountSetattr':
    case 'mknod':
    case 'symlink':
    case 'mkdir':
      return step.target;
    case 'writeProcFile':
      return step.name;
    case 'moveNetDevice':
    case 'configureNetDevice':
      return step.name;
    case 'setrlimit':
      return String(step.resource);
    default:
      return undefined;
  }
}

/** The system calls that are the step itself (a failure of any other one is worth naming). */
const OWN_SYSCALLS: Partial<Record<AnyStep['op'], readonly string[]>> = {
  setns: ['open', 'setns'],
  writeFile: ['open', 'write'],
  writePid: ['open', 'write'],
  joinCgroup: ['open', 'write'],
  writeProcFile: ['open', 'write'],
  openRoot: ['open', 'openat2'],
  mount: ['mount'],
  mknod: ['mknodat'],
  symlink: ['symlinkat'],
  mkdir: ['mkdirat'],
  maskPath: ['mount'],
  chdir: ['chdir'],
  setrlimit: ['setrlimit'],
  moveNetDevice: ['RTM_NEWLINK'],
  mountSetattr: ['mount_setattr'],
};

/** The failed call says nothing the description does not: the step's own syscall on its own subject. */
function redundant(failure: PlanFailure, step: AnyStep): boolean {
  if (failure.reason || failure.path2) return false;
  const called = callSubject(failure);
  if (!failure.syscall && !called) return true;
  const own = subject(step);
  if (own === undefined || !called) return false;
  const strip = (p: string) => p.replace(/^\/+/, '');
  return (OWN_SYSCALLS[step.op] ?? []).includes(failure.syscall) && strip(called) === strip(own);
}

/** The step acts on a path of the container: beneath the open root, or anywhere after the root change. */
function inContainer(plan: InitPlan, failure: PlanFailure, step: AnyStep): boolean {
  if (failure.phase !== 'init') return false;
  switch (step.op) {
    case 'mknod':
    case 'symlink':
    case 'mkdir':
    case 'maskPath':
    case 'chdir':
      return true;
    case 'mount':
    case 'mountSetattr': {
      const rootChange = plan.init.findIndex(isRootChange);
      return step.inRoot || (rootChange >= 0 && failure.step > rootChange);
    }
    default:
      return false;
  }
}

function describe(step: AnyStep, ctx: Pick<PlanContext, 'rootfs'>): string {
  switch (step.op) {
    case 'setns':
      return `setns ${step.path}`;
    case 'unshare':
      return `unshare ${namespaceNames(step.flags)} namespace`;
    case 'writeFile':
      return step.purpose ? `${step.purpose}: write ${step.path}` : `write ${step.path}`;
    case 'writePid':
      return `write ${step.path}`;
    case 'joinCgroup':
      return `join the cgroup ${step.path.slice(0, step.path.lastIndexOf('/'))}`;
    case 'writeProcFile':
      return `write ${step.name} of the container init ${JSON.stringify(step.data.trimEnd())}`;
    case 'becomeRoot':
      return 'become root (uid 0, gid 0) in the new user namespace';
    case 'openRoot':
      return `open rootfs ${step.path}`;
    case 'mount':
      return describeMount(step);
    case 'mknod':
      return `mknod ${step.target}`;
    case 'symlink':
      return `symlink ${step.target} -> ${step.linkTo}`;
    case 'mkdir':
      return `mkdir ${step.target}`;
    case 'pivotRoot':
      return `pivot_root to ${ctx.rootfs}`;
    case 'moveRoot':
      return `move ${ctx.rootfs} onto / (no pivot_root)`;
    case 'chrootRoot':
      return `chroot to ${ctx.rootfs} (no mount namespace of the container's own)`;
    case 'maskPath':
      return `mask ${step.path}`;
    case 'sethostname':
      return `sethostname ${JSON.stringify(step.name)}`;
    case 'setdomainname':
      return `setdomainname ${JSON.stringify(step.name)}`;
    case 'setrlimit':
      return describeRlimit(step);
    case 'chdir':
      return `chdir ${step.path}`;
    case 'umask':
      return `umask ${step.mask.toString(8).padStart(4, '0')}`;
    case 'dropBounding':
      return 'drop capabilities from the bounding set';
    case 'setUser':
      return `set user ${step.uid}:${step.gid}` + (step.additionalGids.length ? ` (groups ${step.additionalGids.join(',')})` : '');
    case 'setCaps':
      return 'set capabilities';
    case 'noNewPrivs':
      return 'set no_new_privs';
    case 'seccomp':
      return `load the seccomp filter of linux.seccomp${step.listener ? ' and pass its notify fd to the agent at linux.seccomp.listenerPath' : ''}`;
    case 'runHooks':
      return `run the ${step.kind} hooks`;
    case 'parentHooks':
      return 'wait for the prestart and createRuntime hooks';
    case 'personality':
      return `set the execution domain of linux.personality (${abiName(PERSONALITIES, step.persona)})`;
    case 'scheduler':
      return `set the scheduler of process.scheduler (${abiName(SCHED_POLICIES, step.policy)}, priority ${step.priority}, nice ${step.nice})`;
    case 'ioPriority':
      return `set the I/O priority of process.ioPriority (${abiName(IOPRIO_CLASSES, step.ioClass)}, level ${step.level})`;
    case 'memoryPolicy':
      return `set the NUMA memory policy of linux.memoryPolicy (mode ${step.mode}, nodes ${step.nodes.join(',') || 'none'})`;
    case 'console':
      return 'set up the terminal of process.terminal (/dev/ptmx, the console socket)';
    case 'moveNetDevice': {
      const what = `move network interface ${step.name} into the container${step.newName !== step.name ? ` as ${step.newName}` : ''}`;
      return step.purpose ? `${step.purpose}: ${what}` : what;
    }
    case 'configureNetDevice': {
      const what = step.addresses.length > 0 ? `restore the addresses of network interface ${step.name} and set it up` : `set network interface ${step.name} up`;
      return step.purpose ? `${step.purpose}: ${what}` : what;
    }
    case 'mountSetattr':
      return `set recursive mount attributes ${describeAttrs(step)} on ${step.target} and the mounts below it`;
    case 'setAffinity': {
      const what = `set the CPU affinity to CPUs ${step.cpus.join(',')}`;
      return step.purpose ? `${step.purpose}: ${what}` : what;
    }
    case 'joinSessionKeyring':
      return `join the container's own session keyring${step.name === null ? '' : ` ${step.name}`} (--no-new-keyring keeps the caller's)`;
  }
}

const MOUNT_ATTR_NAMES: ReadonlyArray<[number, string, string]> = [
  [MOUNT_ATTR_RDONLY, 'ro', 'rw'],
  [MOUNT_ATTR_NOSUID, 'nosuid', 'suid'],
  [MOUNT_ATTR_NODEV, 'nodev', 'dev'],
  [MOUNT_ATTR_NOEXEC, 'noexec', 'exec'],
  [MOUNT_ATTR_NODIRATIME, 'nodiratime', 'diratime'],
  [MOUNT_ATTR_NOSYMFOLLOW, 'nosymfollow', 'symfollow'],
];

/** "ro,nosuid,noatime" as mount(8) would name the attributes a mountSetattr step sets and clears. */
function describeAttrs(step: MountSetattrStep): string {
  const names = MOUNT_ATTR_NAMES.flatMap(([bit, set, clear]) => (step.attrSet & bit ? [set] : step.attrClr & bit ? [clear] : []));
  if (step.attrClr & MOUNT_ATTR__ATIME) {
    const atime = step.attrSet & MOUNT_ATTR__ATIME;
    names.push(atime === MOUNT_ATTR_NOATIME ? 'noatime' : atime === MOUNT_ATTR_STRICTATIME ? 'strictatime' : 'relatime');
  }
  return names.join(',');
}

function describeMount(step: MountStep): string {
  if (step.flags & MS_REMOUNT) return `remount ${step.target}${step.flags & MS_RDONLY ? ' read-only' : ''}`;
  const propagation = PROPAGATION_NAMES.find(([flag]) => step.flags & flag);
  if (propagation && step.source === null) {
    return `make ${step.target} ${step.flags & MS_REC ? 'r' : ''}${propagation[1]}`;
  }
  if (step.flags & MS_BIND) return `${step.flags & MS_REC ? 'rbind' : 'bind'} mount ${step.source} on ${step.target}`;
  const type = step.fstype && step.fstype !== step.source ? ` type ${step.fstype}` : '';
  const copyUp = step.copyUp ? ' with tmpcopyup' : '';
  return `mount ${step.source ?? step.fstype} on ${step.target}${type}${copyUp}`;
}

function namespaceNames(flags: number): string {
  return NAMESPACE_NAMES.filter(([flag]) => flags & flag).map(([, name]) => name).join('+') || `flags ${flags}`;
}

/** The name `value` has in a table of linux.ts, or the number itself. */
function abiName(table: Readonly<Record<string, number>>, value: number): string {
  return Object.keys(table).find((name) => table[name] === value) ?? String(value);
}

function describeRlimit(step: SetrlimitStep): string {
  return `setrlimit ${rlimitName(step.resource)} (soft ${step.soft}, hard ${step.hard})`;
}

/** What init says on its stderr when the limit `configField` sets cannot be set (ExecRlimit). */
export function rlimitFailureMessage(step: SetrlimitStep, configField: string): string {
  return `${describeRlimit(step)} of ${configField}`;
}

function rlimitName(resource: number): string {
  return Object.keys(RLIMITS).find((name) => RLIMITS[name] === resource) ?? `resource ${resource}`;
}
