/** Containers.Commit (docker commit) over images/commit.ts: the container looked up, a running task paused while its layer is read. */
import * as path from 'path';
import type { CommitContainerRequest, CommitContainerResponse } from '../api/types';
import { checkId } from '../containers/id';
import { commitChanges } from '../build/config-changes';
import { commitContainer } from '../images/commit';
import { ETC_FILES } from '../network/task-spec';
import { failedPrecondition, TsrunError } from '../shared/errors';
import { layersOf } from './container-copy';
import { apiImage } from './images';
import { unary, type UnaryHandler } from './handlers';
import type { Supervisor } from './supervisor';

export function containerCommitService(s: Supervisor): Record<string, UnaryHandler> {
  return {
    commit: unary(s.log, 'Containers.Commit', (req: CommitContainerRequest) => {
      checkId(req.id);
      // Under the container's lock: no start, delete, pause or resume of it meanwhile.
      return s.lock.run(req.id, async (): Promise<CommitContainerResponse> => {
        const changes = commitChanges(req.changes);
        const c = s.containers.get(req.id);
        if (c.image === '') throw failedPrecondition(`container ${req.id} was made from a bundle: it has no image to commit a layer on; create it from an image`);
        const images = s.images;
        if (!images) throw new TsrunError('commit: this tsrund has no image store', { code: 'unavailable' });
        const { upper, lowerIds, lowers } = layersOf(s, c);
        // The mounts of its config, and the /etc files a task of it gets (network/task-spec.ts).
        const mountTargets = [...(c.spec.mounts ?? []).map((m) => path.posix.normalize(m.destination)), ...ETC_FILES.map((f) => `/etc/${f}`)];
        const src = { id: c.id, image: c.image, upper, lowerChainIds: lowerIds, lowers, createdBy: (c.spec.process?.args ?? []).join(' '), mountTargets };
        const o = { reference: req.reference, message: req.message, author: req.author, changes, compression: req.compression };
        const { record, manifest } = await commitContainer(images, src, o, (read) => (req.pause ? whilePaused(s, c.id, read) : read()));
        return { image: apiImage(images, record), manifestDigest: manifest.digest };
      });
    }),
  };
}

/** `read` with the container's task frozen when it runs, thawed after (also when `read` fails). */
async function whilePaused<T>(s: Supervisor, id: string, read: () => Promise<T>): Promise<T> {
  if (!s.tasks.has(id) || s.tasks.describeById(id).status !== 'RUNNING') return read();
  await s.tasks.pause(id);
  try {
    return await read();
  } finally {
    await s.tasks.resume(id);
  }
}
