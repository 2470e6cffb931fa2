/**
 * Rules for config.json that the JSON Schema cannot express: those of the runtime-spec's MUSTs
 * that relate fields to each other, and what runc rejects before creating a Linux container.
 * Each rule reads the document defensively (it may also have failed the schema) and reports
 * nothing where the schema already reported the value as malformed.
 */
import { type ConfigIssue, type PathSegment, issue, showValue } from './issue';
import defsLinux from './schema/defs-linux.schema.json';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const objAt = (o: Obj, key: string): Obj | undefined => (isObj(o[key]) ? (o[key] as Obj) : undefined);
const arrAt = (o: Obj, key: string): unknown[] | undefined =>
  Array.isArray(o[key]) ? (o[key] as unknown[]) : undefined;
const strAt = (o: Obj, key: string): string | undefined =>
  typeof o[key] === 'string' ? (o[key] as string) : undefined;
const numAt = (o: Obj, key: string): number | undefined =>
  typeof o[key] === 'number' ? (o[key] as number) : undefined;
const entries = (list: unknown[] | undefined): [number, Obj][] =>
  (list ?? []).flatMap((v, i): [number, Obj][] => (isObj(v) ? [[i, v]] : []));

/** Values the schema allows; a rule that depends on one stays silent on others (already reported). */
const SCHEDULER_POLICIES: readonly string[] = defsLinux.definitions.LinuxSchedulerPolicy.enum;
const SECCOMP_ACTIONS: readonly string[] = defsLinux.definitions.LinuxSeccompAction.enum;

const SEMVER_MAJOR = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:[-+].*)?$/;

/** getrlimit(2) resources on Linux. */
export const LINUX_RLIMITS = [
  'RLIMIT_AS',
  'RLIMIT_CORE',
  'RLIMIT_CPU',
  'RLIMIT_DATA',
  'RLIMIT_FSIZE',
  'RLIMIT_LOCKS',
  'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE',
  'RLIMIT_NOFILE',
  'RLIMIT_NPROC',
  'RLIMIT_RSS',
  'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME',
  'RLIMIT_SIGPENDING',
  'RLIMIT_STACK',
] as const;

/** sysctls that belong to the ipc namespace besides fs.mqueue.* (as runc counts them). */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** (uid_t) -1: "leave unchanged" to setresuid(2), chown(2) and the like, so never an id. */
export const NO_ID = 4294967295;

/**
 * The cgroup v2 core files (cgroup.*) linux.resources.unified may write: the limits on the
 * container's own subtree. The others control membership and state (cgroup.procs, .threads,
 * .subtree_control, .type, .freeze, .kill...; the kernel's cgroup-v2.rst "Core Interface
 * Files"): written from a config they would move host processes in or kill them, and the
 * runtime itself drives freezing and delegation.
 */
const UNIFIED_CORE_SETTINGS = ['cgroup.max.descendants', 'cgroup.max.depth'];

/** Why `key` cannot be a linux.resources.unified key, or null when it can. */
export function unifiedKeyProblem(key: string): string | null {
  if (key === '' || key === '.' || key === '..' || /[/\0]/.test(key)) return 'must be a file name (no "/", not "." or "..")';
  const dot = key.indexOf('.');
  if (dot <= 0) return 'must be in the form CONTROLLER.PARAMETER';
  if (key.startsWith('cgroup.') && !UNIFIED_CORE_SETTINGS.includes(key)) {
    return `is a cgroup core file, not a resource (of the cgroup.* files only ${UNIFIED_CORE_SETTINGS.join(' and ')} can be set)`;
  }
  return null;
}

/** The namespaces a config asks for: type -> its index and the path it joins, if any. */
type NamespaceMap = Map<string, { index: number; path?: string }>;

function namespacesOf(linux: Obj | undefined): NamespaceMap {
  const map: NamespaceMap = new Map();
  for (const [index, ns] of entries(linux && arrAt(linux, 'namespaces'))) {
    const type = strAt(ns, 'type');
    if (type !== undefined && !map.has(type)) map.set(type, { index, path: strAt(ns, 'path') });
  }
  return map;
}

const addNamespace = (type: string) => `add {"type": "${type}"} to linux.namespaces`;

/**
 * A setting that only makes sense in a namespace of `type`: reports it when there is none, or,
 * with `mustBeNew`, when the namespace is joined by path.
 */
function needsNamespace(
  out: ConfigIssue[],
  at: PathSegment[],
  namespaces: NamespaceMap,
  type: string,
  mustBeNew: boolean,
): void {
  const ns = namespaces.get(type);
  const article = mustBeNew ? 'a new' : type === 'ipc' ? 'an' : 'a';
  if (!ns) out.push(issue(at, `needs ${article} ${type} namespace (${addNamespace(type)})`));
  else if (mustBeNew && ns.path !== undefined) {
    out.push(
      issue(
        at,
        `cannot be set when joining the existing ${type} namespace at ${ns.path} (linux.namespaces[${ns.index}].path)`,
      ),
    );
  }
}

export function checkConfigRules(doc: unknown): ConfigIssue[] {
  if (!isObj(doc)) return [];
  const out: ConfigIssue[] = [];
  const linux = objAt(doc, 'linux');
  const namespaces = namespacesOf(linux);
  checkVersion(doc, out);
  checkNulCharacters(doc, out);
  checkProcess(doc, out);
  checkRoot(doc, out);
  checkUts(doc, namespaces, out);
  checkMounts(doc, out);
  checkNamespaces(linux, namespaces, out);
  if (linux) {
    checkIdMappings(linux, namespaces, out);
    checkTimeOffsets(linux, namespaces, out);
    checkSysctl(linux, namespaces, out);
    checkDevices(linux, out);
    checkNetDevices(linux, namespaces, out);
    checkResources(linux, out);
    checkSeccomp(linux, out);
    checkIntelRdt(linux, out);
    checkMemoryPolicy(linux, out);
    checkPersonality(linux, out);
  }
  return out;
}

/** The fields whose strings reach system calls as C strings (annotations only reach hooks, as JSON). */
const C_STRING_FIELDS = ['root', 'mounts', 'process', 'hostname', 'domainname', 'hooks', 'linux'];

/**
 * A NUL character ends a C string: what the kernel gets would not be what the config says (a
 * path, an argument, an option cut short). Every string and key is checked, iteratively: a
 * document may nest deep.
 */
export function checkNulCharacters(doc: Obj, out: ConfigIssue[]): void {
  const pending: [PathSegment[], unknown][] = C_STRING_FIELDS.filter((f) => f in doc).map((f): [PathSegment[], unknown] => [[f], doc[f]]).reverse();
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [at, value] = next;
    if (typeof value === 'string') {
      if (value.includes('\0')) out.push(issue(at, 'must not contain a NUL character (\\u0000): C strings end there'));
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push([[...at, i], value[i]]);
    } else if (isObj(value)) {
      for (const key of Object.keys(value).reverse()) {
        if (key.includes('\0')) out.push(issue([...at, key], 'key must not contain a NUL character (\\u0000): C strings end there'));
        pending.push([[...at, key], value[key]]);
      }
    }
  }
}

function checkVersion(doc: Obj, out: ConfigIssue[]): void {
  const version = strAt(doc, 'ociVersion');
  const match = version === undefined ? null : SEMVER_MAJOR.exec(version);
  if (match && match[1] !== '1') {
    out.push(
      issue(['ociVersion'], `unsupported version ${showValue(version)}: tsrun implements runtime-spec 1.x (1.3.0)`),
    );
  }
}

function checkProcess(doc: Obj, out: ConfigIssue[]): void {
  if (doc.process === undefined) {
    out.push(issue(['process'], 'is required to create a container'));
    return;
  }
  const proc = objAt(doc, 'process');
  if (!proc) return;
  const args = proc.args;
  if (args === undefined || (Array.isArray(args) && args.length === 0)) {
    out.push(issue(['process', 'args'], 'must be a non-empty array (the program to run and its arguments)'));
  }
  const cwd = strAt(proc, 'cwd');
  if (cwd !== undefined && !cwd.startsWith('/')) {
    out.push(issue(['process', 'cwd'], `must be an absolute path (got ${showValue(cwd)})`));
  }
  checkRlimits(proc, out);
  checkScheduler(proc, out);
}

function checkRlimits(proc: Obj, out: ConfigIssue[]): void {
  const firstAt = new Map<string, number>();
  for (const [i, rlimit] of entries(arrAt(proc, 'rlimits'))) {
    const at = ['process', 'rlimits', i];
    const type = strAt(rlimit, 'type');
    if (type !== undefined) {
      const first = firstAt.get(type);
      if (first !== undefined)
        out.push(issue([...at, 'type'], `duplicate rlimit ${showValue(type)} (already at process.rlimits[${first}])`));
      else firstAt.set(type, i);
      if (/^RLIMIT_[A-Z]+$/.test(type) && !(LINUX_RLIMITS as readonly string[]).includes(type)) {
        out.push(issue([...at, 'type'], `unknown rlimit ${showValue(type)} (allowed: ${LINUX_RLIMITS.join(', ')})`));
      }
    }
    const soft = numAt(rlimit, 'soft');
    const hard = numAt(rlimit, 'hard');
    if (soft !== undefined && hard !== undefined && soft > hard) {
      out.push(issue([...at, 'soft'], `must not exceed hard (${soft} > ${hard})`));
    }
  }
}

function checkScheduler(proc: Obj, out: ConfigIssue[]): void {
  const sched = objAt(proc, 'scheduler');
  const policy = sched && strAt(sched, 'policy');
  if (!sched || policy === undefined || !SCHEDULER_POLICIES.includes(policy)) return;
  const at = ['process', 'scheduler'];
  const realtime = policy === 'SCHED_FIFO' || policy === 'SCHED_RR';
  const priority = numAt(sched, 'priority');
  if (realtime && (priority === undefined || priority < 1 || priority > 99)) {
    out.push(issue([...at, 'priority'], `must be from 1 to 99 with ${policy} (got ${priority ?? 'none'})`));
  } else if (!realtime && priority !== undefined && priority !== 0) {
    out.push(issue([...at, 'priority'], `only allowed with SCHED_FIFO or SCHED_RR (policy is ${showValue(policy)})`));
  }
  if (policy !== 'SCHED_DEADLINE') {
    for (const field of ['runtime', 'deadline', 'period']) {
      const value = numAt(sched, field);
      if (value !== undefined && value !== 0) {
        out.push(issue([...at, field], `only allowed with SCHED_DEADLINE (policy is ${showValue(policy)})`));
      }
    }
  }
}

function checkRoot(doc: Obj, out: ConfigIssue[]): void {
  if (doc.root === undefined) out.push(issue(['root'], 'is required to create a container'));
  const root = objAt(doc, 'root');
  if (root && strAt(root, 'path') === '') out.push(issue(['root', 'path'], 'must not be empty'));
}

function checkUts(doc: Obj, namespaces: NamespaceMap, out: ConfigIssue[]): void {
  for (const field of ['hostname', 'domainname']) {
    const value = strAt(doc, field);
    // A joined uts namespace takes the name too (runc sets it there).
    if (value) needsNamespace(out, [field], namespaces, 'uts', false);
  }
}

function checkMounts(doc: Obj, out: ConfigIssue[]): void {
  for (const [i, mount] of entries(arrAt(doc, 'mounts'))) {
    const destination = strAt(mount, 'destination');
    if (destination !== undefined && !destination.startsWith('/')) {
      out.push(issue(['mounts', i, 'destination'], `must be an absolute path (got ${showValue(destination)})`));
    }
    for (const field of ['uidMappings', 'gidMappings']) checkIdRanges(arrAt(mount, field), ['mounts', i, field], out);
    const hasUid = mount.uidMappings !== undefined;
    const hasGid = mount.gidMappings !== undefined;
    if (hasUid !== hasGid) {
      const [missing, present] = hasUid ? ['gidMappings', 'uidMappings'] : ['uidMappings', 'gidMappings'];
      out.push(issue(['mounts', i, missing], `is required with ${present} (an id-mapped mount needs both)`));
    }
  }
}

function checkNamespaces(linux: Obj | undefined, namespaces: NamespaceMap, out: ConfigIssue[]): void {
  for (const [i, ns] of entries(linux && arrAt(linux, 'namespaces'))) {
    const type = strAt(ns, 'type');
    const first = type === undefined ? undefined : namespaces.get(type);
    if (first && first.index !== i) {
      out.push(
        issue(
          ['linux', 'namespaces', i, 'type'],
          `duplicate namespace ${showValue(type)} (already at linux.namespaces[${first.index}])`,
        ),
      );
    }
  }
}

function checkIdMappings(linux: Obj, namespaces: NamespaceMap, out: ConfigIssue[]): void {
  const user = namespaces.get('user');
  for (const field of ['uidMappings', 'gidMappings']) {
    const mappings = arrAt(linux, field);
    checkIdRanges(mappings, ['linux', field], out);
    if (!user && mappings !== undefined) {
      out.push(issue(['linux', field], `needs a user namespace (${addNamespace('user')})`));
    } else if (user && user.path === undefined && (mappings === undefined || mappings.length === 0)) {
      out.push(issue(['linux', field], 'is required to create a new user namespace'));
    }
  }
}

/** The kernel refuses a range that wraps or ends at (uid_t) -1 (map_write(): first + count must not overflow). */
function checkIdRanges(mappings: unknown[] | undefined, at: PathSegment[], out: ConfigIssue[]): void {
  for (const [i, mapping] of entries(mappings)) {
    const size = numAt(mapping, 'size');
    for (const field of ['containerID', 'hostID']) {
      const first = numAt(mapping, field);
      // An id of -1 itself the schema reported.
      if (first === undefined || size === undefined || first >= NO_ID || first + size <= NO_ID) continue;
      out.push(
        issue(
          [...at, i, 'size'],
          `${field} ${first} + size ${size} reaches past ${NO_ID - 1}, the last id (the kernel reads 4294967295 as -1: no change)`,
        ),
      );
    }
  }
}

function checkTimeOffsets(linux: Obj, namespaces: NamespaceMap, out: ConfigIssue[]): void {
  if (linux.timeOffsets !== undefined) needsNamespace(out, ['linux', 'timeOffsets'], namespaces, 'time', true);
}

/** runc's rules: only sysctls of a namespace the container has may be set. */
function checkSysctl(linux: Obj, namespaces: NamespaceMap, out: ConfigIssue[]): void {
  const sysctl = objAt(linux, 'sysctl');
  for (const key of Object.keys(sysctl ?? {})) {
    const name = dotted(key);
    const at = ['linux', 'sysctl', key];
    if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) needsNamespace(out, at, namespaces, 'ipc', false);
    else if (name.startsWith('net.')) needsNamespace(out, at, namespaces, 'network', false);
    else if (name === 'kernel.hostname') {
      out.push(issue(at, 'conflicts with the hostname field: set the hostname there'));
    } else if (name === 'kernel.domainname') needsNamespace(out, at, namespaces, 'uts', false);
    else
      out.push(
        issue(at, "is not namespaced: only sysctls of the container's ipc, network or uts namespace can be set"),
      );
  }
}

/** sysctl(8) also accepts "/" as the separator; then "." may occur inside a name part. */
function dotted(key: string): string {
  const first = key.search(/[./]/);
  if (first === -1 || key[first] === '.') return key;
  return key.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
}

function checkDevices(linux: Obj, out: ConfigIssue[]): void {
  for (const [i, device] of entries(arrAt(linux, 'devices'))) {
    const type = strAt(device, 'type');
    if (type === undefined || type === 'p') continue;
    for (const field of ['major', 'minor']) {
      if (device[field] === undefined)
        out.push(issue(['linux', 'devices', i, field], `is required for a ${showValue(type)} device`));
    }
  }
}

/** The kernel's dev_valid_name(): 1 to 15 bytes, not "." or "..", no "/", ":" or whitespace. */
function validInterfaceName(name: string): boolean {
  return (
    Buffer.byteLength(name) >= 1 &&
    Buffer.byteLength(name) <= 15 &&
    name !== '.' &&
    name !== '..' &&
    !/[/:\s]/.test(name)
  );
}

function checkNetDevices(linux: Obj, namespaces: NamespaceMap, out: ConfigIssue[]): void {
  const devices = objAt(linux, 'netDevices');
  if (!devices) return;
  if (Object.keys(devices).length > 0) needsNamespace(out, ['linux', 'netDevices'], namespaces, 'network', false);
  const rule = '1 to 15 characters, not "." or "..", without "/", ":" or whitespace';
  for (const [hostName, device] of Object.entries(devices)) {
    if (!validInterfaceName(hostName))
      out.push(issue(['linux', 'netDevices', hostName], `not a valid network interface name (${rule})`));
    const name = isObj(device) ? strAt(device, 'name') : undefined;
    if (name !== undefined && !validInterfaceName(name)) {
      out.push(
        issue(
          ['linux', 'netDevices', hostName, 'name'],
          `${showValue(name)} is not a valid network interface name (${rule})`,
        ),
      );
    }
  }
}

function checkResources(linux: Obj, out: ConfigIssue[]): void {
  const resources = objAt(linux, 'resources');
  if (!resources) return;
  const at = ['linux', 'resources'];
  const cpu = objAt(resources, 'cpu');
  const quota = cpu && numAt(cpu, 'quota');
  const burst = cpu && numAt(cpu, 'burst');
  if (quota !== undefined && burst !== undefined && quota > 0 && burst > quota) {
    out.push(issue([...at, 'cpu', 'burst'], `must not exceed quota (${burst} > ${quota})`));
  }
  const memory = objAt(resources, 'memory');
  const limit = memory && numAt(memory, 'limit');
  const swap = memory && numAt(memory, 'swap');
  if (limit !== undefined && swap !== undefined && limit > 0 && swap > 0 && swap < limit) {
    out.push(
      issue([...at, 'memory', 'swap'], `must be at least limit, as it counts memory plus swap (${swap} < ${limit})`),
    );
  }
  const blockIO = objAt(resources, 'blockIO');
  for (const [i, device] of entries(blockIO && arrAt(blockIO, 'weightDevice'))) {
    if (device.weight === undefined && device.leafWeight === undefined) {
      out.push(issue([...at, 'blockIO', 'weightDevice', i], 'needs weight or leafWeight'));
    }
  }
  for (const key of Object.keys(objAt(resources, 'unified') ?? {})) {
    const problem = unifiedKeyProblem(key);
    if (problem) out.push(issue([...at, 'unified', key], problem));
  }
  for (const [name, limits] of Object.entries(objAt(resources, 'rdma') ?? {})) {
    if (isObj(limits) && limits.hcaHandles === undefined && limits.hcaObjects === undefined) {
      out.push(issue([...at, 'rdma', name], 'needs hcaHandles or hcaObjects'));
    }
  }
}

const ERRNO_ACTIONS = ['SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE'];

function checkSeccomp(linux: Obj, out: ConfigIssue[]): void {
  const seccomp = objAt(linux, 'seccomp');
  if (!seccomp) return;
  const at = ['linux', 'seccomp'];
  const hasListener = Boolean(strAt(seccomp, 'listenerPath'));
  if (seccomp.listenerMetadata !== undefined && !hasListener) {
    out.push(issue([...at, 'listenerMetadata'], 'needs listenerPath'));
  }
  const known = (action: string | undefined): action is string =>
    action !== undefined && SECCOMP_ACTIONS.includes(action);
  const defaultAction = strAt(seccomp, 'defaultAction');
  if (defaultAction === 'SCMP_ACT_NOTIFY') {
    out.push(
      issue(
        [...at, 'defaultAction'],
        'SCMP_ACT_NOTIFY cannot be the default action (the runtime itself must still make syscalls)',
      ),
    );
  }
  if (seccomp.defaultErrnoRet !== undefined && known(defaultAction) && !ERRNO_ACTIONS.includes(defaultAction)) {
    out.push(
      issue(
        [...at, 'defaultErrnoRet'],
        `only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (defaultAction is ${showValue(defaultAction)})`,
      ),
    );
  }
  for (const [i, rule] of entries(arrAt(seccomp, 'syscalls'))) {
    const action = strAt(rule, 'action');
    if (!known(action)) continue;
    if (rule.errnoRet !== undefined && !ERRNO_ACTIONS.includes(action)) {
      out.push(
        issue(
          [...at, 'syscalls', i, 'errnoRet'],
          `only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (action is ${showValue(action)})`,
        ),
      );
    }
    if (action === 'SCMP_ACT_NOTIFY' && !hasListener) {
      out.push(
        issue(
          [...at, 'syscalls', i, 'action'],
          'SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath (where the notify fd is sent)',
        ),
      );
    }
  }
}

function checkIntelRdt(linux: Obj, out: ConfigIssue[]): void {
  const rdt = objAt(linux, 'intelRdt');
  const closID = rdt && strAt(rdt, 'closID');
  if (closID !== undefined && (closID === '.' || closID === '..' || closID.includes('/'))) {
    out.push(
      issue(
        ['linux', 'intelRdt', 'closID'],
        `must be a plain directory name, not "." or ".." and without "/" (got ${showValue(closID)})`,
      ),
    );
  }
}

const MODES_WITHOUT_NODES = ['MPOL_DEFAULT', 'MPOL_LOCAL'];
const MODES_NEEDING_NODES = ['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED_MANY'];

/** set_mempolicy(2) fails with EINVAL on these combinations. */
function checkMemoryPolicy(linux: Obj, out: ConfigIssue[]): void {
  const policy = objAt(linux, 'memoryPolicy');
  if (!policy) return;
  const at = ['linux', 'memoryPolicy'];
  const mode = strAt(policy, 'mode');
  const nodes = strAt(policy, 'nodes');
  if (mode && MODES_WITHOUT_NODES.includes(mode) && nodes)
    out.push(issue([...at, 'nodes'], `must be empty with ${mode}`));
  if (mode && MODES_NEEDING_NODES.includes(mode) && !nodes)
    out.push(issue([...at, 'nodes'], `is required with ${mode}`));
  const flags = arrAt(policy, 'flags') ?? [];
  if (flags.includes('MPOL_F_STATIC_NODES') && flags.includes('MPOL_F_RELATIVE_NODES')) {
    out.push(issue([...at, 'flags'], 'MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other'));
  }
}

function checkPersonality(linux: Obj, out: ConfigIssue[]): void {
  const personality = objAt(linux, 'personality');
  (personality && arrAt(personality, 'flags'))?.forEach((flag, i) => {
    out.push(
      issue(
        ['linux', 'personality', 'flags', i],
        `unknown personality flag ${showValue(flag)} (runtime-spec 1.3.0 defines none)`,
      ),
    );
  });
}

/** The state's rules beyond its schema. */
export function checkStateRules(doc: unknown): ConfigIssue[] {
  if (!isObj(doc)) return [];
  const status = strAt(doc, 'status');
  if (status !== 'created' && status !== 'running') return [];
  const pid = doc.pid;
  if (pid === undefined) return [issue(['pid'], `is required when status is ${showValue(status)}`)];
  if (pid === 0) return [issue(['pid'], `must be a positive process id when status is ${showValue(status)}`)];
  return [];
}
