/**
 * The cgroup managers on this host's real cgroups (run as root). Every cgroup is named
 * "tsrun-test-..." and removed after each test; every process is one the test started.
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { defaultSpec } from '../../spec/default-config';
import type { LinuxResources } from '../../spec/types';
import { deviceFilterCount } from '../../test/helpers/test-native';
import { cgroupManagerFor, createCgroups, detectCgroupHost, loadCgroupManager, type CgroupHost, type CgroupManager } from './index';
import { HybridCgroupManager } from './hybrid';
import { CgroupV1Manager } from './v1';
import { CgroupV2Manager } from './v2';

const host = detectCgroupHost();
const v1Hierarchies = host.hierarchies.filter((h) => h.version === 1);
const unified = host.hierarchies.find((h) => h.version === 2);
const byController = (c: string) => host.hierarchies.find((h) => h.controllers.includes(c));

let serial = 0;
const unique = (tag: string) => `tsrun-test-${tag}-${process.pid}-${++serial}`;

const managers: CgroupManager[] = [];
const sweep: string[] = [];
const children: ChildProcess[] = [];
const orphans: number[] = [];

/** Remember every directory below a mountpoint whose name says it is a test's, for the cleanup. */
function track(m: CgroupManager): CgroupManager {
  managers.push(m);
  for (const h of m.toJSON().hierarchies) {
    for (let d = h.dir; d !== h.mountpoint; d = path.dirname(d)) if (path.basename(d).startsWith('tsrun-test-')) sweep.push(d);
  }
  return m;
}

function dirsOf(m: CgroupManager): string[] {
  return m.toJSON().hierarchies.map((h) => h.dir);
}

function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), 'utf8').trim();
}

function startSleep(): ChildProcess {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

/** What the plan's parent steps do with init's pid. */
function join(m: CgroupManager, pid: number): void {
  for (const file of m.placement().procsFiles) fs.writeFileSync(file, String(pid));
}

function exited(child: ChildProcess): Promise<string | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
}

/** Run `script` in sh once it is in `m`'s cgroups (or where it started, with null); what it printed. */
async function runIn(m: CgroupManager | null, script: string): Promise<{ stdout: string; stderr: string }> {
  const child = spawn('sh', ['-c', `read go; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise((resolve) => child.once('close', resolve));
  if (m) join(m, child.pid!);
  child.stdin!.end('go\n');
  await closed;
  return { stdout, stderr };
}

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
  }
  for (const pid of orphans.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      continue; // already gone
    }
    for (let waited = 0; fs.existsSync(`/proc/${pid}`) && waited < 2000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  }
  for (const m of managers.splice(0)) {
    try {
      await m.destroy();
    } catch {
      // the sweep below reports nothing; leakcheck would
    }
  }
  for (const d of sweep.splice(0).sort((a, b) => b.length - a.length)) {
    try {
      fs.rmdirSync(d);
    } catch {
      // gone already, or left for the leak check to show
    }
  }
});

const resources: LinuxResources = {
  memory: { limit: 268435456, reservation: 134217728, swap: 536870912, swappiness: 10 },
  cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
  pids: { limit: 64 },
};

describe('on this host', () => {
  test('its layout is the one the manager is built for', () => {
    const m = cgroupManagerFor(host, 'x');
    const expected = { v1: CgroupV1Manager, v2: CgroupV2Manager, hybrid: HybridCgroupManager }[host.layout];
    expect(m).toBeInstanceOf(expected);
  });

  test('a relative path goes beneath our own cgroup in each hierarchy, and resources read back', async () => {
    const name = unique('rel');
    const m = track(createCgroups(name, name, resources, { host }));
    for (const h of host.hierarchies) {
      const dir = path.join(h.mountpoint, path.relative(h.root, h.ownCgroup!), name);
      expect(dirsOf(m)).toContain(dir);
      expect(fs.statSync(dir).isDirectory()).toBe(true);
    }
    const dir = (c: string) => path.join(byController(c)!.mountpoint, path.relative('/', byController(c)!.ownCgroup!), name);
    expect(read(dir('memory'), 'memory.limit_in_bytes')).toBe('268435456');
    expect(read(dir('memory'), 'memory.soft_limit_in_bytes')).toBe('134217728');
    expect(read(dir('memory'), 'memory.memsw.limit_in_bytes')).toBe('536870912');
    expect(read(dir('memory'), 'memory.swappiness')).toBe('10');
    expect(read(dir('pids'), 'pids.max')).toBe('64');
    expect(read(dir('cpu'), 'cpu.shares')).toBe('512');
    expect(read(dir('cpu'), 'cpu.cfs_period_us')).toBe('100000');
    expect(read(dir('cpu'), 'cpu.cfs_quota_us')).toBe('50000');
    expect(read(dir('cpuset'), 'cpuset.cpus')).toBe('0');
    expect(read(dir('cpuset'), 'cpuset.mems')).toBe('0');
    await m.destroy();
    for (const d of dirsOf(m)) expect(fs.existsSync(d)).toBe(false);
  });

  test('an absolute path goes from the top of each hierarchy, whatever our own cgroup', async () => {
    const name = unique('abs');
    const m = track(createCgroups(name, `/${name}`, { pids: { limit: 5 } }, { host }));
    expect(dirsOf(m)).toEqual(host.hierarchies.map((h) => path.join(h.mountpoint, name)));
    expect(read(path.join(byController('pids')!.mountpoint, name), 'pids.max')).toBe('5');
    await m.destroy();
    for (const d of dirsOf(m)) expect(fs.existsSync(d)).toBe(false);
  });

  test('without linux.cgroupsPath the container id is the relative path', () => {
    const id = unique('default');
    const m = track(createCgroups(id, undefined, undefined, { host }));
    const memory = byController('memory')!;
    expect(dirsOf(m)).toContain(path.join(memory.mountpoint, memory.ownCgroup!, id));
  });

  test('placement names each procs file and the path as the mount shows it', () => {
    const name = unique('placement');
    const m = track(createCgroups(name, name, undefined, { host }));
    const placement = m.placement();
    expect(placement.procsFiles).toEqual(
      host.hierarchies.map((h) => path.join(h.mountpoint, path.relative(h.root, h.ownCgroup!), name, 'cgroup.procs')),
    );
    expect(placement.hierarchies).toEqual(
      host.hierarchies.map((h) => ({
        version: h.version,
        mountpoint: h.mountpoint,
        controllers: h.controllers.join(','),
        path: path.join('/', path.relative(h.root, h.ownCgroup!), name),
      })),
    );
    for (const file of placement.procsFiles) expect(fs.existsSync(file)).toBe(true);
  });

  test('a process written to the procs files is in the container cgroup of every hierarchy; killAll kills it; destroy leaves nothing', async () => {
    const name = unique('member');
    const m = track(createCgroups(name, name, { pids: { limit: 10 } }, { host }));
    const child = startSleep();
    join(m, child.pid!);

    const lines = fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8');
    for (const h of host.hierarchies) {
      const prefix = h.version === 2 ? '0:' : `\\d+:${h.controllers.join(',')}`;
      expect(lines).toMatch(new RegExp(`^${prefix}:${path.join(h.ownCgroup!, name)}$`, 'm'));
    }
    expect(m.isMember(child.pid!)).toBe(true);
    expect(m.isMember(process.pid)).toBe(false);
    expect(m.pids()).toEqual([child.pid]);

    // A process the caller does not count as the container's is never signalled; killAll answers
    // with what its last look found, signalled or not.
    expect(m.killAll(9, (pid) => pid !== child.pid)).toEqual([child.pid]);
    expect(child.exitCode === null && child.signalCode === null && m.pids().includes(child.pid!)).toBe(true);
    expect(m.killAll(9, (pid) => pid === child.pid)).toEqual([child.pid]);
    expect(await exited(child)).toBe('SIGKILL');
    expect(m.killAll(9, () => true)).toEqual([]);
    await m.destroy();
    for (const d of dirsOf(m)) expect(fs.existsSync(d)).toBe(false);
  });

  test('destroy waits for signalled processes that are not ours to reap to leave the cgroup', async () => {
    const name = unique('orphan');
    const m = track(createCgroups(name, name, undefined, { host }));
    // sh exits at once: node is re-parented and reaped by someone else, as a container's process
    // is. It takes 300 ms to exit after SIGTERM, so destroy() finds the cgroup busy at first.
    const script = "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300)); setInterval(() => {}, 1000); console.log('ready')";
    const sh = spawn('sh', ['-c', `${process.execPath} -e "${script}" & echo $!`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    await new Promise<void>((resolve) =>
      sh.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      }),
    );
    const pid = Number(out.split('\n')[0]);
    orphans.push(pid);
    join(m, pid);
    expect(m.pids()).toEqual([pid]);

    const started = Date.now();
    m.killAll('SIGTERM', () => true);
    await m.destroy();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    for (const d of dirsOf(m)) expect(fs.existsSync(d)).toBe(false);
    sh.stdout!.destroy();
  });

  test('cgroups the container made beneath its own are removed with it', async () => {
    const name = unique('nested');
    const m = track(createCgroups(name, name, undefined, { host }));
    for (const d of dirsOf(m)) fs.mkdirSync(path.join(d, 'inner', 'deeper'), { recursive: true });
    await m.destroy();
    for (const d of dirsOf(m)) expect(fs.existsSync(d)).toBe(false);
  });

  test('only directories create() made are removed; a parent another container shares is left alone', async () => {
    const parent = unique('shared');
    const a = track(createCgroups('a', `${parent}/a`, undefined, { host }));
    const b = track(createCgroups('b', `${parent}/b`, undefined, { host }));
    const parentDirs = dirsOf(a).map((d) => path.dirname(d));
    expect(a.toJSON().hierarchies.every((h) => h.created.length === 2)).toBe(true);
    expect(b.toJSON().hierarchies.map((h) => h.created)).toEqual(dirsOf(b).map((d) => [d]));

    await a.destroy();
    for (const d of dirsOf(a)) expect(fs.existsSync(d)).toBe(false);
    for (const d of [...parentDirs, ...dirsOf(b)]) expect(fs.existsSync(d)).toBe(true);

    await b.destroy();
    for (const d of dirsOf(b)) expect(fs.existsSync(d)).toBe(false);
    // b did not make the parent, so b leaves it; the test's cleanup removes it.
    for (const d of parentDirs) expect(fs.existsSync(d)).toBe(true);
  });

  test('a failure midway removes every directory create() made, and only those', () => {
    const parent = unique('undo');
    track(createCgroups('p', `${parent}/keep`, undefined, { host }));
    const name = `${parent}/fresh/leaf`;
    const m = track(cgroupManagerFor(host, 'x', name));
    // cpuset.cpus is written after the memory and pids limits: the directories exist by then.
    // The kernel refuses a cpu beyond the host's (ERANGE here; EINVAL on older kernels).
    expect(() => m.create({ pids: { limit: 10 }, memory: { limit: 268435456 }, cpu: { cpus: '63' } })).toThrow(
      new RegExp(
        `^linux\\.resources\\.cpu\\.cpus: write "63" to /sys/fs/cgroup/cpuset/${parent}/fresh/leaf/cpuset\\.cpus: E(RANGE|INVAL)$`,
      ),
    );
    for (const d of dirsOf(m)) {
      expect(fs.existsSync(d)).toBe(false);
      expect(fs.existsSync(path.dirname(d))).toBe(false);
      expect(fs.existsSync(path.join(path.dirname(path.dirname(d)), 'keep'))).toBe(true);
    }
    expect(m.toJSON().hierarchies.every((h) => h.created.length === 0)).toBe(true);
  });

  test('a controller the host lacks is an error naming the field, and nothing is made', () => {
    const withoutPids: CgroupHost = { ...host, hierarchies: host.hierarchies.filter((h) => !h.controllers.includes('pids')) };
    const name = unique('nopids');
    const m = track(cgroupManagerFor(withoutPids, name, name));
    expect(() => m.create({ pids: { limit: 10 } })).toThrow(
      'linux.resources.pids.limit: the pids controller is not available on this host',
    );
    for (const d of dirsOf(m)) expect(fs.existsSync(d)).toBe(false);
  });

  test('the record in the state file rebuilds a manager that removes exactly the same directories', async () => {
    const name = unique('state');
    const m = track(createCgroups(name, `${name}/c`, { pids: { limit: 3 } }, { host }));
    const loaded = loadCgroupManager(JSON.parse(JSON.stringify(m.toJSON())));
    expect(loaded.layout).toBe(host.layout);
    expect(loaded.placement()).toEqual(m.placement());
    const child = startSleep();
    join(m, child.pid!);
    expect(loaded.pids()).toEqual([child.pid]);
    expect(loaded.isMember(child.pid!)).toBe(true);
    loaded.killAll('SIGKILL', () => true);
    expect(await exited(child)).toBe('SIGKILL');
    await loaded.destroy();
    for (const d of dirsOf(m)) {
      expect(fs.existsSync(d)).toBe(false);
      expect(fs.existsSync(path.dirname(d))).toBe(false);
    }
  });
});

describe('device access on this host', () => {
  const devices = byController('devices');
  const hasV1Devices = devices?.version === 1;
  const devicesDir = (name: string) => path.join(devices!.mountpoint, path.relative(devices!.root, devices!.ownCgroup!), name);
  /** runc's default allowed devices, as runc 1.1.5 leaves them in devices.list on this host. */
  const runcDefaults = [
    'b *:* m',
    'c *:* m',
    'c 1:3 rwm',
    'c 1:5 rwm',
    'c 1:7 rwm',
    'c 1:8 rwm',
    'c 1:9 rwm',
    'c 5:0 rwm',
    'c 5:2 rwm',
    'c 10:200 rwm',
    'c 136:* rwm',
  ];
  const listed = (name: string) => read(devicesDir(name), 'devices.list').split('\n').sort();

  (hasV1Devices ? test : test.skip)("the default spec's deny-all leaves runc's default devices in devices.list, and nothing more", () => {
    const name = unique('devices');
    track(createCgroups(name, name, defaultSpec().linux.resources, { host }));
    expect(listed(name)).toEqual([...runcDefaults].sort());
  });

  const canTry = hasV1Devices && fs.existsSync('/dev/loop-control') && fs.existsSync('/dev/kmsg');
  (canTry ? test : test.skip)(
    'a process in the cgroup gets EPERM opening a device the rules leave out, and uses the ones they allow',
    async () => {
      const script = 'true </dev/loop-control && echo loop-control opened; echo x >/dev/null && echo null written';
      // Outside the cgroup root opens /dev/loop-control (10:237): an EPERM below comes from the rules.
      expect((await runIn(null, script)).stdout).toBe('loop-control opened\nnull written\n');

      const name = unique('devices-open');
      const m = track(createCgroups(name, name, defaultSpec().linux.resources, { host }));
      const inside = await runIn(m, script);
      expect(inside.stdout).toBe('null written\n');
      expect(inside.stderr).toMatch(/cannot open \/dev\/loop-control: Operation not permitted/);
    },
  );

  (canTry ? test : test.skip)('a config rule reaches the kernel with its access: /dev/kmsg allowed for reading only', async () => {
    const name = unique('devices-kmsg');
    const m = track(
      createCgroups(
        name,
        name,
        {
          devices: [
            { allow: false, access: 'rwm' },
            { allow: true, type: 'c', major: 1, minor: 11, access: 'r' },
          ],
        },
        { host },
      ),
    );
    expect(listed(name)).toEqual([...runcDefaults, 'c 1:11 r'].sort());
    // Opening for writing writes nothing to the kernel log.
    const { stdout, stderr } = await runIn(m, 'true </dev/kmsg && echo kmsg read; true >/dev/kmsg && echo kmsg write');
    expect(stdout).toBe('kmsg read\n');
    expect(stderr).toMatch(/cannot create \/dev\/kmsg: Operation not permitted/);
  });

  test('an invalid rule is an error naming it, and nothing is made', () => {
    const name = unique('devices-bad');
    const m = track(cgroupManagerFor(host, name, name));
    const bad: LinuxResources = {
      devices: [
        { allow: false, access: 'rwm' },
        { allow: true, type: 'c', major: 1, access: 'rwm' },
        { allow: true, type: 'c', major: 1, minor: 3, access: 'rx' },
      ],
    };
    expect(() => m.create(bad)).toThrow(/^linux\.resources\.devices\[2\]\.access: must be a combination of r, w, m, got "rx"$/);
    for (const d of dirsOf(m)) expect(fs.existsSync(d)).toBe(false);
  });
});

describe('the v1 manager on this host', () => {
  const v1Host: CgroupHost = { layout: 'v1', hierarchies: v1Hierarchies };
  (v1Hierarchies.length > 0 ? test : test.skip)('joins only the v1 hierarchies and copies cpuset values into new cpuset cgroups', async () => {
    const name = unique('v1');
    const m = track(createCgroups(name, `${name}/inner`, { pids: { limit: 7 } }, { host: v1Host }));
    expect(m).toBeInstanceOf(CgroupV1Manager);
    expect(m.placement().hierarchies.every((h) => h.version === 1)).toBe(true);
    const cpuset = byController('cpuset');
    if (cpuset) {
      const top = path.join(cpuset.mountpoint, path.relative(cpuset.root, cpuset.ownCgroup!));
      for (const d of [path.join(top, name), path.join(top, name, 'inner')]) {
        expect(read(d, 'cpuset.cpus')).toBe(read(top, 'cpuset.cpus'));
        expect(read(d, 'cpuset.mems')).toBe(read(top, 'cpuset.mems'));
      }
    }
    await m.destroy();
    for (const d of dirsOf(m)) expect(fs.existsSync(path.dirname(d))).toBe(false);
  });
});

describe('the v2 manager', () => {
  const unifiedOnly: CgroupHost | null = unified ? { layout: 'v2', hierarchies: [unified] } : null;
  const available = unified ? read(unified.mountpoint, 'cgroup.controllers').split(/\s+/).filter(Boolean) : [];

  (unifiedOnly ? test : test.skip)('on the unified hierarchy alone: a member process, and controllers it lacks are named', async () => {
    const name = unique('v2');
    const m = track(createCgroups(name, `/${name}`, undefined, { host: unifiedOnly! }));
    expect(m).toBeInstanceOf(CgroupV2Manager);
    expect(dirsOf(m)).toEqual([path.join(unified!.mountpoint, name)]);
    const child = startSleep();
    join(m, child.pid!);
    expect(fs.readFileSync(`/proc/${child.pid}/cgroup`, 'utf8')).toMatch(new RegExp(`^0::/${name}$`, 'm'));
    expect(m.isMember(child.pid!)).toBe(true);
    child.kill('SIGKILL');
    await exited(child);
    await m.destroy();
    expect(fs.existsSync(dirsOf(m)[0])).toBe(false);

    if (!available.includes('memory')) {
      const other = track(cgroupManagerFor(unifiedOnly!, 'x', `/${unique('v2-nomem')}`));
      expect(() => other.create({ memory: { limit: 1 << 24 } })).toThrow(
        'linux.resources.memory.limit: the memory controller is not available on this host',
      );
      expect(fs.existsSync(dirsOf(other)[0])).toBe(false);
    }
  });

  (unifiedOnly ? test : test.skip)(
    'device rules become an eBPF filter on the v2 cgroup: a denied node gives EPERM, an allowed one opens',
    async () => {
      const nodes = fs.mkdtempSync('/tmp/tsrun-devnodes-');
      try {
        // c 1:3 behaves as /dev/null; c 240:0 is an unassigned major: open gives ENXIO when allowed.
        execFileSync('mknod', ['-m', '666', path.join(nodes, 'null'), 'c', '1', '3']);
        execFileSync('mknod', ['-m', '666', path.join(nodes, 'unassigned'), 'c', '240', '0']);
        const script = `cat ${nodes}/null && echo null-opened; cat ${nodes}/unassigned; echo unassigned-status=$?`;
        const without = await runIn(null, script);
        expect(without.stderr).toMatch(/No such device or address/);

        const notes: string[] = [];
        const name = unique('v2-devices');
        const m = track(createCgroups(name, `/${name}`, defaultSpec().linux.resources, { host: unifiedOnly!, onNotEnforced: (n) => notes.push(n) }));
        expect(notes).toEqual([]);
        expect(deviceFilterCount(dirsOf(m)[0])).toBe(1);
        const inside = await runIn(m, script);
        expect(inside.stdout).toContain('null-opened');
        expect(inside.stdout).toContain('unassigned-status=1');
        expect(inside.stderr).toMatch(/unassigned: Operation not permitted/);

        // Allow everything, then deny the one node: the opposite default, the same verdicts.
        const denying = track(cgroupManagerFor(unifiedOnly!, 'x', `/${unique('v2-deny')}`));
        denying.create({ devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 240, minor: 0, access: 'rwm' }] });
        const denied = await runIn(denying, script);
        expect(denied.stdout).toContain('null-opened');
        expect(denied.stderr).toMatch(/unassigned: Operation not permitted/);
      } finally {
        fs.rmSync(nodes, { recursive: true, force: true });
      }
    },
  );

  // Enabling controllers in ancestors' cgroup.subtree_control and writing memory.max, cpu.weight,
  // cpu.max and pids.max needs a host whose unified hierarchy offers those controllers. Here it
  // offers only what v1 does not bind (hugetlb), and enabling one would change the top cgroup's
  // subtree_control, which this test did not create.
  const canApplyV2 = host.layout === 'v2' && ['memory', 'pids', 'cpu'].every((c) => available.includes(c));
  (canApplyV2 ? test : test.skip)(
    'v2 resources (needs a v2-only host whose top cgroup offers memory, pids and cpu; this one is ' + host.layout + ')',
    async () => {
      const name = unique('v2res');
      const m = track(
        createCgroups(
          name,
          `/${name}/c`,
          { memory: { limit: 268435456, swap: 536870912 }, pids: { limit: 9 }, cpu: { shares: 1024, quota: 20000, period: 100000 } },
          { host },
        ),
      );
      const dir = dirsOf(m)[0];
      const enabled = read(path.dirname(dir), 'cgroup.subtree_control').split(' ');
      expect(enabled).toEqual(expect.arrayContaining(['memory', 'pids', 'cpu']));
      expect(read(dir, 'memory.max')).toBe('268435456');
      expect(read(dir, 'memory.swap.max')).toBe('268435456');
      expect(read(dir, 'pids.max')).toBe('9');
      expect(read(dir, 'cpu.weight')).toBe('100');
      expect(read(dir, 'cpu.max')).toBe('20000 100000');
      await m.destroy();
      expect(fs.existsSync(path.dirname(dir))).toBe(false);
    },
  );
});

describe('loadCgroupManager', () => {
  const good = {
    layout: 'v1',
    hierarchies: [
      {
        version: 1,
        mountpoint: '/sys/fs/cgroup/pids',
        root: '/',
        controllers: ['pids'],
        dir: '/sys/fs/cgroup/pids/a/b',
        created: ['/sys/fs/cgroup/pids/a', '/sys/fs/cgroup/pids/a/b'],
      },
    ],
  };
  const withHierarchy = (patch: object) => ({ ...good, hierarchies: [{ ...good.hierarchies[0], ...patch }] });

  test('accepts what toJSON wrote', () => {
    expect(loadCgroupManager(good).toJSON()).toEqual(good);
  });

  test.each([
    [
      'a directory outside the container path',
      withHierarchy({ created: ['/etc'] }),
      'created names "/etc", which is not /sys/fs/cgroup/pids/a/b or one of its parents',
    ],
    ['the mountpoint itself', withHierarchy({ created: ['/sys/fs/cgroup/pids'] }), 'created names "/sys/fs/cgroup/pids"'],
    ['a dir that climbs out', withHierarchy({ dir: '/sys/fs/cgroup/pids/../../../etc' }), 'not a clean absolute path'],
    ['a dir above its mountpoint', withHierarchy({ dir: '/sys/fs/cgroup' }), 'is not below /sys/fs/cgroup/pids'],
    ['a layout that does not fit', { ...good, layout: 'hybrid' }, 'does not fit layout hybrid (1 v1 and 0 v2 hierarchies)'],
    ['nothing', null, 'is not an object'],
  ])('rejects %s', (_what, record, message) => {
    expect(() => loadCgroupManager(record)).toThrow(message);
  });
});
