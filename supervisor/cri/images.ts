/**
 * ImageService over tsrund's own image store (images/service.ts): one store, two APIs, so an
 * image pulled through the CRI is one `tsctl images` lists, and the other way round. Images are
 * pulled into the content store; their layers are unpacked when a container is created from them.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { AuthConfig, FilesystemUsage, Image } from '../api/generated/cri-types';
import type { ImageConfig } from '../images/bundle';
import type { ImageService } from '../images/service';
import type { RequestAuth } from '../registry/credentials';
import { invalidArgument } from '../shared/errors';
import type { CriContext } from './context';
import { required, sendInBatches, type ImageHandlers, type Reply } from './handlers';
import { criImage, findImage, groupById, type ImageFacts } from './image-view';

export function factsOf(images: ImageService): ImageFacts[] {
  return images.list().map((record) => {
    const found = images.manifestOf(record);
    const configDigest = found?.manifest.config?.digest;
    const config = configDigest && images.content.has(configDigest) ? images.content.readJson<ImageConfig>(configDigest) : null;
    return { record, id: config ? configDigest! : record.target.digest, manifestDigest: found?.descriptor.digest ?? '', config, size: images.sizeOf(record) };
  });
}

/** The CRI's AuthConfig as the registry client takes it; undefined when it carries nothing. */
export function requestAuth(auth: AuthConfig | null): RequestAuth | undefined {
  if (!auth) return undefined;
  let { username, password } = auth;
  if (auth.auth !== '') {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidArgument('auth.auth', 'is not base64 of "user:password"');
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  }
  if (username === '' && password === '' && auth.identityToken === '' && auth.registryToken === '') return undefined;
  return { serverAddress: auth.serverAddress, username, password, identityToken: auth.identityToken, registryToken: auth.registryToken };
}

/** Bytes in use (allocated blocks) and inodes under `dirs`, each file counted once however many links it has. */
export function treeUsage(dirs: string[]): { bytes: number; inodes: number } {
  const seen = new Set<string>();
  let bytes = 0;
  const stack = [...dirs];
  while (stack.length > 0) {
    const p = stack.pop()!;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch (err) {
      // Removed while walking (a collection, a snapshot going away): not in use any more.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) continue;
    seen.add(key);
    bytes += st.blocks * 512;
    if (st.isDirectory()) {
      try {
        for (const name of fs.readdirSync(p)) stack.push(path.join(p, name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
  return { bytes, inodes: seen.size };
}

export function imageHandlers(ctx: CriContext): Partial<ImageHandlers> {
  const { images } = ctx;
  const groups = () => groupById(factsOf(images));
  const filtered = (text: string | undefined): Image[] => {
    if (!text) return groups().map(criImage);
    const g = findImage(groups(), text, 'filter.image.image');
    return g ? [criImage(g)] : [];
  };
  return {
    listImages: (req) => ({ images: filtered(req.filter?.image?.image) }),
    streamImages: (req, send, cancelled) => sendInBatches(filtered(req.filter?.image?.image), send, cancelled, (images) => ({ images })),
    imageStatus: (req) => {
      const g = findImage(groups(), required('image.image', req.image?.image), 'image.image');
      // An image that is not there is no error: the answer leaves `image` unset.
      if (!g) return { image: null, info: {} };
      const image = criImage(g);
      if (!req.verbose) return { image, info: {} };
      const detail = {
        id: image.id,
        names: g.map((f) => f.record.name),
        targets: g.map((f) => ({ name: f.record.name, target: f.record.target, labels: f.record.labels, createdAt: f.record.createdAt })),
        manifestDigest: g[0].manifestDigest,
        imageSpec: g[0].config,
      };
      return { image, info: { info: JSON.stringify(detail) } };
    },
    pullImage: async (req) => {
      const reference = required('image.image', req.image?.image);
      const sandbox = req.sandboxConfig?.metadata;
      if (sandbox) ctx.log.debug(`CRI pull of ${reference} for pod ${sandbox.namespace}/${sandbox.name}`);
      const record = await images.pull(reference, { auth: requestAuth(req.auth), field: 'image.image' });
      const g = findImage(groups(), record.name, 'image.image');
      return { imageRef: g ? g[0].id : record.target.digest };
    },
    removeImage: async (req) => {
      const g = findImage(groups(), required('image.image', req.image?.image), 'image.image');
      // Removing what is not there succeeds, as the CRI asks: kubelet's retries stay quiet.
      for (const f of g ?? []) {
        if (images.records.has(f.record.name)) await images.delete(f.record.name);
      }
      return {};
    },
    imageFsInfo: () => {
      const root = ctx.supervisor.paths.root;
      const usage = treeUsage([path.join(root, 'content'), path.join(root, 'snapshots')]);
      const fsUsage: Reply<FilesystemUsage> = {
        timestamp: Date.now() * 1e6,
        fsId: { mountpoint: root },
        usedBytes: { value: usage.bytes },
        inodesUsed: { value: usage.inodes },
      };
      return { imageFilesystems: [fsUsage], containerFilesystems: [] };
    },
  };
}
