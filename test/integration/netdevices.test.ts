/**
 * linux.netDevices end to end: a veth pair made for the test, one end moved into the container
 * (renamed, with its permanent global addresses, up), gone from the host while the container
 * lives and destroyed with the container's network namespace; bad input refused with its JSON
 * path, nothing left behind and the host interface untouched.
 *
 * Only interfaces this file creates are touched, and every one is deleted after each test.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import type { Config } from '../helpers/bundle';
import { containerFixtures } from '../helpers/fixtures';
import { uniqueId } from '../helpers/tsrun';
import { deleteLinks, ip, linkExists, makeVethPair, VethPair } from '../helpers/veth';

const fx = containerFixtures();

const made: VethPair[] = [];

/** A veth pair whose first end has two addresses that move and two that stay behind. */
function vethPair(): VethPair {
  const pair = makeVethPair('tsrv', [
    '10.213.7.2/24',
    'fd00:213::2/64',
    // Left behind by the move (spec: only permanent addresses of global scope go along).
    ['169.254.13.2/16', 'scope', 'link'],
    ['10.213.9.2/24', 'valid_lft', '300', 'preferred_lft', '300'],
  ]);
  made.push(pair);
  return pair;
}

/** What the host shows of an interface: flags, mtu and addresses (lifetimes, which tick, left out). */
function hostView(name: string): unknown {
  const [link] = JSON.parse(ip(['-j', 'addr', 'show', 'dev', name])) as Array<Record<string, unknown>>;
  const addrs = (link.addr_info as Array<Record<string, unknown>>).map(({ family, local, prefixlen, scope, dynamic }) => ({ family, local, prefixlen, scope, dynamic }));
  return { ifindex: link.ifindex, flags: link.flags, mtu: link.mtu, addrs };
}

/** The kernel frees a network namespace from a work queue: give it a moment. */
function waitGone(name: string): boolean {
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    if (!linkExists(name)) return true;
    spawnSync('sleep', ['0.05']);
  }
  return !linkExists(name);
}

afterEach(() => {
  for (const pair of made.splice(0)) deleteLinks(pair);
});

describe('linux.netDevices', () => {
  test('the interface is inside under its new name, with its permanent global addresses and MTU, up', () => {
    const { end } = vethPair();
    const b = fx.bundle(['sh', '-c', 'ls /sys/class/net; ip addr show dev eth9; cat /sys/class/net/eth9/mtu /sys/class/net/eth9/flags'], (c) => {
      c.linux.netDevices = { [end]: { name: 'eth9' } };
    });
    const r = fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('netdev'))]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 2).sort()).toEqual(['eth9', 'lo']);
    expect(r.stdout).toMatch(/inet 10\.213\.7\.2\/24 .*scope global eth9/);
    expect(r.stdout).toMatch(/inet6 fd00:213::2\/64 scope global/);
    expect(r.stdout).not.toContain('169.254.13.2');
    expect(r.stdout).not.toContain('10.213.9.2');
    const [mtu, flags] = lines.filter((l) => /^(\d+|0x[0-9a-f]+)$/.test(l));
    expect(mtu).toBe('1400');
    expect(Number(flags) & 0x1).toBe(1); // IFF_UP
  });

  test('in a new user namespace too: init restores the addresses as root of the namespace that owns the network one', () => {
    const { end } = vethPair();
    const b = fx.bundle(['sh', '-c', 'ip addr show dev eth9; cat /proc/self/uid_map'], (c) => {
      c.linux.netDevices = { [end]: { name: 'eth9' } };
      c.linux.namespaces.push({ type: 'user' });
      c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      // sysfs and cgroup mounts are beside the point here.
      c.mounts = c.mounts.filter((m) => !m.destination.startsWith('/sys'));
    });
    const r = fx.tsrun.cmd(['run', '-b', b.dir, fx.tsrun.track(uniqueId('netdev-userns'))]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/eth9.*<.*\bUP\b/);
    expect(r.stdout).toMatch(/inet 10\.213\.7\.2\/24 .*scope global eth9/);
    expect(r.stdout).toMatch(/^\s*0\s+100000\s+65536$/m);
  });

  test('the host loses the interface at create; the container namespace takes the veth with it at delete', () => {
    const { end, peer } = vethPair();
    const b = fx.bundle(['true'], (c) => {
      c.linux.netDevices = { [end]: {} };
    });
    const id = fx.tsrun.track(uniqueId('netdev-life'));
    const r = fx.tsrun.cmd(['create', '-b', b.dir, id]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(linkExists(end)).toBe(false);
    // The peer stays on the host, now linked into the container's namespace.
    expect(linkExists(peer)).toBe(true);
    expect(fx.tsrun.cmd(['delete', id]).code).toBe(0);
    // tsrun does not move it back (the spec forbids it); a virtual device dies with the
    // namespace, and a veth takes its peer along.
    expect(waitGone(peer)).toBe(true);
    expect(linkExists(end)).toBe(false);
  });

  describe('bad input: one line naming linux.netDevices, nothing created, the host interface as it was', () => {
    function expectRefused(edit: (c: Config, end: string) => void, pattern: RegExp): void {
      const { end } = vethPair();
      const before = hostView(end);
      const b = fx.bundle(['true'], (c) => edit(c, end));
      const r = fx.tsrun.cmd(['create', '-b', b.dir, uniqueId('netdev-bad')]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      // The message is a logfmt value: its quotes arrive escaped.
      expect(r.stderr.replace(/\\"/g, '"')).toMatch(pattern);
      expect(fs.readdirSync(fx.tsrun.root)).toEqual([]);
      expect(hostView(end)).toEqual(before);
    }

    test('an interface the host does not have', () => {
      expectRefused(
        (c, end) => (c.linux.netDevices = { [end]: { name: 'eth1' }, tsrvnosuch0: {} }),
        /linux\.netDevices\["tsrvnosuch0"\]: the host has no network interface "tsrvnosuch0"/,
      );
    });

    test('no network namespace of the container own', () => {
      expectRefused(
        (c, end) => {
          c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'network');
          c.linux.netDevices = { [end]: {} };
        },
        /linux\.netDevices: needs a network namespace/,
      );
    });

    test("joining the host's own network namespace", () => {
      expectRefused(
        (c, end) => {
          c.linux.namespaces = c.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${process.pid}/ns/net` } : n));
          c.linux.netDevices = { [end]: {} };
        },
        /linux\.netDevices\["tsrv\d+a"\]: the network namespace joined \(\/proc\/\d+\/ns\/net\) is the host's own/,
      );
    });

    test.each(['a/b', 'abcdefghijklmnop', '..', 'eth0:1'])('the new name %j', (name) => {
      expectRefused(
        (c, end) => (c.linux.netDevices = { [end]: { name } }),
        new RegExp(`linux\\.netDevices\\.tsrv\\d+a\\.name: "${name.replace(/\./g, '\\.')}" is not a valid network interface name`),
      );
    });

    test('a name template, whose result tsrun could not know', () => {
      expectRefused((c, end) => (c.linux.netDevices = { [end]: { name: 'eth%d' } }), /linux\.netDevices\["tsrv\d+a"\]\.name: "eth%d": name templates/);
    });

    test('two interfaces given the same name, or the name of the new namespace loopback', () => {
      const other = vethPair();
      expectRefused(
        (c, end) => (c.linux.netDevices = { [other.end]: { name: 'eth5' }, [end]: { name: 'eth5' } }),
        /linux\.netDevices\["tsrv\d+a"\]\.name: "eth5" is already the name of linux\.netDevices\["tsrv\d+a"\] in the container/,
      );
      expect(linkExists(other.end)).toBe(true);
      expectRefused((c, end) => (c.linux.netDevices = { [end]: { name: 'lo' } }), /"lo" is already the name of the loopback interface/);
    });
  });
});
