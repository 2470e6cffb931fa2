/**
 * A RUN step: the command run as a task of tsrund's own (the task manager, the network manager
 * and the snapshotter its containers use) over the step's image layers, with a writable layer of
 * its own; its output streamed as the task's log grows; what it changed left in that writable
 * layer for the builder to turn into a layer. The task, its network and its bundle are gone when
 * this returns, whatever happened; the writable layer is the caller's to remove.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { RootfsOverlay } from '../../runtime/plan/types';
import { SIGKILL } from '../../runtime/lifecycle/cgroup-waits';
import { withDefaultSeccomp, withDockerDefaults } from '../containers/docker-defaults';
import { imageUser } from '../images/bundle-image';
import { imageSpec, writeBundle, type ImageConfig } from '../images/bundle';
import type { NetworkOverrides, ProcessOverrides } from '../api/types';
import type { NetworkManager } from '../network/manager';
import { NO_OVERRIDES } from '../network/request';
import { layeredEntry } from '../snapshots/merged-view';
import type { OverlaySnapshotter } from '../snapshots/overlay';
import { readLog } from '../tasks/log-reader';
import type { TaskManager } from '../tasks/manager';

/** How often a running command checks whether the build's client went away. */
const CANCEL_POLL_MS = 200;

/** What a RUN needs of tsrund. */
export interface RunHost {
  readonly tasks: TaskManager;
  readonly networks: NetworkManager;
  readonly snapshots: OverlaySnapshotter;
}

export interface RunStep {
  /** The task's id and its writable layer's key. */
  id: string;
  /** The image config the command runs with (env, user, workdir). */
  config: ImageConfig;
  /** The unpacked layers beneath, bottom-most first. */
  chainIds: string[];
  args: string[];
  /** The command's whole environment (the config's Env and the build args). */
  env: string[];
  network: 'none' | 'bridge';
  /** Where the bundle and the log go (removed after). */
  scratch: string;
  onOutput(stream: string, data: Buffer): Promise<void>;
  cancelled(): boolean;
}

/** Run the step; its exit status and the writable layer's overlay (upper holds the changes). */
export async function runStep(h: RunHost, s: RunStep): Promise<{ exitStatus: number; overlay: RootfsOverlay }> {
  const user = imageUser(h.snapshots, s.chainIds, s.config.config?.User ?? '');
  const config: ImageConfig = { ...s.config, config: { ...s.config.config, Entrypoint: [], Cmd: s.args, Env: s.env } };
  const spec = withDefaultSeccomp(withDockerDefaults(imageSpec(config, user, null, 'build step'), null), null);
  const bundle = path.join(s.scratch, `bundle-${s.id}`);
  const logPath = path.join(s.scratch, `log-${s.id}`);
  writeBundle(bundle, spec);
  const overlay = h.snapshots.prepare(s.id, s.chainIds);
  // As docker's builder: the WORKDIR exists for the command (made in this step's layer when the image lacks it).
  const lowers = s.chainIds.map((id) => h.snapshots.layerPath(id)).reverse();
  const cwd = spec.process!.cwd.split('/').filter(Boolean);
  if (!layeredEntry(lowers, cwd)?.st.isDirectory()) fs.mkdirSync(path.join(overlay.upper, ...cwd), { recursive: true, mode: 0o755 });
  const container = { id: s.id, image: 'build', spec, overrides: { network: networkOverrides(s.network) } as ProcessOverrides };
  try {
    const taskSpec = await h.networks.setUp(container);
    try {
      await h.tasks.create({ id: s.id, spec: taskSpec, bundle, logPath, stdin: false, rootfsMount: overlay });
      try {
        await h.tasks.start(s.id);
        const exited = h.tasks.wait({ id: s.id, execId: '' });
        let done = false;
        void exited.then(() => (done = true));
        // A client that went away ends the command: its processes are killed, the build fails.
        const watch = setInterval(() => {
          if (!s.cancelled()) return;
          clearInterval(watch);
          h.tasks.kill({ id: s.id, execId: '' }, SIGKILL, true).catch(() => undefined);
        }, CANCEL_POLL_MS);
        try {
          for await (const e of readLog(logPath, { follow: true, isLive: () => !done, cancelled: () => false, exited })) {
            await s.onOutput(e.stream, Buffer.concat([e.data, e.partial ? Buffer.alloc(0) : Buffer.from('\n')]));
          }
        } finally {
          clearInterval(watch);
        }
        return { exitStatus: (await exited).exitStatus, overlay };
      } finally {
        await h.tasks.delete({ id: s.id, execId: '' }, true);
      }
    } finally {
      await h.networks.tearDown(s.id);
    }
  } catch (err) {
    h.snapshots.remove(s.id);
    throw err;
  } finally {
    fs.rmSync(bundle, { recursive: true, force: true });
    fs.rmSync(logPath, { force: true });
  }
}

/** The build's network as a container's network overrides: a loopback only, or tsrund's default network. */
const networkOverrides = (network: 'none' | 'bridge'): NetworkOverrides => ({ ...NO_OVERRIDES, networks: network === 'none' ? [{ network: 'none', aliases: [] }] : [] });
