/**
 * Containers from images end to end through a real tsrund: images imported as OCI archives
 * (the busybox one of test/helpers/oci-image.ts, and a multi-layer one built here with a user,
 * whiteouts and an opaque directory), Containers.Create by image reference, the task run under its
 * monitor on an overlay mounted inside the container's mount namespace, its output; each
 * container's own writable layer; Delete removing it; image removal collecting unused layers;
 * bad images and bad requests refused with nothing left.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GrpcStatus } from '../../supervisor/client/client';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { emptied, TestDaemon, failure, runTaskToEnd } from './daemon';
import { buildArchive, busyboxLayer } from './image-archive';
import { dir, file, tarOf, type TestEntry } from './snapshots-helpers';

jest.setTimeout(120_000);

const daemon = new TestDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-image-run-'));
const c = () => daemon.client;

beforeAll(() => daemon.start());
afterAll(async () => {
  await daemon.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Create, start and wait: the exit status and what the task wrote. */
const runToEnd = (id: string) => runTaskToEnd(c(), id);

const activeDir = (id: string) => path.join(daemon.root, 'snapshots', 'active', id);
const bundleDir = (id: string) => path.join(daemon.state, 'bundles', id);
const layerCount = () => fs.readdirSync(path.join(daemon.root, 'snapshots', 'layers')).length;

const APP_NAME = 'localhost/tsrun-test/app:1';
const appLayer: TestEntry[] = [
  file('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\napp:x:1234:2345:app:/home/app:/bin/sh\n'),
  file('etc/group', 'root:x:0:\napp:x:2345:\nextra:x:3000:app,other\n'),
  dir('home/app', { uid: 1234, gid: 2345, mode: 0o700 }),
  dir('work', { uid: 1234, gid: 2345, mode: 0o755 }),
  { h: { path: 'bin/.wh.vi', type: 'file', mode: 0o600 } },
  { h: { path: 'root/.wh..wh..opq', type: 'file', mode: 0o600 } },
  file('root/only-this', 'x'),
];
const appConfig = {
  created: '2024-01-02T03:04:05Z',
  author: 'tsrun tests',
  config: {
    User: 'app',
    Entrypoint: ['/bin/sh', '-c'],
    Cmd: ['echo "$GREETING from $(pwd) home=$HOME"; id; ls /bin/vi 2>&1 || true; ls /root; touch /tmp/created-by-$(hostname)'],
    Env: ['GREETING=hi', 'PATH=/bin:/usr/bin'],
    WorkingDir: '/work',
    Labels: { 'com.example.team': 'runtime', 'org.opencontainers.image.author': 'the label wins' },
    StopSignal: 'SIGINT',
  },
};

test('busybox from an imported OCI archive: Containers.Create by image reference, then a task prints its output', async () => {
  const { file: archive, ref } = buildBusyboxArchive(work, 'localhost/tsrun-test/busybox:1');
  await c().importImages(archive);
  const created = await c().createContainer({ id: 'img-busybox', image: ref, overrides: { args: ['sh', '-c', 'echo hello from an image; id -u; cat /proc/self/mountinfo | head -1'] } });
  expect(created.image).toBe(ref);
  expect(created.bundle).toBe(bundleDir('img-busybox'));
  const spec = JSON.parse(created.specJson);
  expect(spec.process).toMatchObject({ terminal: false, cwd: '/', user: { uid: 0, gid: 0 } });
  expect(spec.root).toEqual({ path: 'rootfs', readonly: false });
  expect(JSON.parse(fs.readFileSync(path.join(bundleDir('img-busybox'), 'config.json'), 'utf8'))).toEqual(spec);
  const { status, out } = await runToEnd('img-busybox');
  expect(status).toBe(0);
  const [hello, uid, rootMount] = out.split('\n');
  expect(hello).toBe('hello from an image');
  expect(uid).toBe('0');
  expect(rootMount).toMatch(/ \/ .* - overlay overlay /);
  // The host's mount namespace never saw the overlay.
  expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(activeDir('img-busybox'));
  await c().deleteContainer('img-busybox');
  expect(fs.existsSync(activeDir('img-busybox'))).toBe(false);
  expect(fs.existsSync(bundleDir('img-busybox'))).toBe(false);
});

test('a multi-layer image: Entrypoint + Cmd, Env, WorkingDir, a user by name with its groups, whiteouts and an opaque directory', async () => {
  const archive = buildArchive(work, APP_NAME, [{ tar: busyboxLayer() }, { tar: await tarOf(appLayer), gzip: true }], appConfig);
  await c().importImages(archive);
  const created = await c().createContainer({ id: 'img-app', image: APP_NAME });
  const spec = JSON.parse(created.specJson);
  expect(spec.process.args).toEqual(['/bin/sh', '-c', appConfig.config.Cmd[0]]);
  expect(spec.process.user).toEqual({ uid: 1234, gid: 2345, additionalGids: [3000] });
  expect(spec.process.env).toEqual(['GREETING=hi', 'PATH=/bin:/usr/bin', 'HOME=/home/app']);
  expect(spec.annotations).toMatchObject({
    'com.example.team': 'runtime',
    'org.opencontainers.image.author': 'the label wins',
    'org.opencontainers.image.created': '2024-01-02T03:04:05Z',
    'org.opencontainers.image.stopSignal': 'SIGINT',
    'org.opencontainers.image.os': 'linux',
  });
  const { status, out } = await runToEnd('img-app');
  expect({ status, out }).toMatchObject({ status: 0 });
  const lines = out.split('\n');
  expect(lines[0]).toBe('hi from /work home=/home/app');
  expect(lines[1]).toMatch(/^uid=1234\(app\) gid=2345\(app\) groups=(2345\(app\),)?3000\(extra\)$/);
  expect(lines[2]).toMatch(/\/bin\/vi.*No such file or directory/);
  expect(lines[3]).toBe('only-this');
  // The write went to this container's upper layer, nowhere else (its hostname is the first 12 characters of its id, as with Docker).
  expect(fs.readdirSync(path.join(activeDir('img-app'), 'upper', 'tmp'))).toEqual(['created-by-img-app']);

  await c().createContainer({ id: 'img-app-2', image: APP_NAME, overrides: { args: ['ls /tmp/created-by-img-app 2>&1; echo $EXTRA'], env: ['EXTRA=yes'] } });
  const second = await runToEnd('img-app-2');
  expect(second.out).toMatch(/created-by-img-app.*No such file or directory\nyes\n$/);
  await c().deleteContainer('img-app');
  await c().deleteContainer('img-app-2');
});

test('overrides: entrypoint drops the image Cmd, user by name or uid:gid, and a bad user is INVALID_ARGUMENT with nothing left', async () => {
  const created = await c().createContainer({ id: 'img-ep', image: APP_NAME, overrides: { entrypoint: ['/bin/echo'], user: 'root' } });
  expect(JSON.parse(created.specJson).process).toMatchObject({ args: ['/bin/echo'], user: { uid: 0, gid: 0 } });
  await c().deleteContainer('img-ep');
  const numeric = await c().createContainer({ id: 'img-num', image: APP_NAME, overrides: { user: '1234:3000', args: ['id'] } });
  expect(JSON.parse(numeric.specJson).process).toMatchObject({ args: ['/bin/sh', '-c', 'id'], user: { uid: 1234, gid: 3000 } });
  expect(JSON.parse(numeric.specJson).process.user.additionalGids).toBeUndefined();
  await c().deleteContainer('img-num');

  const ghost = await failure(c().createContainer({ id: 'img-ghost', image: APP_NAME, overrides: { user: 'ghost' } }));
  expect(ghost).toEqual({ code: GrpcStatus.INVALID_ARGUMENT, details: `overrides.user: image ${APP_NAME}: user "ghost" is not in the image's /etc/passwd` });
  const noGroup = await failure(c().createContainer({ id: 'img-ghost', image: APP_NAME, overrides: { user: 'app:nogroup' } }));
  expect(noGroup?.details).toMatch(/group "nogroup" is not in the image's \/etc\/group/);
  const unknown = await failure(c().createContainer({ id: 'img-ghost', image: 'localhost/no/such:image' }));
  expect(unknown?.code).toBe(GrpcStatus.NOT_FOUND);
  const bundleEp = await failure(c().createContainer({ id: 'img-ghost', bundle: '/nonexistent', overrides: { entrypoint: ['x'] } }));
  expect(bundleEp?.details).toMatch(/^overrides.entrypoint: only an image has an entrypoint/);
  expect(fs.existsSync(activeDir('img-ghost'))).toBe(false);
  expect(fs.existsSync(bundleDir('img-ghost'))).toBe(false);
  expect(fs.readdirSync(path.join(daemon.root, 'snapshots', 'active'))).toEqual([]);
});

test('an image with an escaping layer cannot be created: FAILED_PRECONDITION naming the entry, nothing unpacked', async () => {
  const before = layerCount();
  const evil = await tarOf([file('ok', 'x'), { h: { path: 'link', type: 'symlink', linkname: '/etc' } }, file('link/tsrun-escape', 'x')]);
  await c().importImages(buildArchive(work, 'localhost/tsrun-test/evil:1', [{ tar: busyboxLayer() }, { tar: evil }], { config: { Cmd: ['true'] } }));
  const f = await failure(c().createContainer({ id: 'img-evil', image: 'localhost/tsrun-test/evil:1' }));
  expect(f?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  expect(f?.details).toMatch(/entry "link\/tsrun-escape": its parent "link" is a symlink: writing through it is refused/);
  expect(fs.existsSync('/etc/tsrun-escape')).toBe(false);
  expect(layerCount()).toBe(Math.max(before, 1));
  expect(await emptied(path.join(daemon.root, 'snapshots', 'tmp'))).toEqual([]);
  expect(fs.existsSync(activeDir('img-evil'))).toBe(false);
  await c().deleteImage('localhost/tsrun-test/evil:1');
});

test('removing an image collects the layers no image or container uses', async () => {
  const name = 'localhost/tsrun-test/gc:1';
  await c().importImages(buildArchive(work, name, [{ tar: busyboxLayer() }, { tar: await tarOf([file('gc-only', 'x')]) }], { config: { Cmd: ['true'] } }));
  await c().createContainer({ id: 'img-gc', image: name });
  const withContainer = layerCount();
  await c().deleteImage(name);
  expect(layerCount()).toBe(withContainer);
  await c().deleteContainer('img-gc');
  await c().importImages(buildArchive(work, 'localhost/tsrun-test/other:1', [{ tar: await tarOf([file('x', 'y')]) }], { config: { Cmd: ['true'] } }));
  await c().deleteImage('localhost/tsrun-test/other:1');
  // The gc layer went with the last reference; the busybox base stays for the images that remain.
  expect(layerCount()).toBe(withContainer - 1);
  for (const img of await c().listImages()) await c().deleteImage(img.name);
  expect(layerCount()).toBe(0);
});
