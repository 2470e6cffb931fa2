/** Containers.CopyFrom and CopyTo (docker cp): tar streams over a container's root (containers/copy.ts). */
import * as path from 'path';
import { Writable } from 'stream';
import { readTar } from '../archive/tar';
import type { CopyChunk, CopyToContainerRequest } from '../api/types';
import { tarOfPath, unpackInto } from '../containers/copy';
import { checkId } from '../containers/id';
import { DirectoryRoot, layersView, pathParts, resolveInRoot, UpperLayerRoot, type RootView, type WritableRoot } from '../containers/root-view';
import type { ContainerRecord } from '../containers/store';
import { failedPrecondition, invalidArgument } from '../shared/errors';
import { clientStream, serverStream, type ClientStreamHandler, type StreamHandler } from './handlers';
import type { Supervisor } from './supervisor';

/** The largest file CopyTo writes. */
const MAX_COPY_ENTRY_BYTES = 1 << 30;

/**
 * The host pid of the container's init while it has its root (created and waiting to start,
 * running or paused: the overlay is mounted in its namespace then); null without one.
 */
function livePid(s: Supervisor, id: string): number | null {
  if (!s.tasks.has(id)) return null;
  const t = s.tasks.describeById(id);
  return t.status === 'CREATED' || t.status === 'RUNNING' || t.status === 'PAUSED' ? t.pid : null;
}

const bundleRootfs = (c: ContainerRecord) => path.resolve(c.bundle, c.spec.root?.path ?? 'rootfs');

/** An image container's writable layer and the image's layers beneath it, top-most first (their chain ids, hex, and directories). */
export function layersOf(s: Supervisor, c: ContainerRecord): { upper: string; lowerIds: string[]; lowers: string[] } {
  const overlay = s.snapshots.mountOf(c.id);
  if (!overlay) throw failedPrecondition(`container ${c.id}: its writable layer is gone`);
  return { upper: overlay.upper, lowerIds: overlay.lower, lowers: overlay.lower.map((hex) => path.join(overlay.layersDir, hex)) };
}

/** The container's files to read: its live root, else its layers. */
function readView(s: Supervisor, c: ContainerRecord): RootView {
  const pid = livePid(s, c.id);
  if (pid !== null) return new DirectoryRoot(`/proc/${pid}/root`);
  if (c.image === '') return layersView([bundleRootfs(c)]);
  const { upper, lowers } = layersOf(s, c);
  return layersView([upper, ...lowers]);
}

/** The container's files to write: its live root, a bundle container's rootfs, or a stopped image container's writable layer. */
function writeRoot(s: Supervisor, c: ContainerRecord): WritableRoot {
  const pid = livePid(s, c.id);
  if (pid !== null) return new DirectoryRoot(`/proc/${pid}/root`);
  if (c.image === '') return new DirectoryRoot(bundleRootfs(c));
  const { upper, lowers } = layersOf(s, c);
  return new UpperLayerRoot(upper, lowers);
}

/** Chunks of the first message's data and every next one's. */
async function* dataOf(first: CopyToContainerRequest, rest: AsyncIterator<CopyToContainerRequest>): AsyncGenerator<Buffer> {
  if (first.data.length > 0) yield first.data;
  for (let r = await rest.next(); !r.done; r = await rest.next()) if (r.value.data.length > 0) yield r.value.data;
}

export function containerCopyService(s: Supervisor): Record<string, StreamHandler | ClientStreamHandler> {
  return {
    copyFrom: serverStream(
      s.log,
      'Containers.CopyFrom',
      async (req: { id: string; path: string }, send: (m: CopyChunk) => Promise<void>) => {
        checkId(req.id);
        const parts = pathParts('path', req.path);
        const view = readView(s, s.containers.get(req.id));
        try {
          // As docker cp: PATH/ (or PATH/.) means what a symlink PATH points to.
        const resolved = resolveInRoot(view, parts, /\/\.?$/.test(req.path), req.path);
          const out = new Writable({
            write: (chunk: Buffer, _enc, done) => void send({ data: chunk }).then(() => done(), done),
          });
          await tarOfPath(view, resolved, out);
        } finally {
          view.close();
        }
      },
    ),
    copyTo: clientStream(s.log, 'Containers.CopyTo', async (requests: AsyncIterable<CopyToContainerRequest>) => {
      const it = requests[Symbol.asyncIterator]();
      const head = await it.next();
      if (head.done) throw invalidArgument('id', 'the first message of a CopyTo stream must name the container');
      checkId(head.value.id);
      const parts = pathParts('path', head.value.path);
      const c = s.containers.get(head.value.id);
      const unpack = async (locked: boolean): Promise<{ entries: number }> => {
        const root = writeRoot(s, c);
        // Into a stopped image container's layer under the id's lock: no task mounts it meanwhile.
        if (!locked && root instanceof UpperLayerRoot) {
          root.close();
          return s.lock.run(c.id, () => unpack(true));
        }
        try {
          const dest = resolveInRoot(root, parts, true, head.value.path);
          return {
            entries: await unpackInto(root, dest, readTar(dataOf(head.value, it)), { maxEntryBytes: MAX_COPY_ENTRY_BYTES }),
          };
        } finally {
          root.close();
        }
      };
      return unpack(false);
    }),
  };
}
