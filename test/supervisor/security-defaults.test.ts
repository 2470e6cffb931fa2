/**
 * Docker's defaults in image containers, seen from inside through a real tsrund: the 14
 * capabilities, the default seccomp profile, the masked and read-only paths, TERM with a
 * terminal, HOME from the image's passwd; chown, su and ping working as under docker; and the
 * run flags that change them (privileged, cap_add, cap_drop, seccomp_profile,
 * no_new_privileges). Also: everyday busybox programs behave the same under the default profile
 * as without one. Nothing here needs a network but the container's own loopback.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ProcessOverrides } from '../../supervisor/api/types';
import { GrpcStatus } from '../../supervisor/client/client';
import { CAPABILITIES } from '../../runtime/plan/linux';
import { DOCKER_CAPABILITIES, DOCKER_MASKED_PATHS } from '../../supervisor/containers/docker-defaults';
import { boundingCapabilities } from '../../supervisor/containers/host-capabilities';
import { makeBundle } from '../helpers/bundle';
import { failure, TSCTL, TestDaemon } from './daemon';
import { buildArchive, busyboxLayer } from './image-archive';
import { dir, file, tarOf } from './snapshots-helpers';

jest.setTimeout(120_000);

const daemon = new TestDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-secdefaults-'));
const c = () => daemon.client;
const IMAGE = 'localhost/tsrun-test/secdefaults:1';

beforeAll(async () => {
  await daemon.start();
  const users = await tarOf([
    file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345:app:/home/app:/bin/sh\n'),
    file('etc/group', 'root:x:0:\napp:x:2345:\n'),
    dir('home/app', { uid: 1234, gid: 2345, mode: 0o700 }),
    dir('mnt', { uid: 0, gid: 0, mode: 0o755 }),
    file('www/index.html', 'served from the loopback\n'),
  ]);
  await c().importImages(buildArchive(work, IMAGE, [{ tar: busyboxLayer() }, { tar: users }], { config: { Cmd: ['sh'], Env: ['PATH=/bin'] } }));
});
afterAll(async () => {
  await daemon.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

let seq = 0;
/** Run `script` in a new container of the image; its exit status and output (stdout and stderr). */
async function run(script: string, o: Partial<ProcessOverrides> = {}): Promise<{ status: number; out: string; spec: any }> {
  const id = `sec-${++seq}`;
  const created = await c().createContainer({ id, image: IMAGE, overrides: { ...o, args: ['sh', '-c', `exec 2>&1; ${script}`] } });
  try {
    await c().createTask(id);
    await c().startTask(id);
    const exit = await c().wait(id);
    let out = '';
    for await (const e of c().logs(id)) out += e.text + (e.partial ? '' : '\n');
    await c().deleteTask(id);
    return { status: exit.exitStatus, out, spec: JSON.parse(created.specJson) };
  } finally {
    await c().deleteTask(id, { force: true }).catch(() => undefined);
    await c().deleteContainer(id);
  }
}

const mask = (caps: readonly string[]) => caps.reduce((m, cap) => m | (1n << BigInt(CAPABILITIES[cap])), 0n);
/** The capability sets of /proc/self/status, as numbers. */
function capSets(out: string): Record<string, bigint> {
  return Object.fromEntries([...out.matchAll(/^(Cap\w+):\s+([0-9a-f]+)$/gm)].map(([, k, v]) => [k, BigInt(`0x${v}`)]));
}
const statusField = (out: string, name: string) => new RegExp(`^${name}:\\s+(\\S+)$`, 'm').exec(out)?.[1];

describe('a default container', () => {
  test("has docker's 14 capabilities in bounding, effective and permitted, none inheritable or ambient, and no no_new_privs", async () => {
    const r = await run('cat /proc/self/status');
    expect(r.status).toBe(0);
    const want = mask(DOCKER_CAPABILITIES);
    expect(capSets(r.out)).toEqual({ CapInh: 0n, CapPrm: want, CapEff: want, CapBnd: want, CapAmb: 0n });
    expect(statusField(r.out, 'NoNewPrivs')).toBe('0');
    expect(statusField(r.out, 'Seccomp')).toBe('2');
    expect(r.spec.process.capabilities).toEqual({ bounding: DOCKER_CAPABILITIES, effective: DOCKER_CAPABILITIES, permitted: DOCKER_CAPABILITIES });
    expect(r.spec.linux.seccomp.defaultAction).toBe('SCMP_ACT_ERRNO');
  });

  test('a non-root user keeps the bounding set only, and gets HOME from the passwd', async () => {
    const r = await run('echo HOME=$HOME; cat /proc/self/status', { user: 'app' });
    expect(r.status).toBe(0);
    expect(r.out).toContain('HOME=/home/app\n');
    expect(capSets(r.out)).toEqual({ CapInh: 0n, CapPrm: 0n, CapEff: 0n, CapBnd: mask(DOCKER_CAPABILITIES), CapAmb: 0n });
  });

  test('chown, su to another user and ping of its loopback work as under docker', async () => {
    const r = await run(
      [
        'touch /tmp/f && chown 1234:2345 /tmp/f && stat -c owner=%u:%g /tmp/f',
        "su -s /bin/sh -c 'echo su=$(id -u):$(id -g)' app",
        'ping -c1 -W5 127.0.0.1 >/dev/null && echo ping=ok',
      ].join('; '),
    );
    expect(r.out).toBe('owner=1234:2345\nsu=1234:2345\nping=ok\n');
    expect(r.status).toBe(0);
  });

  test('calls outside the default profile fail with EPERM: unshare, mount', async () => {
    const r = await run('unshare -U true; echo unshare=$?; mount -t tmpfs none /mnt; echo mount=$?');
    expect(r.out).toMatch(/unshare: unshare\(0x10000000\): Operation not permitted\nunshare=1\n/);
    expect(r.out).toMatch(/mount: permission denied \(are you root\?\)\nmount=1\n/);
  });

  test('masked paths read empty, read-only paths refuse writes', async () => {
    const r = await run('echo keys=$(wc -c < /proc/keys) interrupts=$(wc -c < /proc/interrupts); ls /sys/firmware | wc -l; echo 1 > /proc/sys/vm/drop_caches; echo write=$?');
    expect(r.out).toContain('keys=0 interrupts=0\n0\n');
    expect(r.out).toMatch(/Read-only file system\nwrite=1\n/);
    expect(r.spec.linux.maskedPaths).toEqual(DOCKER_MASKED_PATHS);
  });

  test('TERM=xterm with a terminal, none without', async () => {
    expect((await run('echo TERM=$TERM', { terminal: true })).out).toMatch(/^TERM=xterm\r?\n$/);
    expect((await run('echo TERM=$TERM')).out).toBe('TERM=\n');
  });
});

describe('the security flags', () => {
  test('privileged: every capability, no seccomp, nothing masked or read-only; unshare and mount work', async () => {
    // Every capability tsrund has (this machine may run it with fewer than the kernel knows).
    const all = boundingCapabilities(fs.readFileSync('/proc/self/status', 'utf8'));
    const r = await run(
      'cat /proc/self/status; unshare -U true && echo unshare=ok; mount -t tmpfs none /mnt && echo mount=ok; echo interrupts=$(head -c 4 /proc/interrupts | wc -c); grep -c " /proc/sys " /proc/self/mountinfo',
      { privileged: true },
    );
    expect(capSets(r.out)).toMatchObject({ CapEff: mask(all), CapBnd: mask(all) });
    expect(statusField(r.out, 'Seccomp')).toBe('0');
    expect(r.out).toContain('unshare=ok\nmount=ok\ninterrupts=4\n0\n');
    expect(r.spec.linux.seccomp).toBeUndefined();
  });

  test('cap_drop CHOWN makes chown fail; cap_add SYS_ADMIN lets mount (and its system call) through', async () => {
    const dropped = await run('touch /tmp/f; chown 1234 /tmp/f; echo chown=$?', { capDrop: ['CHOWN'] });
    expect(dropped.out).toMatch(/Operation not permitted\nchown=1\n/);
    expect(capSets((await run('cat /proc/self/status', { capDrop: ['chown'] })).out).CapEff).toBe(mask(DOCKER_CAPABILITIES.filter((x) => x !== 'CAP_CHOWN')));
    const added = await run('mount -t tmpfs none /mnt && echo mount=ok', { capAdd: ['CAP_SYS_ADMIN'] });
    expect(added.out).toBe('mount=ok\n');
    const only = await run('cat /proc/self/status', { capDrop: ['ALL'], capAdd: ['NET_RAW'] });
    expect(capSets(only.out).CapBnd).toBe(mask(['CAP_NET_RAW']));
  });

  test('no_new_privileges shows in NoNewPrivs', async () => {
    expect(statusField((await run('cat /proc/self/status', { noNewPrivileges: true })).out, 'NoNewPrivs')).toBe('1');
  });

  test('seccomp_profile: "unconfined" loads none; a profile of JSON text is the one in force', async () => {
    const unconfined = await run('cat /proc/self/status; unshare -U true && echo unshare=ok', { seccompProfile: 'unconfined' });
    expect(statusField(unconfined.out, 'Seccomp')).toBe('0');
    expect(unconfined.out).toContain('unshare=ok\n');
    const profile = JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] });
    const custom = await run('mkdir /tmp/d; echo mkdir=$?', { seccompProfile: profile });
    expect(custom.out).toMatch(/Permission denied\nmkdir=1\n/);
  });

  test('profiles taken in turns: each container has its own profile in force (tsrund keeps the compiled filters)', async () => {
    const deny = (...names: string[]) => JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names, action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] });
    const script = 'mkdir /tmp/d && echo mkdir=ok; chmod 700 /tmp && echo chmod=ok; unshare -U true 2>/dev/null && echo unshare=ok';
    const turns: [Partial<ProcessOverrides>, string][] = [
      [{ seccompProfile: deny('mkdir', 'mkdirat') }, 'chmod=ok\nunshare=ok\n'],
      [{ seccompProfile: deny('chmod', 'fchmodat', 'fchmodat2') }, 'mkdir=ok\nunshare=ok\n'],
      // The default profile, an allow-list: no unshare without CAP_SYS_ADMIN.
      [{}, 'mkdir=ok\nchmod=ok\n'],
    ];
    for (const [overrides, want] of [...turns, ...turns]) {
      const r = await run(script, overrides);
      expect(r.out.split('\n').filter((l) => l.endsWith('=ok')).join('\n') + '\n').toBe(want);
    }
  });

  test.each([
    [{ capAdd: ['CHOWN', 'CAP_FOO'] }, 'overrides.cap_add[1]: unknown capability CAP_FOO'],
    [{ capDrop: ['bogus'] }, 'overrides.cap_drop[0]: unknown capability CAP_BOGUS'],
    [{ seccompProfile: '{"defaultAction":' }, 'overrides.seccomp_profile: not valid JSON'],
    [{ seccompProfile: '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_NOPE"}]}' }, 'overrides.seccomp_profile: syscalls[0].action'],
  ])('%j is INVALID_ARGUMENT naming the field, and creates nothing', async (o, message) => {
    const r = await failure(c().createContainer({ id: 'sec-bad', image: IMAGE, overrides: o }));
    expect(r?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(r?.details).toContain(message);
    expect((await c().listContainers()).map((k) => k.id)).not.toContain('sec-bad');
  });

  test("a bundle keeps its config's security settings; the flags still apply to it", async () => {
    const b = makeBundle(['true']);
    try {
      const plain = JSON.parse((await c().createContainer({ id: 'sec-bundle', bundle: b.dir })).specJson);
      expect(plain.process.capabilities).toEqual(b.config.process.capabilities);
      expect(plain.process.noNewPrivileges).toBe(true);
      expect(plain.linux.seccomp).toBeUndefined();
      await c().deleteContainer('sec-bundle');
      const tweaked = JSON.parse((await c().createContainer({ id: 'sec-bundle', bundle: b.dir, overrides: { capAdd: ['NET_RAW'], capDrop: ['KILL'] } })).specJson);
      expect(tweaked.process.capabilities.bounding).toEqual(['CAP_AUDIT_WRITE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW']);
      expect(tweaked.process.capabilities.ambient).toEqual(['CAP_AUDIT_WRITE', 'CAP_NET_BIND_SERVICE']);
      await c().deleteContainer('sec-bundle');
    } finally {
      b.cleanup();
    }
  });
});

test('tsctl run --cap-drop, --cap-add, --security-opt seccomp=FILE and no-new-privileges reach the container', () => {
  const profile = path.join(work, 'deny-mkdir.json');
  fs.writeFileSync(profile, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }));
  const script = 'grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status; mkdir /tmp/d 2>/dev/null; echo mkdir=$?';
  const flags = ['--cap-drop', 'ALL', '--cap-add', 'chown', '--security-opt', `seccomp=${profile}`, '--security-opt', 'no-new-privileges'];
  const r = spawnSync(TSCTL, ['--address', daemon.address, 'run', '--rm', ...flags, IMAGE, 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe('CapBnd:\t0000000000000001\nNoNewPrivs:\t1\nmkdir=1\n');
  expect(r.status).toBe(0);
  const bad = spawnSync(TSCTL, ['--address', daemon.address, 'run', '--rm', '--cap-add', 'FOO', IMAGE, 'true'], { encoding: 'utf8', timeout: 60_000 });
  expect(bad.stderr).toContain('overrides.cap_add[0]: unknown capability CAP_FOO');
  expect(bad.status).not.toBe(0);
});

/**
 * Everyday programs, each run the same way under the default profile and without seccomp: the
 * same exit status, and the same output where the output does not depend on the moment.
 */
const EVERYDAY: { name: string; script: string; varies?: boolean }[] = [
  { name: 'ls', script: 'ls -l /www /home' },
  { name: 'cat', script: 'cat /etc/passwd' },
  { name: 'sh -c', script: "sh -c 'x=1; for i in 1 2 3; do x=$((x*2)); done; echo $x' | cat" },
  { name: 'wget', script: 'httpd -p 127.0.0.1:8080 -h /www && wget -q -O - http://127.0.0.1:8080/index.html' },
  { name: 'tar', script: 'tar -C /etc -cf /tmp/etc.tar passwd group && tar -tf /tmp/etc.tar && mkdir -p /tmp/x && tar -C /tmp/x -xf /tmp/etc.tar && cat /tmp/x/group' },
  { name: 'gzip', script: 'cp /etc/passwd /tmp/p && gzip -9 /tmp/p && gunzip -c /tmp/p.gz' },
  { name: 'ps', script: 'ps -o pid,comm | head -2' },
  { name: 'top', script: 'top -bn1 | grep -c Mem', varies: true },
  { name: 'date', script: 'date -u -d @0 +%Y-%m-%dT%H:%M:%S && date >/dev/null' },
  { name: 'id', script: 'id && su -s /bin/sh -c id app' },
  { name: 'hostname', script: 'hostname >/dev/null' },
  { name: 'df', script: 'df / >/dev/null' },
  { name: 'du', script: 'du -s /www' },
  { name: 'find', script: 'find /www /home /etc -name "*" | sort' },
  { name: 'sort', script: 'printf "b\\na\\nc\\n" | sort -r' },
  { name: 'sed', script: 'sed -n "s/:x:/ /p" /etc/passwd' },
  { name: 'awk', script: 'awk -F: \'{ s += $3 } END { print NR, s }\' /etc/passwd' },
  // The shell may or may not report the killed job ("Terminated") on its stderr, by timing alone.
  { name: 'sleep, kill, wait', script: '(sleep 30 & kill $!; wait $!; echo $?) 2>/dev/null' },
  { name: 'nproc, uname', script: 'nproc >/dev/null && uname -s' },
];

test('everyday programs work under the default profile as without seccomp', async () => {
  const script = EVERYDAY.map((p, i) => `( ${p.script} ) >/tmp/out.${i} 2>&1; echo "${i} $?"; ${p.varies ? '' : `cat /tmp/out.${i};`} echo "end ${i}"`).join('\n');
  const confined = await run(script);
  const unconfined = await run(script, { seccompProfile: 'unconfined' });
  expect(confined.spec.linux.seccomp).toBeDefined();
  const results = (out: string) => Object.fromEntries(EVERYDAY.map((p, i) => [p.name, new RegExp(`^${i} (\\d+)\\n([\\s\\S]*?)end ${i}$`, 'm').exec(out)?.slice(1)]));
  const want = results(unconfined.out);
  for (const p of EVERYDAY) expect(want[p.name]?.[0]).toBe('0');
  expect(results(confined.out)).toEqual(want);
});
