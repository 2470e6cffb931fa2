/**
 * A container's task made and removed with what goes with it (its network set up before the
 * init and torn down after it; an image container's overlay), and stopped as `docker stop`
 * does: what Tasks.Create, Delete and Stop do for a client and the restart runner
 * (./restart-runner.ts) does for a policy. Callers of create and delete hold the id's lock.
 */
import type { Task } from '../api/types';
import { SIGKILL } from '../../runtime/lifecycle/cgroup-waits';
import { stopSignal, stopTimeoutMs } from '../containers/stop-settings';
import { imageRootfs } from '../images/bundle-container';
import type { TaskExit } from '../tasks/record';
import { withTimeout } from '../shared/with-timeout';
import type { Supervisor } from './supervisor';

export async function createContainerTask(s: Supervisor, id: string, stdin: boolean): Promise<Task> {
  const c = s.containers.get(id);
  // A second create is the task manager's to refuse: it must not touch the first task's network.
  const networked = !s.tasks.has(id);
  const spec = networked ? await s.networks.setUp(c) : c.spec;
  try {
    return await s.tasks.create({
      id,
      spec,
      bundle: c.bundle,
      logPath: s.containers.logPath(id),
      stdin,
      rootfsMount: c.image !== '' ? imageRootfs(s, c) : null,
    });
  } catch (err) {
    if (networked) await s.networks.tearDown(id);
    throw err;
  }
}

export async function deleteContainerTask(s: Supervisor, id: string, force: boolean): Promise<{ pid: number; exit: TaskExit }> {
  const deleted = await s.tasks.delete({ id, execId: '' }, force);
  await s.networks.tearDown(id);
  return deleted;
}

/**
 * The container's stop signal to the init (a paused task resumed then), then SIGKILL to all of
 * the container once the timeout passed (at once for a task never started); the exit, and
 * whether SIGKILL made it. The id's lock is held for the signals, not for the wait: a client may
 * delete the task meanwhile (Tasks.Delete with force), which ends the wait too. The restart
 * policy ends first, so that the exit this causes restarts nothing.
 */
export async function stopContainerTask(s: Supervisor, id: string, o: { timeoutSeconds?: number; signal: string }): Promise<{ exit: TaskExit; killed: boolean }> {
  const locked = <T>(fn: () => Promise<T>) => s.lock.run(id, fn);
  const { exited, status, timeoutMs } = await locked(async () => {
    const c = s.containers.get(id);
    const { status } = s.tasks.describeById(id);
    const signal = stopSignal(o.signal, c.overrides, c.spec);
    const timeoutMs = stopTimeoutMs(o.timeoutSeconds, c.overrides);
    s.restarts.clientStopped(id);
    const exited = s.tasks.wait({ id, execId: '' });
    if (status === 'RUNNING' || status === 'PAUSED') {
      // As dockerd: a paused container is resumed for the signal to reach it.
      if ((await signalUnlessExited(s, id, signal, false, exited)) && status === 'PAUSED') await s.tasks.resume(id);
    }
    return { exited, status, timeoutMs };
  });
  if (status !== 'CREATED') {
    const exit = timeoutMs === null ? await exited : await withTimeout(exited, timeoutMs);
    if (exit) return { exit, killed: false };
  }
  const killed = await locked(() => signalUnlessExited(s, id, SIGKILL, true, exited));
  return { exit: await exited, killed };
}

/** How long an init found gone may take to have its exit recorded by its monitor. */
const EXIT_REPORT_MS = 2000;

/** Signal the task; false when it exited first (its exit may not be recorded yet, or the task was deleted). */
async function signalUnlessExited(s: Supervisor, id: string, signal: number, all: boolean, exited: Promise<TaskExit>): Promise<boolean> {
  try {
    await s.tasks.kill({ id, execId: '' }, signal, all);
    return true;
  } catch (err) {
    if (await withTimeout(exited, EXIT_REPORT_MS)) return false;
    throw err;
  }
}
