/**
 * Garbage collection that cannot read what an image refers to fails with that error and removes
 * nothing: an unreadable reference must not count as "refers to nothing".
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MediaTypes, type Descriptor } from '../../supervisor/content/descriptor';
import { LineLogger } from '../../supervisor/daemon/logger';
import { ImageService } from '../../supervisor/images/service';
import { Supervisor } from '../../supervisor/services/supervisor';
import { file, layer } from './snapshots-helpers';

jest.setTimeout(30_000);

let root: string;
let supervisor: Supervisor;
let images: ImageService;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-gc-'));
  supervisor = new Supervisor({ root: path.join(root, 'root'), state: path.join(root, 'state') }, new LineLogger('error', () => undefined));
  images = new ImageService({ root: path.join(root, 'root'), authFile: null, insecure: [] });
  supervisor.attachImages(images);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** An image of one layer, stored and unpacked as a create would: its manifest, config and chain id. */
async function storedImage(name: string): Promise<{ manifest: Descriptor; config: Descriptor; chainId: string }> {
  const source = await layer([file(name, name)]);
  const chunks: Buffer[] = [];
  for await (const chunk of source.open()) chunks.push(chunk as Buffer);
  const blob = await images.content.put(`layer-${name}`, Buffer.concat(chunks));
  const config = { mediaType: MediaTypes.ociConfig, ...(await images.content.put(`config-${name}`, Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: [source.diffId] } })))) };
  const body = { schemaVersion: 2, config, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...blob }] };
  const manifest = { mediaType: MediaTypes.ociManifest, ...(await images.content.put(`manifest-${name}`, Buffer.from(JSON.stringify(body)))) };
  images.records.put(`docker.io/library/${name}:latest`, manifest);
  const [chainId] = await supervisor.snapshots.unpack([source]);
  return { manifest, config, chainId };
}

const corrupt = (d: Descriptor) => fs.writeFileSync(images.content.path(d.digest), 'not JSON');

test('a config that cannot be read fails the snapshot collection, and no unpacked layer is removed', async () => {
  const kept = await storedImage('kept');
  const removed = await storedImage('removed');
  corrupt(kept.config);
  await expect(images.delete('removed')).rejects.toThrow(
    /^garbage collection: cannot read the layers of image docker\.io\/library\/kept:latest \(.*JSON.*\); no unpacked layer was removed$/,
  );
  expect(supervisor.snapshots.list().sort()).toEqual([kept.chainId, removed.chainId].sort());
});

test('a manifest that cannot be read fails the blob collection, and no blob is removed', async () => {
  const kept = await storedImage('kept');
  await storedImage('removed');
  corrupt(kept.manifest);
  const before = images.content.list();
  await expect(images.delete('removed')).rejects.toMatchObject({
    code: 'internal',
    subject: kept.manifest.digest,
    message: expect.stringMatching(new RegExp(`^garbage collection: cannot read ${kept.manifest.digest}, which an image refers to \\(.*\\); no blob was removed$`)),
  });
  expect(images.content.list()).toEqual(before);
});

test('an image whose blobs are not stored refers to nothing: its layers are collected', async () => {
  const gone = await storedImage('gone');
  await storedImage('other');
  fs.rmSync(images.content.path(gone.config.digest));
  await images.delete('other');
  expect(supervisor.snapshots.list()).toEqual([]);
});
