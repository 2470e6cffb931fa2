/**
 * tsctl cp / Containers.CopyFrom and CopyTo through a real tsrund: files copied out of a running
 * and a stopped container and into a running, a created and a stopped one (seen from inside: a
 * stopped one's writable layer written as overlayfs would), symlinks pointing out of the
 * root copied as links and resolved inside it on the way, never followed to the host; hostile
 * input (.. names, absolute names, a symlink then an entry through it, symlink loops, a huge
 * entry, NUL in a path) refused in one line with nothing written. Ids carry this process's pid.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PassThrough } from 'stream';
import { TarWriter, type TarWriteHeader } from '../../supervisor/archive/tar';
import { GrpcStatus } from '../../supervisor/client/client';
import { failure, runTaskToEnd, TestDaemon, TSCTL, until } from './daemon';
import { buildArchive, busyboxLayer } from './image-archive';
import { dir, file, tarOf } from './snapshots-helpers';

jest.setTimeout(120_000);

const daemon = new TestDaemon();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-copy-'));
const c = () => daemon.client;
const IMAGE = 'localhost/tsrun-test/copy-app:1';
const P = `vb-${process.pid}`;
const LIVE = `${P}-cp-live`;
const HOST_MARKER = path.join(work, 'host-marker');

beforeAll(async () => {
  await daemon.start();
  fs.writeFileSync(HOST_MARKER, 'host\n');
  const appLayer = await tarOf([
    dir('data', { mode: 0o755 }),
    file('data/note', 'from the image\n', { uid: 12, gid: 34, mode: 0o640 }),
    { h: { path: 'data/out', type: 'symlink', linkname: '../../../../..' + HOST_MARKER, mode: 0o777 } },
    dir('data/sub', { mode: 0o755 }),
    dir('data/deep', { mode: 0o710 }),
    dir('data/deep/er', { mode: 0o755 }),
    file('data/sub/old', 'the image had this\n'),
    { h: { path: 'etclink', type: 'symlink', linkname: '/etc', mode: 0o777 } },
    { h: { path: 'loop1', type: 'symlink', linkname: '/loop2', mode: 0o777 } },
    { h: { path: 'loop2', type: 'symlink', linkname: 'loop1', mode: 0o777 } },
  ]);
  await c().importImages(buildArchive(work, IMAGE, [{ tar: busyboxLayer() }, { tar: appLayer }], { config: { Cmd: ['sh'] } }));
  await c().createContainer({
    id: LIVE,
    image: IMAGE,
    overrides: { args: ['sh', '-c', 'while [ ! -e /tmp/in/done ]; do sleep 0.1; done; cat /tmp/in/hello; ls -l /tmp/in/link | sed "s/.*-> //"'] },
  });
  await c().createTask(LIVE);
  await c().startTask(LIVE);
});
afterAll(async () => {
  await daemon.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

const tsctl = (args: string[], input?: Buffer) =>
  spawnSync(TSCTL, ['--address', daemon.address, ...args], { input, encoding: 'buffer', timeout: 60_000 });
const text = (b: Buffer) => b.toString('utf8');

async function tarBytes(entries: { h: TarWriteHeader; body?: Buffer }[], o: { finish?: boolean } = {}): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (b: Buffer) => chunks.push(b));
  const w = new TarWriter(out);
  for (const e of entries) await w.add(e.h, e.body);
  if (o.finish ?? true) await w.finish();
  out.end();
  return Buffer.concat(chunks);
}

test('cp out of a running container: a file, a directory, a symlink pointing out copied as a link', () => {
  const dest = fs.mkdtempSync(path.join(work, 'out-'));
  let r = tsctl(['cp', `${LIVE}:/etc/passwd`, path.join(dest, 'passwd')]);
  expect([r.status, text(r.stderr)]).toEqual([0, '']);
  expect(fs.readFileSync(path.join(dest, 'passwd'), 'utf8')).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh\nnobody:/);
  r = tsctl(['cp', `${LIVE}:/data`, dest]);
  expect([r.status, text(r.stderr)]).toEqual([0, '']);
  expect(fs.readFileSync(path.join(dest, 'data/note'), 'utf8')).toBe('from the image\n');
  expect(fs.statSync(path.join(dest, 'data/note')).mode & 0o777).toBe(0o640);
  expect(fs.readlinkSync(path.join(dest, 'data/out'))).toBe('../../../../..' + HOST_MARKER);
});

test('a symlink on the way is resolved inside the root, never on the host', async () => {
  // etclink -> /etc: the container's /etc, not the host's.
  const r = tsctl(['cp', `${LIVE}:/etclink/passwd`, '-']);
  expect(r.status).toBe(0);
  expect(text(r.stdout)).toContain('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  // data/out points far above the root: resolved inside it, it names a path the container does not have.
  expect(await failure(collect(c().copyFrom(LIVE, '/data/out/')))).toEqual({
    code: GrpcStatus.NOT_FOUND,
    details: `${HOST_MARKER}: no such file or directory in the container`,
  });
  expect(text(tsctl(['cp', `${LIVE}:/../../../../${HOST_MARKER}`, '-']).stderr)).toBe(`tsctl: ${HOST_MARKER}: no such file or directory in the container\n`);
  expect(text(tsctl(['cp', `${LIVE}:/loop1/x`, '-']).stderr)).toBe('tsctl: /loop1/x: too many levels of symbolic links\n');
  expect((await failure(collect(c().copyFrom(LIVE, '/etc/\u0000x'))))?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  expect((await failure(collect(c().copyFrom(LIVE, 'relative'))))?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
});

async function collect(s: AsyncIterable<{ data: Buffer }>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const m of s) parts.push(m.data);
  return Buffer.concat(parts);
}

test('hostile tars into a running container are refused in one line, nothing written outside', async () => {
  const refused = async (entries: { h: TarWriteHeader; body?: Buffer }[], message: RegExp) => {
    const r = tsctl(['cp', '-', `${LIVE}:/tmp`], await tarBytes(entries));
    expect(r.status).toBe(1);
    expect(text(r.stderr)).toMatch(message);
    expect(text(r.stderr).trimEnd().split('\n')).toHaveLength(1);
  };
  await refused([{ h: { path: '../../../../../../' + path.join(work, 'dotdot'), type: 'file' }, body: Buffer.from('x') }], /a "\.\." component/);
  await refused([{ h: { path: path.join(work, 'abs'), type: 'file' }, body: Buffer.from('x') }], /an absolute name/);
  await refused(
    [
      { h: { path: 'esc', type: 'symlink', linkname: work } },
      { h: { path: 'esc/pwned', type: 'file' }, body: Buffer.from('x') },
    ],
    /entry "esc\/pwned": \/tmp\/esc\/pwned: a symlink or a file on the way \(not gone through\)/,
  );
  await refused([{ h: { path: 'dev', type: 'char', devmajor: 1, devminor: 3 } }], /a char \(only files, directories and symlinks are copied in\)/);
  // A header claiming 2 GiB, 4 MiB behind it: refused before a byte is written.
  const huge = (await tarBytes([{ h: { path: 'huge', type: 'file', size: 0 } }], { finish: false })).subarray(0, 512);
  huge.write('20000000000\0', 124, 'latin1');
  let sum = 0;
  huge.fill(' ', 148, 156);
  for (const b of huge) sum += b;
  huge.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const r = tsctl(['cp', '-', `${LIVE}:/tmp`], Buffer.concat([huge, Buffer.alloc(4 << 20)]));
  expect(text(r.stderr)).toBe('tsctl: tar: entry "huge": 2147483648 bytes; the limit is 1073741824\n');
  expect(fs.existsSync(path.join(work, 'dotdot'))).toBe(false);
  expect(fs.existsSync(path.join(work, 'abs'))).toBe(false);
  expect(fs.existsSync(path.join(work, 'pwned'))).toBe(false);
  expect(text(tsctl(['cp', '-', `${LIVE}:/etc/passwd`], await tarBytes([])).stderr)).toBe('tsctl: /etc/passwd: not a directory in the container\n');
});

test('a tar that ends inside a file is refused once the stream ends', async () => {
  const head = (await tarBytes([{ h: { path: 'short', type: 'file', size: 0 } }], { finish: false })).subarray(0, 512);
  head.write('00200000000\0', 124, 'latin1');
  head.fill(' ', 148, 156);
  let sum = 0;
  for (const b of head) sum += b;
  head.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const r = tsctl(['cp', '-', `${LIVE}:/tmp`], Buffer.concat([head, Buffer.alloc(4 << 20)]));
  expect([r.status, text(r.stderr)]).toEqual([1, 'tsctl: tar: input ends inside the body of "short" (header at byte 0)\n']);
});

test('cp into a running container: the files arrive inside it (seen by its own processes)', async () => {
  const src = path.join(work, 'in');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'hello'), 'hello from the host\n');
  fs.symlinkSync('/etc/shadow', path.join(src, 'link'));
  let r = tsctl(['cp', src, `${LIVE}:/tmp`]);
  expect([r.status, text(r.stderr)]).toEqual([0, '']);
  // `done` last: the container reads once everything is there.
  r = tsctl(['cp', '-', `${LIVE}:/tmp/in`], await tarBytes([{ h: { path: 'done', type: 'file' }, body: Buffer.alloc(0) }]));
  expect([r.status, text(r.stderr)]).toEqual([0, '']);
  expect((await c().wait(LIVE)).exitStatus).toBe(0);
  await until(async () => text(tsctl(['logs', LIVE]).stdout).includes('/etc/shadow'));
  expect(text(tsctl(['logs', LIVE]).stdout)).toBe('hello from the host\n/etc/shadow\n');
});

test('a stopped container: cp out reads its writable layer over the image', async () => {
  const id = `${P}-cp-stopped`;
  await c().createContainer({ id, image: IMAGE, overrides: { args: ['sh', '-c', 'echo written > /data/new; rm /data/note'] } });
  expect(await runTaskToEnd(c(), id)).toEqual({ status: 0, out: '' });
  expect(text(tsctl(['cp', `${id}:/data/new`, '-']).stdout)).toContain('written\n');
  expect(text(tsctl(['cp', `${id}:/data/note`, '-']).stderr)).toBe('tsctl: /data/note: no such file or directory in the container\n');
  const listing = spawnSync('tar', ['-t'], { input: tsctl(['cp', `${id}:/data`, '-']).stdout, encoding: 'utf8' }).stdout;
  expect(listing.split('\n').filter(Boolean).sort()).toEqual(['data/', 'data/deep/', 'data/deep/er/', 'data/new', 'data/out', 'data/sub/', 'data/sub/old']);
  await c().deleteContainer(id);
});

test('cp into a stopped container writes its writable layer as overlayfs would: seen by its next run, deletions replaced, directories copied up', async () => {
  const id = `${P}-cp-into-stopped`;
  const report = 'cat /data/note /etc/added /fresh/dir/file; ls /data/sub; stat -c "%u:%g %a" /data/note /data/sub /data/sub/new /fresh/dir/file';
  const script = `stat -c "%u:%g %a" /etc; stat -c "%u:%g %a %Y" /data/deep; if [ -e /data/new ]; then ${report}; else echo written > /data/new; rm /data/note; rm -r /data/sub; fi`;
  await c().createContainer({ id, image: IMAGE, overrides: { args: ['sh', '-c', script] } });
  const first = await runTaskToEnd(c(), id);
  expect(first.status).toBe(0);
  const etc = first.out;
  const [, deepTime] = /^0:0 755\n0:0 710 (\d+)\n$/.exec(etc)!;
  // A second later than /data/deep's time, so that a copy-up that did not keep it would show.
  await until(() => Date.now() / 1000 > Number(deepTime) + 1.05, 3000);
  const r = tsctl(
    ['cp', '-', `${id}:/`],
    await tarBytes([
      { h: { path: 'data/note', type: 'file', mode: 0o600, uid: 7, gid: 8 }, body: Buffer.from('note again\n') },
      { h: { path: 'etc/added', type: 'file', mode: 0o644 }, body: Buffer.from('added to /etc\n') },
      { h: { path: 'data/deep/er/file', type: 'file', mode: 0o644 }, body: Buffer.from('') },
      { h: { path: 'data/sub', type: 'directory', mode: 0o750 } },
      { h: { path: 'data/sub/new', type: 'file', mode: 0o640, uid: 5, gid: 6 }, body: Buffer.from('') },
      { h: { path: 'fresh', type: 'directory', mode: 0o755 } },
      { h: { path: 'fresh/dir', type: 'directory', mode: 0o755 } },
      { h: { path: 'fresh/dir/file', type: 'file', mode: 0o644, uid: 1, gid: 2 }, body: Buffer.from('fresh\n') },
    ]),
  );
  expect([r.status, text(r.stderr)]).toEqual([0, '']);
  // Read back while stopped (the merged view) and by the container's next run (the overlay mounted).
  expect(text(tsctl(['cp', `${id}:/data/note`, '-']).stdout)).toContain('note again\n');
  const second = await runTaskToEnd(c(), id);
  expect(second).toEqual({
    status: 0,
    // The log has both runs. /etc and /data/deep copied up with their owner and mode, /data/deep (whose
    // own entries did not change) with its time; data/sub made again without what the image had there.
    out: `${etc}${etc}note again\nadded to /etc\nfresh\nnew\n7:8 600\n0:0 750\n5:6 640\n1:2 644\n`,
  });
  await c().deleteContainer(id);
});

test('cp into a stopped container never follows a symlink out of its root; hostile tars refused, nothing written', async () => {
  const id = `${P}-cp-hostile-stopped`;
  // The container's own symlinks, made by its run: to a path that is the host's work directory outside.
  await c().createContainer({ id, image: IMAGE, overrides: { args: ['sh', '-c', `ln -s ${work} /data/evil; ln -s ../../../../../../.. /data/up; mkdir -p /inner${work}`] } });
  expect(await runTaskToEnd(c(), id)).toEqual({ status: 0, out: '' });
  const one = async (dest: string, entries: { h: TarWriteHeader; body?: Buffer }[]) => tsctl(['cp', '-', `${id}:${dest}`], await tarBytes(entries));
  const x = [{ h: { path: 'stopped-pwned', type: 'file' as const }, body: Buffer.from('x') }];
  // /data/evil resolves inside the root: the container has no such directory.
  expect(text((await one('/data/evil', x)).stderr)).toBe(`tsctl: ${work}: not a directory in the container\n`);
  // ".." stops at the root: /data/up is the container's /.
  let r = await one('/data/up/inner' + work, x);
  expect([r.status, text(r.stderr)]).toEqual([0, '']);
  expect(text(tsctl(['cp', `${id}:/inner${work}/stopped-pwned`, '-']).stdout)).toContain('x');
  r = await one('/data', [{ h: { path: 'evil/stopped-pwned', type: 'file' }, body: Buffer.from('x') }]);
  expect(text(r.stderr)).toBe('tsctl: tar: entry "evil/stopped-pwned": /data/evil/stopped-pwned: a symlink or a file on the way (not gone through)\n');
  r = await one('/tmp', [
    { h: { path: 'esc', type: 'symlink', linkname: work } },
    { h: { path: 'esc/stopped-pwned', type: 'file' }, body: Buffer.from('x') },
  ]);
  expect(text(r.stderr)).toBe('tsctl: tar: entry "esc/stopped-pwned": /tmp/esc/stopped-pwned: a symlink or a file on the way (not gone through)\n');
  r = await one('/tmp', [{ h: { path: '../../../../../../' + path.join(work, 'stopped-pwned'), type: 'file' }, body: Buffer.from('x') }]);
  expect(text(r.stderr)).toMatch(/a "\.\." component/);
  expect(text((await one('/data/note', x)).stderr)).toBe('tsctl: /data/note: not a directory in the container\n');
  expect(text((await one('/data', [{ h: { path: 'note', type: 'file' }, body: Buffer.from('x') }])).stderr)).toBe(
    'tsctl: tar: entry "note": /data/note exists (only directories are added to)\n',
  );
  // Without its parent directory: refused as in a running container.
  expect(text((await one('/', [{ h: { path: 'nowhere/file', type: 'file' }, body: Buffer.from('x') }])).stderr)).toBe('tsctl: tar: entry "nowhere/file": /nowhere/file: ENOENT\n');
  expect(fs.readdirSync(work).filter((n) => n.includes('pwned'))).toEqual([]);
  expect(fs.readFileSync(HOST_MARKER, 'utf8')).toBe('host\n');
  await c().deleteContainer(id);
});

test('cp into a created container (its init waiting to start, or no task yet): the files are there when it starts', async () => {
  const id = `${P}-cp-created`;
  await c().createContainer({ id, image: IMAGE, overrides: { args: ['cat', '/tmp/arrived'] } });
  await c().createTask(id);
  const r = tsctl(['cp', '-', `${id}:/tmp`], await tarBytes([{ h: { path: 'arrived', type: 'file' }, body: Buffer.from('before the start\n') }]));
  expect([r.status, text(r.stderr)]).toEqual([0, '']);
  await c().startTask(id);
  expect((await c().wait(id)).exitStatus).toBe(0);
  await until(async () => text(tsctl(['logs', id]).stdout) !== '');
  expect(text(tsctl(['logs', id]).stdout)).toBe('before the start\n');
  await c().deleteTask(id);
  await c().deleteContainer(id);
  // A container that never had a task (tsctl create): its writable layer is there already.
  const fresh = `${P}-cp-never-run`;
  await c().createContainer({ id: fresh, image: IMAGE, overrides: { args: ['cat', '/tmp/arrived'] } });
  expect(text(tsctl(['cp', '-', `${fresh}:/tmp`], await tarBytes([{ h: { path: 'arrived', type: 'file' }, body: Buffer.from('before any run\n') }])).stderr)).toBe('');
  expect(await runTaskToEnd(c(), fresh)).toEqual({ status: 0, out: 'before any run\n' });
  await c().deleteContainer(fresh);
});
