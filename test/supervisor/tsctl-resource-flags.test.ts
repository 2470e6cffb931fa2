/**
 * tsctl's resource run flags (supervisor/tsctl/resource-flags.ts) and what tsrund makes of them
 * (supervisor/containers/resources.ts, ulimits.ts, devices.ts, shm.ts): docker's value grammar and
 * refusals, hostile values from a seeded generator, then `tsctl run` against a real tsrund with
 * each flag's effect read inside the container (its cgroup files, /proc/self/limits, df of
 * /dev/shm, device nodes opened or refused by the devices cgroup).
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { parseFlags } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import { defaultSpec } from '../../spec/default-config';
import type { Spec } from '../../spec/types';
import type { ProcessOverrides, Resources } from '../../supervisor/api/types';
import { applyOverrides, EMPTY_OVERRIDES } from '../../supervisor/containers/overrides';
import { applyResources, parseCpuList, type ResourceHost } from '../../supervisor/containers/resources';
import { cpusQuota, parseDevice, parseSize, parseUlimit, RESOURCE_RUN_FLAGS, resourceOverrides } from '../../supervisor/tsctl/resource-flags';
import { SeededRandom } from '../helpers/seeded-choices';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { useDaemon } from './fixtures';
import { TSCTL } from './daemon';

jest.setTimeout(180_000);

const flags = (argv: string[]) => resourceOverrides(parseFlags(argv, RESOURCE_RUN_FLAGS, 'tsctl run').flags);
const MiB = 2 ** 20;

describe('the flags as docker reads them', () => {
  test.each([
    ['512', 512],
    ['1k', 1024],
    ['1K', 1024],
    ['64m', 64 * MiB],
    ['64MB', 64 * MiB],
    ['2MiB', 2 * MiB],
    ['10 mb', 10 * MiB],
    ['1g', 2 ** 30],
    ['1.5g', 1.5 * 2 ** 30],
    ['1.5k', 1536],
    ['7b', 7],
  ])('size %s is %d bytes (binary units, case and "b" optional, as RAMInBytes)', (text, bytes) => {
    expect(parseSize('memory', text)).toBe(bytes);
  });

  test.each(['abc', '-1', '1x', '', '1.2.3', '1e3', '64 m b', '0x10'])('size %j is refused naming the flag', (text) => {
    expect(() => parseSize('memory', text)).toThrow(`invalid argument "${text}" for "-m, --memory" flag: invalid size: '${text}'`);
  });

  test.each([
    ['1.5', { quota: 150000, period: 100000 }],
    ['0.01', { quota: 1000, period: 100000 }],
    ['3/2', { quota: 150000, period: 100000 }],
    ['15e-1', { quota: 150000, period: 100000 }],
    ['.5', { quota: 50000, period: 100000 }],
    ['2', { quota: 200000, period: 100000 }],
    ['0', null],
  ])('--cpus %s is quota/period %j', (text, want) => {
    expect(cpusQuota(text, 2)).toEqual(want);
  });

  test.each([
    ['abc', 'failed to parse abc as a rational number'],
    ['1/0', 'failed to parse 1/0 as a rational number'],
    ['.', 'failed to parse . as a rational number'],
    ['0.0000000001', 'value is too precise'],
    ['3', 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    ['-1', 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    ['1e9999', 'value is out of range'],
  ])('--cpus %s is refused: %s', (text, why) => {
    expect(() => cpusQuota(text, 2)).toThrow(`invalid argument "${text}" for "--cpus" flag: ${why}`);
  });

  test.each([
    ['nofile=512:1024', { name: 'nofile', soft: 512, hard: 1024 }],
    ['core=0', { name: 'core', soft: 0, hard: 0 }],
    ['nproc=infinity', { name: 'nproc', soft: -1, hard: -1 }],
    ['stack=8192:-1', { name: 'stack', soft: 8192, hard: -1 }],
    ['memlock=+5', { name: 'memlock', soft: 5, hard: 5 }],
  ])('--ulimit %s', (text, want) => {
    expect(parseUlimit(text)).toEqual(want);
  });

  test.each([
    ['nofile', 'invalid ulimit argument: nofile'],
    ['as=1', 'invalid ulimit type: as'],
    ['NOFILE=1', 'invalid ulimit type: NOFILE'],
    ['nofile=1:2:3', 'too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`'],
    ['nofile=2048:1024', 'ulimit soft limit must be less than or equal to hard limit: 2048 > 1024'],
    ['nofile=-1:10', 'ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 10'],
    ['nofile=x', 'invalid ulimit value "x"'],
    ['nofile=-2', 'ulimit value -2: give 0 or more, or -1 (unlimited)'],
    ['nofile=99999999999999999999', 'ulimit value 99999999999999999999 is out of range'],
  ])('--ulimit %s is refused: %s', (text, why) => {
    expect(() => parseUlimit(text)).toThrow(`invalid argument "${text}" for "--ulimit" flag: ${why}`);
  });

  test.each([
    ['/dev/null', { hostPath: '/dev/null', containerPath: '/dev/null', permissions: 'rwm' }],
    ['/dev/null:r', { hostPath: '/dev/null', containerPath: '/dev/null', permissions: 'r' }],
    ['/dev/null:/dev/mynull', { hostPath: '/dev/null', containerPath: '/dev/mynull', permissions: 'rwm' }],
    ['/dev/null:/dev//x/../mynull:wr', { hostPath: '/dev/null', containerPath: '/dev/mynull', permissions: 'wr' }],
    ['null:/dev/mynull', { hostPath: '/work/null', containerPath: '/dev/mynull', permissions: 'rwm' }],
  ])('--device %s', (text, want) => {
    expect(parseDevice(text, '/work')).toEqual(want);
  });

  test.each([
    ['/a:/b:rwx', 'bad mode specified: rwx'],
    ['/a:/b:rr', 'bad mode specified: rr'],
    ['/a:rr', 'rr is not an absolute path'],
    ['/a:b', 'b is not an absolute path'],
    ['a', 'a is not an absolute path'],
    [':/b', 'bad format for path: :/b'],
    ['/a:/b:r:x', 'bad format for path: /a:/b:r:x'],
  ])('--device %s is refused: %s', (text, why) => {
    expect(() => parseDevice(text, '/work')).toThrow(`invalid argument "${text}" for "--device" flag: ${why}`);
  });

  test('no flag asks for nothing; docker normalizations; the last --ulimit of a name wins', () => {
    expect(flags([])).toEqual({ resources: null, ulimits: [], devices: [], shmSize: 0 });
    const r = flags(['-m', '64m', '--memory-swap', '-1', '-c', '-5', '--pids-limit', '0', '--cpus', '0.5', '--cpuset-cpus', '0']).resources;
    expect(r).toEqual({ memoryLimit: 64 * MiB, memorySwap: -1, cpuShares: 2, cpuQuota: 50000, cpuPeriod: 100000, cpusetCpus: '0', pidsLimit: -1 });
    expect(flags(['--pids-limit', '-1']).resources).toMatchObject({ pidsLimit: -1, memoryLimit: 0, memorySwap: 0 });
    expect(flags(['--memory-swap', '1g']).resources).toMatchObject({ memorySwap: 2 ** 30 });
    expect(flags(['--ulimit', 'nofile=1:2', '--ulimit', 'core=0', '--ulimit', 'nofile=3:4']).ulimits).toEqual([
      { name: 'core', soft: 0, hard: 0 },
      { name: 'nofile', soft: 3, hard: 4 },
    ]);
    expect(flags(['--shm-size', '128m']).shmSize).toBe(128 * MiB);
    expect(() => flags(['--shm-size', '-1'])).toThrow(`invalid argument "-1" for "--shm-size" flag: invalid size: '-1'`);
    expect(() => flags(['--memory-swap', '-2'])).toThrow(`for "--memory-swap" flag: invalid size: '-2'`);
  });

  test('hostile values: a value or a one-line error naming the flag, never anything else (seeded)', () => {
    const alphabet = ['0', '1', '9', '.', '-', '+', ':', '=', '/', ' ', 'k', 'm', 'G', 'i', 'b', 'e', 'x', 'nofile', 'infinity', 'rwm', '/dev/null', '\n', '\0', '\t', 'é', '💥', '99999999999999999999'];
    const targets = RESOURCE_RUN_FLAGS.filter((s) => s.kind !== 'int');
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = new SeededRandom(seed);
      for (let n = 0; n < 25; n++) {
        const spec = rnd.pick(targets);
        const value = Array.from({ length: rnd.int(8) }, () => rnd.pick(alphabet)).join('');
        const names = spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
        let got: ReturnType<typeof flags>;
        try {
          got = flags([`--${spec.name}`, value]);
        } catch (err) {
          expect(err).toBeInstanceOf(TsrunError);
          const message = (err as Error).message;
          expect({ seed, value, oneLine: !/[\n\r\0]/.test(message) }).toEqual({ seed, value, oneLine: true });
          expect(message).toContain(`for "${names}" flag: `);
          continue;
        }
        const numbers = [got.shmSize, ...Object.values(got.resources ?? {}).filter((v) => typeof v === 'number')] as number[];
        for (const v of numbers) expect({ seed, value, v, ok: Number.isSafeInteger(v) && v >= -1 }).toEqual({ seed, value, v, ok: true });
        for (const d of got.devices) expect(path.isAbsolute(d.hostPath) && d.containerPath.startsWith('/')).toBe(true);
      }
    }
  });
});

describe("tsrund's side, on a config (docker's daemon checks)", () => {
  const RES: Resources = { memoryLimit: 0, memorySwap: 0, cpuShares: 0, cpuQuota: 0, cpuPeriod: 0, pidsLimit: 0, cpusetCpus: '' };
  const accounting: ResourceHost = { swapAccounting: true, onlineCpus: '0-1' };
  const resources = (r: Partial<Resources>, host = accounting) => {
    const spec: Spec = { ociVersion: '1.0.2' };
    applyResources(spec, { ...RES, ...r }, host);
    return spec.linux?.resources;
  };
  const apply = (o: Partial<ProcessOverrides>, base: Spec = defaultSpec()) => applyOverrides(base, { ...EMPTY_OVERRIDES, ...o });

  test('memory: swap twice memory unless given; -1 unlimited; docker refusals', () => {
    expect(resources({ memoryLimit: 64 * MiB })).toEqual({ memory: { limit: 64 * MiB, swap: 128 * MiB } });
    expect(resources({ memoryLimit: 64 * MiB, memorySwap: 100 * MiB })).toEqual({ memory: { limit: 64 * MiB, swap: 100 * MiB } });
    expect(resources({ memoryLimit: 64 * MiB, memorySwap: -1 })).toEqual({ memory: { limit: 64 * MiB, swap: -1 } });
    expect(() => resources({ memoryLimit: 16 * MiB, memorySwap: 15 * MiB })).toThrow(
      'overrides.resources.memory_swap: Minimum memoryswap limit should be larger than memory limit (15728640 < memory_limit 16777216)',
    );
    expect(() => resources({ memorySwap: 100 * MiB })).toThrow('overrides.resources.memory_swap: You should always set the Memory limit when using Memoryswap limit');
    expect(() => resources({ memoryLimit: 4 * MiB })).toThrow('overrides.resources.memory_limit: 4194304 bytes: Minimum memory limit allowed is 6MB');
    expect(() => resources({ memoryLimit: -7 })).toThrow('overrides.resources.memory_limit: -7');
  });

  test('a kernel without swap accounting: the default swap is left out, one asked for refused', () => {
    const none = { ...accounting, swapAccounting: false };
    expect(resources({ memoryLimit: 64 * MiB }, none)).toEqual({ memory: { limit: 64 * MiB } });
    expect(resources({ memoryLimit: 64 * MiB, memorySwap: -1 }, none)).toEqual({ memory: { limit: 64 * MiB } });
    expect(() => resources({ memoryLimit: 64 * MiB, memorySwap: 128 * MiB }, none)).toThrow('does not support swap limit capabilities');
  });

  test('cpu: shares clamped to 262144; quota and period within the kernel bounds; cpusets that exist', () => {
    expect(resources({ cpuShares: 300000, cpuQuota: 150000, cpuPeriod: 100000, cpusetCpus: '0-1' })).toEqual({ cpu: { shares: 262144, quota: 150000, period: 100000, cpus: '0-1' } });
    expect(() => resources({ cpuQuota: 500 })).toThrow('overrides.resources.cpu_quota: 500: CPU cfs quota can not be less than 1ms (i.e. 1000)');
    expect(() => resources({ cpuPeriod: 2_000_000 })).toThrow('overrides.resources.cpu_period: 2000000: CPU cfs period can not be less than 1ms');
    expect(() => resources({ cpusetCpus: '5' })).toThrow('overrides.resources.cpuset_cpus: Requested CPUs are not available - requested 5, available: 0-1');
    expect(() => resources({ cpusetCpus: '0-999999999' })).toThrow('Requested CPUs are not available');
    for (const bad of ['a', '1-0', '0,', '0 1', '-1', '0-1-2']) expect(() => resources({ cpusetCpus: bad })).toThrow(`Invalid value ${JSON.stringify(bad)} for cpuset cpus`);
    expect(parseCpuList('0-3,5')).toEqual([[0, 3], [5, 5]]);
  });

  test('pids: any negative limit is unlimited (docker), 0 is not set', () => {
    expect(resources({ pidsLimit: -5 })).toEqual({ pids: { limit: -1 } });
    expect(resources({ pidsLimit: 0 })).toEqual({});
  });

  test('ulimits replace the config limit of the same name; -1 is unlimited', () => {
    const base = defaultSpec();
    base.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }, { type: 'RLIMIT_CORE', soft: 0, hard: 0 }];
    const spec = apply({ ulimits: [{ name: 'nofile', soft: 512, hard: 2048 }, { name: 'stack', soft: -1, hard: -1 }] }, base);
    expect(spec.process!.rlimits).toEqual([
      { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
      { type: 'RLIMIT_NOFILE', soft: 512, hard: 2048 },
      { type: 'RLIMIT_STACK', soft: 2 ** 64, hard: 2 ** 64 },
    ]);
    expect(() => apply({ ulimits: [{ name: 'as', soft: 1, hard: 1 }] })).toThrow('overrides.ulimits[0].name: invalid ulimit type: "as"');
    expect(() => apply({ ulimits: [{ name: 'nofile', soft: 9, hard: 8 }] })).toThrow('overrides.ulimits[0].soft: ulimit soft limit must be less than or equal to hard limit: 9 > 8');
    expect(() => apply({ ulimits: [{ name: 'nofile', soft: -3, hard: -1 }] })).toThrow('overrides.ulimits[0].soft: -3');
  });

  test('devices: the host node as a linux.devices entry and a cgroup rule; refusals name the field', () => {
    const spec = apply({ devices: [{ hostPath: '/dev/null', containerPath: '/dev/mynull', permissions: 'rw' }] });
    const st = fs.statSync('/dev/null');
    expect(spec.linux!.devices).toEqual([{ type: 'c', path: '/dev/mynull', major: 1, minor: 3, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid }]);
    expect(spec.linux!.resources!.devices!.at(-1)).toEqual({ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' });
    expect(apply({ devices: [{ hostPath: '/dev/null', containerPath: '', permissions: '' }] }).linux!.devices![0]).toMatchObject({ path: '/dev/null' });
    expect(() => apply({ devices: [{ hostPath: '/no/such', containerPath: '', permissions: '' }] })).toThrow(
      'overrides.devices[0].host_path: error gathering device information while adding custom device "/no/such": no such file or directory',
    );
    expect(() => apply({ devices: [{ hostPath: '/etc/hostname', containerPath: '', permissions: '' }] })).toThrow('"/etc/hostname": not a device node');
    expect(() => apply({ devices: [{ hostPath: 'dev/null', containerPath: '', permissions: '' }] })).toThrow('overrides.devices[0].host_path: "dev/null" is not an absolute path');
    expect(() => apply({ devices: [{ hostPath: '/dev/null', containerPath: 'x', permissions: '' }] })).toThrow('overrides.devices[0].container_path');
    expect(() => apply({ devices: [{ hostPath: '/dev/null\0x', containerPath: '', permissions: '' }] })).toThrow('overrides.devices[0].host_path: contains a NUL character');
    expect(() => apply({ devices: [{ hostPath: '/dev/null', containerPath: '/dev/\0', permissions: '' }] })).toThrow('overrides.devices[0].container_path: contains a NUL character');
    expect(() => apply({ devices: [{ hostPath: '/dev/null', containerPath: '', permissions: 'rx' }] })).toThrow('overrides.devices[0].permissions: bad mode specified: "rx"');
  });

  test('a directory maps every device node below it, symlinks and files skipped', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rf-devdir-'));
    try {
      fs.mkdirSync(path.join(dir, 'sub'));
      execFileSync('mknod', [path.join(dir, 'a'), 'c', '1', '3']);
      execFileSync('mknod', [path.join(dir, 'sub', 'b'), 'c', '1', '5']);
      fs.writeFileSync(path.join(dir, 'file'), '');
      fs.symlinkSync('/dev/zero', path.join(dir, 'link'));
      const spec = apply({ devices: [{ hostPath: dir, containerPath: '/dev/mydir', permissions: 'r' }] });
      expect(spec.linux!.devices!.map((d) => [d.path, d.major, d.minor])).toEqual([['/dev/mydir/a', 1, 3], ['/dev/mydir/sub/b', 1, 5]]);
      expect(spec.linux!.resources!.devices!.slice(-2)).toEqual([
        { allow: true, type: 'c', major: 1, minor: 3, access: 'r' },
        { allow: true, type: 'c', major: 1, minor: 5, access: 'r' },
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('shm_size sets the /dev/shm tmpfs size (docker: 64m stays the default)', () => {
    const shm = (s: Spec) => s.mounts!.filter((m) => m.destination === '/dev/shm');
    expect(shm(apply({}))[0].options).toContain('size=65536k');
    expect(shm(apply({ shmSize: 128 * MiB }))).toEqual([{ destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${128 * MiB}`] }]);
    expect(shm(apply({ shmSize: 4096 }, { ociVersion: '1.0.2', process: { cwd: '/', args: ['true'], user: { uid: 0, gid: 0 } } }))[0].options).toContain('size=4096');
    expect(() => apply({ shmSize: -1 })).toThrow('overrides.shm_size: -1: SHM size can not be less than 0');
    const bound = defaultSpec();
    bound.mounts = [{ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind'] }];
    expect(() => apply({ shmSize: MiB }, bound)).toThrow('overrides.shm_size: the config mounts /dev/shm (bind) on /dev/shm, not a tmpfs');
  });
});

describe('tsctl run against tsrund, the effect read inside the container', () => {
  const f = useDaemon();
  let work = '';
  afterAll(() => work && fs.rmSync(work, { recursive: true, force: true }));
  const tsctl = async (...args: string[]) => (await promisify(execFile)(TSCTL, ['--address', f.daemon.address, ...args])).stdout;
  const failing = (...args: string[]) => promisify(execFile)(TSCTL, ['--address', f.daemon.address, ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const v1 = (controller: string) => fs.existsSync(`/sys/fs/cgroup/${controller}/cgroup.procs`);
  let image = '';
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'rf-tsctl-'));
    const { ref, file } = buildBusyboxArchive(work, 'localhost/tsrun-test/resflags:1');
    await tsctl('images', 'import', file);
    image = ref;
  });
  const run = (flagArgs: string[], script: string) => tsctl('run', '--rm', ...flagArgs, image, 'sh', '-c', script);
  const cg = (file: string) => `cat /sys/fs/cgroup/${file}`;
  const leftovers = async () => (await tsctl('ls', '-q')).split('\n').filter((id) => id !== '');

  const hasV1 = v1('memory') && v1('cpu') && v1('pids') && v1('cpuset');
  (hasV1 ? test : test.skip)('-m, default swap, --cpus, -c, --pids-limit, --cpuset-cpus: the cgroup v1 files inside (skipped where the host has no v1 memory, cpu, pids and cpuset controllers)', async () => {
    const files = ['memory/memory.limit_in_bytes', 'cpu/cpu.cfs_quota_us', 'cpu/cpu.cfs_period_us', 'cpu/cpu.shares', 'pids/pids.max', 'cpuset/cpuset.cpus'];
    const out = await run(['-m', '64m', '--cpus', '1.5', '-c', '512', '--pids-limit', '10', '--cpuset-cpus', '1'], `${files.map(cg).join('; ')}; grep Cpus_allowed_list /proc/self/status`);
    expect(out.split('\n')).toEqual([String(64 * MiB), '150000', '100000', '512', '10', '1', 'Cpus_allowed_list:\t1', '']);
    expect(await run(['--pids-limit', '-1'], cg('pids/pids.max'))).toBe('max\n');
  });

  const memsw = fs.existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
  (memsw ? test : test.skip)('--memory-swap: twice --memory by default, as given, -1 unlimited (skipped where the kernel has no swap accounting)', async () => {
    const both = `${cg('memory/memory.limit_in_bytes')}; ${cg('memory/memory.memsw.limit_in_bytes')}`;
    expect(await run(['-m', '64m'], both)).toBe(`${64 * MiB}\n${128 * MiB}\n`);
    expect(await run(['-m', '64m', '--memory-swap', '100m'], both)).toBe(`${64 * MiB}\n${100 * MiB}\n`);
    const unlimited = (await run(['-m', '64m', '--memory-swap', '-1'], both)).split('\n');
    expect(unlimited[0]).toBe(String(64 * MiB));
    expect(BigInt(unlimited[1])).toBeGreaterThan(2n ** 62n);
  });

  (v1('pids') ? test : test.skip)('--pids-limit holds: the fork past the limit fails inside (skipped where the host has no v1 pids controller)', async () => {
    const script = 'for i in 1 2 3 4 5 6; do sleep 1 & done 2>&1; wait; echo done';
    // busybox sh gives up (status 2) when it cannot fork.
    expect(await failing('run', '--rm', '--pids-limit', '4', image, 'sh', '-c', script)).toEqual({ code: 2, stdout: "sh: can't fork: Resource temporarily unavailable\n", stderr: '' });
    expect(await run(['--pids-limit', '10'], script)).toBe('done\n');
  });

  test('--ulimit in /proc/self/limits, replacing the default of its name; above the hard limit tsrund has: EPERM at start', async () => {
    const limits = await run(['--ulimit', 'nofile=512:1024', '--ulimit', 'core=1000:2000', '--ulimit', 'stack=infinity'], 'cat /proc/self/limits');
    expect(limits).toMatch(/^Max open files +512 +1024 +files/m);
    expect(limits).toMatch(/^Max core file size +1000 +2000 +bytes/m);
    expect(limits).toMatch(/^Max stack size +unlimited +unlimited +bytes/m);
    expect(limits.match(/^Max open files/gm)).toHaveLength(1);
    // tsrund lacks CAP_SYS_RESOURCE here: a hard limit above its own cannot be given (runc: the same EPERM).
    const own = Number(/^Max open files +\d+ +(\d+)/m.exec(fs.readFileSync(`/proc/${f.daemon.proc!.pid}/limits`, 'utf8'))![1]);
    const over = await failing('run', '--rm', '--ulimit', `nofile=${own + 1}:${own + 1}`, image, 'true');
    expect(over.code).not.toBe(0);
    expect(over.stderr).toContain(`setrlimit RLIMIT_NOFILE (soft ${own + 1}, hard ${own + 1}) of process.rlimits[0]: EPERM`);
    await tsctl('ls');
  });

  test('--shm-size: the size df shows for /dev/shm; 64m without it', async () => {
    const size = (out: string) => out.split('\n')[1].trim().split(/\s+/)[1];
    expect(size(await run([], 'df -k /dev/shm'))).toBe('65536');
    expect(size(await run(['--shm-size', '128m'], 'df -k /dev/shm'))).toBe('131072');
  });

  (v1('devices') ? test : test.skip)('--device: the node appears with its numbers; its permissions hold; an unmapped device is refused (skipped where the host has no v1 devices controller)', async () => {
    const script = [
      'stat -c "%n %t:%T %F" /dev/mynull /dev/myfuse',
      'echo hi > /dev/mynull && echo null-written',
      ': < /dev/myfuse && echo fuse-read',
      '(: > /dev/myfuse) 2>&1 || echo fuse-write-refused',
    ].join('; ');
    const out = await run(['--device', '/dev/null:/dev/mynull', '--device', '/dev/fuse:/dev/myfuse:r'], script);
    expect(out).toContain('/dev/mynull 1:3 character special file\n/dev/myfuse a:e5 character special file\n');
    expect(out).toContain('null-written\nfuse-read\n');
    expect(out).toMatch(/Operation not permitted\nfuse-write-refused\n$/);
    // Not mapped: mknod is allowed (runc's default "c *:* m"), opening is not.
    const refused = await failing('run', '--rm', image, 'sh', '-c', 'mknod /tmp/fuse c 10 229 && echo made; : < /tmp/fuse');
    expect(refused).toMatchObject({ code: 1, stdout: 'made\n' });
    expect(refused.stderr).toContain("can't open /tmp/fuse: Operation not permitted");
  });

  (v1('devices') ? test : test.skip)('--device DIR maps every device node under it (skipped where the host has no v1 devices controller)', async () => {
    const dir = fs.mkdtempSync(path.join(work, 'devdir-'));
    fs.mkdirSync(path.join(dir, 'sub'));
    execFileSync('mknod', [path.join(dir, 'n'), 'c', '1', '3']);
    execFileSync('mknod', [path.join(dir, 'sub', 'f'), 'c', '10', '229']);
    const out = await run(['--device', `${dir}:/dev/mine:rw`], 'stat -c "%n %t:%T" /dev/mine/n /dev/mine/sub/f; echo x > /dev/mine/n && : < /dev/mine/sub/f && echo opened');
    expect(out).toBe('/dev/mine/n 1:3\n/dev/mine/sub/f a:e5\nopened\n');
  });

  test('create: the flags reach tsrund as ProcessOverrides and its config', async () => {
    const id = `rf-${process.pid}-create`;
    await tsctl('create', '--name', id, '-m', '32m', '--memory-swap', '64m', '--cpus', '0.5', '--ulimit', 'nproc=100', '--device', '/dev/null:/dev/n2:r', '--shm-size', '1m', image, 'true');
    try {
      const c = await f.c().getContainer(id);
      expect(c.overrides).toMatchObject({
        resources: { memoryLimit: 32 * MiB, memorySwap: 64 * MiB, cpuQuota: 50000, cpuPeriod: 100000 },
        ulimits: [{ name: 'nproc', soft: 100, hard: 100 }],
        devices: [{ hostPath: '/dev/null', containerPath: '/dev/n2', permissions: 'r' }],
        shmSize: MiB,
      });
      const spec = JSON.parse(c.specJson) as Spec;
      expect(spec.linux!.resources).toMatchObject({ memory: { limit: 32 * MiB, swap: 64 * MiB }, cpu: { quota: 50000, period: 100000 } });
      expect(spec.process!.rlimits).toContainEqual({ type: 'RLIMIT_NPROC', soft: 100, hard: 100 });
      expect(spec.linux!.devices).toContainEqual(expect.objectContaining({ path: '/dev/n2', type: 'c', major: 1, minor: 3 }));
      expect(spec.mounts!.find((m) => m.destination === '/dev/shm')!.options).toContain(`size=${MiB}`);
    } finally {
      await tsctl('rm', id);
    }
  });

  test.each([
    [['-m', '16m', '--memory-swap', '15m'], 'tsctl: overrides.resources.memory_swap: Minimum memoryswap limit should be larger than memory limit'],
    [['--memory-swap', '64m'], 'tsctl: overrides.resources.memory_swap: You should always set the Memory limit when using Memoryswap limit'],
    [['-m', '4m'], 'tsctl: overrides.resources.memory_limit: 4194304 bytes: Minimum memory limit allowed is 6MB'],
    [['--cpuset-cpus', '64'], `tsctl: overrides.resources.cpuset_cpus: Requested CPUs are not available - requested 64, available: `],
    [['--cpus', '0.005'], 'tsctl: overrides.resources.cpu_quota: 500: CPU cfs quota can not be less than 1ms'],
    [['--device', '/no/such:/dev/x'], 'tsctl: overrides.devices[0].host_path: error gathering device information while adding custom device "/no/such": no such file or directory'],
    [['--device', '/etc/hostname'], 'not a device node'],
    [['-m', 'lots'], `tsctl: invalid argument "lots" for "-m, --memory" flag: invalid size: 'lots'`],
    [['--ulimit', 'files=1'], 'tsctl: invalid argument "files=1" for "--ulimit" flag: invalid ulimit type: files'],
    [['--device', '/dev/null:/dev/x:rwq'], 'tsctl: invalid argument "/dev/null:/dev/x:rwq" for "--device" flag: bad mode specified: rwq'],
  ])('%j is refused in one line naming the field or flag; nothing is left behind', async (flagArgs, message) => {
    const r = await failing('run', '--rm', '--name', `rf-${process.pid}-bad`, ...flagArgs, image, 'true');
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(await leftovers()).toEqual([]);
  });
});
