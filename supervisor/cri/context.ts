/** What the CRI's handler modules share: tsrund's supervisor and image store, the CRI settings, the runtime config kubelet sets, the streaming server, the open event streams. */
import type { ImageService } from '../images/service';
import type { Subscriptions } from '../services/events';
import type { Supervisor } from '../services/supervisor';
import type { Logger } from '../shared/logger';
import { RuntimeConfigStore } from './runtime-config';
import type { StreamingServer } from './streaming/server';

export interface CriOptions {
  /** The unix socket the CRI is served on (--cri-address). */
  address: string;
  /** Where CNI network configuration lists are looked for (--cni-conf-dir): NetworkReady needs one. */
  cniConfDir: string;
  /** --sandbox-image ("": the built-in pause). */
  sandboxImage: string;
}

export class CriContext {
  /** UpdateRuntimeConfig's settings (<root>/cri/runtime-config.json). */
  readonly runtimeConfig: RuntimeConfigStore;

  constructor(
    readonly supervisor: Supervisor,
    readonly images: ImageService,
    readonly options: CriOptions,
    /** Where Exec, Attach and PortForward sessions are served (--stream-address). */
    readonly streaming: StreamingServer,
    /** Open event streams (GetContainerEvents too), ended when tsrund stops. */
    readonly subscriptions: Subscriptions,
  ) {
    this.runtimeConfig = new RuntimeConfigStore(supervisor.paths.root);
  }

  get log(): Logger {
    return this.supervisor.log;
  }
}
