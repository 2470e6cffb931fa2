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
      requestDeserialize: req.deserialize,
      responseSerialize: res.serialize,
      responseDeserialize: res.deserialize,
      originalName: method.name,
    };
  }
  return def;
}

let services: Record<ServiceName, ServiceDefinition> | null = null;

/** The grpc-js definition of every service, methods keyed by lowerCamel name ("listPids"). */
export function apiServices(): Record<ServiceName, ServiceDefinition> {
  if (!services) {
    const root = loadRoot();
    const out = {} as Record<ServiceName, ServiceDefinition>;
    for (const name of SERVICE_NAMES) out[name] = serviceDefinition(root.lookupService(`${API_PACKAGE}.${name}`));
    services = out;
  }
  return services;
}
