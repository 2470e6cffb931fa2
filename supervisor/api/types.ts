/**
 * The messages of tsrun.supervisor.v1 (api/v1/*.proto) as plain objects, the way ./load.ts
 * decodes them. The message, enum and service types are generated from the protos into
 * ./generated/types.ts (`npm run gen:types`; never edit that file: change the protos). This module
 * adds the names code uses for some of them, what tsrund guarantees beyond the wire types (a
 * field it always sets), and the closed sets of values that some string fields take (the protos
 * list them in comments; the wire carries any string).
 */
import type * as wire from './generated/types';

export type * from './generated/types';

/** How a task exited (Tasks.Wait's response). */
export type ExitInfo = wire.WaitTaskResponse;
export type HealthStatus = wire.HealthCheckResponse_Status;
export type ImageDescriptor = wire.Descriptor;
export type ImagePlatform = wire.Platform;

/** Images.Get's response: tsrund always sets `image` (a name it has no image for is NOT_FOUND). */
export interface GetImageResponse extends Omit<wire.GetImageResponse, 'image'> {
  image: wire.Image;
}

/** The values of Event.type that tsrund publishes. */
export type EventType = 'container-create' | 'container-delete' | 'create' | 'start' | 'exit' | 'oom' | 'delete' | 'pause' | 'resume';

export const EVENT_TYPES: readonly EventType[] = [
  'container-create',
  'container-delete',
  'create',
  'start',
  'exit',
  'oom',
  'delete',
  'pause',
  'resume',
];

/**
 * The response header of Events.Subscribe, sent before any event: the sequence of the newest
 * event when the subscription began (0: none yet), where a client that saw no event yet resumes.
 */
export const NEWEST_SEQUENCE_HEADER = 'tsrun-newest-sequence';

/** The values of PullProgress.kind. */
export type PullKind = 'index' | 'manifest' | 'config' | 'layer';
/** The values of PullProgress.status. */
export type PullStatus = 'resolved' | 'waiting' | 'downloading' | 'done' | 'exists';
