/**
 * tsrund's API (api/v1/*.proto) loaded at run time (./proto-loader.ts): messages in the shapes
 * of ./types.ts.
 */
import * as path from 'path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import { loadProtoRoot, serviceDefinitions, type ProtoSet } from './proto-loader';

export { MalformedRequest } from './proto-loader';

export const API_PACKAGE = 'tsrun.supervisor.v1';
/** Where tsrund serves the API unless told otherwise (--address). */
export const DEFAULT_ADDRESS = '/run/tsrund/tsrund.sock';
/**
 * Trailer tsrund sets on every status it answers with, so that a client tells tsrund's own
 * UNAVAILABLE (a registry is down) from grpc-js's (no connection to tsrund).
 */
export const SERVER_STATUS_TRAILER = 'tsrund-status';
const PROTO_FILES = ['types.proto', 'networks.proto', 'containers.proto', 'tasks.proto', 'events.proto', 'version.proto', 'images.proto', 'volumes.proto', 'builds.proto'];
export const SERVICE_NAMES = ['Containers', 'Tasks', 'Events', 'Version', 'Health', 'Images', 'Networks', 'Volumes', 'Builds'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const PROTOS: ProtoSet = { dir: path.join('supervisor', 'api', 'v1'), files: PROTO_FILES, packageName: API_PACKAGE };

let services: Record<ServiceName, ServiceDefinition> | null = null;
let root: protobuf.Root | null = null;

/** The loaded protos, for reflection over the API (its message types, its methods). */
export function apiRoot(): protobuf.Root {
  root ??= loadProtoRoot(PROTOS);
  return root;
}

/** The grpc-js definition of every service, methods keyed by lowerCamel name ("listPids"). */
export function apiServices(): Record<ServiceName, ServiceDefinition> {
  services ??= serviceDefinitions(apiRoot(), API_PACKAGE, SERVICE_NAMES);
  return services;
}

/** Bytes of `value` encoded as the API message `typeName` ("Container"), as it would cross the wire. */
export function encodedSize(typeName: string, value: object): number {
  const type = apiRoot().lookupType(`${API_PACKAGE}.${typeName}`);
  return type.encode(type.fromObject(value)).finish().length;
}
