/**
 * tsrund's API (api/v1/*.proto) loaded at run time with protobufjs, and grpc-js service
 * definitions built from its reflection: no code generation step. Messages cross the wire as
 * plain objects with camelCase fields, 64-bit integers as numbers, enums as their names and
 * every field present (proto3 defaults filled in): the shapes of ./types.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';

export const API_PACKAGE = 'tsrun.supervisor.v1';
/** Where tsrund serves the API unless told otherwise (--address). */
export const DEFAULT_ADDRESS = '/run/tsrund/tsrund.sock';
/**
 * Trailer tsrund sets on every status it answers with, so that a client tells tsrund's own
 * UNAVAILABLE (a registry is down) from grpc-js's (no connection to tsrund).
 */
export const SERVER_STATUS_TRAILER = 'tsrund-status';
const PROTO_FILES = ['types.proto', 'containers.proto', 'tasks.proto', 'events.proto', 'version.proto', 'images.proto'];
export const SERVICE_NAMES = ['Containers', 'Tasks', 'Events', 'Version', 'Health', 'Images'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true, objects: true };

/** supervisor/api/v1 of this package, whether this file runs from the sources or from dist/. */
function protoDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'supervisor', 'api', 'v1');
    if (fs.existsSync(path.join(candidate, 'tasks.proto'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`supervisor/api/v1/*.proto not found above ${__dirname}`);
  }
}

function loadRoot(): protobuf.Root {
  const dir = protoDir();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
  root.loadSync(PROTO_FILES.map((f) => path.join(dir, f)));
  root.resolveAll();
  return root;
}

const lowerFirst = (s: string): string => s[0].toLowerCase() + s.slice(1);

function codec(type: protobuf.Type): { serialize: (o: object) => Buffer; deserialize: (b: Buffer) => object } {
  return {
    serialize: (o) => Buffer.from(type.encode(type.fromObject(o)).finish()),
    deserialize: (b) => type.toObject(type.decode(b), TO_OBJECT),
  };
}

/**
 * A request whose bytes are not a valid message of its type. The server's deserializer returns it
 * instead of throwing (grpc-js would answer a throw with INTERNAL) so that the handler answers
 * INVALID_ARGUMENT (services/handlers.ts).
 */
export class MalformedRequest {
  constructor(
    readonly typeName: string,
    readonly reason: string,
  ) {}
}

function tolerantDeserializer(type: protobuf.Type, deserialize: (b: Buffer) => object): (b: Buffer) => object {
  return (b) => {
    try {
      return deserialize(b);
    } catch (err) {
      return new MalformedRequest(type.name, (err as Error).message);
    }
  };
}

function serviceDefinition(service: protobuf.Service): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = codec(method.resolvedRequestType!);
    const res = codec(method.resolvedResponseType!);
    def[lowerFirst(method.name)] = {
      path: `/${API_PACKAGE}.${service.name}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: req.serialize,
      // A request stream's handler reads messages itself: there grpc-js's INTERNAL stays.
      requestDeserialize: method.requestStream ? req.deserialize : tolerantDeserializer(method.resolvedRequestType!, req.deserialize),
      responseSerialize: res.serialize,
      responseDeserialize: res.deserialize,
      originalName: method.name,
    };
  }
  return def;
}

let services: Record<ServiceName, ServiceDefinition> | null = null;
let root: protobuf.Root | null = null;

/** The loaded protos, for reflection over the API (its message types, its methods). */
export function apiRoot(): protobuf.Root {
  root ??= loadRoot();
  return root;
}

/** The grpc-js definition of every service, methods keyed by lowerCamel name ("listPids"). */
export function apiServices(): Record<ServiceName, ServiceDefinition> {
  if (!services) {
    const root = apiRoot();
    const out = {} as Record<ServiceName, ServiceDefinition>;
    for (const name of SERVICE_NAMES) out[name] = serviceDefinition(root.lookupService(`${API_PACKAGE}.${name}`));
    services = out;
  }
  return services;
}

/** Bytes of `value` encoded as the API message `typeName` ("Container"), as it would cross the wire. */
export function encodedSize(typeName: string, value: object): number {
  const type = apiRoot().lookupType(`${API_PACKAGE}.${typeName}`);
  return type.encode(type.fromObject(value)).finish().length;
}
