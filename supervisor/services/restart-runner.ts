/**
 * Restart policies enforced (types.proto RestartPolicy; the decisions are
 * containers/restart-policy.ts's): on each task exit of a container with a policy, after the
 * back-off, its stopped task is deleted and a new one created and started, under the id's lock;
 * at tsrund's start, the containers the policy starts again are. What the policy did (the count,
 * whether the user stopped it) is kept in the container's restart.json; the back-off in memory.
 * A container the policy does not start again is auto-removed when it asks for that (./auto-remove.ts).
 */
import type { Event, RestartStatus } from '../api/types';
import { readJsonFile, writeFileAtomic } from '../shared/atomic-file';
import { NO_HISTORY, nextDelayMs, restartsAfterExit, restartsAtDaemonStart, type RestartHistory } from '../containers/restart-policy';
import { createContainerTask, deleteContainerTask } from './container-tasks';
import { autoRemove } from './auto-remove';
import type { Supervisor } from './supervisor';

export class RestartRunner {
  /** Restarts waiting for their back-off (or under way), by container id. */
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** The back-off before each container's last restart (ms). */
  private readonly delays = new Map<string, number>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly s: Supervisor) {}

  /** Follow task exits from now on, then start what the policies start when tsrund starts. */
  async start(): Promise<void> {
    this.unsubscribe = this.s.events.subscribe({ types: ['exit'], ids: [] }, 0, (e) => this.exited(e));
    for (const c of this.s.containers.list()) {
      const task = this.s.tasks.has(c.id) ? this.s.tasks.describeById(c.id) : null;
      if (task && task.status !== 'STOPPED') continue;
      if (restartsAtDaemonStart(c.overrides?.restartPolicy, task ? task.exitStatus : null, this.history(c.id))) {
        this.s.log.info(`container ${c.id}: started again by its restart policy (${c.overrides!.restartPolicy!.name})`);
        await this.s.lock.run(c.id, () => this.restart(c.id, false)).catch((err: Error) => this.s.log.error(`container ${c.id}: restart: ${err.message}`));
      } else if (task && c.overrides?.autoRemove) await autoRemove(this.s, c.id);
    }
  }

  close(): void {
    this.unsubscribe?.();
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  status(id: string): RestartStatus {
    const h = this.history(id);
    return { restartCount: h.count, stoppedByUser: h.stoppedByUser, restarting: this.pending.has(id) };
  }

  /** A client created the task: the policy applies again, counting from 0. */
  clientCreated(id: string): void {
    this.cancel(id);
    this.delays.delete(id);
    if (this.hasPolicy(id)) this.record(id, NO_HISTORY);
  }

  /** A client stopped or deleted the task: the policy ends (before the task exits, so that its exit restarts nothing). */
  clientStopped(id: string): void {
    this.cancel(id);
    if (this.hasPolicy(id)) this.record(id, { ...this.history(id), stoppedByUser: true });
  }

  private container(id: string) {
    return this.s.containers.list().find((c) => c.id === id) ?? null;
  }

  private hasPolicy(id: string): boolean {
    return Boolean(this.container(id)?.overrides?.restartPolicy);
  }

  private exited(e: Event): void {
    const c = this.container(e.id);
    if (!c) return;
    if (!c.overrides?.restartPolicy || !restartsAfterExit(c.overrides.restartPolicy, e.exitStatus, this.history(c.id))) {
      if (c.overrides?.autoRemove) void autoRemove(this.s, c.id);
      return;
    }
    const task = this.s.tasks.has(c.id) ? this.s.tasks.describeById(c.id) : null;
    const ranMs = task?.createdAt && task.exitedAt ? millis(task.exitedAt) - millis(task.createdAt) : 0;
    const delay = nextDelayMs(this.delays.get(c.id) ?? 0, ranMs);
    this.delays.set(c.id, delay);
    this.cancel(c.id);
    // Pending (Container.restart_status.restarting) until the new task runs.
    const timer: NodeJS.Timeout = setTimeout(() => {
      this.s.lock
        .run(c.id, () => this.restart(c.id, true))
        .catch((err: Error) => this.s.log.error(`container ${c.id}: restart: ${err.message}`))
        .finally(() => {
          if (this.pending.get(c.id) === timer) this.pending.delete(c.id);
        });
    }, delay);
    this.pending.set(c.id, timer);
    this.s.log.debug(`container ${c.id}: exited with ${e.exitStatus}; restarting in ${delay} ms`);
  }

  /**
   * A new task for the container, unless a client came first: it removed the container, stopped
   * it, or gave it a task that runs. `counted`: a restart after an exit (not tsrund's start).
   */
  private async restart(id: string, counted: boolean): Promise<void> {
    if (!this.container(id)) return;
    const h = this.history(id);
    if (counted && h.stoppedByUser) return;
    let stdin = false;
    if (this.s.tasks.has(id)) {
      const task = this.s.tasks.describeById(id);
      if (task.status !== 'STOPPED') return;
      stdin = task.stdin;
      await deleteContainerTask(this.s, id, false);
    }
    // Started again when tsrund starts, the container is the policy's again (as dockerd does).
    this.record(id, counted ? { ...h, count: h.count + 1 } : { ...h, stoppedByUser: false });
    await createContainerTask(this.s, id, stdin);
    await this.s.tasks.start(id);
  }

  private cancel(id: string): void {
    clearTimeout(this.pending.get(id));
    this.pending.delete(id);
  }

  private history(id: string): RestartHistory {
    return readJsonFile<RestartHistory>(this.s.containers.restartStatePath(id)) ?? NO_HISTORY;
  }

  private record(id: string, h: RestartHistory): void {
    writeFileAtomic(this.s.containers.restartStatePath(id), JSON.stringify(h));
  }
}

const millis = (t: { seconds: number; nanos: number }) => t.seconds * 1000 + t.nanos / 1e6;
