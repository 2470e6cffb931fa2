/**
 * Import and export of OCI image-layout archives through a real tsrund: archives written by
 * skopeo and by the podman/containerd helper, a round trip through export, what skopeo reads
 * back from an export, tag, and damaged archives (nothing left in the store).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GrpcStatus } from '../../supervisor/client/client';
import { buildBusyboxArchive } from '../helpers/oci-image';
import { BUSYBOX_FILES, Layout, type Desc } from '../helpers/registry';
import { failure, TestDaemon } from './daemon';

const haveSkopeo = fs.existsSync('/usr/bin/skopeo');
const maybe = haveSkopeo ? describe : describe.skip;

maybe('import and export', () => {
  const daemon = new TestDaemon();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-archive-'));
  let layout: Layout;
  let image: Desc;

  beforeAll(async () => {
    await daemon.start();
    layout = new Layout(path.join(work, 'layout'));
    image = layout.image([layout.layer(BUSYBOX_FILES), layout.layer([{ path: 'etc/motd', content: 'hi\n' }], 'zstd')]);
    layout.tag(image, 'v1');
  });
  afterAll(async () => {
    await daemon.cleanup();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const c = () => daemon.client;
  const blobs = () => fs.readdirSync(path.join(daemon.root, 'content/blobs/sha256')).sort();

  test("skopeo's oci-archive imports under the name skopeo gave it", async () => {
    const file = path.join(work, 'skopeo.tar');
    execFileSync('skopeo', ['copy', '--quiet', '--preserve-digests', `oci:${layout.dir}:v1`, `oci-archive:${file}:example.com/team/app:v1`]);
    const images = await c().importImages(file);
    expect(images.map((i) => [i.name, i.target!.digest])).toEqual([['example.com/team/app:v1', image.digest]]);
    expect(fs.readdirSync(path.join(daemon.root, 'content/ingest'))).toEqual([]);
  });

  test('the podman/containerd helper archive imports by its annotation; --name overrides', async () => {
    const helperDir = path.join(work, 'helper');
    fs.mkdirSync(helperDir);
    const archive = buildBusyboxArchive(helperDir, 'localhost/tsrun-busybox:archive');
    expect((await c().importImages(archive.file)).map((i) => i.name)).toEqual(['localhost/tsrun-busybox:archive']);
    expect((await c().importImages(archive.file, { name: 'renamed' })).map((i) => i.name)).toEqual(['docker.io/library/renamed:latest']);
  });

  test('export writes an OCI layout tar that skopeo reads and that imports back to the same digests', async () => {
    const out = path.join(work, 'export.tar');
    const size = await c().exportImages(['example.com/team/app:v1'], out);
    expect(fs.statSync(out).size).toBe(size);
    const listing = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).trim().split('\n');
    expect(listing.slice(0, 2)).toEqual(['oci-layout', 'index.json']);
    const raw = execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${out}:example.com/team/app:v1`], { encoding: 'utf8' });
    expect(JSON.parse(raw).layers).toHaveLength(2);
    await c().deleteImage('example.com/team/app:v1');
    const back = await c().importImages(out);
    expect(back.map((i) => [i.name, i.target!.digest])).toEqual([['example.com/team/app:v1', image.digest]]);
  });

  test('tag gives a second name; removing one name keeps the shared blobs', async () => {
    const before = blobs();
    const tagged = await c().tagImage('example.com/team/app:v1', 'example.com/team/app:stable');
    expect(tagged.target!.digest).toBe(image.digest);
    expect(await c().deleteImage('example.com/team/app:v1')).toEqual([]);
    expect(blobs()).toEqual(before);
    expect((await c().getImage('example.com/team/app:stable')).image.target!.digest).toBe(image.digest);
    expect(await failure(c().tagImage('example.com/team/app:nope', 'x'))).toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  test('a truncated archive and a blob that is not what its name says: refused, nothing stored', async () => {
    const good = path.join(work, 'good.tar');
    execFileSync('skopeo', ['copy', '--quiet', '--preserve-digests', `oci:${layout.dir}:v1`, `oci-archive:${good}:example.com/other:v1`]);
    await c().deleteImage('example.com/team/app:stable');
    const kept = blobs();
    const truncated = path.join(work, 'truncated.tar');
    const bytes = fs.readFileSync(good);
    fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const f = await failure(c().importImages(truncated));
    expect(f?.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(f?.details).toMatch(/^path: tar: input ends inside/);
    expect(blobs()).toEqual(kept);

    // Swap the content of one layer blob for other bytes of the same length.
    const unpacked = path.join(work, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['-C', unpacked, '-xf', good]);
    const manifest = JSON.parse(fs.readFileSync(path.join(unpacked, 'blobs/sha256', image.digest.slice(7)), 'utf8'));
    const layerFile = path.join(unpacked, 'blobs/sha256', manifest.layers[1].digest.slice(7));
    fs.writeFileSync(layerFile, Buffer.alloc(fs.statSync(layerFile).size, 1));
    const tampered = path.join(work, 'tampered.tar');
    execFileSync('tar', ['-C', unpacked, '-cf', tampered, 'oci-layout', 'index.json', 'blobs']);
    const g = await failure(c().importImages(tampered));
    expect(g?.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(g?.details).toContain(`blobs/sha256/${manifest.layers[1].digest.slice(7)}: digest mismatch`);
    expect(blobs()).toEqual(kept);
    expect(fs.readdirSync(path.join(daemon.root, 'content/ingest'))).toEqual([]);
    expect(await c().health()).toBe('SERVING');
  });
});
