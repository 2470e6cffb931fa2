/**
 * Pod sandboxes over tsrund's own lifecycle: a sandbox is a tsrund container (bundle: its record's
 * directory under <root>/cri/sandboxes, ./record-store.ts) whose task runs the pause with the pod's network set up by the
 * network manager before it, exactly as Tasks.Create does for any container; stopping deletes
 * that task (and so releases the network), removing deletes the container too. A failure of
 * RunPodSandbox undoes every step made. READY means the pause task runs.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type {
  LinuxContainerResources,
  ListPodSandboxRequest,
  NamespaceOption,
  PodSandboxConfig,
  PodSandbox,
  PodSandboxFilter,
  PodSandboxState,
  PodSandboxStatusRequest,
  PodSandboxStatusResponse,
  RunPodSandboxRequest,
} from '../../api/generated/cri-types';
import { grantableCapabilities } from '../../containers/host-capabilities';
import { checkContainerRecord } from '../../containers/record-checks';
import type { ContainerRecord } from '../../containers/store';
import { imageBundleDir, removeImageContainerFiles, unpackImage } from '../../images/bundle-container';
import { ImageService } from '../../images/service';
import { createContainerTask, deleteContainerTask } from '../../services/container-tasks';
import type { Supervisor } from '../../services/supervisor';
import { invalidArgument } from '../../shared/errors';
import { nativeExecutable } from '../../shared/native-executable';
import { DEFAULT_NETWORK } from '../../network/store';
import { KIND_LABEL, linuxResourcesOf } from './container-spec';
import { ownOomScoreLimits } from './oom-score';
import { PAUSE_DESTINATION, sandboxPlan, withSandboxImage } from './sandbox-spec';
import { mountPodShm, podShmSource, unmountPodShm, withPodShm } from './pod-shm';
import type { Spec } from '../../../spec/types';
import { CriRecords } from './record-store';

const APPARMOR_ENABLED = '/sys/module/apparmor/parameters/enabled';
/** The directories and files the pause's config mounts over, made in its otherwise empty root. */
const ROOT_DIRS = ['proc', 'dev', 'sys', 'etc'];
const ROOT_FILES = [PAUSE_DESTINATION.slice(1), 'etc/hosts', 'etc/hostname', 'etc/resolv.conf'];

export interface SandboxRecord {
  /** 64 hex digits; the id of its tsrund container too. */
  id: string;
  /** name_namespace_uid_attempt. */
  name: string;
  config: PodSandboxConfig;
  runtimeHandler: string;
  /** Nanoseconds since the epoch. */
  createdAt: number;
  namespaces: NamespaceOption;
  /** The last UpdatePodSandboxResources' settings (kept and shown, applied to no cgroup). */
  resources?: { overhead: LinuxContainerResources | null; resources: LinuxContainerResources | null };
}

export interface PodOptions {
  /** The CNI network of pods ("": the first list of --cni-conf-dir by file name that tsrund did not write, else tsrund's default network). */
  network: string;
  /** --sandbox-image: the image whose process each sandbox runs ("": the built-in pause, nothing pulled). */
  sandboxImage: string;
}

export class PodSandboxes {
  /** <root>/cri/sandboxes/<id>: the record, and rootfs/, the pause's root of its own (the sandbox container's bundle). */
  readonly store: CriRecords<SandboxRecord>;

  constructor(
    private readonly s: Supervisor,
    private readonly o: PodOptions,
  ) {
    this.store = new CriRecords(path.join(s.paths.root, 'cri', 'sandboxes'), 'pod sandbox', 'pod_sandbox_id');
    for (const id of this.store.load()) s.log.warn(`pod sandbox ${id}: its record was never written; removed its directory`);
  }

  async run(req: RunPodSandboxRequest): Promise<{ podSandboxId: string }> {
    if (req.runtimeHandler !== '') throw invalidArgument('runtime_handler', `${JSON.stringify(req.runtimeHandler)} is not a runtime handler of tsrund's (leave it empty)`);
    const id = randomBytes(32).toString('hex');
    const plan = sandboxPlan(req.config, {
      id,
      pauseBinary: nativeExecutable('tsrun-pause'),
      network: this.podNetwork(),
      oomLimits: ownOomScoreLimits(),
      grantable: grantableCapabilities,
      readFile: (file) => fs.readFileSync(file, 'utf8'),
      apparmor: readFlag(APPARMOR_ENABLED),
    });
    const image = this.o.sandboxImage === '' ? null : await this.sandboxImage();
    const hostIpc = plan.namespaces.ipc === 'NODE';
    const shm = podShmSource(this.s.paths.state, id, hostIpc);
    const config = req.config!;
    const record: SandboxRecord = {
      id,
      name: plan.name,
      config,
      runtimeHandler: req.runtimeHandler,
      createdAt: Date.now() * 1e6,
      namespaces: plan.namespaces,
    };
    const container: ContainerRecord = {
      id,
      bundle: image ? imageBundleDir(this.s, id) : this.store.dirOf(id),
      image: image?.name ?? '',
      labels: { [KIND_LABEL]: 'sandbox' },
      overrides: plan.overrides,
      createdAt: new Date(record.createdAt / 1e6).toISOString(),
      spec: withPodShmOf(image ? withSandboxImage(plan.spec, image.name, image.stored.config) : plan.spec, shm),
    };
    checkContainerRecord(container, 'config');
    // The name is taken synchronously, before any wait: two runs of one pod cannot both pass.
    this.store.create(record, image ? undefined : makePauseRoot);
    try {
      await this.s.lock.run(id, async () => {
        // The image's root: a writable layer over its layers, as a container's (the task mounts it).
        if (image) this.s.snapshots.prepare(id, image.ids);
        if (!hostIpc) mountPodShm(shm);
        this.s.containers.create(container);
        this.s.events.publish('container-create', id);
        await createContainerTask(this.s, id, false);
        await this.s.tasks.start(id);
      });
    } catch (err) {
      await this.undo(id).catch((e: Error) => this.s.log.warn(`pod sandbox ${id}: undoing its failed run: ${e.message}`));
      throw err;
    }
    this.s.log.info(`pod sandbox ${id} (${plan.name}) ready`);
    return { podSandboxId: id };
  }

  /** The pause and the network go; an unknown sandbox has nothing left to reclaim (the proto: no error). */
  /**
   * UpdatePodSandboxResources, as containerd answers it: the settings are checked as a
   * container's are and kept (the pod's verbose status shows them); no cgroup is written. The
   * pod-level cgroup (cgroup_parent) is kubelet's own under the cgroupfs driver, which it sizes
   * itself, and the sandbox's own cgroup holds only the pause.
   */
  updateResources(idOrPrefix: string, overhead: LinuxContainerResources | null, resources: LinuxContainerResources | null): void {
    const r = this.store.get(idOrPrefix);
    for (const v of [overhead, resources]) if (v) linuxResourcesOf(v);
    this.store.update({ ...r, resources: { overhead, resources } });
  }

  async stop(idOrPrefix: string): Promise<void> {
    const record = this.store.find(idOrPrefix);
    if (record) await this.s.lock.run(record.id, () => this.stopTask(record.id));
  }

  /** Stopped, then its container and record go; an unknown sandbox was removed already (the proto: no error). */
  async remove(idOrPrefix: string): Promise<void> {
    const record = this.store.find(idOrPrefix);
    if (record) await this.undo(record.id);
  }

  status(req: PodSandboxStatusRequest): Partial<PodSandboxStatusResponse> {
    const r = this.store.get(req.podSandboxId);
    const state = this.stateOf(r.id);
    const att = state === 'SANDBOX_READY' ? this.s.networks.attachment(r.id) : null;
    const ips = (att?.endpoints ?? []).map((e) => e.ipv4.split('/')[0]).filter((ip) => ip !== '');
    const response: Partial<PodSandboxStatusResponse> = {
      status: {
        id: r.id,
        metadata: r.config.metadata,
        state,
        createdAt: r.createdAt,
        network: { ip: ips[0] ?? '', additionalIps: ips.slice(1).map((ip) => ({ ip })) },
        linux: { namespaces: { options: r.namespaces } },
        labels: r.config.labels,
        annotations: r.config.annotations,
        runtimeHandler: r.runtimeHandler,
      },
      timestamp: Date.now() * 1e6,
    };
    if (req.verbose) response.info = { info: JSON.stringify(this.verboseInfo(r, att?.netnsPath ?? '')) };
    return response;
  }

  list(req: ListPodSandboxRequest): PodSandbox[] {
    const f: PodSandboxFilter | null = req.filter;
    const found = f && f.id !== '' ? this.store.findForFilter(f.id) : null;
    const records = f && f.id !== '' ? (found ? [found] : []) : this.store.list();
    return records
      .map((r) => ({ r, state: this.stateOf(r.id) }))
      .filter(({ state }) => !f?.state || f.state.state === state)
      .filter(({ r }) => Object.entries(f?.labelSelector ?? {}).every(([k, v]) => r.config.labels[k] === v))
      .map(({ r, state }) => ({
        id: r.id,
        metadata: r.config.metadata,
        state,
        createdAt: r.createdAt,
        labels: r.config.labels,
        annotations: r.config.annotations,
        runtimeHandler: r.runtimeHandler,
      }));
  }

  /** The pid of the sandbox's pause while it runs (the namespaces its containers join), else null. */
  pausePid(id: string): number | null {
    return this.stateOf(id) === 'SANDBOX_READY' ? this.s.tasks.describeById(id).pid : null;
  }

  private stateOf(id: string): PodSandboxState {
    return this.s.tasks.has(id) && this.s.tasks.describeById(id).status === 'RUNNING' ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY';
  }

  /** Under the id's lock: the task deleted by force (which kills the pause and releases the network), or a network left without one released. */
  /** The pause's task and the pod's network and /dev/shm go (its containers were killed before). */
  private async stopTask(id: string): Promise<void> {
    if (this.s.tasks.has(id)) await deleteContainerTask(this.s, id, true);
    else await this.s.networks.tearDown(id);
    unmountPodShm(podShmSource(this.s.paths.state, id, false));
  }

  /** Everything of the sandbox, in the reverse order of its making; each step finds its part absent or removes it. */
  private async undo(id: string): Promise<void> {
    await this.s.lock.run(id, async () => {
      await this.stopTask(id);
      if (this.s.containers.list().some((c) => c.id === id)) {
        this.s.containers.delete(id);
        this.s.events.publish('container-delete', id);
      }
      // A sandbox of --sandbox-image: its writable layer and bundle directory.
      if (this.s.snapshots.mountOf(id)) removeImageContainerFiles(this.s, id);
      this.store.remove(id);
    });
  }

  /** --sandbox-image, pulled (through the registry mirrors, as every pull) unless it is in the store, and unpacked. */
  private async sandboxImage(): Promise<{ name: string } & Awaited<ReturnType<typeof unpackImage>>> {
    const images = this.s.images!;
    const name = ImageService.normalize('--sandbox-image', this.o.sandboxImage);
    if (!images.records.has(name)) {
      this.s.log.info(`pulling the sandbox image ${name}`);
      await images.pull(name, { field: '--sandbox-image' });
    }
    return { name, ...(await unpackImage(this.s, images, name)) };
  }

  private podNetwork(): string {
    if (this.o.network !== '') return this.o.network;
    const foreign = this.s.networks.store
      .list()
      .filter((n) => !n.managed)
      .sort((a, b) => path.basename(a.configFile).localeCompare(path.basename(b.configFile)));
    return foreign[0]?.name ?? DEFAULT_NETWORK;
  }

  private verboseInfo(r: SandboxRecord, netnsPath: string): Record<string, unknown> {
    const container = this.s.containers.list().find((c) => c.id === r.id);
    return {
      pid: this.pausePid(r.id) ?? 0,
      name: r.name,
      netNamespacePath: netnsPath,
      network: container?.overrides?.network?.networks[0]?.network ?? '',
      config: r.config,
      runtimeSpec: container?.spec ?? null,
      ...(r.resources ? { updatedResources: r.resources } : {}),
    };
  }
}

/** The sandbox's config with the pod's /dev/shm bound on its own. */
function withPodShmOf(spec: Spec, source: string): Spec {
  return { ...spec, mounts: withPodShm(spec.mounts ?? [], source) };
}

/** An empty root but for the mount points (0755: the pause may run as any user). */
function makePauseRoot(dir: string): void {
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(rootfs, { mode: 0o755 });
  for (const d of ROOT_DIRS) fs.mkdirSync(path.join(rootfs, d), { mode: 0o755 });
  for (const f of ROOT_FILES) fs.writeFileSync(path.join(rootfs, f), '', { mode: 0o644 });
}

function readFlag(file: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}
