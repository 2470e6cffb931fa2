/* Generated from runtime/plan/contract/steps.json by runtime/plan/contract/gen.js: do not edit.
 * Change the table and run `npm run gen:types`. */
import type {
  AnyStep,
  PlanPhase,
  InitPlan,
  CreateModes,
  ExecSpec,
  CgroupDir,
  ExecFifo,
  ExecRlimit,
  MountIdmap,
  SeccompRule,
  SeccompCondition,
  BpfInstruction,
  SeccompListener,
  HookCommand,
  HookState,
  NetAddress,
  SetnsStep,
  UnshareStep,
  WriteFileStep,
  WritePidStep,
  JoinCgroupStep,
  WriteProcFileStep,
  OpenRootStep,
  MountStep,
  MknodStep,
  SymlinkStep,
  MkdirStep,
  MaskPathStep,
  SethostnameStep,
  SetdomainnameStep,
  SetrlimitStep,
  ChdirStep,
  UmaskStep,
  DropBoundingStep,
  SetUserStep,
  SetCapsStep,
  SeccompStep,
  RunHooksStep,
  PersonalityStep,
  SchedulerStep,
  IoPriorityStep,
  MemoryPolicyStep,
  ConsoleStep,
  MoveNetDeviceStep,
  ConfigureNetDeviceStep,
  MountSetattrStep,
  SetAffinityStep,
  JoinSessionKeyringStep,
} from '../../plan/contract/generated/steps';
import type { PlanWriter } from '../plan-writer';

export const PLAN_MAGIC = "TSRP";
export const PLAN_VERSION = 3;

/** Op codes on the wire (enum plan_op in native/src/exec/generated/plan_types.h). */
export const OP_CODES: Record<AnyStep['op'], number> = {
  setns: 1,
  unshare: 2,
  writeFile: 3,
  writePid: 4,
  joinCgroup: 25,
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
  runHooks: 40,
  parentHooks: 41,
  personality: 60,
  scheduler: 61,
  ioPriority: 62,
  memoryPolicy: 63,
  console: 80,
  moveNetDevice: 100,
  configureNetDevice: 101,
  mountSetattr: 120,
  setAffinity: 130,
  joinSessionKeyring: 140,
  chrootRoot: 150,
};

/** The steps each phase may hold. */
export const PHASE_OPS: Record<PlanPhase, ReadonlySet<string>> = {
  stage1: new Set(['setns', 'unshare', 'writeFile', 'setAffinity']),
  parent: new Set(['writePid', 'writeProcFile', 'moveNetDevice']),
  init: new Set(['unshare', 'writeFile', 'joinCgroup', 'becomeRoot', 'openRoot', 'mount', 'mknod', 'symlink', 'mkdir', 'pivotRoot', 'moveRoot', 'maskPath', 'sethostname', 'setdomainname', 'setrlimit', 'chdir', 'umask', 'dropBounding', 'setUser', 'setCaps', 'noNewPrivs', 'seccomp', 'runHooks', 'parentHooks', 'personality', 'scheduler', 'ioPriority', 'memoryPolicy', 'console', 'configureNetDevice', 'mountSetattr', 'setAffinity', 'joinSessionKeyring', 'chrootRoot']),
  execHooks: new Set(['runHooks']),
  execRlimits: new Set(['setrlimit']),
  execSeccomp: new Set(['seccomp']),
};

function writeStep(w: PlanWriter, step: AnyStep, phase: PlanPhase, at: string): void {
  if (!PHASE_OPS[phase].has(step.op)) w.refuse(`${at}.op`, `${JSON.stringify(step.op)} is not a step of this phase`);
  w.u8(OP_CODES[step.op], `${at}.op`);
  switch (step.op) {
    case 'setns':
      writeSetnsStep(w, step, at);
      break;
    case 'unshare':
      writeUnshareStep(w, step, at);
      break;
    case 'writeFile':
      writeWriteFileStep(w, step, at);
      break;
    case 'writePid':
      writeWritePidStep(w, step, at);
      break;
    case 'joinCgroup':
      writeJoinCgroupStep(w, step, at);
      break;
    case 'writeProcFile':
      writeWriteProcFileStep(w, step, at);
      break;
    case 'openRoot':
      writeOpenRootStep(w, step, at);
      break;
    case 'mount':
      writeMountStep(w, step, at);
      break;
    case 'mknod':
      writeMknodStep(w, step, at);
      break;
    case 'symlink':
      writeSymlinkStep(w, step, at);
      break;
    case 'mkdir':
      writeMkdirStep(w, step, at);
      break;
    case 'maskPath':
      writeMaskPathStep(w, step, at);
      break;
    case 'sethostname':
      writeSethostnameStep(w, step, at);
      break;
    case 'setdomainname':
      writeSetdomainnameStep(w, step, at);
      break;
    case 'setrlimit':
      writeSetrlimitStep(w, step, at);
      break;
    case 'chdir':
      writeChdirStep(w, step, at);
      break;
    case 'umask':
      writeUmaskStep(w, step, at);
      break;
    case 'dropBounding':
      writeDropBoundingStep(w, step, at);
      break;
    case 'setUser':
      writeSetUserStep(w, step, at);
      break;
    case 'setCaps':
      writeSetCapsStep(w, step, at);
      break;
    case 'seccomp':
      writeSeccompStep(w, step, at);
      break;
    case 'runHooks':
      writeRunHooksStep(w, step, at);
      break;
    case 'personality':
      writePersonalityStep(w, step, at);
      break;
    case 'scheduler':
      writeSchedulerStep(w, step, at);
      break;
    case 'ioPriority':
      writeIoPriorityStep(w, step, at);
      break;
    case 'memoryPolicy':
      writeMemoryPolicyStep(w, step, at);
      break;
    case 'console':
      writeConsoleStep(w, step, at);
      break;
    case 'moveNetDevice':
      writeMoveNetDeviceStep(w, step, at);
      break;
    case 'configureNetDevice':
      writeConfigureNetDeviceStep(w, step, at);
      break;
    case 'mountSetattr':
      writeMountSetattrStep(w, step, at);
      break;
    case 'setAffinity':
      writeSetAffinityStep(w, step, at);
      break;
    case 'joinSessionKeyring':
      writeJoinSessionKeyringStep(w, step, at);
      break;
    case 'becomeRoot':
    case 'pivotRoot':
    case 'moveRoot':
    case 'noNewPrivs':
    case 'parentHooks':
    case 'chrootRoot':
      break;
    default: {
      const unknown: never = step;
      w.refuse(`${at}.op`, `unknown op ${JSON.stringify((unknown as { op: unknown }).op)}`);
    }
  }
}

function writeSetnsStep(w: PlanWriter, step: SetnsStep, at: string): void {
  w.u32(step.nstype, `${at}.nstype`, 0, 4294967295);
  w.str(step.path, `${at}.path`);
}

function writeUnshareStep(w: PlanWriter, step: UnshareStep, at: string): void {
  w.u32(step.flags, `${at}.flags`, 0, 4294967295);
}

function writeWriteFileStep(w: PlanWriter, step: WriteFileStep, at: string): void {
  w.str(step.path, `${at}.path`);
  w.bytes(step.data, `${at}.data`);
}

function writeWritePidStep(w: PlanWriter, step: WritePidStep, at: string): void {
  w.str(step.path, `${at}.path`);
}

function writeJoinCgroupStep(w: PlanWriter, step: JoinCgroupStep, at: string): void {
  w.str(step.path, `${at}.path`);
}

function writeWriteProcFileStep(w: PlanWriter, step: WriteProcFileStep, at: string): void {
  w.u8(w.oneOf({"uid_map":1,"gid_map":2,"setgroups":3}, step.name, `${at}.name`), `${at}.name`);
  w.bytes(step.data, `${at}.data`);
}

function writeOpenRootStep(w: PlanWriter, step: OpenRootStep, at: string): void {
  w.str(step.path, `${at}.path`);
}

function writeMountStep(w: PlanWriter, step: MountStep, at: string): void {
  w.optstr(step.source, `${at}.source`);
  w.str(step.target, `${at}.target`);
  w.bool(step.inRoot, `${at}.inRoot`);
  w.optstr(step.fstype, `${at}.fstype`);
  w.u32(step.flags, `${at}.flags`, 0, 4294967295);
  w.optstr(step.data, `${at}.data`);
  w.u8(w.oneOf({"none":0,"dir":1,"file":2}, step.create, `${at}.create`), `${at}.create`);
  w.bool(step.ignoreMissing, `${at}.ignoreMissing`);
  w.bool((step.copyUp ?? false), `${at}.copyUp`);
  w.bool((step.directoryOnly ?? false), `${at}.directoryOnly`);
  {
    const present = (step.idmap ?? null);
    w.bool(present != null, `${at}.idmap`);
    if (present != null) writeMountIdmap(w, present, `${at}.idmap`);
  }
  if (((step.copyUp ?? false)) === true && !(step.inRoot === true)) w.refuse(`${at}.copyUp`, "mount copyUp without inRoot");
  if (((step.directoryOnly ?? false)) === true && !(step.inRoot === true)) w.refuse(`${at}.directoryOnly`, "mount directoryOnly without inRoot");
  if (((step.idmap ?? null)) != null && !(step.inRoot === true)) w.refuse(`${at}.idmap`, "mount idmap without inRoot");
  if (((step.idmap ?? null)) != null && !(step.source != null)) w.refuse(`${at}.idmap`, "mount idmap without source");
  if (((step.idmap ?? null)) != null && !(((step.flags & 4096) >>> 0) === 4096)) w.refuse(`${at}.idmap`, "mount idmap without MS_BIND");
}

function writeMknodStep(w: PlanWriter, step: MknodStep, at: string): void {
  w.str(step.target, `${at}.target`);
  w.u32(step.mode, `${at}.mode`, 0, 4294967295);
  w.u32(step.major, `${at}.major`, 0, 4294967295);
  w.u32(step.minor, `${at}.minor`, 0, 4294967295);
  w.u32(step.uid, `${at}.uid`, 0, 4294967295);
  w.u32(step.gid, `${at}.gid`, 0, 4294967295);
}

function writeSymlinkStep(w: PlanWriter, step: SymlinkStep, at: string): void {
  w.str(step.target, `${at}.target`);
  w.str(step.linkTo, `${at}.linkTo`);
  w.bool(step.ignoreExisting, `${at}.ignoreExisting`);
}

function writeMkdirStep(w: PlanWriter, step: MkdirStep, at: string): void {
  w.str(step.target, `${at}.target`);
  w.u32(step.mode, `${at}.mode`, 0, 4294967295);
}

function writeMaskPathStep(w: PlanWriter, step: MaskPathStep, at: string): void {
  w.str(step.path, `${at}.path`);
}

function writeSethostnameStep(w: PlanWriter, step: SethostnameStep, at: string): void {
  w.str(step.name, `${at}.name`);
}

function writeSetdomainnameStep(w: PlanWriter, step: SetdomainnameStep, at: string): void {
  w.str(step.name, `${at}.name`);
}

function writeSetrlimitStep(w: PlanWriter, step: SetrlimitStep, at: string): void {
  w.u32(step.resource, `${at}.resource`, 0, 4294967295);
  w.u64(step.soft, `${at}.soft`);
  w.u64(step.hard, `${at}.hard`);
}

function writeChdirStep(w: PlanWriter, step: ChdirStep, at: string): void {
  w.str(step.path, `${at}.path`);
}

function writeUmaskStep(w: PlanWriter, step: UmaskStep, at: string): void {
  w.u32(step.mask, `${at}.mask`, 0, 4294967295);
}

function writeDropBoundingStep(w: PlanWriter, step: DropBoundingStep, at: string): void {
  w.u64(step.keep, `${at}.keep`);
  w.u32(step.lastCap, `${at}.lastCap`, 0, 63);
}

function writeSetUserStep(w: PlanWriter, step: SetUserStep, at: string): void {
  w.u32(step.uid, `${at}.uid`, 0, 4294967295);
  w.u32(step.gid, `${at}.gid`, 0, 4294967295);
  w.count(step.additionalGids, `${at}.additionalGids`, 0, 4294967295, "setUser additionalGids");
  step.additionalGids.forEach((item, n) => {
    w.u32(item, `${at}.additionalGids[${n}]`, 0, 4294967295);
  });
  w.bool(step.setgroups, `${at}.setgroups`);
}

function writeSetCapsStep(w: PlanWriter, step: SetCapsStep, at: string): void {
  w.u64(step.effective, `${at}.effective`);
  w.u64(step.permitted, `${at}.permitted`);
  w.u64(step.inheritable, `${at}.inheritable`);
  w.u64(step.ambient, `${at}.ambient`);
}

function writeSeccompStep(w: PlanWriter, step: SeccompStep, at: string): void {
  w.u32(step.defaultAction, `${at}.defaultAction`, 0, 4294967295);
  w.count(step.architectures, `${at}.architectures`, 0, 4294967295, "seccomp architectures");
  step.architectures.forEach((item, n) => {
    w.u32(item, `${at}.architectures[${n}]`, 0, 4294967295);
  });
  w.u32(step.flags, `${at}.flags`, 0, 4294967295);
  w.count(step.rules, `${at}.rules`, 0, 4294967295, "seccomp rules");
  step.rules.forEach((item, n) => {
    writeSeccompRule(w, item, `${at}.rules[${n}]`);
  });
  w.u8(w.oneOf({"skip":0,"fail":1}, step.unknownSyscalls, `${at}.unknownSyscalls`), `${at}.unknownSyscalls`);
  {
    const present = (step.listener ?? null);
    w.bool(present != null, `${at}.listener`);
    if (present != null) writeSeccompListener(w, present, `${at}.listener`);
  }
  w.count((step.program ?? []), `${at}.program`, 0, 4096, "seccomp program");
  (step.program ?? []).forEach((item, n) => {
    writeBpfInstruction(w, item, `${at}.program[${n}]`);
  });
  if ((((step.listener ?? null)) != null) !== (((step.flags & 8) >>> 0) === 8)) w.refuse(`${at}.listener`, "seccomp listener without SECCOMP_FILTER_FLAG_NEW_LISTENER, or SECCOMP_FILTER_FLAG_NEW_LISTENER without listener");
}

function writeRunHooksStep(w: PlanWriter, step: RunHooksStep, at: string): void {
  w.u8(w.oneOf({"createContainer":1,"startContainer":2}, step.kind, `${at}.kind`), `${at}.kind`);
  w.count(step.hooks, `${at}.hooks`, 0, 4294967295, "runHooks hooks");
  step.hooks.forEach((item, n) => {
    writeHookCommand(w, item, `${at}.hooks[${n}]`);
  });
  writeHookState(w, step.state, `${at}.state`);
  w.u32(step.killSignal, `${at}.killSignal`, 1, 64);
  w.u32(step.outputQuoted, `${at}.outputQuoted`, 0, 255);
}

function writePersonalityStep(w: PlanWriter, step: PersonalityStep, at: string): void {
  w.u32(step.persona, `${at}.persona`, 0, 4294967295);
}

function writeSchedulerStep(w: PlanWriter, step: SchedulerStep, at: string): void {
  w.u32(step.policy, `${at}.policy`, 0, 4294967295);
  w.u64(step.flags, `${at}.flags`);
  w.i32(step.nice, `${at}.nice`, -20, 19);
  w.u32(step.priority, `${at}.priority`, 0, 4294967295);
  w.u64(step.runtime, `${at}.runtime`);
  w.u64(step.deadline, `${at}.deadline`);
  w.u64(step.period, `${at}.period`);
}

function writeIoPriorityStep(w: PlanWriter, step: IoPriorityStep, at: string): void {
  w.u32(step.ioClass, `${at}.ioClass`, 1, 3);
  w.u32(step.level, `${at}.level`, 0, 7);
}

function writeMemoryPolicyStep(w: PlanWriter, step: MemoryPolicyStep, at: string): void {
  w.u32(step.mode, `${at}.mode`, 0, 4294967295);
  w.count(step.nodes, `${at}.nodes`, 0, 4294967295, "memoryPolicy nodes");
  step.nodes.forEach((item, n) => {
    w.u32(item, `${at}.nodes[${n}]`, 0, 1023);
  });
}

function writeConsoleStep(w: PlanWriter, step: ConsoleStep, at: string): void {
  w.u32(step.socketFd, `${at}.socketFd`, 0, 2147483647);
  w.u32(step.uid, `${at}.uid`, 0, 4294967295);
  w.u32(step.width, `${at}.width`, 0, 65535);
  w.u32(step.height, `${at}.height`, 0, 65535);
  w.bool(step.mountConsole, `${at}.mountConsole`);
}

function writeMoveNetDeviceStep(w: PlanWriter, step: MoveNetDeviceStep, at: string): void {
  w.str(step.name, `${at}.name`, { min: 1, max: 15, what: "moveNetDevice name" });
  w.str(step.newName, `${at}.newName`, { min: 1, max: 15, what: "moveNetDevice newName" });
}

function writeConfigureNetDeviceStep(w: PlanWriter, step: ConfigureNetDeviceStep, at: string): void {
  w.str(step.name, `${at}.name`, { min: 1, max: 15, what: "configureNetDevice name" });
  w.count(step.addresses, `${at}.addresses`, 0, 4294967295, "configureNetDevice addresses");
  step.addresses.forEach((item, n) => {
    writeNetAddress(w, item, `${at}.addresses[${n}]`);
  });
}

function writeMountSetattrStep(w: PlanWriter, step: MountSetattrStep, at: string): void {
  w.str(step.target, `${at}.target`);
  w.bool(step.inRoot, `${at}.inRoot`);
  w.u32(step.attrSet, `${at}.attrSet`, 0, 4294967295);
  w.u32(step.attrClr, `${at}.attrClr`, 0, 4294967295);
}

function writeSetAffinityStep(w: PlanWriter, step: SetAffinityStep, at: string): void {
  w.count(step.cpus, `${at}.cpus`, 1, 4294967295, "setAffinity cpus");
  step.cpus.forEach((item, n) => {
    w.u32(item, `${at}.cpus[${n}]`, 0, 1023);
  });
}

function writeJoinSessionKeyringStep(w: PlanWriter, step: JoinSessionKeyringStep, at: string): void {
  w.optstr(step.name, `${at}.name`);
  w.u32(step.permSet, `${at}.permSet`, 0, 4294967295);
}

function writeCreateModes(w: PlanWriter, x: CreateModes, at: string): void {
  w.u32(x.dir, `${at}.dir`, 0, 4095);
  w.u32(x.file, `${at}.file`, 0, 4095);
}

function writeExecSpec(w: PlanWriter, x: ExecSpec, at: string): void {
  w.count(x.args, `${at}.args`, 1, 4294967295, "exec args");
  x.args.forEach((item, n) => {
    w.str(item, `${at}.args[${n}]`);
  });
  w.count(x.env, `${at}.env`, 0, 4294967295, "exec env");
  x.env.forEach((item, n) => {
    w.str(item, `${at}.env[${n}]`);
  });
  w.str(x.searchPath, `${at}.searchPath`);
  w.u32(x.preserveFds, `${at}.preserveFds`, 0, 1048576);
  {
    const present = x.fifo;
    w.bool(present != null, `${at}.fifo`);
    if (present != null) writeExecFifo(w, present, `${at}.fifo`);
  }
  w.count(x.exitSignals, `${at}.exitSignals`, 0, 64, "exec exitSignals");
  x.exitSignals.forEach((item, n) => {
    w.u32(item, `${at}.exitSignals[${n}]`, 1, 64);
  });
  {
    const step = (x.startContainerHooks ?? null);
    w.bool(step != null, `${at}.startContainerHooks`);
    if (step != null) {
      writeStep(w, step, 'execHooks', `${at}.startContainerHooks`);
      if (step.op === 'runHooks' && step.kind !== "startContainer") w.refuse(`${at}.startContainerHooks.kind`, "must be \"startContainer\"");
    }
  }
  w.count((x.rlimits ?? []), `${at}.rlimits`, 0, 4294967295, "exec rlimits");
  (x.rlimits ?? []).forEach((item, n) => {
    writeExecRlimit(w, item, `${at}.rlimits[${n}]`);
  });
  {
    const step = (x.seccomp ?? null);
    w.bool(step != null, `${at}.seccomp`);
    if (step != null) {
      writeStep(w, step, 'execSeccomp', `${at}.seccomp`);
      if (step.op === 'seccomp' && (step.listener) != null) w.refuse(`${at}.seccomp`, "exec seccomp with a listener (it must be an init step)");
    }
  }
}

function writeCgroupDir(w: PlanWriter, x: CgroupDir, at: string): void {
  w.str(x.dir, `${at}.dir`);
}

function writeExecFifo(w: PlanWriter, x: ExecFifo, at: string): void {
  w.str(x.dir, `${at}.dir`);
  w.str(x.name, `${at}.name`);
}

function writeExecRlimit(w: PlanWriter, x: ExecRlimit, at: string): void {
  writeStep(w, x, 'execRlimits', at);
  w.str(x.message, `${at}.message`);
}

function writeMountIdmap(w: PlanWriter, x: MountIdmap, at: string): void {
  w.str(x.uidMap, `${at}.uidMap`);
  w.str(x.gidMap, `${at}.gidMap`);
  w.bool(x.recursive, `${at}.recursive`);
}

function writeSeccompRule(w: PlanWriter, x: SeccompRule, at: string): void {
  w.str(x.syscall, `${at}.syscall`);
  w.u32(x.action, `${at}.action`, 0, 4294967295);
  w.count(x.conditions, `${at}.conditions`, 0, 6, "seccomp rule conditions");
  x.conditions.forEach((item, n) => {
    writeSeccompCondition(w, item, `${at}.conditions[${n}]`);
  });
}

function writeSeccompCondition(w: PlanWriter, x: SeccompCondition, at: string): void {
  w.u8(x.index, `${at}.index`, 0, 5);
  w.u8(x.op, `${at}.op`, 1, 7);
  w.u64(x.value, `${at}.value`);
  w.u64(x.valueTwo, `${at}.valueTwo`);
}

function writeBpfInstruction(w: PlanWriter, x: BpfInstruction, at: string): void {
  w.u32(x.code, `${at}.code`, 0, 65535);
  w.u8(x.jt, `${at}.jt`, 0, 255);
  w.u8(x.jf, `${at}.jf`, 0, 255);
  w.u32(x.k, `${at}.k`, 0, 4294967295);
}

function writeSeccompListener(w: PlanWriter, x: SeccompListener, at: string): void {
  w.str(x.path, `${at}.path`);
  w.count(x.stateParts, `${at}.stateParts`, 0, 4294967295, "seccomp listener stateParts");
  x.stateParts.forEach((item, n) => {
    w.str(item, `${at}.stateParts[${n}]`);
  });
}

function writeHookCommand(w: PlanWriter, x: HookCommand, at: string): void {
  w.str(x.path, `${at}.path`);
  w.count(x.args, `${at}.args`, 1, 4294967295, "runHooks hook args");
  x.args.forEach((item, n) => {
    w.str(item, `${at}.args[${n}]`);
  });
  w.count(x.env, `${at}.env`, 0, 4294967295, "runHooks hook env");
  x.env.forEach((item, n) => {
    w.str(item, `${at}.env[${n}]`);
  });
  w.u32(x.timeout, `${at}.timeout`, 0, 4294967295);
}

function writeHookState(w: PlanWriter, x: HookState, at: string): void {
  w.str(x.before, `${at}.before`);
  w.str(x.after, `${at}.after`);
}

function writeNetAddress(w: PlanWriter, x: NetAddress, at: string): void {
  w.u8(w.oneOf({"inet":2,"inet6":10}, x.family, `${at}.family`), `${at}.family`);
  w.str(x.local, `${at}.local`);
  const maxprefixLength = ({"inet":32,"inet6":128} as Record<string, number>)[x.family] ?? 0;
  w.u8(x.prefixLength, `${at}.prefixLength`, 0, maxprefixLength);
  w.optstr(x.peer, `${at}.peer`);
  w.optstr(x.broadcast, `${at}.broadcast`);
  if ((x.broadcast) != null && !(x.family === "inet")) w.refuse(`${at}.broadcast`, "address broadcast without family inet");
}

/** The plan's fields after the header, checked against the contract. */
export function writeInitPlan(w: PlanWriter, plan: InitPlan): void {
  const at = 'plan';
  w.count(plan.stage1, `${at}.stage1`, 0, 0xffffffff, "stage1");
  plan.stage1.forEach((step, n) => writeStep(w, step, 'stage1', `${at}.stage1[${n}]`));
  w.u32(plan.cloneFlags, `${at}.cloneFlags`, 0, 4294967295);
  if (((plan.cloneFlags & ~2114060288) >>> 0) !== 0) w.refuse(`${at}.cloneFlags`, "cloneFlags holds flags other than CLONE_NEW* namespaces");
  {
    const present = (plan.cloneIntoCgroup ?? null);
    w.bool(present != null, `${at}.cloneIntoCgroup`);
    if (present != null) writeCgroupDir(w, present, `${at}.cloneIntoCgroup`);
  }
  w.count(plan.parent, `${at}.parent`, 0, 0xffffffff, "parent");
  plan.parent.forEach((step, n) => writeStep(w, step, 'parent', `${at}.parent[${n}]`));
  w.count(plan.init, `${at}.init`, 0, 0xffffffff, "init");
  plan.init.forEach((step, n) => writeStep(w, step, 'init', `${at}.init[${n}]`));
  writeCreateModes(w, plan.createModes, `${at}.createModes`);
  writeExecSpec(w, plan.exec, `${at}.exec`);
  if ([...plan.stage1, ...plan.parent, ...plan.init, plan.exec.startContainerHooks, plan.exec.seccomp].filter((s) => s?.op === 'seccomp').length > 1) w.refuse(at, "more than one seccomp step");
  if ([...plan.stage1, ...plan.parent, ...plan.init, plan.exec.startContainerHooks, plan.exec.seccomp].filter((s) => s?.op === 'console').length > 1) w.refuse(at, "more than one console step");
}
