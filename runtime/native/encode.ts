/**
 * InitPlan -> the bytes the C executor decodes (format: the comment at the top of
 * native/src/exec/plan.c). Every value is checked on the way: a plan that cannot be encoded
 * exactly is refused with the path of the offending field, never truncated or wrapped.
 */
import { MAX_AFFINITY_CPUS } from '../plan/cpu-affinity';
import { MAX_NUMA_NODES } from '../plan/linux';
import type { ExecSpec, InitPlan, InitStep, ParentStep, Stage1Step } from '../plan/types';

export const PLAN_MAGIC = 'TSRP';
export const PLAN_VERSION = 1;

type AnyStep = Stage1Step | ParentStep | InitStep;

/** Op codes on the wire, shared with enum plan_op in native/src/exec/plan.h. */
export const OP_CODES: Record<AnyStep['op'], number> = {
  setns: 1,
  unshare: 2,
  writeFile: 3,
  writePid: 4,
  writeProcFile: 5,
  becomeRoot: 6,
  openRoot: 7,
  mount: 8,
  mknod: 9,
  symlink: 10,
  mkdir: 11,
  pivotRoot: 12,
  moveRoot: 13,
  maskPath: 14,
  sethostname: 15,
  setdomainname: 16,
  setrlimit: 17,
  chdir: 18,
  umask: 19,
  dropBounding: 20,
  setUser: 21,
  setCaps: 22,
  noNewPrivs: 23,
  seccomp: 24,
  // Hooks take codes from 40 up, clear of the ones other steps are adding after 24.
  runHooks: 40,
  parentHooks: 41,
  // Process attributes take codes from 60 up, clear of the hooks' and of those added after 24.
  personality: 60,
  scheduler: 61,
  ioPriority: 62,
  memoryPolicy: 63,
  console: 80,
  // Network devices (native/src/exec/netdev.c) take codes from 100 up.
  moveNetDevice: 100,
  configureNetDevice: 101,
  // Recursive mount attributes (native/src/exec/mount.c) take codes from 120 up.
  mountSetattr: 120,
  // CPU affinity (native/src/exec/affinity.c) takes codes from 130 up.
  setAffinity: 130,
  // The session keyring (native/src/exec/keyring.c) takes codes from 140 up.
  joinSessionKeyring: 140,
  // The root change without a mount namespace of the container's own (native/src/exec/mount.c).
  chrootRoot: 150,
};

const PROC_FILES = { uid_map: 1, gid_map: 2, setgroups: 3 } as const;
const CREATE_KINDS = { none: 0, dir: 1, file: 2 } as const;
const HOOK_KINDS = { createContainer: 1, startContainer: 2 } as const;
const ADDRESS_FAMILIES = { inet: 4, inet6: 6 } as const;
const MAX_PREFIX = { inet: 32, inet6: 128 } as const;
const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;
const MAX_LAST_CAP = 63;
const MIN_NICE = -20;
const MAX_NICE = 19;
const MAX_SECCOMP_ARG = 5;
/** SCMP_CMP_NE .. SCMP_CMP_MASKED_EQ. */
const SECCOMP_OPS = { first: 1, last: 7 } as const;

class PlanWriter {
  private readonly parts: Buffer[] = [];

  header(magic: string, version: number): void {
    this.parts.push(Buffer.from(magic, 'latin1'));
    this.u32(version, 'version');
  }

  u8(value: number): void {
    this.parts.push(Buffer.from([value]));
  }

  u32(value: number, where: string): void {
    if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
      throw new RangeError(`plan.${where}: expected an integer in [0, ${U32_MAX}], got ${value}`);
    }
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.parts.push(b);
  }

  /** A decimal string of types.ts (capability masks, rlimits) as a u64. */
  u64(decimal: string, where: string): void {
    if (typeof decimal !== 'string' || !/^[0-9]+$/.test(decimal) || BigInt(decimal) > U64_MAX) {
      throw new RangeError(`plan.${where}: expected a decimal string of an unsigned 64-bit integer, got ${JSON.stringify(decimal)}`);
    }
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(decimal));
    this.parts.push(b);
  }

  bool(value: boolean, where: string): void {
    if (typeof value !== 'boolean') throw new TypeError(`plan.${where}: expected a boolean, got ${JSON.stringify(value)}`);
    this.u8(value ? 1 : 0);
  }

  /** A path or name (no NUL byte, which C could not carry). */
  str(value: string, where: string): void {
    if (typeof value !== 'string') throw new TypeError(`plan.${where}: expected a string, got ${JSON.stringify(value)}`);
    if (value.includes('\0')) throw new RangeError(`plan.${where}: must not contain a NUL character`);
    this.bytes(value, where);
  }

  /** File contents: any string. */
  bytes(value: string, where: string): void {
    if (typeof value !== 'string') throw new TypeError(`plan.${where}: expected a string, got ${JSON.stringify(value)}`);
    const b = Buffer.from(value, 'utf8');
    this.u32(b.length, where);
    this.parts.push(b);
  }

  optstr(value: string | null, where: string): void {
    this.bool(value !== null, where);
    if (value !== null) this.str(value, where);
  }

  u32list(values: number[], where: string): void {
    this.u32(values.length, where);
    values.forEach((v, i) => this.u32(v, `${where}[${i}]`));
  }

  strlist(values: string[], where: string): void {
    this.u32(values.length, where);
    values.forEach((v, i) => this.str(v, `${where}[${i}]`));
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function oneOf<T extends Record<string, number>>(table: T, value: string, where: string): number {
  if (!Object.prototype.hasOwnProperty.call(table, value)) {
    throw new RangeError(`plan.${where}: expected one of ${Object.keys(table).join(', ')}, got ${JSON.stringify(value)}`);
  }
  return table[value];
}

function writeStep(w: PlanWriter, step: AnyStep, allowed: ReadonlySet<string>, at: string): void {
  if (!allowed.has(step.op)) throw new RangeError(`plan.${at}.op: ${JSON.stringify(step.op)} is not a step of this phase`);
  w.u8(OP_CODES[step.op]);
  const f = (field: string) => `${at}.${field}`;
  switch (step.op) {
    case 'setns':
      w.u32(step.nstype, f('nstype'));
      w.str(step.path, f('path'));
      break;
    case 'unshare':
      w.u32(step.flags, f('flags'));
      break;
    case 'writeFile':
      w.str(step.path, f('path'));
      w.bytes(step.data, f('data'));
      break;
    case 'writePid':
      w.str(step.path, f('path'));
      break;
    case 'writeProcFile':
      w.u8(oneOf(PROC_FILES, step.name, f('name')));
      w.bytes(step.data, f('data'));
      break;
    case 'openRoot':
    case 'maskPath':
    case 'chdir':
      w.str(step.path, f('path'));
      break;
    case 'mount':
      w.optstr(step.source, f('source'));
      w.str(step.target, f('target'));
      w.bool(step.inRoot, f('inRoot'));
      w.optstr(step.fstype, f('fstype'));
      w.u32(step.flags, f('flags'));
      w.optstr(step.data, f('data'));
      w.u8(oneOf(CREATE_KINDS, step.create, f('create')));
      w.bool(step.ignoreMissing, f('ignoreMissing'));
      w.bool(step.copyUp ?? false, f('copyUp'));
      w.bool(step.directoryOnly ?? false, f('directoryOnly'));
      w.bool(step.idmap !== undefined, f('idmap'));
      if (step.idmap) {
        w.str(step.idmap.uidMap, f('idmap.uidMap'));
        w.str(step.idmap.gidMap, f('idmap.gidMap'));
        w.bool(step.idmap.recursive, f('idmap.recursive'));
      }
      break;
    case 'mknod':
      w.str(step.target, f('target'));
      w.u32(step.mode, f('mode'));
      w.u32(step.major, f('major'));
      w.u32(step.minor, f('minor'));
      w.u32(step.uid, f('uid'));
      w.u32(step.gid, f('gid'));
      break;
    case 'symlink':
      w.str(step.target, f('target'));
      w.str(step.linkTo, f('linkTo'));
      w.bool(step.ignoreExisting, f('ignoreExisting'));
      break;
    case 'mkdir':
      w.str(step.target, f('target'));
      w.u32(step.mode, f('mode'));
      break;
    case 'sethostname':
    case 'setdomainname':
      w.str(step.name, f('name'));
      break;
    case 'setrlimit':
      w.u32(step.resource, f('resource'));
      w.u64(step.soft, f('soft'));
      w.u64(step.hard, f('hard'));
      break;
    case 'umask':
      w.u32(step.mask, f('mask'));
      break;
    case 'dropBounding':
      w.u64(step.keep, f('keep'));
      if (!Number.isInteger(step.lastCap) || step.lastCap < 0 || step.lastCap > MAX_LAST_CAP) {
        throw new RangeError(`plan.${f('lastCap')}: expected an integer in [0, ${MAX_LAST_CAP}], got ${step.lastCap}`);
      }
      w.u32(step.lastCap, f('lastCap'));
      break;
    case 'setUser':
      w.u32(step.uid, f('uid'));
      w.u32(step.gid, f('gid'));
      w.u32list(step.additionalGids, f('additionalGids'));
      w.bool(step.setgroups, f('setgroups'));
      break;
    case 'setCaps':
      w.u64(step.effective, f('effective'));
      w.u64(step.permitted, f('permitted'));
      w.u64(step.inheritable, f('inheritable'));
      w.u64(step.ambient, f('ambient'));
      break;
    case 'seccomp':
      w.u32(step.defaultAction, f('defaultAction'));
      w.u32list(step.architectures, f('architectures'));
      w.u32(step.flags, f('flags'));
      w.u32(step.rules.length, f('rules'));
      step.rules.forEach((rule, i) => {
        const r = (field: string) => f(`rules[${i}].${field}`);
        w.str(rule.syscall, r('syscall'));
        w.u32(rule.action, r('action'));
        if (rule.conditions.length > MAX_SECCOMP_ARG + 1) {
          throw new RangeError(`plan.${r('conditions')}: at most ${MAX_SECCOMP_ARG + 1} conditions (one per argument), got ${rule.conditions.length}`);
        }
        w.u32(rule.conditions.length, r('conditions'));
        rule.conditions.forEach((c, j) => {
          const at = r(`conditions[${j}]`);
          if (!Number.isInteger(c.index) || c.index < 0 || c.index > MAX_SECCOMP_ARG) {
            throw new RangeError(`plan.${at}.index: expected an integer in [0, ${MAX_SECCOMP_ARG}], got ${c.index}`);
          }
          w.u8(c.index);
          if (!Number.isInteger(c.op) || c.op < SECCOMP_OPS.first || c.op > SECCOMP_OPS.last) {
            throw new RangeError(`plan.${at}.op: expected an integer in [${SECCOMP_OPS.first}, ${SECCOMP_OPS.last}], got ${c.op}`);
          }
          w.u8(c.op);
          w.u64(c.value, `${at}.value`);
          w.u64(c.valueTwo, `${at}.valueTwo`);
        });
      });
      w.bool(Boolean(step.listener), f('listener'));
      if (step.listener) {
        w.str(step.listener.path, f('listener.path'));
        w.strlist(step.listener.stateParts, f('listener.stateParts'));
      }
      break;
    case 'runHooks':
      w.u8(oneOf(HOOK_KINDS, step.kind, f('kind')));
      w.u32(step.hooks.length, f('hooks'));
      step.hooks.forEach((hook, i) => {
        const h = (field: string) => f(`hooks[${i}].${field}`);
        w.str(hook.path, h('path'));
        if (hook.args.length === 0) throw new RangeError(`plan.${h('args')}: must hold argv[0]`);
        w.strlist(hook.args, h('args'));
        w.strlist(hook.env, h('env'));
        w.u32(hook.timeout, h('timeout'));
      });
      w.str(step.state.before, f('state.before'));
      w.str(step.state.after, f('state.after'));
      break;
    case 'personality':
      w.u32(step.persona, f('persona'));
      break;
    case 'scheduler':
      w.u32(step.policy, f('policy'));
      w.u64(step.flags, f('flags'));
      if (!Number.isInteger(step.nice) || step.nice < MIN_NICE || step.nice > MAX_NICE) {
        throw new RangeError(`plan.${f('nice')}: expected an integer in [${MIN_NICE}, ${MAX_NICE}], got ${step.nice}`);
      }
      // Two's complement: C reads it back as an int32_t.
      w.u32(step.nice >>> 0, f('nice'));
      w.u32(step.priority, f('priority'));
      w.u64(step.runtime, f('runtime'));
      w.u64(step.deadline, f('deadline'));
      w.u64(step.period, f('period'));
      break;
    case 'ioPriority':
      w.u32(step.ioClass, f('ioClass'));
      w.u32(step.level, f('level'));
      break;
    case 'memoryPolicy':
      w.u32(step.mode, f('mode'));
      step.nodes.forEach((n, i) => {
        if (!Number.isInteger(n) || n < 0 || n >= MAX_NUMA_NODES) {
          throw new RangeError(`plan.${f(`nodes[${i}]`)}: expected an integer in [0, ${MAX_NUMA_NODES - 1}], got ${n}`);
        }
      });
      w.u32list(step.nodes, f('nodes'));
      break;
    case 'console':
      w.u32(step.socketFd, f('socketFd'));
      w.u32(step.uid, f('uid'));
      if (step.width > 0xffff || step.height > 0xffff) throw new RangeError(`plan.${f('width')}: console size above 65535`);
      w.u32(step.width, f('width'));
      w.u32(step.height, f('height'));
      w.bool(step.mountConsole, f('mountConsole'));
      break;
    case 'moveNetDevice':
      w.str(step.name, f('name'));
      w.str(step.newName, f('newName'));
      break;
    case 'configureNetDevice':
      w.str(step.name, f('name'));
      w.u32(step.addresses.length, f('addresses'));
      step.addresses.forEach((a, i) => {
        const at = f(`addresses[${i}]`);
        const family = oneOf(ADDRESS_FAMILIES, a.family, `${at}.family`);
        w.u8(family);
        w.str(a.local, `${at}.local`);
        const max = MAX_PREFIX[a.family];
        if (!Number.isInteger(a.prefixLength) || a.prefixLength < 0 || a.prefixLength > max) {
          throw new RangeError(`plan.${at}.prefixLength: expected an integer in [0, ${max}], got ${a.prefixLength}`);
        }
        w.u8(a.prefixLength);
        w.optstr(a.peer, `${at}.peer`);
        w.optstr(a.broadcast, `${at}.broadcast`);
      });
      break;
    case 'mountSetattr':
      w.str(step.target, f('target'));
      w.bool(step.inRoot, f('inRoot'));
      w.u32(step.attrSet, f('attrSet'));
      w.u32(step.attrClr, f('attrClr'));
      break;
    case 'setAffinity':
      if (step.cpus.length === 0) throw new RangeError(`plan.${f('cpus')}: must name at least one CPU`);
      step.cpus.forEach((cpu, i) => {
        if (!Number.isInteger(cpu) || cpu < 0 || cpu >= MAX_AFFINITY_CPUS) {
          throw new RangeError(`plan.${f(`cpus[${i}]`)}: expected an integer in [0, ${MAX_AFFINITY_CPUS - 1}], got ${cpu}`);
        }
      });
      w.u32list(step.cpus, f('cpus'));
      break;
    case 'joinSessionKeyring':
      w.optstr(step.name, f('name'));
      w.u32(step.permSet, f('permSet'));
      break;
    case 'becomeRoot':
    case 'pivotRoot':
    case 'moveRoot':
    case 'chrootRoot':
    case 'noNewPrivs':
    case 'parentHooks':
      break;
    default: {
      const unknown: never = step;
      throw new RangeError(`plan.${at}.op: unknown op ${JSON.stringify((unknown as { op: unknown }).op)}`);
    }
  }
}

const STAGE1_OPS: ReadonlySet<string> = new Set<Stage1Step['op']>(['setns', 'unshare', 'writeFile', 'setAffinity']);
const PARENT_OPS: ReadonlySet<string> = new Set<ParentStep['op']>(['writePid', 'writeProcFile', 'moveNetDevice']);
const INIT_OPS: ReadonlySet<string> = new Set<InitStep['op']>([
  'becomeRoot', 'unshare', 'writeFile', 'openRoot', 'mount', 'mknod', 'symlink', 'mkdir', 'pivotRoot', 'moveRoot',
  'maskPath', 'sethostname', 'setdomainname', 'setrlimit', 'chdir', 'umask', 'dropBounding', 'setUser', 'setCaps',
  'noNewPrivs', 'seccomp', 'runHooks', 'parentHooks',
  'personality', 'scheduler', 'ioPriority', 'memoryPolicy',
  'console',
  'configureNetDevice',
  'mountSetattr',
  'setAffinity',
  'joinSessionKeyring',
  'chrootRoot',
]);
const START_HOOK_OPS: ReadonlySet<string> = new Set<InitStep['op']>(['runHooks']);
const EXEC_SECCOMP_OPS: ReadonlySet<string> = new Set<InitStep['op']>(['seccomp']);
const EXEC_RLIMIT_OPS: ReadonlySet<string> = new Set<InitStep['op']>(['setrlimit']);

function writeSteps(w: PlanWriter, steps: AnyStep[], allowed: ReadonlySet<string>, phase: string): void {
  w.u32(steps.length, phase);
  steps.forEach((s, i) => writeStep(w, s, allowed, `${phase}[${i}]`));
}

function writeExec(w: PlanWriter, exec: ExecSpec): void {
  if (exec.args.length === 0) throw new RangeError('plan.exec.args: must name the program to run');
  w.strlist(exec.args, 'exec.args');
  w.strlist(exec.env, 'exec.env');
  w.str(exec.searchPath, 'exec.searchPath');
  w.u32(exec.preserveFds, 'exec.preserveFds');
  w.bool(exec.fifo !== null, 'exec.fifo');
  if (exec.fifo) {
    w.str(exec.fifo.dir, 'exec.fifo.dir');
    w.str(exec.fifo.name, 'exec.fifo.name');
  }
  const startHooks = exec.startContainerHooks ?? null;
  if (startHooks && startHooks.kind !== 'startContainer') {
    throw new RangeError('plan.exec.startContainerHooks.kind: must be "startContainer"');
  }
  w.bool(startHooks !== null, 'exec.startContainerHooks');
  if (startHooks) writeStep(w, startHooks, START_HOOK_OPS, 'exec.startContainerHooks');
  const rlimits = exec.rlimits ?? [];
  w.u32(rlimits.length, 'exec.rlimits');
  rlimits.forEach((r, i) => {
    writeStep(w, r, EXEC_RLIMIT_OPS, `exec.rlimits[${i}]`);
    w.str(r.message, `exec.rlimits[${i}].message`);
  });
  const seccomp = exec.seccomp ?? null;
  w.bool(seccomp !== null, 'exec.seccomp');
  if (seccomp) writeStep(w, seccomp, EXEC_SECCOMP_OPS, 'exec.seccomp');
}

export function encodePlan(plan: InitPlan): Buffer {
  const w = new PlanWriter();
  w.header(PLAN_MAGIC, PLAN_VERSION);
  writeSteps(w, plan.stage1, STAGE1_OPS, 'stage1');
  w.u32(plan.cloneFlags, 'cloneFlags');
  writeSteps(w, plan.parent, PARENT_OPS, 'parent');
  writeSteps(w, plan.init, INIT_OPS, 'init');
  writeExec(w, plan.exec);
  return w.finish();
}
