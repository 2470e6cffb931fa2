/**
 * GetContainerEvents: tsrund's own events (../../events/bus.ts) of CRI containers and sandboxes
 * as the CRI's, each with the status of the pod it belongs to and of that pod's containers then,
 * as kubelet's evented PLEG reads them. A container's creation, its task's start and exit, its
 * removal; a sandbox's the same, with its own id. The statuses are taken as the event is
 * delivered (the bus delivers in the publisher's turn), so they are the state the event made.
 */
import type { Event, EventType } from '../../api/types';
import type { ContainerEventResponse, ContainerEventType } from '../../api/generated/cri-types';
import type { Subscriptions } from '../../services/events';
import type { Supervisor } from '../../services/supervisor';
import type { Reply } from '../handlers';
import type { PodContainers } from './containers';
import type { PodSandboxes } from './sandboxes';

const CRI_EVENT: Partial<Record<EventType, ContainerEventType>> = {
  'container-create': 'CONTAINER_CREATED_EVENT',
  start: 'CONTAINER_STARTED_EVENT',
  exit: 'CONTAINER_STOPPED_EVENT',
  'container-delete': 'CONTAINER_DELETED_EVENT',
};

const TYPES = Object.keys(CRI_EVENT) as EventType[];

/** The CRI event of a tsrund event, or null when it is not of a CRI container or sandbox (or not of a kind the CRI has). */
export function criEventOf(e: Event, containers: PodContainers, pods: PodSandboxes): Reply<ContainerEventResponse> | null {
  const type = CRI_EVENT[e.type as EventType];
  const sandboxId = containers.store.exact(e.id)?.sandboxId ?? pods.store.exact(e.id)?.id;
  if (!type || !sandboxId) return null;
  const sandbox = pods.store.exact(sandboxId);
  return {
    containerId: e.id,
    containerEventType: type,
    createdAt: e.timestamp ? e.timestamp.seconds * 1e9 + e.timestamp.nanos : Date.now() * 1e6,
    podSandboxStatus: sandbox ? pods.status({ podSandboxId: sandbox.id, verbose: false }).status : null,
    // A deleted container is in none of them any more.
    containersStatuses: containers.statusesIn(sandboxId).filter((c) => !(type === 'CONTAINER_DELETED_EVENT' && c.id === e.id)),
  };
}

/** The stream: from the call on, until the client goes or tsrund stops; each event sent after the one before it. */
export async function streamContainerEvents(
  s: Supervisor,
  containers: PodContainers,
  pods: PodSandboxes,
  send: (m: Reply<ContainerEventResponse>) => Promise<void>,
  gone: Promise<void>,
  subscriptions: Subscriptions,
): Promise<void> {
  let sent = Promise.resolve();
  const unsubscribe = s.events.subscribe({ types: TYPES, ids: [] }, 0, (e) => {
    let msg: Reply<ContainerEventResponse> | null;
    try {
      msg = criEventOf(e, containers, pods);
    } catch (err) {
      s.log.warn(`CRI events: event ${e.sequence} (${e.type} of ${e.id}) left out: ${(err as Error).message}`);
      return;
    }
    if (msg) sent = sent.then(() => send(msg));
  });
  let forget: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (forget = subscriptions.add(resolve)));
  try {
    await Promise.race([gone, stopped]);
  } finally {
    forget();
    unsubscribe();
  }
}
