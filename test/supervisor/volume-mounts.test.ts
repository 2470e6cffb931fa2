/**
 * A container's volumes as Containers.Create resolves them (supervisor/volumes/mounts.ts) and the
 * names volumes may have (names.ts): anonymous ones named, the image's VOLUMEs and volumes_from
 * added where nothing else mounts, binds checked on the host, hostile names and paths refused
 * naming the request field.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { VolumeMount } from '../../supervisor/api/types';
import { resolveVolumes, volumeSpecMounts } from '../../supervisor/volumes/mounts';
import { checkVolumeName } from '../../supervisor/volumes/names';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-volume-mounts-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const vol = (o: Partial<VolumeMount>): VolumeMount => ({ type: '', source: '', destination: '', readOnly: false, nocopy: false, propagation: '', ...o });
const resolve = (volumes: VolumeMount[], o: { imageVolumes?: string[]; volumesFrom?: string[]; mounts?: string[]; others?: Record<string, VolumeMount[]> } = {}) =>
  resolveVolumes(
    { volumes, volumesFrom: o.volumesFrom ?? [], mounts: (o.mounts ?? []).map((destination) => ({ destination, type: 'tmpfs', source: 'tmpfs', options: [] })) },
    o.imageVolumes ?? [],
    (id) => o.others?.[id] ?? null,
  );

test('anonymous volumes get 64 hex digits; named ones and binds stay as given; paths are normalized', () => {
  fs.mkdirSync(path.join(work, 'host'));
  const r = resolve([vol({ destination: '/a/' }), vol({ source: 'named', destination: '/b//c' }), vol({ type: 'bind', source: `${work}/host/`, destination: '/h', readOnly: true })]);
  expect(r.volumes[0]).toEqual(vol({ type: 'volume', source: expect.stringMatching(/^[0-9a-f]{64}$/), destination: '/a' }));
  expect(r.anonymous).toEqual(new Set([r.volumes[0].source]));
  expect(r.volumes[1]).toEqual(vol({ type: 'volume', source: 'named', destination: '/b/c' }));
  expect(r.volumes[2]).toEqual(vol({ type: 'bind', source: `${work}/host`, destination: '/h', readOnly: true }));
});

test("the image's VOLUMEs get anonymous volumes unless something is mounted there; volumes_from fills in the rest with its mode", () => {
  const theirs = [vol({ type: 'volume', source: 'shared', destination: '/s' }), vol({ type: 'volume', source: 'other', destination: '/mine' })];
  const r = resolve([vol({ source: 'mine', destination: '/mine' })], { imageVolumes: ['/var/lib/db', '/t', '/mine/'], volumesFrom: ['c1:ro'], mounts: ['/t'], others: { c1: theirs } });
  expect(r.volumes.map((v) => [v.source.length === 64 ? 'anonymous' : v.source, v.destination, v.readOnly])).toEqual([
    ['mine', '/mine', false],
    ['shared', '/s', true],
    ['anonymous', '/var/lib/db', false],
  ]);
  expect(resolve([], { volumesFrom: ['c1'], others: { c1: [{ ...theirs[0], readOnly: true }] } }).volumes[0].readOnly).toBe(true);
  expect(resolve([], { volumesFrom: ['c1:rw'], others: { c1: [{ ...theirs[0], readOnly: true }] } }).volumes[0].readOnly).toBe(false);
});

test('the config gets rbind mounts of the volumes\' _data and the binds, shallowest first', () => {
  const mounts = volumeSpecMounts(
    [vol({ type: 'volume', source: 'v', destination: '/a/b', readOnly: true }), vol({ type: 'bind', source: '/srv', destination: '/a', propagation: 'rshared' })],
    (name) => `/root/volumes/${name}/_data`,
  );
  expect(mounts).toEqual([
    { destination: '/a', type: 'bind', source: '/srv', options: ['rbind', 'rw', 'rshared'] },
    { destination: '/a/b', type: 'bind', source: '/root/volumes/v/_data', options: ['rbind', 'ro', 'rprivate'] },
  ]);
});

describe('refused in one line naming the field', () => {
  beforeAll(() => {
    fs.mkdirSync(path.join(work, 'real'), { recursive: true });
    fs.symlinkSync(path.join(work, 'real'), path.join(work, 'link'));
  });
  test.each([
    [[vol({ destination: 'rel' })], 'overrides.volumes[0].destination: "rel" is not an absolute path'],
    [[vol({ destination: '/a/../etc' })], 'overrides.volumes[0].destination: "/a/../etc" has a ".." component'],
    [[vol({ destination: '/' })], 'overrides.volumes[0].destination: a volume cannot be mounted on /'],
    [[vol({ destination: '/a\0b' })], 'overrides.volumes[0].destination: contains a NUL character'],
    [[vol({ destination: '/a' }), vol({ destination: '/a/' })], 'overrides.volumes[1].destination: /a: another mount has that destination already'],
    [[vol({ source: '..', destination: '/a' })], 'overrides.volumes[0].source: ".." is not a volume name'],
    [[vol({ source: 'a/b', destination: '/a' })], 'overrides.volumes[0].source: "a/b" is not a volume name'],
    [[vol({ source: 'x\0', destination: '/a' })], 'overrides.volumes[0].source: "x\\u0000" is not a volume name'],
    [[vol({ type: 'nfs', destination: '/a' })], 'overrides.volumes[0].type: "nfs": a volume mount is of type "volume" or "bind"'],
    [[vol({ type: 'bind', source: 'rel', destination: '/a' })], 'overrides.volumes[0].source: "rel" is not an absolute path'],
    [[vol({ type: 'bind', source: '/no/such/dir', destination: '/a' })], 'overrides.volumes[0].source: /no/such/dir does not exist'],
    [[vol({ type: 'bind', source: '/srv/../etc', destination: '/a' })], 'overrides.volumes[0].source: "/srv/../etc" has a ".." component'],
    [[vol({ type: 'bind', source: '/etc\0', destination: '/a' })], 'overrides.volumes[0].source: contains a NUL character'],
    [[vol({ type: 'bind', source: '/etc', destination: '/a', nocopy: true })], 'overrides.volumes[0].nocopy: is for volumes, not binds'],
    [[vol({ destination: '/a', propagation: 'shared' })], 'overrides.volumes[0].propagation: is for binds, not volumes'],
  ])('%j', (volumes, message) => {
    expect(() => resolve(volumes)).toThrow(message);
  });

  test('a bind source reached through a symlink', () => {
    expect(() => resolve([vol({ type: 'bind', source: path.join(work, 'link'), destination: '/a' })])).toThrow(
      `overrides.volumes[0].source: ${work}/link is reached through a symlink (it is ${work}/real): give the real path`,
    );
  });

  test('volumes_from of no container, or not an id', () => {
    expect(() => resolve([], { volumesFrom: ['ghost'] })).toThrow('overrides.volumes_from[0]: no container ghost');
    expect(() => resolve([], { volumesFrom: ['../x:ro'] })).toThrow('overrides.volumes_from[0]: "../x" is not a valid id');
  });
});

test('volume names: docker\'s characters, a letter or digit first, at most 255', () => {
  for (const ok of ['a', 'db_data', 'x.y-z', '0', 'A'.repeat(255)]) expect(() => checkVolumeName('name', ok)).not.toThrow();
  for (const bad of ['', '.hidden', '-x', '_x', 'a b', 'a/b', '..', 'é', 'a\n', 'A'.repeat(256)]) expect(() => checkVolumeName('name', bad)).toThrow(/^name: /);
});
