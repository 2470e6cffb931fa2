/** OCI image archives built by the tests from layer tars, for Images.Import through a real tsrund. */
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { makeBundle } from '../helpers/bundle';

const TAR_FIXED = ['--sort=name', '--numeric-owner', '--mtime=@0', '--format=pax'];

/** An OCI archive of an image made of `layers` (tar bytes; gzip-compressed when asked) and `config`. */
export function buildArchive(work: string, name: string, layers: { tar: Buffer; gzip?: boolean }[], config: object): string {
  const layout = fs.mkdtempSync(path.join(work, 'layout-'));
  fs.mkdirSync(path.join(layout, 'blobs/sha256'), { recursive: true });
  const blob = (mediaType: string, content: Buffer) => {
    const hex = crypto.createHash('sha256').update(content).digest('hex');
    fs.writeFileSync(path.join(layout, 'blobs/sha256', hex), content);
    return { mediaType, digest: `sha256:${hex}`, size: content.length };
  };
  const diffIds = layers.map((l) => `sha256:${crypto.createHash('sha256').update(l.tar).digest('hex')}`);
  const layerDescs = layers.map((l) =>
    l.gzip ? blob('application/vnd.oci.image.layer.v1.tar+gzip', zlib.gzipSync(l.tar)) : blob('application/vnd.oci.image.layer.v1.tar', l.tar),
  );
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const configDesc = blob(
    'application/vnd.oci.image.config.v1+json',
    Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', ...config, rootfs: { type: 'layers', diff_ids: diffIds } })),
  );
  const manifest = blob(
    'application/vnd.oci.image.manifest.v1+json',
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDesc, layers: layerDescs })),
  );
  const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': name } }] };
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify(index));
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const archive = `${layout}.tar`;
  execFileSync('tar', ['-C', layout, ...TAR_FIXED, '-cf', archive, 'oci-layout', 'index.json', 'blobs']);
  fs.rmSync(layout, { recursive: true, force: true });
  return archive;
}

let busyboxTar: Buffer;
/** The busybox rootfs of test/helpers/bundle.ts as a layer (made once). */
export function busyboxLayer(): Buffer {
  if (!busyboxTar) {
    const b = makeBundle(['true']);
    try {
      busyboxTar = execFileSync('tar', ['-C', b.rootfs, ...TAR_FIXED, '--owner=0', '--group=0', '-cf', '-', '.'], { maxBuffer: 64 << 20 });
    } finally {
      b.cleanup();
    }
  }
  return busyboxTar;
}

