/** linux.netDevices -> parent moves and init configurations, and their failures as users read them. */
import { buildInitPlan, PlanError } from './build';
import { movingAddresses } from './netdevices';
import { renderFailure } from './render-failure';
import { specWith, testContext } from '../../test/helpers/plan-context';
import type { HostAddress, HostNetDevices, InitPlan } from './types';

const v4: HostAddress = { family: 'inet', local: '10.0.0.2', prefixLength: 24, peer: null, broadcast: '10.0.0.255', scope: 'global', permanent: true };
const v6: HostAddress = { family: 'inet6', local: 'fd00::2', prefixLength: 64, peer: null, broadcast: null, scope: 'global', permanent: true };
const linkLocal: HostAddress = { ...v6, local: 'fe80::1', scope: 'link' };
const learned: HostAddress = { ...v4, local: '10.0.1.2', permanent: false };

const host = (over: Partial<HostNetDevices> = {}): HostNetDevices => ({
  interfaces: { ens4: { addresses: [v4, linkLocal, learned, v6] }, ens5: { addresses: [] } },
  joinsHostNetns: false,
  ...over,
});

function plan(netDevices: Record<string, { name?: string }>, hostFacts: HostNetDevices | undefined = host(), edit?: (s: ReturnType<typeof specWith>) => void): InitPlan {
  const spec = specWith((s) => {
    s.linux.netDevices = netDevices;
    edit?.(s);
  });
  return buildInitPlan(spec, testContext({ netDevices: hostFacts }));
}

const LOOPBACK_UP = { op: 'configureNetDevice', name: 'lo', addresses: [] };

describe('loopback', () => {
  const namespaces = (network: 'new' | 'joined' | 'absent') =>
    buildInitPlan(
      specWith((s) => {
        s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'network');
        if (network !== 'absent') s.linux.namespaces.push(network === 'new' ? { type: 'network' } : { type: 'network', path: '/run/netns/x' });
      }),
      testContext(),
    ).init.filter((s) => s.op === 'configureNetDevice');

  test('a new network namespace gets its loopback interface up, as runc does', () => {
    expect(namespaces('new')).toEqual([LOOPBACK_UP]);
  });

  test.each(['joined', 'absent'] as const)('a %s network namespace is not touched', (network) => {
    expect(namespaces(network)).toEqual([]);
  });

  test('a failure says which interface could not be set up', () => {
    const p = buildInitPlan(specWith(() => {}), testContext());
    const at = p.init.findIndex((s) => s.op === 'configureNetDevice');
    const failure = { phase: 'init' as const, step: at, errno: 1, code: 'EPERM', syscall: 'RTM_NEWLINK up', path: 'lo' };
    expect(renderFailure(p, failure, { rootfs: '/tmp/b/rootfs' })).toBe('set network interface lo up: RTM_NEWLINK up lo: EPERM (Operation not permitted)');
  });
});

describe('linux.netDevices', () => {
  test('the parent moves each interface (renamed when asked) after the cgroups and id maps; init restores and sets it up first', () => {
    const p = plan({ ens4: { name: 'eth0' }, ens5: {} });
    expect(p.parent.filter((s) => s.op === 'moveNetDevice')).toEqual([
      { op: 'moveNetDevice', name: 'ens4', newName: 'eth0', purpose: 'linux.netDevices["ens4"]' },
      { op: 'moveNetDevice', name: 'ens5', newName: 'ens5', purpose: 'linux.netDevices["ens5"]' },
    ]);
    expect(p.parent[p.parent.length - 1].op).toBe('moveNetDevice');
    const first = p.init.findIndex((s) => s.op === 'configureNetDevice');
    // Right after the namespace steps, while init holds every capability; loopback first.
    expect(p.init.slice(0, first).map((s) => s.op)).toEqual(['joinCgroup', 'joinCgroup', 'joinCgroup', 'unshare', 'joinSessionKeyring']);
    expect(p.init.slice(first, first + 3)).toEqual([
      LOOPBACK_UP,
      { op: 'configureNetDevice', name: 'eth0', addresses: movingAddresses([v4, v6]), purpose: 'linux.netDevices["ens4"]' },
      { op: 'configureNetDevice', name: 'ens5', addresses: [], purpose: 'linux.netDevices["ens5"]' },
    ]);
  });

  test('an empty name keeps the host name, as runc reads it', () => {
    expect(plan({ ens5: { name: '' } }).parent.at(-1)).toMatchObject({ newName: 'ens5' });
  });

  test('only permanent addresses of global scope move, without the host-only fields', () => {
    expect(movingAddresses([v4, linkLocal, learned, v6])).toEqual([
      { family: 'inet', local: '10.0.0.2', prefixLength: 24, peer: null, broadcast: '10.0.0.255' },
      { family: 'inet6', local: 'fd00::2', prefixLength: 64, peer: null, broadcast: null },
    ]);
  });

  test('a joined network namespace is fine unless it is the host one', () => {
    const join = (s: ReturnType<typeof specWith>) => (s.linux.namespaces = s.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network' as const, path: '/run/netns/x' } : n)));
    // No loopback of a new namespace to collide with; the kernel reports a name taken there.
    expect(plan({ ens4: { name: 'lo' } }, host(), join).parent.at(-1)).toMatchObject({ newName: 'lo' });
    expect(() => plan({ ens4: {} }, host({ joinsHostNetns: true }), join)).toThrow(
      `linux.netDevices["ens4"]: the network namespace joined (/run/netns/x) is the host's own: the interface would not leave the host`,
    );
  });

  test.each<[string, Record<string, { name?: string }>, HostNetDevices, string]>([
    ['a missing interface', { ens4: {}, nope0: {} }, host(), 'linux.netDevices["nope0"]: the host has no network interface "nope0"'],
    ['two interfaces with one name', { ens4: { name: 'eth0' }, ens5: { name: 'eth0' } }, host(), 'linux.netDevices["ens5"].name: "eth0" is already the name of linux.netDevices["ens4"] in the container'],
    ['a new name that is another one kept', { ens4: { name: 'ens5' }, ens5: {} }, host(), 'linux.netDevices["ens5"]: "ens5" is already the name of linux.netDevices["ens4"] in the container'],
    ['the new namespace loopback name', { ens4: { name: 'lo' } }, host(), 'linux.netDevices["ens4"].name: "lo" is already the name of the loopback interface of the new network namespace'],
    ['a name template', { ens4: { name: 'eth%d' } }, host(), 'linux.netDevices["ens4"].name: "eth%d": name templates ("eth%d") are not supported by this tsrun'],
  ])('%s is refused with its path', (_what, devices, facts, message) => {
    expect(() => plan(devices, facts)).toThrow(PlanError);
    expect(() => plan(devices, facts)).toThrow(message);
  });

  test('a context without the host facts is refused, not taken as a host without interfaces', () => {
    const spec = specWith((s) => (s.linux.netDevices = { ens4: {} }));
    expect(() => buildInitPlan(spec, testContext())).toThrow(`linux.netDevices["ens4"]: the host's network interfaces were not read, so none can be moved`);
  });

  test('without a network namespace of its own nothing can move', () => {
    expect(() => plan({ ens4: {} }, host(), (s) => (s.linux.namespaces = s.linux.namespaces.filter((n) => n.type !== 'network')))).toThrow(
      /^linux\.netDevices\["ens4"\]: moving an interface needs a network namespace of the container's own/,
    );
  });

  test('failures name the entry, the interface and the errno', () => {
    const p = plan({ ens4: { name: 'eth0' } });
    const moveAt = p.parent.findIndex((s) => s.op === 'moveNetDevice');
    const ctx = { rootfs: '/tmp/b/rootfs' };
    const failure = (phase: 'parent' | 'init', step: number, code: string, syscall: string, path: string) => ({ phase, step, errno: 1, code, syscall, path });
    expect(renderFailure(p, failure('parent', moveAt, 'EEXIST', 'RTM_NEWLINK', 'ens4'), ctx)).toBe(
      'linux.netDevices["ens4"]: move network interface ens4 into the container as eth0: EEXIST (File exists)',
    );
    expect(renderFailure(p, failure('parent', moveAt, 'ENODEV', 'SIOCGIFINDEX', 'ens4'), ctx)).toBe(
      'linux.netDevices["ens4"]: move network interface ens4 into the container as eth0: SIOCGIFINDEX ens4: ENODEV (No such device)',
    );
    const configureAt = p.init.findIndex((s) => s.op === 'configureNetDevice' && s.name === 'eth0');
    expect(renderFailure(p, failure('init', configureAt, 'EEXIST', 'RTM_NEWADDR', '10.0.0.2'), ctx)).toBe(
      'linux.netDevices["ens4"]: restore the addresses of network interface eth0 and set it up: RTM_NEWADDR 10.0.0.2: EEXIST (File exists)',
    );
  });
});
