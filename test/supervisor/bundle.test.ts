/**
 * Image config → OCI config (supervisor/images/bundle.ts) and the image's User resolved in its
 * /etc/passwd and /etc/group (supervisor/images/user.ts), as the image spec's conversion and
 * docker's run semantics say.
 */
import type { ProcessOverrides } from '../../supervisor/api/types';
import { EMPTY_OVERRIDES } from '../../supervisor/containers/overrides';
import { imageAnnotations, imageArgs, imageSpec, type ImageConfig } from '../../supervisor/images/bundle';
import { resolveImageUser } from '../../supervisor/images/user';

const overrides = (o: Partial<ProcessOverrides>): ProcessOverrides => ({ ...EMPTY_OVERRIDES, ...o });
const root = { uid: 0, gid: 0, home: '/root' };

describe('the command: Entrypoint + Cmd with docker overrides', () => {
  const image: ImageConfig = { config: { Entrypoint: ['/entry', '-x'], Cmd: ['default', 'cmd'] } };
  test.each<[string, ImageConfig, Partial<ProcessOverrides> | null, string[]]>([
    ['both', image, null, ['/entry', '-x', 'default', 'cmd']],
    ['args replace Cmd only', image, { args: ['mine'] }, ['/entry', '-x', 'mine']],
    ['an entrypoint drops Cmd', image, { entrypoint: ['/other'] }, ['/other']],
    ['entrypoint and args', image, { entrypoint: ['/other'], args: ['a'] }, ['/other', 'a']],
    ['[""] clears the Entrypoint, args the whole command', image, { entrypoint: [''], args: ['a', 'b'] }, ['a', 'b']],
    ['[""] drops Cmd too', image, { entrypoint: [''] }, []],
    ['Cmd alone', { config: { Cmd: ['sh'] } }, null, ['sh']],
    ['Entrypoint alone', { config: { Entrypoint: ['/e'], Cmd: null } }, null, ['/e']],
    ['args alone', { config: {} }, { args: ['x'] }, ['x']],
  ])('%s', (_what, img, o, want) => {
    expect(imageArgs(img, o && overrides(o))).toEqual(want);
  });

  test('no command at all is refused naming the image', () => {
    expect(() => imageSpec({ config: {} }, root, null, 'example/empty:1')).toThrow('image example/empty:1 has no Entrypoint or Cmd: give the command to run');
  });
});

test('the config: no terminal, a writable root, Env with PATH and HOME added only when missing, WorkingDir, user', () => {
  const spec = imageSpec({ config: { Cmd: ['sh'], Env: ['A=1', 'HOME=/mine'], WorkingDir: 'srv' } }, { uid: 5, gid: 6, additionalGids: [7] }, null, 'i');
  expect(spec.process).toMatchObject({
    terminal: false,
    args: ['sh'],
    env: ['A=1', 'HOME=/mine', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    cwd: '/srv',
    user: { uid: 5, gid: 6, additionalGids: [7] },
  });
  expect(spec.root).toEqual({ path: 'rootfs', readonly: false });
  const plain = imageSpec({ config: { Cmd: ['sh'], Env: ['PATH=/bin'] } }, root, null, 'i');
  expect(plain.process!.env).toEqual(['PATH=/bin', 'HOME=/root']);
  expect(plain.process!.cwd).toBe('/');
  expect(plain.annotations).toBeUndefined();
  // The runtime's defaults stay: namespaces, masked paths, capabilities.
  expect(plain.linux!.maskedPaths).toContain('/proc/kcore');
  expect(plain.process!.capabilities!.bounding).toEqual(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
});

test('annotations: the implicit org.opencontainers.image.* of the conversion, Labels winning', () => {
  expect(
    imageAnnotations({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
      'os.features': ['a', 'b'],
      author: 'me',
      created: '2020-01-01T00:00:00Z',
      config: { StopSignal: 'SIGQUIT', ExposedPorts: { '80/tcp': {}, '53/udp': {} }, Labels: { 'org.opencontainers.image.os': 'label', x: 'y' } },
    }),
  ).toEqual({
    'org.opencontainers.image.os': 'label',
    'org.opencontainers.image.architecture': 'arm64',
    'org.opencontainers.image.variant': 'v8',
    'org.opencontainers.image.os.features': 'a,b',
    'org.opencontainers.image.author': 'me',
    'org.opencontainers.image.created': '2020-01-01T00:00:00Z',
    'org.opencontainers.image.stopSignal': 'SIGQUIT',
    'org.opencontainers.image.exposedPorts': '80/tcp,53/udp',
    x: 'y',
  });
});

describe('User', () => {
  const files = {
    passwd: '# comment\nroot:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:App:/home/app:/bin/sh\nbroken line\nweb:x:33:33::/var/www:/bin/false\n',
    group: 'root:x:0:\napp:x:1001:\nwheel:x:10:app,web\naudio:x:29:app\nweb:x:33:\n',
  };
  test.each<[string, { uid: number; gid: number; additionalGids?: number[]; home?: string }]>([
    ['', { uid: 0, gid: 0, home: '/root' }],
    ['app', { uid: 1000, gid: 1001, additionalGids: [10, 29], home: '/home/app' }],
    ['1000', { uid: 1000, gid: 1001, home: '/home/app' }],
    ['4242', { uid: 4242, gid: 0 }],
    ['4242:4343', { uid: 4242, gid: 4343 }],
    ['app:web', { uid: 1000, gid: 33, home: '/home/app' }],
    ['web:10', { uid: 33, gid: 10, home: '/var/www' }],
    ['1000:audio', { uid: 1000, gid: 29, home: '/home/app' }],
  ])('%j', (user, want) => {
    expect(resolveImageUser(user, files)).toEqual(want);
  });

  test.each<[string, { passwd: string | null; group: string | null }, string]>([
    ['ghost', files, `user "ghost" is not in the image's /etc/passwd`],
    ['app:ghosts', files, `group "ghosts" is not in the image's /etc/group`],
    ['app', { passwd: null, group: null }, `user "app" is not in the image's /etc/passwd (the image has none)`],
    ['0:staff', { passwd: files.passwd, group: null }, `group "staff" is not in the image's /etc/group (the image has none)`],
    ['app:', files, `user "app:" is not "user", "user:group", "uid" or "uid:gid"`],
    [':1', files, `user ":1" is not "user", "user:group", "uid" or "uid:gid"`],
  ])('%j is refused', (user, f, message) => {
    expect(() => resolveImageUser(user, f)).toThrow(message);
  });
});
