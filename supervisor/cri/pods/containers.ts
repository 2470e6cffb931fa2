/**
 * The containers of pods over tsrund's own: CreateContainer makes an image container (its
 * writable layer over the image's snapshots, images/bundle-container.ts) in the sandbox's
 * network; StartContainer creates its task joined to the pause's namespaces, its output in the
 * CRI log file under the sandbox's log_directory (the monitor writes that format), and starts it;
 * StopContainer is Tasks.Stop (the stop signal, the timeout, then SIGKILL). The task is kept
 * after its exit, so a status (and a restarted tsrund) still knows the exit code and times;
 * RemoveContainer deletes it with the container.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Timestamp } from '../../api/types';
import type { Container, ContainerConfig, ContainerState, ContainerStatus, CreateContainerRequest, LinuxContainerResources, ListContainersRequest } from '../../api/generated/cri-types';
import { createImageContainer, imageRootfs, removeImageContainerFiles } from '../../images/bundle-container';
import { deleteContainerTask, stopContainerTask } from '../../services/container-tasks';
import type { Supervisor } from '../../services/supervisor';
import type { ImageService } from '../../images/service';
import { failedPrecondition, notFound } from '../../shared/errors';
import { findImage, groupById } from '../image-view';
import { factsOf } from '../images';
import { containerPlan, linuxResourcesOf, podTaskSpec } from './container-spec';
import { ownOomScoreLimits } from './oom-score';
import { podShmSource } from './pod-shm';
import { CriRecords } from './record-store';
import type { PodSandboxes, SandboxRecord } from './sandboxes';

export interface PodContainerRecord {
  id: string;
  /** name_sandboxname_attempt, unique among containers. */
  name: string;
  sandboxId: string;
  config: ContainerConfig;
  /** The image id (config digest) the reference resolved to. */
  imageRef: string;
  /** The CRI log file ("" : none). */
  logPath: string;
  /** Nanoseconds since the epoch; startedAt 0 until StartContainer. */
  createdAt: number;
  startedAt: number;
}

/** What an exit of 128+9 with an OOM event means. */
const OOM_REASON = 'OOMKilled';

export class PodContainers {
  /** <root>/cri/containers/<id>/record.json. */
  readonly store: CriRecords<PodContainerRecord>;

  constructor(
    private readonly s: Supervisor,
    private readonly images: ImageService,
    private readonly pods: PodSandboxes,
  ) {
    this.store = new CriRecords(path.join(s.paths.root, 'cri', 'containers'), 'container', 'container_id');
    for (const id of this.store.load()) s.log.warn(`CRI container ${id}: its record was never written; removed its directory`);
  }

  async create(req: CreateContainerRequest): Promise<{ containerId: string }> {
    const sandbox = this.pods.store.get(req.podSandboxId);
    if (this.pods.pausePid(sandbox.id) === null) throw failedPrecondition(`pod sandbox ${sandbox.id} is not ready: its containers run only while it runs`);
    const id = randomBytes(32).toString('hex');
    const plan = containerPlan(req.config, podOf(sandbox, this.s.paths.state), id, (file) => fs.readFileSync(file, 'utf8'));
    const group = findImage(groupById(factsOf(this.images)), plan.request.image, 'config.image.image');
    if (!group) throw notFound(`image ${plan.request.image} (pull it first)`);
    const record: PodContainerRecord = {
      id,
      name: plan.name,
      sandboxId: sandbox.id,
      config: req.config!,
      imageRef: group[0].id,
      logPath: plan.logPath,
      createdAt: Date.now() * 1e6,
      startedAt: 0,
    };
    this.store.create(record);
    try {
      await this.s.lock.run(id, async () => {
        await createImageContainer(this.s, { ...plan.request, image: group[0].record.name });
        this.s.events.publish('container-create', id);
      });
    } catch (err) {
      this.store.remove(id);
      throw err;
    }
    return { containerId: id };
  }

  async start(idOrPrefix: string): Promise<void> {
    const r = this.store.get(idOrPrefix);
    await this.s.lock.run(r.id, async () => {
      if (this.s.tasks.has(r.id)) throw failedPrecondition(`container ${r.id} was started already (it is ${this.stateOf(r).replace('CONTAINER_', '').toLowerCase()})`);
      const sandbox = this.pods.store.get(r.sandboxId);
      const pausePid = this.pods.pausePid(sandbox.id);
      if (pausePid === null) throw failedPrecondition(`pod sandbox ${sandbox.id} is not ready: start its containers while it runs`);
      const c = this.s.containers.get(r.id);
      if (r.logPath !== '') fs.mkdirSync(path.dirname(r.logPath), { recursive: true, mode: 0o755 });
      const networked = await this.s.networks.setUp(c);
      let startedAt = 0;
      try {
        await this.s.tasks.create({
          id: r.id,
          spec: podTaskSpec(networked, { id: r.id, pausePid, pod: podOf(sandbox, this.s.paths.state), config: r.config, oomLimits: ownOomScoreLimits() }),
          bundle: c.bundle,
          logPath: this.logPathOf(r),
          // Attach's stdin: the container's, kept open by its monitor (the proto's stdin).
          stdin: r.config.stdin,
          rootfsMount: imageRootfs(this.s, c),
        });
        // Taken before the start: a quick container may exit before the start returns.
        startedAt = Date.now() * 1e6;
        await this.s.tasks.start(r.id);
      } catch (err) {
        await deleteContainerTask(this.s, r.id, true).catch(() => this.s.networks.tearDown(r.id));
        throw err;
      }
      this.store.update({ ...r, startedAt });
    });
  }

  /** The record of a container that runs (for an exec or an attach): NOT_FOUND, or FAILED_PRECONDITION naming its state. */
  running(idOrPrefix: string): PodContainerRecord {
    const r = this.store.get(idOrPrefix);
    const state = this.stateOf(r);
    if (state !== 'CONTAINER_RUNNING') throw failedPrecondition(`container ${r.id} is not running (it is ${state.replace('CONTAINER_', '').toLowerCase()})`);
    return r;
  }

  /** Where its init's output goes. */
  logPathOf(r: PodContainerRecord): string {
    return r.logPath || this.s.containers.logPath(r.id);
  }

  /** The stop signal, `timeout` seconds (0: none), then SIGKILL; a container that is not running has nothing to stop. */
  async stop(idOrPrefix: string, timeout: number): Promise<void> {
    const r = this.store.get(idOrPrefix);
    if (this.stateOf(r) !== 'CONTAINER_RUNNING') return;
    try {
      await stopContainerTask(this.s, r.id, { timeoutSeconds: Math.max(0, timeout), signal: '' });
    } catch (err) {
      // It exited (or was removed) meanwhile: what was asked for holds.
      if (this.stateOf(r) === 'CONTAINER_RUNNING') throw err;
    }
  }

  /**
   * UpdateContainerResources: the new settings written to the running container's cgroups over
   * the ones it had (tsrun update's merge), then kept in its record (its status's resources).
   */
  async updateResources(idOrPrefix: string, linux: LinuxContainerResources): Promise<void> {
    const r = this.store.get(idOrPrefix);
    await this.s.lock.run(r.id, async () => {
      const state = this.stateOf(r);
      if (state !== 'CONTAINER_RUNNING') throw failedPrecondition(`container ${r.id} is not running (it is ${state.replace('CONTAINER_', '').toLowerCase()}): only a running container's resources are updated`);
      const old = r.config.linux?.resources;
      const change = linuxResourcesOf(linux);
      this.s.tasks.updateResources(r.id, old ? linuxResourcesOf(old) : undefined, change);
      this.store.update({ ...r, config: { ...r.config, linux: { securityContext: null, ...r.config.linux, resources: linux } } });
    });
  }

  /**
   * ReopenContainerLog: the monitor opens log_path anew (kubelet renamed the file away) and
   * answers once it is open. Only a running container (as containerd answers).
   */
  async reopenLog(idOrPrefix: string): Promise<void> {
    const r = this.running(idOrPrefix);
    await this.s.lock.run(r.id, async () => {
      this.running(r.id);
      await this.s.tasks.reopenLog(r.id);
    });
  }

  /** Its task, writable layer and records; an unknown container was removed already (the proto: no error). */
  async remove(idOrPrefix: string): Promise<void> {
    const r = this.store.find(idOrPrefix);
    if (!r) return;
    await this.s.lock.run(r.id, async () => {
      if (this.s.tasks.has(r.id)) await deleteContainerTask(this.s, r.id, true);
      if (this.s.containers.list().some((c) => c.id === r.id)) {
        this.s.containers.delete(r.id);
        removeImageContainerFiles(this.s, r.id);
        this.s.events.publish('container-delete', r.id);
      }
      this.store.remove(r.id);
    });
  }

  /** StopPodSandbox's part: every container of the sandbox killed at once (they stay, EXITED). */
  async stopAll(sandboxId: string): Promise<void> {
    for (const r of this.store.list().filter((c) => c.sandboxId === sandboxId)) await this.stop(r.id, 0);
  }

  /** RemovePodSandbox's part. */
  async removeAll(sandboxId: string): Promise<void> {
    for (const r of this.store.list().filter((c) => c.sandboxId === sandboxId)) await this.remove(r.id);
  }

  list(req: ListContainersRequest): Container[] {
    const f = req.filter;
    const found = f && f.id !== '' ? this.store.findForFilter(f.id) : null;
    const sandbox = f && f.podSandboxId !== '' ? this.pods.store.findForFilter(f.podSandboxId) : null;
    return (f && f.id !== '' ? (found ? [found] : []) : this.store.list())
      .filter((r) => !f || f.podSandboxId === '' || r.sandboxId === sandbox?.id)
      .map((r) => ({ r, state: this.stateOf(r) }))
      .filter(({ state }) => !f?.state || f.state.state === state)
      .filter(({ r }) => Object.entries(f?.labelSelector ?? {}).every(([k, v]) => r.config.labels[k] === v))
      .map(({ r, state }) => ({
        id: r.id,
        podSandboxId: r.sandboxId,
        metadata: r.config.metadata,
        image: imageSpecOf(r),
        imageRef: r.imageRef,
        imageId: r.imageRef,
        state,
        createdAt: r.createdAt,
        labels: r.config.labels,
        annotations: r.config.annotations,
      }));
  }

  status(idOrPrefix: string, verbose: boolean): { status: Partial<ContainerStatus>; info: Record<string, string> } {
    const r = this.store.get(idOrPrefix);
    const state = this.stateOf(r);
    const task = this.s.tasks.has(r.id) ? this.s.tasks.describeById(r.id) : null;
    const exited = state === 'CONTAINER_EXITED' && task !== null;
    const exitCode = exited ? task.exitStatus : 0;
    const status: Partial<ContainerStatus> = {
      id: r.id,
      metadata: r.config.metadata,
      state,
      createdAt: r.createdAt,
      startedAt: r.startedAt,
      finishedAt: exited ? nanosOf(task.exitedAt) : 0,
      exitCode,
      image: imageSpecOf(r),
      imageRef: r.imageRef,
      imageId: r.imageRef,
      reason: exited ? this.reasonOf(r.id, exitCode) : '',
      message: '',
      labels: r.config.labels,
      annotations: r.config.annotations,
      mounts: r.config.mounts,
      logPath: r.logPath,
      // What CreateContainer or the last UpdateContainerResources set (kubelet checks a resize by it).
      resources: r.config.linux?.resources ? { linux: r.config.linux.resources, windows: null } : null,
      stopSignal: r.config.stopSignal,
    };
    const info: Record<string, string> = verbose ? { info: JSON.stringify({ pid: task?.pid ?? 0, sandboxId: r.sandboxId, name: r.name, runtimeSpec: this.s.containers.list().find((c) => c.id === r.id)?.spec ?? null }) } : {};
    return { status, info };
  }

  /** The containers of a sandbox, for its verbose status. */
  statusesIn(sandboxId: string): Partial<ContainerStatus>[] {
    return this.store
      .list()
      .filter((r) => r.sandboxId === sandboxId)
      .map((r) => this.status(r.id, false).status);
  }

  private stateOf(r: PodContainerRecord): ContainerState {
    if (!this.s.tasks.has(r.id)) return r.startedAt === 0 ? 'CONTAINER_CREATED' : 'CONTAINER_UNKNOWN';
    const { status } = this.s.tasks.describeById(r.id);
    if (status === 'STOPPED') return 'CONTAINER_EXITED';
    return status === 'CREATED' ? 'CONTAINER_CREATED' : 'CONTAINER_RUNNING';
  }

  /** containerd's reasons: Completed for 0, OOMKilled when the cgroup's OOM killer ended it, Error otherwise. */
  private reasonOf(id: string, exitCode: number): string {
    if (exitCode === 0) return 'Completed';
    if (this.s.events.findJournaled((e) => e.type === 'oom' && e.id === id)) return OOM_REASON;
    return 'Error';
  }
}

function podOf(sandbox: SandboxRecord, state: string) {
  return {
    id: sandbox.id,
    name: sandbox.name,
    logDirectory: sandbox.config.logDirectory,
    namespaces: sandbox.namespaces,
    cgroupParent: sandbox.config.linux?.cgroupParent ?? '',
    shmSource: podShmSource(state, sandbox.id, sandbox.namespaces.ipc === 'NODE'),
  };
}

function imageSpecOf(r: PodContainerRecord) {
  const image = r.config.image!;
  return { image: image.image, annotations: image.annotations, userSpecifiedImage: image.userSpecifiedImage, runtimeHandler: image.runtimeHandler, imageRef: r.imageRef };
}

const nanosOf = (t: Timestamp | null) => (t ? t.seconds * 1e9 + t.nanos : 0);
