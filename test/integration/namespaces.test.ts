/**
 * What a container's namespaces give it beyond isolation, observed from inside: the loopback
 * interface of a new network namespace is up (and a joined one is left alone), and the
 * container has a session keyring of its own instead of the caller's.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseProbeOutput, probeBinary, PROBE_IN_CONTAINER, ProbeReport } from '../../conformance/probe';
import type { Config } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { TSRUN, uniqueId } from '../helpers/tsrun';

const fx = containerFixtures();

/** Run `script` in a container (foreground) and return what it printed; fails the test on non-zero exit. */
function inside(script: string, edit?: (c: Config) => void): string {
  const b = fx.bundle(['sh', '-c', script], edit);
  const r = fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('ns'))]);
  if (r.code !== 0) throw new Error(`container exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** IFF_UP of lo in the container's network namespace (sysfs shows that namespace's devices). */
const LO_FLAGS = 'echo flags=$(cat /sys/class/net/lo/flags)';
const isUp = (out: string) => (Number(/flags=(0x[0-9a-f]+)/.exec(out)?.[1]) & 1) === 1;

describe('loopback', () => {
  test('a new network namespace has lo up: a client reaches a listener on 127.0.0.1 inside the container', () => {
    const out = inside(
      `${LO_FLAGS}; nc -l -p 7777 & for i in 1 2 3 4 5 6 7 8 9 10; do echo over-loopback | nc 127.0.0.1 7777 2>&1 && break; sleep 0.2; done; wait`,
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

  test('--no-new-keyring keeps the caller\'s session keyring, as runc does', () => {
    const { report } = probeFromSession(['--no-new-keyring']);
    expect(report.keys[SECRET]).toEqual({ payload: 's3cret' });
    expect(report.sessionKeyring).not.toMatch(/;_ses\./);
  });
});
