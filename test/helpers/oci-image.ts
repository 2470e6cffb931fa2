/**
 * A busybox image for podman and containerd, built without a registry: the test bundle's busybox
 * rootfs as one uncompressed layer, written as an OCI image layout and packed into an oci-archive
 * tarball (what `podman load` and `ctr images import` both read).
 */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { makeBundle } from './bundle';

export interface OciArchive {
  /** The .tar file holding the OCI image layout. */
  file: string;
  /** The image's full name, as both engines list it after loading. */
  ref: string;
}

const TAR_FIXED = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0'];

/** Write `content` as a blob of the layout; returns its descriptor. */
function writeBlob(layout: string, mediaType: string, content: Buffer) {
  const hex = crypto.createHash('sha256').update(content).digest('hex');
  fs.writeFileSync(path.join(layout, 'blobs/sha256', hex), content);
  return { mediaType, digest: `sha256:${hex}`, size: content.length };
}

/** Build `<dir>/busybox.oci.tar`: an OCI image named `ref` whose default command is `sh`. */
export function buildBusyboxArchive(dir: string, ref = 'localhost/tsrun-busybox:test'): OciArchive {
  const layout = path.join(dir, 'layout');
  fs.mkdirSync(path.join(layout, 'blobs/sha256'), { recursive: true });
  const bundle = makeBundle(['sh']);
  let layer: Buffer;
  try {
    layer = execFileSync('tar', ['-C', bundle.rootfs, ...TAR_FIXED, '-cf', '-', '.'], { maxBuffer: 64 << 20 });
  } finally {
    bundle.cleanup();
  }
  const layerDesc = writeBlob(layout, 'application/vnd.oci.image.layer.v1.tar', layer);
  const config = {
    created: '1970-01-01T00:00:00Z',
    architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [layerDesc.digest] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'tsrun test/helpers/oci-image.ts' }],
  };
  const configDesc = writeBlob(layout, 'application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify(config)));
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDesc, layers: [layerDesc] };
  const manifestDesc = writeBlob(layout, 'application/vnd.oci.image.manifest.v1+json', Buffer.from(JSON.stringify(manifest)));
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    // podman names the loaded image from ref.name; containerd from its own annotation.
    manifests: [{ ...manifestDesc, annotations: { 'org.opencontainers.image.ref.name': ref, 'io.containerd.image.name': ref } }],
  };
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const file = path.join(dir, 'busybox.oci.tar');
  execFileSync('tar', ['-C', layout, ...TAR_FIXED, '-cf', file, 'oci-layout', 'index.json', 'blobs']);
  fs.rmSync(layout, { recursive: true, force: true });
  return { file, ref };
}
