/**
 * What a container's namespaces give it beyond isolation, observed from inside: the loopback
 * interface of a new network namespace is up (and a joined one is left alone); the container
 * has a session keyring of its own instead of the caller's; a container without a mount
 * namespace, or in one joined by path, works and leaves nothing mounted behind.
 *
 * Every run without a mount namespace of the container's own happens inside a throwaway one
 * (`unshare -m --propagation private` around the runtime), never in the machine's.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseProbeOutput, probeBinary, PROBE_IN_CONTAINER, ProbeReport } from '../../conformance/probe';
import type { Config } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { LOOPBACK_PROBE } from '../helpers/loopback-probe';
import { TSRUN, uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

const inside = (script: string, edit?: (c: Config) => void) => fx.inside(script, edit);

/** IFF_UP of lo in the container's network namespace (sysfs shows that namespace's devices). */
const LO_FLAGS = 'echo flags=$(cat /sys/class/net/lo/flags)';
const isUp = (out: string) => (Number(/flags=(0x[0-9a-f]+)/.exec(out)?.[1]) & 1) === 1;

describe('loopback', () => {
  test('a new network namespace has lo up: a client reaches a listener on 127.0.0.1 inside the container', () => {
    const out = inside(
      `${LO_FLAGS}; ${LOOPBACK_PROBE}`,
    );
    expect(isUp(out)).toBe(true);
    expect(out).toContain('over-loopback');
    expect(out).not.toContain('unreachable');
  });

  test('a joined network namespace is not touched: its lo stays down', () => {
    // A namespace of the test's own, held by a process it started (no named netns to leave behind).
    const holder = spawn('unshare', ['-n', 'sleep', '60'], { stdio: 'ignore' });
    try {
      const netns = `/proc/${holder.pid}/ns/net`;
      for (let i = 0; i < 100 && fs.readlinkSync(netns) === fs.readlinkSync('/proc/self/ns/net'); i++) spawnSync('sleep', ['0.05']);
      const out = inside(LO_FLAGS, (c) => {
        c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: netns } : n));
      });
      expect(isUp(out)).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

describe('session keyring', () => {
  const SECRET = 'tsrun-test-secret';

  /**
   * Run the probe in a container from a session keyring of the test's own (keyctl session: it
   * goes when the command ends) holding the user key SECRET, as a caller's keyring would.
   */
  function probeFromSession(extraFlags: string[], edit?: (c: Config) => void): { id: string; report: ProbeReport } {
    const id = fx.tsrun.track(uniqueId('key'));
    const b = fx.bundle([PROBE_IN_CONTAINER, '--key', SECRET], edit);
    fs.copyFileSync(probeBinary(), path.join(b.rootfs, PROBE_IN_CONTAINER));
    fs.chmodSync(path.join(b.rootfs, PROBE_IN_CONTAINER), 0o755);
    const script = `keyctl add user ${SECRET} s3cret @s >/dev/null && exec "$@"`;
    const r = spawnSync('keyctl', ['session', '-', 'sh', '-c', script, 'sh', TSRUN, '--root', fx.tsrun.root, 'run', ...extraFlags, '-b', b.dir, id], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (r.status !== 0) throw new Error(`run exited ${r.status}: ${r.stderr}`);
    return { id, report: parseProbeOutput(r.stdout) };
  }

  test('the container cannot read a key of the caller\'s session keyring: it has its own, _ses.<id>', () => {
    const { id, report } = probeFromSession([]);
    expect(report.keys[SECRET]).toEqual({ errno: 'ENOKEY' });
    expect(report.sessionKeyring).toMatch(new RegExp(`^keyring;0;0;[0-9a-f]+;_ses\\.${id}$`));
  });

  test('a non-root container user sees its own keyring as well', () => {
    const { report } = probeFromSession([], (c) => (c.process.user = { uid: 65534, gid: 65534 }));
    expect(report.keys[SECRET]).toEqual({ errno: 'ENOKEY' });
    expect(report.sessionKeyring).toMatch(/;_ses\./);
  });

  test("a process exec'd in the container joins the container's keyring, not the exec caller's", () => {
    const id = fx.tsrun.track(uniqueId('key'));
    const b = fx.bundle(['sleep', '30']);
    fs.copyFileSync(probeBinary(), path.join(b.rootfs, PROBE_IN_CONTAINER));
    fs.chmodSync(path.join(b.rootfs, PROBE_IN_CONTAINER), 0o755);
    expect(fx.tsrun.cmd(['create', '-b', b.dir, id]).code).toBe(0);
    expect(fx.tsrun.cmd(['start', id]).code).toBe(0);
    const script = `keyctl add user ${SECRET} s3cret @s >/dev/null && exec "$@"`;
    const r = spawnSync('keyctl', ['session', '-', 'sh', '-c', script, 'sh', TSRUN, '--root', fx.tsrun.root, 'exec', id, PROBE_IN_CONTAINER, '--key', SECRET], { encoding: 'utf8', timeout: 30_000 });
    const report = parseProbeOutput(r.stdout);
    expect(report.keys[SECRET]).toEqual({ errno: 'ENOKEY' });
    expect(report.sessionKeyring).toMatch(new RegExp(`;_ses\\.${id}$`));
  });

  test('--no-new-keyring keeps the caller\'s session keyring, as runc does', () => {
    const { report } = probeFromSession(['--no-new-keyring']);
    expect(report.keys[SECRET]).toEqual({ payload: 's3cret' });
    expect(report.sessionKeyring).not.toMatch(/;_ses\./);
  });
});

/** `sh -c script` in a throwaway mount namespace of its own (private propagation). */
function inThrowawayMountNamespace(script: string, env: Record<string, string>) {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return r;
}

/** `key=value` lines of a script's output. */
const fields = (out: string) => Object.fromEntries(out.split('\n').flatMap((l) => (/^[\w-]+=/.test(l) ? [[l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]] : [])));

/** Mount points at or beneath $ROOTFS in the script's mount namespace. */
const COUNT_MOUNTS = `awk '{print $5}' /proc/self/mountinfo | grep -c -e "^$ROOTFS\\$" -e "^$ROOTFS/"`;

/**
 * A process holding new namespaces (unshare `flags`) after `setup` ran in them; resolves once
 * it is ready. The test kills it by its pid, and its namespaces go with it.
 */
async function holdNamespaces(flags: string[], setup = 'true') {
  const holder = spawn('unshare', [...flags, 'sh', '-c', `${setup} && echo ready && exec sleep 120`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  holder.stderr.on('data', (d) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (d) => String(d).includes('ready') && resolve());
    holder.on('exit', (code) => reject(new Error(`namespace holder exited ${code}: ${stderr}`)));
  });
  return { pid: holder.pid as number, ns: (name: string) => `/proc/${holder.pid}/ns/${name}`, release: () => holder.kill('SIGKILL') };
}

const withoutNamespace = (c: Config, type: string) => (c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== type));

describe('no mount namespace: the container runs in the caller\'s', () => {
  test('create, start and delete in one mount namespace: init is in it, and delete leaves nothing mounted beneath the rootfs', () => {
    const id = uniqueId('nomnt');
    const b = fx.bundle(['sh', '-c', 'echo container-mnt=$(readlink /proc/self/ns/mnt); echo proc-type=$(grep " /proc " /proc/self/mounts | cut -d" " -f3)'], (c) => withoutNamespace(c, 'mount'));
    const script = `
      T() { "$TSRUN" --root "$ROOT" "$@"; }
      trap 'T delete --force "$ID" 2>/dev/null' EXIT
      mount --make-rshared /
      echo caller-mnt=$(readlink /proc/self/ns/mnt)
      echo root-before=$(grep ' / / ' /proc/self/mountinfo | cut -d' ' -f7)
      T create -b "$BUNDLE" "$ID" || exit 1
      echo during=$(${COUNT_MOUNTS})
      echo elsewhere=$(unshare -m --propagation private "$TSRUN" --root "$ROOT" delete "$ID" 2>&1)
      T start "$ID"
      for i in $(seq 100); do T state "$ID" | grep -q '"stopped"' && break; sleep 0.1; done
      T delete "$ID" && echo deleted=yes
      echo after=$(${COUNT_MOUNTS})
      echo root-after=$(grep ' / / ' /proc/self/mountinfo | cut -d' ' -f7)`;
    const r = inThrowawayMountNamespace(script, { TSRUN, ROOT: fx.tsrun.root, ID: id, BUNDLE: b.dir, ROOTFS: b.rootfs });
    const f = fields(r.stdout);
    expect(r.stderr).toBe('');
    expect(f['container-mnt']).toBe(f['caller-mnt']);
    expect(f['proc-type']).toBe('proc');
    // The container's mounts are in the caller's namespace while it exists ...
    expect(Number(f.during)).toBeGreaterThan(5);
    // ... a delete from another mount namespace, which cannot see them, is refused ...
    expect(f.elsewhere).toMatch(/has mounts in mount namespace mnt:\[\d+\], not in this one .*: delete it from there/);
    // ... and delete unmounts every one of them, leaving the caller's root propagation as it was.
    expect(f.deleted).toBe('yes');
    expect(f.after).toBe('0');
    expect(f['root-after']).toBe(f['root-before']);
  });

  test('a mount someone else stacked on the rootfs is not unmounted by delete: what it covers stays, with a warning naming it', () => {
    const id = uniqueId('nomnt');
    const b = fx.bundle(['true'], (c) => withoutNamespace(c, 'mount'));
    const script = `
      T() { "$TSRUN" --root "$ROOT" "$@"; }
      T create -b "$BUNDLE" "$ID" || exit 1
      mount -t tmpfs someone-elses "$ROOTFS"
      T delete --force "$ID" 2>&1 | sed 's/^/delete: /'
      echo top=$(awk -v p="$ROOTFS" '$5 == p {print $(NF-1)}' /proc/self/mountinfo | tail -1)
      echo state=$(T list -q)`;
    const r = inThrowawayMountNamespace(script, { TSRUN, ROOT: fx.tsrun.root, ID: id, BUNDLE: b.dir, ROOTFS: b.rootfs });
    // Paths beneath the rootfs now lead into the stacked tmpfs: none of the container's mounts is unmounted through them.
    expect(r.stdout).toMatch(/delete: .*level=warning.*covered or moved since create are left beneath [^:]+: .*\bproc\b.*, \.\\?"$/m);
    expect(fields(r.stdout)).toMatchObject({ top: 'someone-elses', state: '' });
  });

  test('exec runs in the container root, as its init does', () => {
    const id = uniqueId('nomnt');
    const b = fx.bundle(['sleep', '30'], (c) => withoutNamespace(c, 'mount'));
    const script = `
      T() { "$TSRUN" --root "$ROOT" "$@"; }
      trap 'T delete --force "$ID" 2>/dev/null' EXIT
      T create -b "$BUNDLE" "$ID" && T start "$ID" || exit 1
      echo exec-sees=$(T exec "$ID" sh -c 'ls /; echo; readlink /proc/self/ns/mnt' | tr '\n' ' ')
      echo caller-mnt=$(readlink /proc/self/ns/mnt)`;
    const r = inThrowawayMountNamespace(script, { TSRUN, ROOT: fx.tsrun.root, ID: id, BUNDLE: b.dir, ROOTFS: b.rootfs });
    expect(r.stderr).toBe('');
    const f = fields(r.stdout);
    // The busybox rootfs (no /work, no /home of the host), in the caller's mount namespace.
    expect(f['exec-sees']).toBe(`bin dev etc proc root run sbin sys tmp usr var ${f['caller-mnt']}`);
  });

  test('a failed create leaves nothing mounted beneath the rootfs and no container', () => {
    const id = uniqueId('nomnt');
    const b = fx.bundle(['true'], (c) => {
      withoutNamespace(c, 'mount');
      c.mounts.push({ destination: '/data', type: 'bind', source: '/nonexistent-tsrun-source', options: ['bind'] });
    });
    const script = `
      "$TSRUN" --root "$ROOT" create -b "$BUNDLE" "$ID" 2>&1 | tail -1
      echo after=$(${COUNT_MOUNTS})
      echo list=$("$TSRUN" --root "$ROOT" list -q)`;
    const r = inThrowawayMountNamespace(script, { TSRUN, ROOT: fx.tsrun.root, ID: id, BUNDLE: b.dir, ROOTFS: b.rootfs });
    expect(r.stdout).toContain('bind mount /nonexistent-tsrun-source on /data');
    expect(fields(r.stdout)).toMatchObject({ after: '0', list: '' });
  });
});

describe('namespaces joined by path', () => {
  test('a joined mount namespace: the container sees its mounts, and its other processes keep their root', async () => {
    const b = fx.bundle(['sh', '-c', 'echo mnt=$(readlink /proc/self/ns/mnt); cat /mnt/marker'], (c) => withoutNamespace(c, 'mount'));
    const holder = await holdNamespaces(['-m', '--propagation', 'private'], `mkdir -p ${b.rootfs}/mnt && mount -t tmpfs marker ${b.rootfs}/mnt && echo made-in-the-namespace > ${b.rootfs}/mnt/marker`);
    try {
      b.config.linux.namespaces.push({ type: 'mount', path: holder.ns('mnt') });
      b.save();
      const r = fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('joinmnt'))]);
      expect(r.stderr).toBe('');
      expect(fields(r.stdout).mnt).toBe(fs.readlinkSync(holder.ns('mnt')));
      expect(r.stdout).toContain('made-in-the-namespace');
      // runc pivots the joined namespace's root away from under its processes; tsrun only chroots.
      expect(fs.readlinkSync(`/proc/${holder.pid}/root`)).toBe('/');
    } finally {
      holder.release();
    }
  });

  test('exec into a container in a joined mount namespace runs in its root there', async () => {
    const b = fx.bundle(['sleep', '30'], (c) => withoutNamespace(c, 'mount'));
    const holder = await holdNamespaces(['-m', '--propagation', 'private'], `mkdir -p ${b.rootfs}/mnt && mount -t tmpfs marker ${b.rootfs}/mnt && echo made-in-the-namespace > ${b.rootfs}/mnt/marker`);
    try {
      b.config.linux.namespaces.push({ type: 'mount', path: holder.ns('mnt') });
      b.save();
      const id = fx.tsrun.track(uniqueId('joinmnt'));
      expect(fx.tsrun.cmd(['create', '-b', b.dir, id]).stderr).toBe('');
      expect(fx.tsrun.cmd(['start', id]).code).toBe(0);
      const r = fx.tsrun.cmd(['exec', id, 'sh', '-c', 'cat /mnt/marker; readlink /proc/self/ns/mnt']);
      expect(r.stdout.split('\n').slice(0, 2)).toEqual(['made-in-the-namespace', fs.readlinkSync(holder.ns('mnt'))]);
    } finally {
      holder.release();
    }
  });

  test('hostname with a joined uts namespace is set inside that namespace, as runc does', async () => {
    const holder = await holdNamespaces(['-u'], 'hostname before');
    try {
      const out = inside('hostname', (c) => {
        c.hostname = 'joined-box';
        c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'uts' ? { type: 'uts', path: holder.ns('uts') } : n));
      });
      expect(out.trim()).toBe('joined-box');
      const seen = spawnSync('nsenter', [`--uts=${holder.ns('uts')}`, 'hostname'], { encoding: 'utf8' });
      expect(seen.stdout.trim()).toBe('joined-box');
    } finally {
      holder.release();
    }
  });
});

describe('every namespace type × new, joined by path, absent: what the container is in, under tsrun and runc', () => {
  const RUNC = '/usr/sbin/runc';
  // The /proc/<pid>/ns link of each type, and how a holder of a namespace of the type is made
  // (a pid or cgroup namespace is the holder's children's; its link says so).
  const KINDS: ReadonlyArray<{ type: string; link: string; unshare: string[]; holderLink?: string }> = [
    { type: 'ipc', link: 'ipc', unshare: ['-i'] },
    { type: 'uts', link: 'uts', unshare: ['-u'] },
    { type: 'network', link: 'net', unshare: ['-n'] },
    { type: 'pid', link: 'pid', unshare: ['-p', '-f'], holderLink: 'pid_for_children' },
    { type: 'mount', link: 'mnt', unshare: ['-m', '--propagation', 'private'] },
    { type: 'cgroup', link: 'cgroup', unshare: ['-C'] },
  ];
  const MODES = ['new', 'joined', 'absent'] as const;
  const runtimes = [['tsrun', TSRUN], ...(fs.existsSync(RUNC) ? [['runc', RUNC]] : [])];
  const report = KINDS.map((k) => `echo ${k.link}=$(readlink /proc/self/ns/${k.link})`).join('; ');

  test.each(KINDS.flatMap((kind) => MODES.flatMap((mode) => runtimes.map(([name, binary]) => ({ kind, mode, name, binary })))))(
    '$kind.type $mode under $name',
    async ({ kind, mode, name, binary }) => {
      const holder = mode === 'joined' ? await holdNamespaces(kind.unshare) : null;
      try {
        const b = fx.bundle(['sh', '-c', report], (c) => {
          withoutNamespace(c, kind.type);
          // A hostname needs a uts namespace: that combination is among the forbidden ones below.
          if (kind.type === 'uts' && mode === 'absent') c.hostname = '';
          if (mode === 'new') c.linux.namespaces.push({ type: kind.type as never });
          if (holder) c.linux.namespaces.push({ type: kind.type as never, path: holder.ns(kind.holderLink ?? kind.link) });
          if (kind.type === 'mount' && mode !== 'new') {
            // runc refuses masked and read-only paths without a mount namespace of the container's own (tsrun applies them).
            c.linux.maskedPaths = [];
            c.linux.readonlyPaths = [];
          }
        });
        const root = name === 'tsrun' ? fx.tsrun.root : fs.mkdtempSync(path.join(fx.tsrun.root, 'runc-'));
        const r = inThrowawayMountNamespace(`echo caller=$(readlink /proc/self/ns/${kind.link}); exec "$RUNTIME" --root "$ROOT" run -b "$BUNDLE" "$ID"`, {
          RUNTIME: binary,
          ROOT: root,
          BUNDLE: b.dir,
          ID: uniqueId(`cls-${name}`),
        });
        expect({ code: r.status, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
        const f = fields(r.stdout);
        const seen = f[kind.link];
        expect(seen).toMatch(/^\w+:\[\d+\]$/);
        if (mode === 'absent') expect(seen).toBe(f.caller);
        else expect(seen).not.toBe(f.caller);
        if (holder) expect(seen).toBe(fs.readlinkSync(holder.ns(kind.holderLink ?? kind.link)));
      } finally {
        holder?.release();
      }
    },
  );
});

describe('what the spec forbids with a namespace new, joined or absent fails with its JSON path and leaves nothing', () => {
  const RUNC = '/usr/sbin/runc';
  const setNamespace = (c: Config, type: string, mode: 'joined' | 'absent') => {
    withoutNamespace(c, type);
    if (mode === 'joined') c.linux.namespaces.push({ type: type as never, path: `/proc/self/ns/${type === 'network' ? 'net' : type}` });
  };
  // [what, the JSON path tsrun names, whether runc refuses it too, the edit]
  const CASES: Array<[string, string, boolean, (c: Config) => void]> = [
    ['hostname without a uts namespace', 'hostname', true, (c) => setNamespace(c, 'uts', 'absent')],
    ['domainname without a uts namespace', 'domainname', false, (c) => {
      setNamespace(c, 'uts', 'absent');
      c.hostname = '';
      c.domainname = 'example.org';
    }],
    ['time offsets in a joined time namespace', 'linux.timeOffsets', true, (c) => {
      setNamespace(c, 'time', 'joined');
      c.linux.timeOffsets = { monotonic: { secs: 1, nanosecs: 0 } };
    }],
    ['time offsets without a time namespace', 'linux.timeOffsets', false, (c) => (c.linux.timeOffsets = { monotonic: { secs: 1, nanosecs: 0 } })],
    ['uid mappings without a user namespace', 'linux.uidMappings', false, (c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 1 }])],
    ['a new user namespace without mappings', 'linux.uidMappings', true, (c) => c.linux.namespaces.push({ type: 'user' })],
    ['a net sysctl without a network namespace', 'linux.sysctl["net.ipv4.ip_forward"]', true, (c) => {
      setNamespace(c, 'network', 'absent');
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    }],
    ['an ipc sysctl without an ipc namespace', 'linux.sysctl["kernel.msgmax"]', true, (c) => {
      setNamespace(c, 'ipc', 'absent');
      c.linux.sysctl = { 'kernel.msgmax': '8192' };
    }],
    ['a type listed twice', 'linux.namespaces[6].type', true, (c) => c.linux.namespaces.push({ type: 'pid', path: '/proc/self/ns/pid' })],
  ];

  test.each(CASES)('%s: refused at %s (runc refuses it too: %s)', (_what, jsonPath, runcRefuses, edit) => {
    const b = fx.bundle(['true'], edit);
    const id = fx.tsrun.track(uniqueId('forbid'));
    const r = fx.tsrun.cmd(['create', '-b', b.dir, id]);
    expect(r.code).not.toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    // The log line quotes the message: a JSON path's quotes come escaped.
    expect(lines[0]).toContain(`${jsonPath.replace(/"/g, '\\"')}:`);
    expect(fx.tsrun.cmd(['state', id]).code).not.toBe(0);
    if (fs.existsSync(RUNC)) {
      const root = fs.mkdtempSync(path.join(fx.tsrun.root, 'runc-'));
      // No pipes: a container runc did create would hold them open.
      const runc = spawnSync(RUNC, ['--root', root, 'create', '-b', b.dir, id], { stdio: 'ignore', timeout: 30_000 });
      spawnSync(RUNC, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
      expect(runc.status !== 0).toBe(runcRefuses);
    }
  });
});
