/**
 * The Kubernetes CRI (runtime.v1, ./v1/api.proto) loaded at run time like tsrund's own API
 * (../proto-loader.ts): messages in the shapes of ../generated/cri-types.ts.
 */
import * as path from 'path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import type * as protobuf from 'protobufjs';
import { loadProtoRoot, serviceDefinitions, type ProtoSet } from '../proto-loader';

export const CRI_PACKAGE = 'runtime.v1';
/** Where tsrund serves the CRI unless told otherwise (--cri-address). */
export const DEFAULT_CRI_ADDRESS = '/run/tsrund/cri.sock';
export const CRI_SERVICE_NAMES = ['RuntimeService', 'ImageService'] as const;
export type CriServiceName = (typeof CRI_SERVICE_NAMES)[number];

const PROTOS: ProtoSet = { dir: path.join('supervisor', 'api', 'cri', 'v1'), files: ['api.proto'], packageName: CRI_PACKAGE };

let root: protobuf.Root | null = null;
let services: Record<CriServiceName, ServiceDefinition> | null = null;

/** The loaded proto, for reflection over the CRI (its message types, its methods). */
export function criRoot(): protobuf.Root {
  root ??= loadProtoRoot(PROTOS);
  return root;
}

/** The grpc-js definition of RuntimeService and ImageService, methods keyed by lowerCamel name ("runPodSandbox"). */
export function criServices(): Record<CriServiceName, ServiceDefinition> {
  services ??= serviceDefinitions(criRoot(), CRI_PACKAGE, CRI_SERVICE_NAMES);
  return services;
}
