/** tsctl's storage flags (supervisor/tsctl/volume-flags.ts) as the API's overrides, docker's grammar. */
import { parseMountFlag, parseTmpfsFlag, parseVolumeFlag, storageOverrides } from '../../supervisor/tsctl/volume-flags';

const vol = (o: object) => ({ type: 'volume', source: '', readOnly: false, nocopy: false, propagation: '', ...o });

describe('-v', () => {
  test('an anonymous volume, a named one, a bind, with their options', () => {
    expect(parseVolumeFlag('/data')).toEqual(vol({ destination: '/data' }));
    expect(parseVolumeFlag('cache:/var/cache')).toEqual(vol({ source: 'cache', destination: '/var/cache' }));
    expect(parseVolumeFlag('cache:/var/cache:ro,nocopy')).toEqual(vol({ source: 'cache', destination: '/var/cache', readOnly: true, nocopy: true }));
    expect(parseVolumeFlag('/srv/www:/www:ro,rshared')).toEqual(vol({ type: 'bind', source: '/srv/www', destination: '/www', readOnly: true, propagation: 'rshared' }));
    expect(parseVolumeFlag('/srv/www:/www:rw')).toEqual(vol({ type: 'bind', source: '/srv/www', destination: '/www' }));
  });

  test.each([
    ['data', 'an anonymous volume needs an absolute path'],
    ['a:b:c:d', 'expected SOURCE:DESTINATION'],
    [':/x', 'expected SOURCE:DESTINATION'],
    ['./rel:/x', './rel is neither a volume name nor an absolute host path'],
    ['a/b:/x', 'a/b is neither a volume name nor an absolute host path'],
    ['v:/x:exec', 'unknown option "exec" (for a volume: ro, rw, nocopy)'],
    ['/h:/x:nocopy', 'unknown option "nocopy" (for a bind'],
  ])('%s is refused in one line', (value, why) => {
    expect(() => parseVolumeFlag(value)).toThrow(`-v ${JSON.stringify(value)}: ${why}`);
  });
});

describe('--mount', () => {
  test('type=volume (the default), bind and tmpfs with docker\'s field names', () => {
    expect(parseMountFlag('source=v,target=/d,readonly,volume-nocopy')).toEqual(vol({ source: 'v', destination: '/d', readOnly: true, nocopy: true }));
    expect(parseMountFlag('type=volume,dst=/d')).toEqual(vol({ destination: '/d' }));
    expect(parseMountFlag('type=bind,src=/srv,destination=/d,ro=false,bind-propagation=rslave')).toEqual(
      vol({ type: 'bind', source: '/srv', destination: '/d', propagation: 'rslave' }),
    );
    expect(parseMountFlag('type=tmpfs,target=/t,tmpfs-size=64m,tmpfs-mode=1770')).toEqual({
      destination: '/t',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'noexec', 'size=64m', 'mode=1770'],
    });
  });

  test.each([
    ['type=bind,target=/d', 'a bind needs source='],
    ['type=volume,source=v', 'target= is required'],
    ['type=nfs,target=/d', 'type=nfs: give volume, bind or tmpfs'],
    ['type=tmpfs,source=x,target=/d', 'a tmpfs has no source'],
    ['type=volume,target=/d,tmpfs-size=1', 'unknown field tmpfs-size for type=volume'],
    ['target=/d,volume-driver=nfs', 'volume-driver=nfs: only "local" volumes exist here'],
    ['target=/d,readonly=maybe', 'readonly=maybe: expected true or false'],
    ['type=bind,source=/s,target=/d,bind-propagation=up', 'bind-propagation=up: give one of'],
  ])('%s is refused', (value, why) => {
    expect(() => parseMountFlag(value)).toThrow(`--mount ${JSON.stringify(value)}: ${why}`);
  });
});

test('--tmpfs /path[:options]: docker\'s defaults first, then the options given', () => {
  expect(parseTmpfsFlag('/run')).toEqual({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec'] });
  expect(parseTmpfsFlag('/run:size=1m,mode=700,exec').options).toEqual(['nosuid', 'nodev', 'noexec', 'size=1m', 'mode=700', 'exec']);
  expect(() => parseTmpfsFlag('run')).toThrow('--tmpfs "run": expected /PATH[:OPTIONS]');
  expect(() => parseTmpfsFlag('/run:size=1m,,')).toThrow('an empty option');
});

test('the flags together make the overrides: volumes, volumes_from, mounts', () => {
  const o = storageOverrides({ volume: ['/a', 'n:/b'], mount: ['type=tmpfs,target=/t', 'type=bind,source=/s,target=/c'], tmpfs: ['/u'], 'volumes-from': ['other:ro'] });
  expect(o.volumes.map((v) => v.destination)).toEqual(['/a', '/b', '/c']);
  expect(o.mounts.map((m) => m.destination)).toEqual(['/t', '/u']);
  expect(o.volumesFrom).toEqual(['other:ro']);
  expect(storageOverrides({})).toEqual({ volumes: [], volumesFrom: [], mounts: [] });
});
