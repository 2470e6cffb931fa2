/**
 * What a container gets, observed from inside it (its own report on stdout) and from the host:
 * namespaces, the mount table, a read-only pivoted root, /dev, masked and read-only paths,
 * credentials, capabilities, no_new_privs, rlimits, cwd, env, cgroup membership and limits.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import type { Bundle, Config } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();


/** Run `script` in a container (foreground) and return what it printed; fails the test on non-zero exit. */
function inside(script: string, edit?: (c: Config) => void, prepare?: (b: Bundle) => void): string {
  const b = fx.bundle(['sh', '-c', script], edit);
  prepare?.(b);
  const r = fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('iso'))]);
  if (r.code !== 0) throw new Error(`container exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const capMask = (...caps: number[]) => caps.reduce((m, c) => m | (1n << BigInt(c)), 0n).toString(16).padStart(16, '0');

test('init is pid 1 in new pid, uts, ipc, net and mount namespaces, with the configured hostname', () => {
  const out = inside('echo $$; hostname; for n in pid uts ipc net mnt; do readlink /proc/self/ns/$n; done', (c) => {
    c.hostname = 'box1';
  });
  const [pid, hostname, ...ns] = out.trim().split('\n');
  expect(pid).toBe('1');
  expect(hostname).toBe('box1');
  const host = ['pid', 'uts', 'ipc', 'net', 'mnt'].map((n) => fs.readlinkSync(`/proc/self/ns/${n}`));
  ns.forEach((link, i) => expect(link).not.toBe(host[i]));
});

test('the mount table holds the configured mounts and nothing of the host; the root is read-only', () => {
  const out = inside('cat /proc/self/mounts; touch /newfile 2>&1 || echo ro-root');
  const mounts = out
    .split('\n')
    .filter((l) => l.includes(' '))
    .map((l) => l.split(' '));
  const at = (dir: string) => mounts.find((m) => m[1] === dir);
  expect(at('/proc')?.[2]).toBe('proc');
  expect(at('/dev')?.[2]).toBe('tmpfs');
  expect(at('/dev/pts')?.[2]).toBe('devpts');
  expect(at('/dev/shm')?.[2]).toBe('tmpfs');
  expect(at('/dev/mqueue')?.[2]).toBe('mqueue');
  expect(at('/sys')?.[3].split(',')).toContain('ro');
  expect(at('/')?.[3].split(',')).toContain('ro');
  expect(mounts.some((m) => m[1].startsWith('/sys/fs/cgroup'))).toBe(true);
  expect(mounts.some((m) => m[1].startsWith('/work') || m[1].startsWith('/home') || m[1].startsWith('/run/tsrun'))).toBe(false);
  expect(out).toContain('Read-only file system');
  expect(out).toContain('ro-root');
});

test('/dev has the default devices and links; linux.devices adds more', () => {
  const out = inside(
    'for d in null zero full random urandom tty mine; do stat -c "%n %F %t,%T %a" /dev/$d; done; for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done; head -c 4 /dev/zero | od -An -tx1',
    (c) => {
      Object.assign(c.linux, { devices: [{ path: '/dev/mine', type: 'c', major: 1, minor: 7, fileMode: 0o640, uid: 0, gid: 0 }] });
      c.linux.resources = { devices: [{ allow: true, access: 'rwm' }] };
    },
  );
  expect(out).toContain('/dev/null character special file 1,3 666');
  expect(out).toContain('/dev/zero character special file 1,5 666');
  expect(out).toContain('/dev/full character special file 1,7 666');
  expect(out).toContain('/dev/urandom character special file 1,9 666');
  expect(out).toContain('/dev/tty character special file 5,0 666');
  expect(out).toContain('/dev/mine character special file 1,7 640');
  expect(out).toContain('fd -> /proc/self/fd');
  expect(out).toContain('stdin -> /proc/self/fd/0');
  expect(out).toContain('stderr -> /proc/self/fd/2');
  expect(out).toContain('ptmx -> pts/ptmx');
  expect(out).toContain('00 00 00 00');
});

test('masked paths read as empty; read-only paths refuse writes', () => {
  // /proc/keys (a file) and /sys/firmware (a directory) are masked by the default config.
  const out = inside('wc -c < /proc/keys; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/hostname 2>/dev/null && echo writable || echo refused');
  expect(out.trim().split('\n')).toEqual(['0', '0', 'refused']);
});

test('process: user, groups, umask, cwd (created), env exactly as configured', () => {
  const out = inside('id -u; id -g; id -G; umask; pwd; env | sort', (c) => {
    c.process.user = { uid: 1000, gid: 1001, additionalGids: [5, 1002], umask: 0o077 } as typeof c.process.user;
    c.process.cwd = '/work/here';
    c.process.env = ['PATH=/bin', 'GREETING=hi there'];
  });
  const lines = out.trim().split('\n');
  expect(lines.slice(0, 5)).toEqual(['1000', '1001', '1001 5 1002', '0077', '/work/here']);
  // sh adds PWD and SHLVL of its own; nothing of Node's environment gets in.
  expect(lines.slice(5).filter((l) => !/^(PWD|SHLVL)=/.test(l))).toEqual(['GREETING=hi there', 'PATH=/bin']);
});

const capField = (out: string, k: string) => new RegExp(`^${k}:\\s+(\\S+)$`, 'm').exec(out)?.[1];
const DEFAULT_CAPS = capMask(5, 10, 29); // CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE

test('capabilities: the default config gives its three caps; ambient needs them inheritable too', () => {
  // The kernel raises an ambient capability only if it is permitted and inheritable; the default
  // config lists none as inheritable, so its ambient set stays empty (runc's result too).
  const out = inside('grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)" /proc/self/status');
  expect(capField(out, 'CapBnd')).toBe(DEFAULT_CAPS);
  expect(capField(out, 'CapEff')).toBe(DEFAULT_CAPS);
  expect(capField(out, 'CapPrm')).toBe(DEFAULT_CAPS);
  expect(capField(out, 'CapInh')).toBe('0000000000000000');
  expect(capField(out, 'CapAmb')).toBe('0000000000000000');
  expect(capField(out, 'NoNewPrivs')).toBe('1');
});

test('capabilities: all five sets as configured', () => {
  const out = inside('grep -E "^Cap" /proc/self/status', (c) => {
    c.process.capabilities.inheritable = [...c.process.capabilities.ambient!];
  });
  for (const set of ['CapBnd', 'CapEff', 'CapPrm', 'CapInh', 'CapAmb']) expect(capField(out, set)).toBe(DEFAULT_CAPS);
});

test('capabilities survive a switch to a non-root user only through the ambient set', () => {
  const out = inside('grep -E "^(CapEff|NoNewPrivs)" /proc/self/status', (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
    c.process.capabilities = { bounding: ['CAP_CHOWN'], effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'], inheritable: ['CAP_CHOWN'], ambient: ['CAP_CHOWN'] } as typeof c.process.capabilities;
    c.process.noNewPrivileges = false;
  });
  expect(out).toContain(`CapEff:\t${capMask(0)}`);
  expect(out).toContain('NoNewPrivs:\t0');
});

test('rlimits from the config; without one, RLIMIT_NOFILE is what tsrun was started with, not Node\'s raised limit', () => {
  const configured = inside('ulimit -n; ulimit -u', (c) => {
    c.process.rlimits = [
      { type: 'RLIMIT_NOFILE', hard: 2048, soft: 512 },
      { type: 'RLIMIT_NPROC', hard: 300, soft: 300 },
    ];
  });
  expect(configured.trim().split('\n')).toEqual(['512', '300']);

  const b = fx.bundle(['sh', '-c', 'ulimit -Sn; ulimit -Hn'], (c) => {
    c.process.rlimits = [];
  });
  const id = fx.tsrun.track(uniqueId('nofile'));
  const out = execFileSync('sh', ['-c', `ulimit -Sn 300 && exec "$0" --root "$1" run -b "$2" "$3"`, require('../helpers/tsrun').TSRUN, fx.tsrun.root, b.dir, id], { encoding: 'utf8' });
  const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  expect(out.trim().split('\n')).toEqual(['300', hard]);
});

test('cgroups: the init is in the configured cgroup with its memory and pids limits, and delete removes it', () => {
  const cgroupsPath = `/tsrun-test-${uniqueId('cg')}`;
  const b = fx.bundle(['sleep', '60'], (c) => {
    Object.assign(c.linux, { cgroupsPath });
    c.linux.resources = { devices: [{ allow: false, access: 'rwm' }], memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 20 } } as typeof c.linux.resources;
  });
  const id = fx.tsrun.track(uniqueId('cg'));
  expect(fx.tsrun.cmd(['run', '-d', '-b', b.dir, id]).code).toBe(0);
  const pid = fx.tsrun.state(id).pid as number;
  const membership = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  expect(membership).toMatch(new RegExp(`^\\d+:memory:${cgroupsPath}$`, 'm'));
  expect(membership).toMatch(new RegExp(`^\\d+:pids:${cgroupsPath}$`, 'm'));
  expect(fs.readFileSync(`/sys/fs/cgroup/memory${cgroupsPath}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(64 * 1024 * 1024));
  expect(fs.readFileSync(`/sys/fs/cgroup/pids${cgroupsPath}/pids.max`, 'utf8').trim()).toBe('20');
  expect(fx.tsrun.cmd(['delete', '--force', id]).code).toBe(0);
  for (const h of ['memory', 'pids', 'cpu', 'freezer']) expect(fs.existsSync(`/sys/fs/cgroup/${h}${cgroupsPath}`)).toBe(false);
});

test('a namespace given by path is joined, not created', () => {
  const a = fx.bundle(['sleep', '60']);
  const first = fx.tsrun.track(uniqueId('ns-a'));
  expect(fx.tsrun.cmd(['run', '-d', '-b', a.dir, first]).code).toBe(0);
  const pid = fx.tsrun.state(first).pid as number;
  const out = inside('readlink /proc/self/ns/net', (c) => {
    c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${pid}/ns/net` } : n));
  });
  expect(out.trim()).toBe(fs.readlinkSync(`/proc/${pid}/ns/net`));
});

test('a user namespace maps root in the container to an unprivileged host uid', () => {
  const b = fx.bundle(['sh', '-c', 'id -u; cat /proc/self/uid_map; sleep 60'], (c) => {
    c.linux.namespaces.push({ type: 'user' });
    Object.assign(c.linux, {
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
    });
    c.root.readonly = false;
  });
  const id = fx.tsrun.track(uniqueId('userns'));
  const child = fx.tsrun.background(['run', '-b', b.dir, id]);
  return new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.split('\n').length < 3) return;
      try {
        expect(out.split('\n')[0]).toBe('0');
        expect(out.split('\n')[1].trim().split(/\s+/)).toEqual(['0', '100000', '65536']);
        const pid = fx.tsrun.state(id).pid as number;
        expect(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+100000\s/m);
        resolve();
      } catch (e) {
        reject(e);
      }
    });
    child.on('exit', (code) => reject(new Error(`run exited ${code} before reporting: ${out}`)));
  });
});

test('--no-pivot runs the container in a moved and chrooted root', () => {
  const b = fx.bundle(['sh', '-c', 'ls /; echo $$']);
  const r = fx.tsrun.cmd(['run', '--no-pivot', '-b', b.dir, fx.tsrun.track(uniqueId('nopivot'))]);
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['bin', 'proc', 'dev']));
  expect(r.stdout.trim().split('\n').pop()).toBe('1');
});

test('oomScoreAdj, domainname and a new time namespace', () => {
  const out = inside('cat /proc/self/oom_score_adj; cat /proc/sys/kernel/domainname; readlink /proc/self/ns/time', (c) => {
    Object.assign(c.process, { oomScoreAdj: 123 });
    Object.assign(c, { domainname: 'example.org' });
    c.linux.namespaces.push({ type: 'time' });
  });
  const [oom, domain, timeNs] = out.trim().split('\n');
  expect(oom).toBe('123');
  expect(domain).toBe('example.org');
  expect(timeNs).not.toBe(fs.readlinkSync('/proc/self/ns/time'));
});

test('a bind mount from the bundle, read-only, in place at its destination', () => {
  const out = inside('cat /data/hello.txt; echo x > /data/new 2>&1 || echo refused; grep " /data " /proc/self/mounts', (c) => {
    c.mounts.push({ destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro', 'nosuid'] } as (typeof c.mounts)[number]);
  }, (b) => {
    fs.mkdirSync(`${b.dir}/data`);
    fs.writeFileSync(`${b.dir}/data/hello.txt`, 'hello from the host\n');
  });
  const lines = out.trim().split('\n');
  expect(lines[0]).toBe('hello from the host');
  expect(out).toContain('refused');
  expect(lines[lines.length - 1].split(' ')[3].split(',')).toEqual(expect.arrayContaining(['ro', 'nosuid']));
});

test('the devices cgroup: a node made in /dev but not allowed cannot be opened; allowed ones can', () => {
  // /dev/fuse opens without any capability, so only the devices cgroup can refuse it.
  const fuse = { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 };
  const probe = '( : < /dev/fuse ) 2>/dev/null && echo fuse-open || echo fuse-refused; echo ok > /dev/null && echo null-open';
  const denied = inside(probe, (c) => {
    Object.assign(c.linux, { devices: [fuse] });
  });
  expect(denied.trim().split('\n')).toEqual(['fuse-refused', 'null-open']);
  const allowed = inside(probe, (c) => {
    Object.assign(c.linux, { devices: [fuse] });
    c.linux.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }] } as typeof c.linux.resources;
  });
  expect(allowed.trim().split('\n')).toEqual(['fuse-open', 'null-open']);
});
