/**
 * A container removed with what goes with it: its record, an image container's writable layer
 * and bundle directory, (`removeVolumes`) its anonymous volumes no other container uses, and the
 * container-delete event. What Containers.Delete does for a client and auto-remove
 * (./auto-remove.ts) for tsrund; the caller holds the id's lock and made sure it has no task.
 */
import type { ContainerRecord } from '../containers/store';
import { removeImageContainerFiles } from '../images/bundle-container';
import { removeAnonymousVolumes } from '../volumes/container-volumes';
import type { Supervisor } from './supervisor';

export async function removeContainer(s: Supervisor, record: ContainerRecord, removeVolumes: boolean): Promise<void> {
  s.containers.delete(record.id);
  if (record.image !== '') removeImageContainerFiles(s, record.id);
  if (removeVolumes) await removeAnonymousVolumes(s, record);
  s.events.publish('container-delete', record.id);
}
