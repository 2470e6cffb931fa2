/**
 * Protos loaded at run time with protobufjs, and grpc-js service definitions built from their
 * reflection: no code generation step. Messages cross the wire as plain objects with camelCase
 * fields, 64-bit integers as numbers, enums as their names and every field present (proto3
 * defaults filled in): the shapes supervisor/api/tools/gen-types.js generates. Shared by
 * tsrund's own API (./load.ts) and the Kubernetes CRI it serves (./cri/load.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, arrays: true, objects: true };

export interface ProtoSet {
  /** Where the files are, relative to the package root ("supervisor/api/v1"). */
  dir: string;
  files: string[];
  packageName: string;
}

/** `set.dir` of this package, whether this file runs from the sources or from dist/. */
function protoDir(set: ProtoSet): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, set.dir);
    if (fs.existsSync(path.join(candidate, set.files[0]))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`${set.dir}/*.proto not found above ${__dirname}`);
  }
}

export function loadProtoRoot(set: ProtoSet): protobuf.Root {
  const dir = protoDir(set);
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(dir, target));
  root.loadSync(set.files.map((f) => path.join(dir, f)));
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

function serviceDefinition(service: protobuf.Service, packageName: string): ServiceDefinition {
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = codec(method.resolvedRequestType!);
    const res = codec(method.resolvedResponseType!);
    def[lowerFirst(method.name)] = {
      path: `/${packageName}.${service.name}/${method.name}`,
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

/** The grpc-js definition of each named service of `packageName`, methods keyed by lowerCamel name ("listPids"). */
export function serviceDefinitions<N extends string>(root: protobuf.Root, packageName: string, names: readonly N[]): Record<N, ServiceDefinition> {
  const out = {} as Record<N, ServiceDefinition>;
  for (const name of names) out[name] = serviceDefinition(root.lookupService(`${packageName}.${name}`), packageName);
  return out;
}
