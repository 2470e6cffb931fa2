/**
 * A task's network request and the config it makes, without a daemon: which mode overrides.network
 * asks for (and its field-named refusals), and the spec a task runs with its attachment applied.
 */
import type { Spec } from '../../../spec/types';
import { parseNetworkOverrides, taskNetworkRequest } from '../../../supervisor/network/request';
import { hostnameOf } from '../../../supervisor/network/manager';
import { taskSpecWithNetwork } from '../../../supervisor/network/task-spec';
import type { Attachment } from '../../../supervisor/network/types';
import { networkOverrides } from './net-fixture';

const field = 'overrides.network';

test('the default network for an image container, nothing for a bundle without network overrides', () => {
  expect(taskNetworkRequest({ image: 'busybox', overrides: null })).toMatchObject({ mode: 'networks', networks: [{ name: 'bridge', aliases: [] }] });
  expect(taskNetworkRequest({ image: '', overrides: null })).toBeNull();
  expect(taskNetworkRequest({ image: '', overrides: { network: networkOverrides({ networks: [{ network: 'none', aliases: [] }] }) } })).toMatchObject({ mode: 'none', networks: [] });
});

test('modes, ports and names: what is refused names its field', () => {
  const parse = (o: Parameters<typeof networkOverrides>[0]) => parseNetworkOverrides(networkOverrides(o), field);
  expect(parse({ networks: [{ network: 'container:web', aliases: [] }] })).toMatchObject({ mode: 'container', peer: 'web' });
  expect(parse({ networks: [{ network: '', aliases: ['a'] }, { network: 'other', aliases: [] }] }).networks).toEqual([
    { name: 'bridge', aliases: ['a'] },
    { name: 'other', aliases: [] },
  ]);
  expect(() => parse({ networks: [{ network: 'a', aliases: [] }, { network: 'a', aliases: [] }] })).toThrow('overrides.network.networks[1].network: network a is given twice');
  expect(() => parse({ networks: [{ network: 'none', aliases: ['x'] }] })).toThrow(/^overrides\.network\.networks\[0\]\.aliases: /);
  expect(() => parse({ networks: [{ network: 'container:', aliases: [] }] })).toThrow(/^overrides\.network\.networks\[0\]\.network: /);
  expect(() => parse({ networks: [{ network: 'host', aliases: [] }], publishAll: true })).toThrow(/^overrides\.network\.ports: /);
  expect(() => parse({ networks: [{ network: 'container:web', aliases: [] }], hostname: 'h' })).toThrow(/^overrides\.network\.hostname: /);
  expect(() => parse({ hostname: '-bad' })).toThrow(/^overrides\.network\.hostname: /);
  expect(() => parse({ dns: ['not-an-ip'] })).toThrow(/^overrides\.network\.dns\[0\]: /);
});

const base: Spec = {
  ociVersion: '1.0.2',
  hostname: 'tsrun',
  root: { path: 'rootfs' },
  mounts: [{ destination: '/etc/resolv.conf', type: 'bind', source: '/mine' }],
  linux: { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'mount' }] },
};
const attachment = (o: Partial<Attachment>): Attachment => ({
  containerId: 'c1',
  mode: 'networks',
  netnsPath: '/run/tsrund/netns/c1',
  peer: '',
  endpoints: [],
  ports: [],
  hostname: 'c1',
  etcDir: '/run/tsrund/netns-etc/c1',
  ...o,
});

test('the task joins the pinned namespace, gets a UTS namespace with its hostname, and the etc files the config does not mount itself', () => {
  const spec = taskSpecWithNetwork(base, attachment({}));
  expect(spec.linux!.namespaces).toEqual([{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/run/tsrund/netns/c1' }, { type: 'uts' }]);
  expect(spec.hostname).toBe('c1');
  expect(spec.mounts!.map((m) => [m.destination, m.source])).toEqual([
    ['/etc/resolv.conf', '/mine'],
    ['/etc/hosts', '/run/tsrund/netns-etc/c1/hosts'],
    ['/etc/hostname', '/run/tsrund/netns-etc/c1/hostname'],
  ]);
  expect(base.linux!.namespaces).toHaveLength(3);
});

test("the host's network: no network namespace of its own, and no UTS namespace added", () => {
  const spec = taskSpecWithNetwork(base, attachment({ mode: 'host', netnsPath: '', hostname: 'the-host' }));
  expect(spec.linux!.namespaces).toEqual([{ type: 'pid' }, { type: 'mount' }]);
  expect(spec.hostname).toBe('tsrun');
});

test('a default hostname is the id made a host name', () => {
  expect(hostnameOf('0123456789abcdef')).toBe('0123456789ab');
  expect(hostnameOf('img.app+x-')).toBe('img-app-x');
  expect(hostnameOf('a-very-long-.id')).toBe('a-very-long');
});
