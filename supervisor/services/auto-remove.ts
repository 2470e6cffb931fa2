/**
 * docker's AutoRemove (ProcessOverrides.auto_remove, `run --rm`): once a container's task exited
 * and its restart policy does not start it again, tsrund deletes the task, the container and its
 * anonymous volumes; the restart runner (./restart-runner.ts) calls this on that branch, after an
 * exit and, at tsrund's start, for tasks that exited while it was down. A task a client deleted
 * first is that client's to finish (`tsctl rm -f` deletes the container next): it is left alone.
 */
import { deleteContainerTask } from './container-tasks';
import { removeContainer } from './container-removal';
import type { Supervisor } from './supervisor';

/** Remove container `id` if it auto-removes and its task is stopped; failures are logged (tsrund goes on). */
export async function autoRemove(s: Supervisor, id: string): Promise<void> {
  await s.lock
    .run(id, async () => {
      const record = s.containers.list().find((c) => c.id === id);
      if (!record?.overrides?.autoRemove || !s.tasks.has(id) || s.tasks.describeById(id).status !== 'STOPPED') return;
      await deleteContainerTask(s, id, false);
      await removeContainer(s, record, true);
      s.log.info(`container ${id}: removed once its task exited (auto-remove)`);
    })
    .catch((err: Error) => s.log.error(`container ${id}: auto-remove: ${err.message}`));
}
