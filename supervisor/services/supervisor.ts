/** What tsrund's services share: the container records, the tasks, their networks and restart policies, the event bus, the per-id lock, and the recovery across them. */
import * as path from 'path';
import type { Logger } from '../shared/logger';
import { ContainerStore } from '../containers/store';
import { EventBus } from '../events/bus';
import { EventJournal } from '../events/journal';
import { KeyedLock } from '../shared/keyed-lock';
import { TaskManager } from '../tasks/manager';
import { storedChainIds } from '../images/bundle-image';
import { removeImageContainerFiles } from '../images/bundle-container';
import type { ImageService } from '../images/service';
import { OverlaySnapshotter } from '../snapshots/overlay';
import { VolumeStore } from '../volumes/store';
import { DEFAULT_NETWORK_OPTIONS, NetworkManager, type NetworkOptions } from '../network/manager';
import { RestartRunner } from './restart-runner';

export interface SupervisorPaths {
  /** Persistent metadata (--root). */
  root: string;
  /** Runtime state: task directories, the lock (--state). */
  state: string;
}

/** How many events the journal (<root>/events) keeps for subscribers that resume, unless told. */
export const DEFAULT_EVENT_RETENTION = 10_000;

export class Supervisor {
  readonly events: EventBus;
  readonly lock = new KeyedLock();
  readonly containers: ContainerStore;
  readonly tasks: TaskManager;
  /** The CNI networks and every task's attachment to them. */
  readonly networks: NetworkManager;
  /** Unpacked image layers and the containers' writable layers over them (<root>/snapshots). */
  readonly snapshots: OverlaySnapshotter;
  /** Volumes (<root>/volumes): which containers use them, the container records say. */
  readonly volumes: VolumeStore;
  /** The containers' restart policies, enforced. */
  readonly restarts: RestartRunner;
  /** The images containers are created from; null until the daemon attaches them. */
  images: ImageService | null = null;
  /** False until recover() finished: Health answers NOT_SERVING meanwhile. */
  ready = false;

  constructor(
    readonly paths: SupervisorPaths,
    readonly log: Logger,
    eventRetention = DEFAULT_EVENT_RETENTION,
    network: NetworkOptions = DEFAULT_NETWORK_OPTIONS,
  ) {
    const journal = EventJournal.open({ dir: path.join(paths.root, 'events'), retain: eventRetention, onRepair: (m) => log.warn(m) });
    this.events = new EventBus(journal, log);
    this.containers = new ContainerStore(paths.root);
    this.tasks = new TaskManager(paths.state, this.events, log);
    this.networks = new NetworkManager(network, paths, log, {
      exists: (id) => this.tasks.has(id),
      running: (id) => this.tasks.has(id) && this.tasks.describeById(id).status === 'RUNNING',
    });
    this.snapshots = new OverlaySnapshotter(paths.root);
    this.snapshots.onRemoveError = (tree, err) => log.warn(`snapshots: could not remove ${tree} (tried again at the next start): ${err.message}`);
    this.volumes = new VolumeStore(paths.root);
    this.restarts = new RestartRunner(this);
    this.volumes.onRemoveError = (tree, err) => log.warn(`volumes: could not remove ${tree} (tried again at the next start): ${err.message}`);
  }

  /** Use `images` for image references; its removals collect the layers no remaining image uses. */
  attachImages(images: ImageService): void {
    this.images = images;
    images.snapshotCollector = (remaining) => {
      const removed = this.snapshots.gcSnapshots(remaining.flatMap((r) => storedChainIds(images, r)));
      if (removed.length > 0) this.log.info(`removed ${removed.length} unpacked layers no image uses`);
    };
  }

  /** Read the records back and re-attach to every task (after a start or a restart). */
  async recover(): Promise<void> {
    for (const id of this.containers.load()) this.log.warn(`container ${id}: its create did not finish; removed`);
    for (const name of this.volumes.load()) this.log.warn(`volume ${name}: its create did not finish; removed`);
    for (const name of this.snapshots.removeLeftovers()) this.log.warn(`snapshots: removing the leftover ${name} in the background`);
    const ids = new Set(this.containers.list().map((c) => c.id));
    for (const key of this.snapshots.activeKeys().filter((k) => !ids.has(k))) {
      // A leftover that cannot go now must not keep tsrund from starting: the next start retries.
      try {
        removeImageContainerFiles(this, key);
        this.log.warn(`snapshots: removed the writable layer of ${key}, which has no container`);
      } catch (err) {
        this.log.warn(`snapshots: could not remove the writable layer of ${key}, which has no container (tried again at the next start): ${(err as Error).message}`);
      }
    }
    await this.tasks.recover();
    await this.networks.recover();
    await this.restarts.start();
    this.ready = true;
  }
}
