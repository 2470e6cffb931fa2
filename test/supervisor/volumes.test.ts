/**
 * Volumes end to end through a real tsrund (images imported as OCI archives: the test busybox and
 * one built here with a VOLUME and content owned by a user): data written in one container and
 * read in the next, two containers sharing a volume live, read-only mounts refused with EROFS
 * inside, copy-up from the image (owners and modes kept; an existing volume never overwritten),
 * volumes across a tsrund restart, Delete refused while a container uses a volume, anonymous
 * volumes of an image's VOLUME removed by rm -v, host binds, tmpfs, volumes_from, tsctl's volume
 * commands and run flags, and hostile names and paths refused in one line with nothing made.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { GrpcStatus, type VolumeMount } from '../../supervisor/client/client';
import { makeBundle } from '../helpers/bundle';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { failure, runTaskToEnd, TestDaemon, TSCTL } from './daemon';
import { buildArchive, busyboxLayer } from './image-archive';
import { dir, file, tarOf } from './snapshots-helpers';

jest.setTimeout(120_000);

const daemon = new TestDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-volumes-'));
const c = () => daemon.client;
const BUSYBOX = 'localhost/tsrun-test/volumes-busybox:1';
const APP = 'localhost/tsrun-test/volumes-app:1';

beforeAll(async () => {
  await daemon.start();
  await c().importImages(buildBusyboxArchive(work, BUSYBOX).file);
  const appLayer = await tarOf([
    dir('data', { uid: 1234, gid: 2345, mode: 0o750 }),
    file('data/seed', 'from the image\n', { uid: 1234, gid: 2345, mode: 0o640 }),
    dir('data/sub', { uid: 7, gid: 8, mode: 0o700 }),
    { h: { path: 'data/escape', type: 'symlink', linkname: '../../../../../../etc', mode: 0o777 } },
  ]);
  await c().importImages(buildArchive(work, APP, [{ tar: busyboxLayer() }, { tar: appLayer }], { config: { Cmd: ['sh'], Volumes: { '/data': {} } } }));
});
afterAll(async () => {
  await daemon.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

const vol = (o: Partial<VolumeMount> & { destination: string }): VolumeMount => ({ type: 'volume', source: '', readOnly: false, nocopy: false, propagation: '', ...o });
const mountpoint = (name: string) => path.join(daemon.root, 'volumes', name, '_data');

/** Create container `id` from `image` running `script` with `volumes`, run it to its end: its status and output. */
async function run(id: string, script: string, o: { volumes?: VolumeMount[]; image?: string; volumesFrom?: string[]; remove?: boolean; user?: string } = {}) {
  await c().createContainer({
    id,
    image: o.image ?? BUSYBOX,
    overrides: { args: ['sh', '-c', script], volumes: o.volumes ?? [], volumesFrom: o.volumesFrom ?? [], user: o.user ?? '' },
  });
  const result = await runTaskToEnd(c(), id);
  if (o.remove ?? true) await c().deleteContainer(id);
  return result;
}

test('the Volumes API: create with labels, get, list with label filters, duplicates refused', async () => {
  const v = await c().createVolume('api-one', { labels: { team: 'db' } });
  expect(v).toMatchObject({ name: 'api-one', driver: 'local', mountpoint: mountpoint('api-one'), labels: { team: 'db' }, anonymous: false, containers: [] });
  expect(fs.statSync(mountpoint('api-one')).mode & 0o7777).toBe(0o755);
  await c().createVolume('api-two');
  const anon = await c().createVolume('');
  expect(anon.name).toMatch(/^[0-9a-f]{64}$/);
  expect(anon.anonymous).toBe(true);
  expect((await c().listVolumes({ labelFilters: ['team=db'] })).map((x) => x.name)).toEqual(['api-one']);
  expect((await c().getVolume('api-two')).name).toBe('api-two');
  expect(await failure(c().createVolume('api-one'))).toEqual({ code: GrpcStatus.ALREADY_EXISTS, details: 'volume api-one already exists' });
  expect(await failure(c().getVolume('nope'))).toEqual({ code: GrpcStatus.NOT_FOUND, details: 'volume nope not found' });
  for (const name of ['api-one', 'api-two', anon.name]) await c().deleteVolume(name);
  expect(await c().listVolumes()).toEqual([]);
});

test('written in one container, read in the next after the first is removed; the volume is made on first use', async () => {
  const first = await run('vol-writer', 'echo kept > /notes/line; echo written', { volumes: [vol({ source: 'notes', destination: '/notes' })] });
  expect(first).toEqual({ status: 0, out: 'written\n' });
  expect(await c().getVolume('notes')).toMatchObject({ anonymous: false, containers: [] });
  const second = await run('vol-reader', 'cat /notes/line', { volumes: [vol({ source: 'notes', destination: '/notes' })] });
  expect(second).toEqual({ status: 0, out: 'kept\n' });
  await c().deleteVolume('notes');
});

test('a bundle container mounts volumes too (nothing to fill them from): what it writes an image container reads', async () => {
  const bundle = makeBundle(['sh', '-c', 'ls -A /v | wc -l; echo from a bundle > /v/f']);
  try {
    await c().createContainer({ id: 'vol-bundle', bundle: bundle.dir, overrides: { volumes: [vol({ source: 'across', destination: '/v' })] } });
    await c().createTask('vol-bundle');
    await c().startTask('vol-bundle');
    expect((await c().wait('vol-bundle')).exitStatus).toBe(0);
    await c().deleteTask('vol-bundle');
    await c().deleteContainer('vol-bundle');
  } finally {
    bundle.cleanup();
  }
  expect((await run('vol-after-bundle', 'cat /v/f', { volumes: [vol({ source: 'across', destination: '/v' })] })).out).toBe('from a bundle\n');
  await c().deleteVolume('across');
});

test('two running containers share a volume: what one writes the other sees at once', async () => {
  const volumes = [vol({ source: 'shared', destination: '/shared' })];
  await c().createContainer({ id: 'vol-waiter', image: BUSYBOX, overrides: { args: ['sh', '-c', 'while [ ! -f /shared/hello ]; do sleep 0.05; done; cat /shared/hello'], volumes } });
  await c().createTask('vol-waiter');
  await c().startTask('vol-waiter');
  expect((await c().getVolume('shared')).containers).toEqual(['vol-waiter']);
  expect(await run('vol-sayer', 'echo hello from the other > /shared/hello', { volumes })).toEqual({ status: 0, out: '' });
  expect((await c().wait('vol-waiter')).exitStatus).toBe(0);
  const out: string[] = [];
  for await (const e of c().logs('vol-waiter')) out.push(e.text);
  expect(out).toEqual(['hello from the other']);
  await c().deleteTask('vol-waiter');
  await c().deleteContainer('vol-waiter');
  await c().deleteVolume('shared');
});

test(':ro is enforced: a write fails inside with EROFS, and the volume is unchanged', async () => {
  await run('vol-ro-fill', 'echo original > /v/f', { volumes: [vol({ source: 'ro-vol', destination: '/v' })] });
  const r = await run('vol-ro', '(echo changed > /v/f) 2>&1; echo status=$?; cat /v/f', { volumes: [vol({ source: 'ro-vol', destination: '/v', readOnly: true })] });
  expect(r.out).toBe("sh: can't create /v/f: Read-only file system\nstatus=1\noriginal\n");
  expect(fs.readFileSync(path.join(mountpoint('ro-vol'), 'f'), 'utf8')).toBe('original\n');
  await c().deleteVolume('ro-vol');
});

test("copy-up: a new volume at the image's /data gets its content, owners and modes; an existing one is never overwritten", async () => {
  const show = 'stat -c "%n %u:%g %a" /data /data/seed /data/sub; cat /data/seed; readlink /data/escape';
  // As the owner: the default capabilities hold no CAP_DAC_OVERRIDE, so modes count for root too.
  const r = await run('vol-copy', `${show}; echo mine > /data/seed`, { image: APP, user: '1234:2345', volumes: [vol({ source: 'filled', destination: '/data' })] });
  expect(r).toEqual({ status: 0, out: '/data 1234:2345 750\n/data/seed 1234:2345 640\n/data/sub 7:8 700\nfrom the image\n../../../../../../etc\n' });
  // The symlink is copied as a link, not followed: the host's /etc is nowhere in the volume.
  expect(fs.lstatSync(path.join(mountpoint('filled'), 'escape')).isSymbolicLink()).toBe(true);
  expect(fs.readdirSync(mountpoint('filled')).sort()).toEqual(['escape', 'seed', 'sub']);
  const again = await run('vol-copy-2', 'cat /data/seed', { image: APP, user: '1234', volumes: [vol({ source: 'filled', destination: '/data' })] });
  expect(again.out).toBe('mine\n');
  // A volume that has content (here put there by the host) is not filled either; nocopy keeps a new one empty.
  await c().createVolume('preset');
  fs.writeFileSync(path.join(mountpoint('preset'), 'own'), 'x');
  expect((await run('vol-preset', 'ls /data', { image: APP, volumes: [vol({ source: 'preset', destination: '/data' })] })).out).toBe('own\n');
  expect((await run('vol-nocopy', 'ls -A /data | wc -l', { image: APP, volumes: [vol({ source: 'empty', destination: '/data', nocopy: true })] })).out.trim()).toBe('0');
  for (const name of ['filled', 'preset', 'empty']) await c().deleteVolume(name);
});

test("an image's VOLUME gets an anonymous volume (filled from the image) that rm -v removes; without -v it stays until a prune", async () => {
  const created = await c().createContainer({ id: 'vol-anon', image: APP, overrides: { args: ['true'] } });
  const [anon] = created.overrides!.volumes;
  expect(anon).toMatchObject({ type: 'volume', source: expect.stringMatching(/^[0-9a-f]{64}$/), destination: '/data' });
  expect(await c().getVolume(anon.source)).toMatchObject({ anonymous: true, containers: ['vol-anon'] });
  expect(fs.readFileSync(path.join(mountpoint(anon.source), 'seed'), 'utf8')).toBe('from the image\n');
  await c().deleteContainer('vol-anon', { removeVolumes: true });
  expect(await failure(c().getVolume(anon.source))).toMatchObject({ code: GrpcStatus.NOT_FOUND });
  expect(fs.existsSync(path.join(daemon.root, 'volumes', anon.source))).toBe(false);

  // A -v on the VOLUME's path takes its place; without remove_volumes an anonymous volume stays.
  const named = await c().createContainer({ id: 'vol-named', image: APP, overrides: { args: ['true'], volumes: [vol({ source: 'over', destination: '/data/' })] } });
  expect(named.overrides!.volumes.map((v) => v.source)).toEqual(['over']);
  await c().deleteContainer('vol-named', { removeVolumes: true });
  expect((await c().getVolume('over')).anonymous).toBe(false);
  const kept = (await c().createContainer({ id: 'vol-kept', image: APP, overrides: { args: ['true'] } })).overrides!.volumes[0].source;
  await c().deleteContainer('vol-kept');
  expect(await c().pruneVolumes()).toEqual({ removed: [kept], bytesReclaimed: 'from the image\n'.length });
  expect((await c().pruneVolumes({ all: true })).removed).toEqual(['over']);
});

test('Delete of a volume in use is refused naming the container, and leaves it; once the container is gone it goes', async () => {
  await c().createContainer({ id: 'vol-user', image: BUSYBOX, overrides: { args: ['true'], volumes: [vol({ source: 'busy', destination: '/b' })] } });
  fs.writeFileSync(path.join(mountpoint('busy'), 'f'), 'still here');
  expect(await failure(c().deleteVolume('busy'))).toEqual({
    code: GrpcStatus.FAILED_PRECONDITION,
    details: 'volume busy is in use by container vol-user: remove the containers first',
  });
  expect(await c().pruneVolumes({ all: true })).toEqual({ removed: [], bytesReclaimed: 0 });
  expect(fs.readFileSync(path.join(mountpoint('busy'), 'f'), 'utf8')).toBe('still here');
  await c().deleteContainer('vol-user');
  await c().deleteVolume('busy');
  expect(fs.existsSync(path.join(daemon.root, 'volumes', 'busy'))).toBe(false);
});

test("host binds (ro and rw), tmpfs mounts, and volumes_from another container's volumes", async () => {
  const host = fs.mkdtempSync(path.join(work, 'bind-'));
  fs.writeFileSync(path.join(host, 'in'), 'from the host\n');
  const binds = [vol({ type: 'bind', source: host, destination: '/rw' }), vol({ type: 'bind', source: host, destination: '/ro', readOnly: true })];
  const r = await run('vol-bind', 'cat /rw/in; echo out > /rw/out; (echo x > /ro/x) 2>&1 || echo refused', { volumes: binds });
  expect(r.out).toBe("from the host\nsh: can't create /ro/x: Read-only file system\nrefused\n");
  expect(fs.readFileSync(path.join(host, 'out'), 'utf8')).toBe('out\n');

  await c().createContainer({
    id: 'vol-tmpfs',
    image: BUSYBOX,
    overrides: { args: ['sh', '-c', 'stat -c %a /scratch; grep " /scratch " /proc/self/mountinfo'], mounts: [{ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=1m', 'mode=1777'] }] },
  });
  await c().createTask('vol-tmpfs');
  await c().startTask('vol-tmpfs');
  await c().wait('vol-tmpfs');
  const lines: string[] = [];
  for await (const e of c().logs('vol-tmpfs')) lines.push(e.text);
  expect(lines[0]).toBe('1777');
  expect(lines[1]).toMatch(/ \/scratch .*nosuid,nodev,noexec.* - tmpfs tmpfs .*size=1024k/);
  await c().deleteTask('vol-tmpfs');
  await c().deleteContainer('vol-tmpfs');

  await run('vol-source', 'echo theirs > /from/f', { volumes: [vol({ source: 'lent', destination: '/from' })], remove: false });
  const from = await run('vol-from', 'cat /from/f; (echo x > /from/g) 2>&1 || echo refused', { volumesFrom: ['vol-source:ro'] });
  expect(from.out).toBe("theirs\nsh: can't create /from/g: Read-only file system\nrefused\n");
  await c().deleteContainer('vol-source');
  await c().deleteVolume('lent');
});

test('hostile names and paths are refused in one line naming the field, and nothing is made', async () => {
  const link = path.join(work, 'link-to-etc');
  fs.symlinkSync('/etc', link);
  const cases: [Partial<VolumeMount> & { destination: string }, string][] = [
    [{ source: '..', destination: '/x' }, 'overrides.volumes[0].source: ".." is not a volume name'],
    [{ source: '../../etc', destination: '/x' }, 'overrides.volumes[0].source: "../../etc" is not a volume name'],
    [{ source: 'a\0b', destination: '/x' }, 'overrides.volumes[0].source: "a\\u0000b" is not a volume name'],
    [{ source: 'ok', destination: '/x/../../etc' }, 'overrides.volumes[0].destination: "/x/../../etc" has a ".." component'],
    [{ type: 'bind', source: link, destination: '/x' }, `overrides.volumes[0].source: ${link} is reached through a symlink (it is /etc): give the real path`],
    [{ type: 'bind', source: `${work}/missing`, destination: '/x' }, `overrides.volumes[0].source: ${work}/missing does not exist on tsrund's host`],
  ];
  for (const [v, message] of cases) {
    const err = await failure(c().createContainer({ id: 'vol-hostile', image: BUSYBOX, overrides: { args: ['true'], volumes: [vol(v)] } }));
    expect(err?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(err?.details.slice(0, message.length)).toBe(message);
    expect(err?.details).not.toContain('\n');
  }
  expect(await failure(c().createVolume('../escape'))).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: expect.stringMatching(/^name: "..\/escape" is not a volume name/) });
  expect(await failure(c().deleteVolume('a/b'))).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  expect(await c().listContainers()).toEqual([]);
  expect(await c().listVolumes()).toEqual([]);
  expect(fs.readdirSync(path.join(daemon.root, 'volumes'))).toEqual([]);
});

const tsctl = (...args: string[]) => promisify(execFile)(TSCTL, ['--address', daemon.address, ...args]);

test('tsctl: run -v and --mount, volume ls/inspect/rm/prune, rm -v', async () => {
  await tsctl('volume', 'create', '--label', 'app=web', 'web-data');
  await tsctl('run', '--rm', '-v', 'web-data:/srv', '--mount', 'type=tmpfs,target=/tmp/t', BUSYBOX, 'sh', '-c', 'echo page > /srv/index');
  expect((await tsctl('run', '--rm', '-v', 'web-data:/srv:ro', BUSYBOX, 'cat', '/srv/index')).stdout).toBe('page\n');
  expect((await tsctl('volume', 'ls')).stdout).toBe('DRIVER   VOLUME NAME\nlocal    web-data\n');
  expect((await tsctl('volume', 'ls', '-q', '--filter', 'label=app=web')).stdout).toBe('web-data\n');
  const [inspected] = JSON.parse((await tsctl('volume', 'inspect', 'web-data')).stdout);
  expect(inspected).toMatchObject({ Name: 'web-data', Driver: 'local', Mountpoint: mountpoint('web-data'), Labels: { app: 'web' }, Scope: 'local' });
  expect(inspected.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);

  await tsctl('run', '-d', '--name', 'tsctl-vol', '-v', '/anon', '-v', 'web-data:/srv', BUSYBOX, 'sleep', '60');
  const refused = await tsctl('volume', 'rm', 'web-data').catch((e: { code: number; stderr: string }) => e);
  expect(refused).toMatchObject({ code: 1, stderr: 'tsctl: volume rm web-data: volume web-data is in use by container tsctl-vol: remove the containers first\n' });
  const anon = (await c().getContainer('tsctl-vol')).overrides!.volumes[0].source;
  await tsctl('rm', '-f', '-v', 'tsctl-vol');
  expect(await failure(c().getVolume(anon))).toMatchObject({ code: GrpcStatus.NOT_FOUND });
  expect((await tsctl('volume', 'rm', 'web-data')).stdout).toBe('web-data\n');
  // run --rm takes the anonymous volumes with the container, as docker's does.
  await tsctl('run', '--rm', '-v', '/scratch', BUSYBOX, 'true');
  expect(await c().listVolumes()).toEqual([]);
  await c().createVolume('');
  expect((await tsctl('volume', 'prune', '-f')).stdout).toMatch(/^Deleted Volumes:\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B\n$/);
});

test('volumes and their content survive a tsrund restart; a removal that did not finish is completed at start', async () => {
  await run('vol-before', 'echo survives > /keep/f', { volumes: [vol({ source: 'durable', destination: '/keep' })] });
  await c().createVolume('labelled', { labels: { k: 'v' } });
  fs.mkdirSync(path.join(daemon.root, 'volumes', '.removing-leftover', '_data'), { recursive: true });
  await daemon.signal('SIGTERM');
  await daemon.start();
  daemon.reconnect();
  expect((await c().listVolumes()).map((v) => [v.name, v.labels])).toEqual([
    ['durable', {}],
    ['labelled', { k: 'v' }],
  ]);
  expect((await run('vol-after', 'cat /keep/f', { volumes: [vol({ source: 'durable', destination: '/keep' })] })).out).toBe('survives\n');
  for (const name of ['durable', 'labelled']) await c().deleteVolume(name);
  expect(fs.existsSync(path.join(daemon.root, 'volumes', '.removing-leftover'))).toBe(false);
});
