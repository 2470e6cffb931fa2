/** The Images service of the API (api/v1/images.proto) over ImageService. */
import type { Image, ImageDescriptor } from '../api/types';
import { timestampFromRfc3339 } from '../api/timestamp';
import type { Descriptor } from '../content/descriptor';
import type { Logger } from '../shared/logger';
import { serverStream, unary, type StreamHandler, type UnaryHandler } from './handlers';
import { pageOf, type PageRequest } from './paging';
import { checkLabels } from '../containers/record-checks';
import { checkAbsolutePath } from './request-checks';
import type { PullProgress } from '../registry/pull';
import type { PushProgress } from '../registry/push';
import type { ImageService } from '../images/service';
import type { ImageRecord } from '../images/store';

function apiDescriptor(d: Descriptor): ImageDescriptor {
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    annotations: d.annotations ?? {},
    platform: d.platform ? { os: d.platform.os, architecture: d.platform.architecture, variant: d.platform.variant ?? '' } : null,
  };
}

export function apiImage(images: ImageService, r: ImageRecord): Image {
  return {
    name: r.name,
    target: apiDescriptor(r.target),
    labels: r.labels,
    createdAt: timestampFromRfc3339(r.createdAt),
    updatedAt: timestampFromRfc3339(r.updatedAt),
    size: images.sizeOf(r),
  };
}

export function imagesService(log: Logger, images: ImageService): Record<string, UnaryHandler | StreamHandler> {
  return {
    pull: serverStream(
      log,
      'Images.Pull',
      async (req: { reference: string; platform: string; labels: Record<string, string> }, send: (m: object) => void) => {
        checkLabels('labels', req.labels);
        const record = await images.pull(req.reference, {
          platform: req.platform,
          labels: req.labels,
          onProgress: (progress: PullProgress) => send({ progress }),
        });
        send({ image: apiImage(images, record) });
      },
    ),
    list: unary(log, 'Images.List', (req: PageRequest) => {
      const { page, next } = pageOf(images.list().map((r) => apiImage(images, r)), (i) => i.name, 'Image', req, 'images');
      return { images: page, nextPageToken: next };
    }),
    get: unary(log, 'Images.Get', (req: { name: string; platform: string }) => {
      const r = images.get(req.name);
      const m = images.manifestOf(r, req.platform);
      const configDigest = m?.manifest.config?.digest;
      return {
        image: apiImage(images, r),
        manifest: m ? apiDescriptor(m.descriptor) : null,
        manifestJson: m ? JSON.stringify(m.manifest) : '',
        configJson: configDigest && images.content.has(configDigest) ? JSON.stringify(images.content.readJson(configDigest)) : '',
      };
    }),
    delete: unary(log, 'Images.Delete', async (req: { name: string }) => ({ removedBlobs: await images.delete(req.name) })),
    tag: unary(log, 'Images.Tag', async (req: { source: string; target: string }) => ({ image: apiImage(images, await images.tag(req.source, req.target)) })),
    import: unary(log, 'Images.Import', async (req: { path: string; name: string; labels: Record<string, string> }) => {
      checkAbsolutePath('path', req.path);
      checkLabels('labels', req.labels);
      const records = await images.import(req.path, { name: req.name || undefined, labels: req.labels });
      return { images: records.map((r) => apiImage(images, r)) };
    }),
    push: serverStream(log, 'Images.Push', async (req: { name: string; destination: string; platform: string }, send: (m: object) => void) => {
      const pushed = await images.push(req.name, {
        destination: req.destination,
        platform: req.platform,
        onProgress: (progress: PushProgress) => send({ progress }),
      });
      send({ pushed: { name: pushed.name, target: apiDescriptor(pushed.target), note: pushed.note } });
    }),
    login: unary(log, 'Images.Login', async (req: { server: string; username: string; password: string }) => ({
      server: await images.login(req.server, req.username, req.password),
    })),
    logout: unary(log, 'Images.Logout', async (req: { server: string }) => {
      const r = await images.logout(req.server);
      return { server: r.domain, removed: r.removed };
    }),
    export: unary(log, 'Images.Export', async (req: { names: string[]; path: string }) => {
      checkAbsolutePath('path', req.path);
      return { size: await images.export(req.names, req.path) };
    }),
  };
}
