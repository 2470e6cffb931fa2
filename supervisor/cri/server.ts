/**
 * tsrund's CRI server: RuntimeService and ImageService from the handler tables of the modules
 * below, composed into grpc-js implementations. An RPC no module implements answers UNIMPLEMENTED
 * naming it; errors become statuses the way tsrund's own API answers them (services/status.ts).
 */
import * as grpc from '@grpc/grpc-js';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { criServices, type CriServiceName } from '../api/cri/load';
import { COMMON_GRPC_OPTIONS } from '../api/grpc-options';
import { serverStream, unary } from '../services/handlers';
import type { Logger } from '../shared/logger';
import { TsrunError } from '../shared/errors';
import type { CriContext } from './context';
import type { ImageHandlers, RuntimeHandlers } from './handlers';
import { imageHandlers } from './images';
import { runtimeInfoHandlers } from './runtime-info';
import { podHandlers } from './pods/handlers';
import { EXEC_SYNC_OUTPUT_CAP } from './pods/exec';

/** The modules that implement RuntimeService, each a part of its table. */
const RUNTIME_MODULES: ((ctx: CriContext) => Partial<RuntimeHandlers>)[] = [runtimeInfoHandlers, podHandlers];
const IMAGE_MODULES: ((ctx: CriContext) => Partial<ImageHandlers>)[] = [imageHandlers];

type AnyHandler = (req: unknown, send?: (m: unknown) => Promise<void>, cancelled?: () => boolean, gone?: Promise<void>) => unknown;

/** The grpc-js implementation of `service` from `table`: every method of the definition, implemented or UNIMPLEMENTED. */
export function implementation(log: Logger, service: CriServiceName, def: ServiceDefinition, table: Partial<Record<string, unknown>>): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(def)) {
    const name = `${service}.${method.originalName}`;
    const fn = table[key] as AnyHandler | undefined;
    const missing = () => {
      throw new TsrunError(`${service}/${method.originalName} is not implemented by tsrund yet`, { code: 'unimplemented' });
    };
    out[key] = method.responseStream
      ? serverStream(log, name, async (req, send, cancelled, call) => {
          const gone = new Promise<void>((resolve) => {
            call.on('cancelled', () => resolve());
            call.on('error', () => resolve());
            if (cancelled()) resolve();
          });
          await (fn ?? missing)(req, send, cancelled, gone);
        })
      : unary(log, name, (req) => (fn ?? missing)(req));
  }
  return out;
}

function compose<T>(ctx: CriContext, modules: ((ctx: CriContext) => Partial<T>)[]): Partial<T> {
  const table: Partial<T> = {};
  for (const m of modules) {
    const part = m(ctx);
    const twice = Object.keys(part).find((k) => k in table);
    if (twice) throw new Error(`CRI method ${twice} implemented by two modules`);
    Object.assign(table, part);
  }
  return table;
}

/** A grpc-js server with both CRI services (not yet bound). */
export function criServer(ctx: CriContext): grpc.Server {
  const services = criServices();
  // kubelet's image pulls and big lists: the CRI's 16 MiB message limit, as containerd sets it;
  // sending, room for an ExecSync answer with both of its streams at their cap.
  const server = new grpc.Server({ ...COMMON_GRPC_OPTIONS, 'grpc.max_receive_message_length': 16 << 20, 'grpc.max_send_message_length': 2 * EXEC_SYNC_OUTPUT_CAP + (1 << 20) });
  server.addService(services.RuntimeService, implementation(ctx.log, 'RuntimeService', services.RuntimeService, compose(ctx, RUNTIME_MODULES)));
  server.addService(services.ImageService, implementation(ctx.log, 'ImageService', services.ImageService, compose(ctx, IMAGE_MODULES)));
  return server;
}
