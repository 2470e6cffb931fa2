/**
 * The wire format between encodePlan (TypeScript) and plan_decode (C): what C reads back is the
 * plan that was written, and a malformed buffer is refused, never run and never a crash. Both
 * sides come from the contract (runtime/plan/contract/steps.json): for every bounded field of
 * it, one past the bound is refused by TypeScript naming the field, and by C in the bytes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildInitPlan } from '../plan/build';
import { baseSpec, specWith, testContext } from '../../test/helpers/plan-context';
import type { InitPlan, InitStep } from '../plan/types';
import { decodePlan } from '../../test/helpers/test-native';
import { encodePlan, OP_CODES, PLAN_VERSION } from './encode';
import { mountStep } from '../../test/helpers/test-plans';
import { seededRandom } from '../../test/helpers/seeded-random';

const everyStep: InitPlan = {
  stage1: [
    { op: 'setns', nstype: 0x40000000, path: '/proc/1/ns/net' },
    { op: 'unshare', flags: 0x80 },
    { op: 'writeFile', path: '/proc/self/timens_offsets', data: 'monotonic 10 0\n' },
    { op: 'setAffinity', cpus: [0, 3, 1023] },
  ],
  cloneFlags: 0x7c020000,
  cloneIntoCgroup: { dir: '/sys/fs/cgroup/unified/x' },
  parent: [
    { op: 'writePid', path: '/sys/fs/cgroup/memory/x/cgroup.procs' },
    { op: 'writeProcFile', name: 'setgroups', data: 'deny' },
    { op: 'writeProcFile', name: 'uid_map', data: '0 100000 65536\n' },
    { op: 'writeProcFile', name: 'gid_map', data: '0 100000 65536\n' },
    { op: 'moveNetDevice', name: 'tsrv1a', newName: 'eth9' },
  ],
  init: [
    { op: 'joinCgroup', path: '/sys/fs/cgroup/pids/x/tasks' },
    { op: 'becomeRoot' },
    { op: 'unshare', flags: 0x02000000 },
    { op: 'writeFile', path: '/proc/self/oom_score_adj', data: 'bytes\0with NUL and ünïcödé' },
    { op: 'openRoot', path: '/run/b/rootfs' },
    mountStep({ target: '/', flags: 0x44000 }),
    mountStep({ source: 'tmpfs', target: '/dev', inRoot: true, fstype: 'tmpfs', flags: 0x1000002, data: 'mode=755,size=65536k', create: 'dir' }),
    mountStep({ source: '/etc/hosts', target: '/etc/hosts', inRoot: true, flags: 0x5000, create: 'file', ignoreMissing: true }),
    mountStep({ source: '/srv', target: '/data', inRoot: true, flags: 0x5000, create: 'dir', idmap: { uidMap: '0 1234 1\n', gidMap: '0 5678 1\n', recursive: true } }),
    mountStep({ source: 'tmpfs', target: '/etc', inRoot: true, fstype: 'tmpfs', flags: 0, data: null, create: 'dir', copyUp: true }),
    mountStep({ source: 'sysfs', target: '/sys', inRoot: true, fstype: 'sysfs', flags: 0x100e, data: null, create: 'dir', directoryOnly: true }),
    { op: 'mknod', target: '/dev/null', mode: 0o20666, major: 1, minor: 3, uid: 0, gid: 0 },
    { op: 'symlink', target: '/dev/fd', linkTo: '/proc/self/fd', ignoreExisting: true },
    { op: 'mkdir', target: '/dev/shm', mode: 0o1777 },
    { op: 'pivotRoot' },
    { op: 'moveRoot' },
    { op: 'maskPath', path: '/proc/kcore' },
    { op: 'sethostname', name: 'box' },
    { op: 'setdomainname', name: 'example.org' },
    { op: 'setrlimit', resource: 7, soft: '1024', hard: '18446744073709551615' },
    { op: 'chdir', path: '/home/user' },
    { op: 'umask', mask: 0o022 },
    { op: 'dropBounding', keep: '549755813887', lastCap: 40 },
    { op: 'setUser', uid: 1000, gid: 4294967294, additionalGids: [5, 100, 4294967295], setgroups: true },
    { op: 'setCaps', effective: '18446744073709551615', permitted: '1', inheritable: '0', ambient: '536871968' },
    { op: 'noNewPrivs' },
    { op: 'parentHooks' },
    {
      op: 'runHooks',
      kind: 'createContainer',
      hooks: [
        { path: '/bin/busybox', args: ['sh', '-c', 'cat', ''], env: [], timeout: 0 },
        { path: '/usr/bin/hook', args: ['/usr/bin/hook'], env: ['A=1', 'EMPTY='], timeout: 4294967295 },
      ],
      state: { before: '{"ociVersion":"1.3.0","id":"ü","status":"creating","pid":', after: ',"bundle":"/b"}' },
      killSignal: 9,
      outputQuoted: 200,
    },
    { op: 'personality', persona: 8 },
    { op: 'scheduler', policy: 6, flags: '1', nice: -20, priority: 0, runtime: '10000000', deadline: '30000000', period: '18446744073709551615' },
    { op: 'ioPriority', ioClass: 1, level: 7 },
    { op: 'memoryPolicy', mode: 2 | (1 << 15), nodes: [0, 63, 64, 1023] },
    { op: 'memoryPolicy', mode: 4, nodes: [] },
    { op: 'console', socketFd: 7, uid: 1000, width: 80, height: 24, mountConsole: true },
    { op: 'mountSetattr', target: '/data', inRoot: true, attrSet: 0x200011, attrClr: 0x70 },
    { op: 'mountSetattr', target: '/dev', inRoot: false, attrSet: 0, attrClr: 0x1 },
    { op: 'setAffinity', cpus: [1] },
    { op: 'joinSessionKeyring', name: '_ses.box', permSet: 0x80000 },
    { op: 'joinSessionKeyring', name: null, permSet: 0 },
    { op: 'chrootRoot' },
    {
      op: 'configureNetDevice',
      name: 'eth9',
      addresses: [
        { family: 'inet', local: '10.213.7.2', prefixLength: 24, peer: null, broadcast: '10.213.7.255' },
        { family: 'inet', local: '10.213.8.1', prefixLength: 32, peer: '10.213.8.2', broadcast: null },
        { family: 'inet6', local: 'fd00:213::2', prefixLength: 128, peer: null, broadcast: null },
      ],
    },
    { op: 'configureNetDevice', name: 'x', addresses: [] },
    {
      op: 'seccomp',
      defaultAction: 0x00050026,
      architectures: [0xc000003e, 0x40000003],
      // SECCOMP_FILTER_FLAG_TSYNC | _LOG | _NEW_LISTENER
      flags: 13,
      rules: [
        { syscall: 'read', action: 0x7fff0000, conditions: [] },
        { syscall: 'no_such_syscall', action: 0x7fff0000, conditions: [] },
        {
          syscall: 'personality',
          action: 0x7fff0000,
          conditions: [
            { index: 0, op: 4, value: '4294967295', valueTwo: '0' },
            { index: 5, op: 7, value: '18446744073709551615', valueTwo: '8' },
          ],
        },
      ],
      unknownSyscalls: 'skip',
      listener: { path: '/run/agent.sock', stateParts: ['{"pid":', ',"metadata":"ü"}'] },
      // Not this description's filter: the decoder takes a program as it is.
      program: [
        { code: 0x20, jt: 0, jf: 0, k: 4 },
        { code: 0x15, jt: 1, jf: 255, k: 0xc000003e },
        { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
      ],
    },
  ],
  createModes: { dir: 0o755, file: 0o644 },
  exec: {
    args: ['/bin/sh', '-c', 'echo "$@"', ''],
    env: ['PATH=/bin', 'EMPTY='],
    searchPath: '/bin:/usr/bin',
    preserveFds: 2,
    fifo: { dir: '/run/tsrun/x', name: 'exec.fifo' },
    exitSignals: [1, 15, 64],
    startContainerHooks: {
      op: 'runHooks',
      kind: 'startContainer',
      hooks: [{ path: '/hook', args: ['hook', 'x'], env: ['B=2'], timeout: 5 }],
      state: { before: '{"pid":', after: '}' },
      killSignal: 15,
      outputQuoted: 0,
    },
    rlimits: [
      { op: 'setrlimit', resource: 7, soft: '0', hard: '18446744073709551615', message: 'setrlimit RLIMIT_NOFILE (soft 0, hard 18446744073709551615) of process.rlimits[0]' },
      { op: 'setrlimit', resource: 6, soft: '1', hard: '1', message: 'ü' },
    ],
  },
};

describe('encodePlan / plan_decode', () => {
  test('C reads back every step type and field as written', () => {
    const ops = new Set([...everyStep.stage1, ...everyStep.parent, ...everyStep.init].map((s) => s.op));
    expect([...ops].sort()).toEqual(Object.keys(OP_CODES).sort());
    expect(decodePlan(encodePlan(everyStep))).toEqual(everyStep);
  });

  test('a plan many times the size of the encoder first buffer round-trips, whatever lands on its growth', () => {
    // Fields of every width and multi-byte text in turn: each growth of the encoder's buffer
    // (16 KiB, then doubling) falls somewhere inside some field of some size.
    const random = seededRandom(16);
    const init: InitStep[] = [];
    for (let i = 0; i < 3000; i++) {
      const text = 'ü€𝄞x'.repeat(Math.floor(random() * 9));
      init.push(
        i % 3 === 0
          ? { op: 'writeFile', path: `/proc/self/${text}${i}`, data: text }
          : i % 3 === 1
            ? { op: 'setrlimit', resource: i % 16, soft: String(i), hard: '18446744073709551615' }
            : { op: 'umask', mask: i },
      );
    }
    // And one field larger than the buffer would be after doubling once.
    init.splice(1500, 0, { op: 'writeFile', path: '/proc/self/big', data: 'é'.repeat(100_000) });
    const plan: InitPlan = { ...everyStep, init: [...everyStep.init, ...init] };
    const bytes = encodePlan(plan);
    expect(bytes.length).toBeGreaterThan(8 * 16 * 1024);
    expect(decodePlan(bytes)).toEqual(plan);
  });

  test('a plan without exec fifo and with empty lists round-trips', () => {
    const plan: InitPlan = {
      stage1: [],
      cloneFlags: 0,
      parent: [],
      init: [],
      createModes: { dir: 0o700, file: 0 },
      exec: { args: ['true'], env: [], searchPath: '', preserveFds: 0, fifo: null, exitSignals: [], rlimits: [] },
    };
    // An optional list travels empty when missing: C gives an empty one back as missing.
    const { rlimits: _empty, ...exec } = plan.exec;
    expect(decodePlan(encodePlan(plan))).toEqual({ ...plan, exec });
    expect(decodePlan(encodePlan({ ...plan, exec }))).toEqual({ ...plan, exec });
  });

  test('every truncation of a valid plan is refused with the byte offset', () => {
    const bytes = encodePlan(everyStep);
    for (let len = 0; len < bytes.length; len++) {
      expect(() => decodePlan(bytes.subarray(0, len))).toThrow(/^malformed plan at byte \d+: /);
    }
  });

  test('trailing bytes, bad magic, an unknown version or op are refused', () => {
    const bytes = encodePlan(everyStep);
    expect(() => decodePlan(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/trailing bytes/);
    expect(() => decodePlan(Buffer.concat([Buffer.from('XXXX'), bytes.subarray(4)]))).toThrow(/bad magic/);
    const next = Buffer.from(bytes);
    next.writeUInt32LE(PLAN_VERSION + 1, 4);
    expect(() => decodePlan(next)).toThrow(/unsupported version/);

    const minimal = encodePlan({ ...everyStep, stage1: [{ op: 'unshare', flags: 0 }], parent: [], init: [] });
    // header (8) + stage1 count (4): the op byte of the only stage1 step
    const unknownOp = Buffer.from(minimal);
    unknownOp[12] = 99;
    expect(() => decodePlan(unknownOp)).toThrow(/at byte 12: unknown op/);
    const wrongPhase = Buffer.from(minimal);
    wrongPhase[12] = OP_CODES.mount;
    expect(() => decodePlan(wrongPhase)).toThrow(/at byte 12: op not allowed in this phase/);
  });

  test('clone flags other than namespaces and an absurd preserveFds are refused', () => {
    const CLONE_VM = 0x100;
    expect(() => decodePlan(encodePlan({ ...everyStep, cloneFlags: 0x20000 | CLONE_VM }))).toThrow(
      /cloneFlags holds flags other than CLONE_NEW\* namespaces/,
    );
    expect(() => decodePlan(encodePlan({ ...everyStep, cloneFlags: 0x20000 | 17 }))).toThrow(/cloneFlags/);
    // TypeScript refuses what C would refuse (it used to pass it on, for C to call the plan malformed).
    expect(() => encodePlan({ ...everyStep, exec: { ...everyStep.exec, preserveFds: 2 ** 20 + 1 } })).toThrow(
      'plan.exec.preserveFds: expected an integer in [0, 1048576], got 1048577',
    );
  });

  test('thrown decode errors carry code EINVAL', () => {
    let caught: unknown;
    try {
      decodePlan(Buffer.from('TSRP'));
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'EINVAL', errno: 22 });
  });

  test('random corruption of a plan never crashes the decoder', () => {
    const bytes = encodePlan(everyStep);
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 3000; i++) {
      const corrupt = Buffer.from(bytes);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
        corrupt[Math.floor(random() * corrupt.length)] = Math.floor(random() * 256);
      }
      try {
        decodePlan(corrupt);
      } catch (err) {
        expect((err as Error).message).toMatch(/^malformed plan at byte \d+: /);
      }
    }
  });

  test('a length field pointing far beyond the buffer is refused, not allocated', () => {
    const bytes = Buffer.from(encodePlan(everyStep));
    bytes.writeUInt32LE(0xffffffff, 8); // the stage1 step count
    expect(() => decodePlan(bytes)).toThrow(/at byte 12: step count/);
  });

  test('values the format cannot carry exactly are refused in TypeScript, with their path', () => {
    const withInit = (step: InitPlan['init'][number]): InitPlan => ({ ...everyStep, init: [step] });
    expect(() => encodePlan(withInit({ op: 'umask', mask: -1 }))).toThrow('plan.init[0].mask: expected an integer in [0, 4294967295], got -1');
    expect(() => encodePlan(withInit({ op: 'setrlimit', resource: 7, soft: '18446744073709551616', hard: '1' }))).toThrow(
      'plan.init[0].soft: expected a decimal string of an unsigned 64-bit integer, got "18446744073709551616"',
    );
    expect(() => encodePlan(withInit({ op: 'setCaps', effective: '0x10', permitted: '0', inheritable: '0', ambient: '0' }))).toThrow(
      /plan\.init\[0\]\.effective: expected a decimal string/,
    );
    expect(() => encodePlan(withInit({ op: 'dropBounding', keep: '0', lastCap: 64 }))).toThrow('plan.init[0].lastCap');
    expect(() => encodePlan(withInit({ op: 'chdir', path: '/a\0b' }))).toThrow('plan.init[0].path: must not contain a NUL character');
    expect(() => encodePlan({ ...everyStep, stage1: [{ op: 'pivotRoot' } as never] })).toThrow(
      'plan.stage1[0].op: "pivotRoot" is not a step of this phase',
    );
    expect(() => encodePlan({ ...everyStep, exec: { ...everyStep.exec, args: [] } })).toThrow('plan.exec.args');
    const chdirAsLimit = { op: 'chdir', path: '/', message: '' } as never;
    expect(() => encodePlan({ ...everyStep, exec: { ...everyStep.exec, rlimits: [chdirAsLimit] } })).toThrow(
      'plan.exec.rlimits[0].op: "chdir" is not a step of this phase',
    );
    expect(() => encodePlan({ ...everyStep, cloneFlags: 2 ** 32 })).toThrow('plan.cloneFlags');
    const seccomp = (index: number, op: number): InitPlan['init'][number] => ({
      op: 'seccomp',
      defaultAction: 0,
      architectures: [],
      flags: 0,
      rules: [{ syscall: 'read', action: 0, conditions: [{ index, op, value: '0', valueTwo: '0' }] }],
      unknownSyscalls: 'skip',
    });
    expect(() => encodePlan(withInit(seccomp(6, 4)))).toThrow('plan.init[0].rules[0].conditions[0].index');
    expect(() => encodePlan(withInit(seccomp(0, 8)))).toThrow('plan.init[0].rules[0].conditions[0].op');
  });

  test('process attributes the executor could not apply exactly are refused, with their path', () => {
    const withInit = (step: InitPlan['init'][number]): InitPlan => ({ ...everyStep, stage1: [], parent: [], init: [step] });
    const sched = { op: 'scheduler', policy: 0, flags: '0', priority: 0, runtime: '0', deadline: '0', period: '0' } as const;
    expect(() => encodePlan(withInit({ ...sched, nice: -21 }))).toThrow('plan.init[0].nice');
    expect(() => encodePlan(withInit({ ...sched, nice: 0.5 }))).toThrow('plan.init[0].nice');
    expect(() => encodePlan(withInit({ op: 'memoryPolicy', mode: 2, nodes: [1024] }))).toThrow('plan.init[0].nodes[0]');
    // C checks the same bounds: an I/O level above 7 written by hand is refused.
    const bytes = encodePlan(withInit({ op: 'ioPriority', ioClass: 2, level: 7 }));
    const level = bytes.indexOf(Buffer.from([62, 2, 0, 0, 0, 7, 0, 0, 0]));
    expect(level).toBeGreaterThan(0);
    bytes[level + 5] = 8;
    expect(() => decodePlan(bytes)).toThrow(/ioPriority level above 7/);
  });

  test('CPU affinity: an empty list or a CPU beyond a cpu_set_t is refused, by C too', () => {
    const withStage1 = (cpus: number[]): InitPlan => ({ ...everyStep, stage1: [{ op: 'setAffinity', cpus }], parent: [], init: [] });
    expect(() => encodePlan(withStage1([]))).toThrow('plan.stage1[0].cpus: setAffinity cpus is empty');
    expect(() => encodePlan(withStage1([0, 1024]))).toThrow('plan.stage1[0].cpus[1]: expected an integer in [0, 1023], got 1024');
    const bytes = encodePlan(withStage1([1023]));
    // header (8) + stage1 count (4) + op (1) + cpu count (4): the only CPU.
    expect(bytes.readUInt32LE(17)).toBe(1023);
    bytes.writeUInt32LE(1024, 17);
    expect(() => decodePlan(bytes)).toThrow(/setAffinity cpu above 1023/);
    bytes.writeUInt32LE(0, 13);
    expect(() => decodePlan(bytes)).toThrow(/setAffinity cpus is empty/);
  });

  test('a copy-up mount must resolve inside the root: C refuses copyUp without inRoot', () => {
    const plan: InitPlan = { ...everyStep, stage1: [], parent: [], init: [mountStep({ source: 'tmpfs', target: '/tmp', fstype: 'tmpfs', copyUp: true })] };
    expect(() => decodePlan(encodePlan(plan))).toThrow(/mount copyUp without inRoot/);
  });

  test('a seccomp rule with more than 6 conditions is refused by C too (the compiler has room for 6)', () => {
    const condition = { index: 0, op: 4, value: '0', valueTwo: '0' };
    const rule = { syscall: 'read', action: 0, conditions: Array(7).fill(condition) };
    expect(() => encodePlan({ ...everyStep, init: [{ op: 'seccomp', defaultAction: 0, architectures: [], flags: 0, rules: [rule], unknownSyscalls: 'skip' }] })).toThrow(
      'plan.init[0].rules[0].conditions: at most 6',
    );
    const six = encodePlan({ ...everyStep, init: [{ op: 'seccomp', defaultAction: 0, architectures: [], flags: 0, rules: [{ ...rule, conditions: Array(6).fill(condition) }], unknownSyscalls: 'skip' }] });
    // The count of conditions follows the rule's syscall (str) and action (u32): raise it to 7 and add one.
    const at = six.indexOf(Buffer.from('read')) + 4 + 4;
    const seven = Buffer.concat([six.subarray(0, at), Buffer.from([7, 0, 0, 0]), six.subarray(at + 4, at + 4 + 18), six.subarray(at + 4)]);
    expect(() => decodePlan(seven)).toThrow(/seccomp rule conditions: more than 6/);
  });

  test('network device steps: names the kernel could not take and addresses that are not addresses are refused', () => {
    const configure = (address: Record<string, unknown>) =>
      encodePlan({ ...everyStep, init: [{ op: 'configureNetDevice', name: 'eth0', addresses: [{ family: 'inet', local: '10.0.0.1', prefixLength: 8, peer: null, broadcast: null, ...address }] }] } as InitPlan);
    expect(() => decodePlan(configure({ local: '10.0.0.256' }))).toThrow(/address local/);
    expect(() => decodePlan(configure({ family: 'inet6' }))).toThrow(/address local/);
    expect(() => decodePlan(configure({ broadcast: 'fd00::1' }))).toThrow(/address broadcast/);
    expect(() => configure({ prefixLength: 33 })).toThrow('plan.init[0].addresses[0].prefixLength: expected an integer in [0, 32], got 33');
    expect(() => configure({ family: 'ipx' })).toThrow(/plan\.init\[0\]\.addresses\[0\]\.family: expected one of inet, inet6/);
    const move = (newName: string) => encodePlan({ ...everyStep, parent: [{ op: 'moveNetDevice', name: 'tsrv1a', newName }] });
    expect(() => decodePlan(move('sixteen-bytes-ok'))).toThrow(/moveNetDevice newName/);
    expect(() => decodePlan(move(''))).toThrow(/moveNetDevice newName/);
    expect(decodePlan(move('fifteen-bytes-x')).parent).toEqual([{ op: 'moveNetDevice', name: 'tsrv1a', newName: 'fifteen-bytes-x' }]);
  });

  test('a plan with two seccomp steps is refused', () => {
    const seccomp = everyStep.init[everyStep.init.length - 1];
    expect(() => decodePlan(encodePlan({ ...everyStep, init: [seccomp, seccomp] }))).toThrow(/more than one seccomp step/);
  });
});

// ---------------------------------------------------------------------------------------------
// The contract's bounds, case by case from the table

interface Field {
  name: string;
  type: string;
  wire?: boolean;
  min?: number;
  max?: number;
  maxBy?: { field: string; values: Record<string, number> };
  minItems?: number;
  maxItems?: number;
  minBytes?: number;
  maxBytes?: number;
  item?: Field & { record?: string };
  record?: string;
  op?: string;
}
interface Contract {
  plan: { fields: Field[] };
  records: Record<string, { fields: Field[]; extendsStep?: string }>;
  steps: { op: string; fields: Field[] }[];
}

const contract: Contract = JSON.parse(fs.readFileSync(path.join(__dirname, '../plan/contract/steps.json'), 'utf8'));
const stepFields = (op: string) => contract.steps.find((s) => s.op === op)!.fields;
const recordFields = (name: string): Field[] => {
  const r = contract.records[name];
  return [...(r.extendsStep ? stepFields(r.extendsStep) : []), ...r.fields];
};

type Key = string | number;
/** One field of the table where the sample plan holds it. */
interface Instance {
  owner: string;
  field: Field;
  at: Key[];
  holder: Record<string, unknown>;
}

/** Every field of the sample plan with the table entry that defines it, first occurrence first. */
function instances(value: Record<string, unknown>, fields: Field[], at: Key[], owner: string, out: Instance[]): Instance[] {
  for (const field of fields.filter((f) => f.wire !== false)) {
    const v = value[field.name];
    const here = [...at, field.name];
    out.push({ owner, field, at: here, holder: value });
    if (v == null) continue;
    const walkStep = (step: Record<string, unknown>, stepAt: Key[]) => instances(step, stepFields(step.op as string), stepAt, step.op as string, out);
    if (field.type === 'record') instances(v as Record<string, unknown>, recordFields(field.record!), here, field.record!, out);
    if (field.type === 'step') walkStep(v as Record<string, unknown>, here);
    if (field.type === 'steps') (v as Record<string, unknown>[]).forEach((s, i) => walkStep(s, [...here, i]));
    if (field.type === 'list' && field.item!.type === 'record') {
      (v as Record<string, unknown>[]).forEach((r, i) => instances(r, recordFields(field.item!.record!), [...here, i], field.item!.record!, out));
    }
  }
  return out;
}

const pathText = (at: Key[]) => `plan${at.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('')}`;

function withValue(plan: InitPlan, at: Key[], value: unknown): InitPlan {
  const copy = structuredClone(plan) as unknown as Record<Key, unknown>;
  let node = copy;
  for (const k of at.slice(0, -1)) node = node[k] as Record<Key, unknown>;
  node[at[at.length - 1]] = value;
  return copy as unknown as InitPlan;
}

function valueAt(plan: InitPlan, at: Key[]): unknown {
  return at.reduce<unknown>((node, k) => (node as Record<Key, unknown>)[k], plan);
}

/** Where two encodings first differ: the field that changed (a count or length for lists and strings). */
function firstDifference(a: Buffer, b: Buffer): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** A numeric bound: the plan at the bound encodes, one past it is refused by TS; patched into the bytes, by C. */
function numericCase(at: Key[], field: Field, bound: number, past: number) {
  const atBound = encodePlan(withValue(everyStep, at, bound));
  const beside = encodePlan(withValue(everyStep, at, bound === past - 1 ? bound - 1 : bound + 1));
  expect(() => encodePlan(withValue(everyStep, at, past))).toThrow(`${pathText(at)}: expected an integer in [`);
  const offset = firstDifference(atBound, beside);
  const bytes = Buffer.from(atBound);
  if (field.type === 'u8') bytes[offset] = past & 0xff;
  else if (field.type === 'i32') bytes.writeInt32LE(past, offset);
  else bytes.writeUInt32LE(past >>> 0, offset);
  expect(() => decodePlan(bytes)).toThrow(/^malformed plan at byte \d+: .*(above|outside)/);
}

/** A count bound (items of a list, bytes of a string): one unit more or less than allowed. */
function countCase(at: Key[], unit: (n: number) => unknown, bound: number, past: number) {
  const make = (n: number) => withValue(everyStep, at, unit(n));
  expect(() => encodePlan(make(past))).toThrow(`${pathText(at)}: `);
  // The encodings of `bound` and `bound ± 1` units differ first at the count; the difference in
  // length is one unit's bytes, which past the bound go in (or come out) after the count.
  const other = past > bound ? bound - 1 : bound + 1;
  const a = encodePlan(make(bound));
  const b = encodePlan(make(other));
  const at0 = firstDifference(a, b);
  const unitBytes = Math.abs(a.length - b.length);
  const bytes =
    past > bound
      ? Buffer.concat([a.subarray(0, at0), u32(past), a.subarray(at0 + 4, at0 + 4 + unitBytes), a.subarray(at0 + 4)])
      : Buffer.concat([a.subarray(0, at0), u32(past), a.subarray(at0 + 4 + unitBytes)]);
  expect(() => decodePlan(bytes)).toThrow(/^malformed plan at byte \d+: /);
}

const everyInstance = instances(everyStep as unknown as Record<string, unknown>, contract.plan.fields, [], 'plan', []);
const firstOf = new Map<string, Instance>();
for (const inst of everyInstance) {
  const key = `${inst.owner}.${inst.field.name}`;
  const value = valueAt(everyStep, inst.at);
  // A list's bounds are tried on a list that has an item to repeat.
  if (!firstOf.has(key) && !(Array.isArray(value) && value.length === 0)) firstOf.set(key, inst);
}

type Case = [string, () => void];
const cases: Case[] = [];
for (const [key, inst] of firstOf) {
  const { field, at } = inst;
  const numeric = (f: Field) => ['u8', 'u32', 'i32'].includes(f.type);
  const numberBounds = (f: Field, holder: Record<string, unknown>): { min: number; max: number | undefined } => ({
    min: f.min ?? 0,
    max: f.maxBy ? f.maxBy.values[holder[f.maxBy.field] as string] : f.max,
  });
  if (numeric(field)) {
    const { min, max } = numberBounds(field, inst.holder);
    if (max !== undefined) cases.push([`${key} above ${max}`, () => numericCase(at, field, max, max + 1)]);
    if (min !== 0) cases.push([`${key} below ${min}`, () => numericCase(at, field, min, min - 1)]);
  }
  if (field.type === 'list') {
    const item = field.item!;
    const list = valueAt(everyStep, at) as unknown[];
    if (numeric(item) && list.length > 0) {
      const { min, max } = numberBounds(item, {});
      if (max !== undefined) cases.push([`${key}[] above ${max}`, () => numericCase([...at, 0], item, max, max + 1)]);
      if (min !== 0) cases.push([`${key}[] below ${min}`, () => numericCase([...at, 0], item, min, min - 1)]);
    }
    const items = (n: number) => Array(n).fill(list[0]);
    if (field.maxItems !== undefined) cases.push([`${key}: more than ${field.maxItems} items`, () => countCase(at, items, field.maxItems!, field.maxItems! + 1)]);
    if (field.minItems) cases.push([`${key}: fewer than ${field.minItems} items`, () => countCase(at, items, field.minItems!, field.minItems! - 1)]);
  }
  if (field.type === 'str') {
    const chars = (n: number) => 'x'.repeat(n);
    if (field.maxBytes !== undefined) cases.push([`${key}: more than ${field.maxBytes} bytes`, () => countCase(at, chars, field.maxBytes!, field.maxBytes! + 1)]);
    if (field.minBytes) cases.push([`${key}: fewer than ${field.minBytes} bytes`, () => countCase(at, chars, field.minBytes!, field.minBytes! - 1)]);
  }
}

describe('the plan contract: one past every bound is refused by TypeScript and by C', () => {
  test('every step kind and record of the table is in the sample plan', () => {
    const owners = new Set([...firstOf.values()].map((i) => i.owner));
    for (const step of contract.steps.filter((s) => s.fields.some((f) => f.wire !== false))) expect(owners).toContain(step.op);
    for (const name of Object.keys(contract.records)) expect(owners).toContain(name);
  });

  test('the table bounds more than a handful of fields', () => {
    expect(cases.length).toBeGreaterThan(20);
  });

  test.each(cases)('%s', (_name, run) => run());
});

describe('plans the builder makes travel to C and back unchanged', () => {
  const hook = { path: '/bin/true', args: ['true'], timeout: 5 };
  const plans: [string, InitPlan][] = [
    ['the default config', buildInitPlan(baseSpec(), testContext())],
    ['hooks of every kind', buildInitPlan(specWith((s) => (s.hooks = { prestart: [hook], createContainer: [hook], startContainer: [hook] })), testContext({ containerId: 'c1' }))],
    [
      'a seccomp profile',
      buildInitPlan(
        specWith((s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['execve', 'no_such_syscall'], action: 'SCMP_ACT_ALLOW' }] })),
        testContext({ withFifo: false }),
      ),
    ],
  ];
  test.each(plans)('%s', (_name, plan) => {
    expect(decodePlan(encodePlan(plan))).toEqual(JSON.parse(JSON.stringify(plan, (k, v) => (k === 'purpose' ? undefined : v))));
  });
});
