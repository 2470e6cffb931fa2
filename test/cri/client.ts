/**
 * The tests' CRI client, built from our proto (supervisor/api/cri/load.ts) with grpc-js, as
 * crictl's and kubelet's are from theirs: typed by the generated service interfaces. Requests are
 * Partial (any field left out goes as its default); a failed call rejects with grpc-js's
 * ServiceError (code, details).
 */
import * as grpc from '@grpc/grpc-js';
import { criServices, type CriServiceName } from '../../supervisor/api/cri/load';
import type { ImageServiceService, RuntimeServiceService } from '../../supervisor/api/generated/cri-types';

type DeepPartial<T> = T extends Buffer ? T : T extends (infer E)[] ? DeepPartial<E>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> | null } : T;

interface Shape {
  request: unknown;
  response: unknown;
}

type Method = (req: object, ...rest: unknown[]) => unknown;

export class CriClient {
  private readonly clients: Record<CriServiceName, grpc.Client & Record<string, Method>>;

  /** `options`: grpc-js channel options (a bigger 'grpc.max_receive_message_length' for ExecSync's output). */
  constructor(
    readonly address: string,
    options: grpc.ChannelOptions = {},
  ) {
    const target = `unix://${address}`;
    const defs = criServices();
    this.clients = {} as typeof this.clients;
    for (const name of ['RuntimeService', 'ImageService'] as const) {
      const Ctor = grpc.makeGenericClientConstructor(defs[name], name);
      this.clients[name] = new Ctor(target, grpc.credentials.createInsecure(), options) as unknown as grpc.Client & Record<string, Method>;
    }
  }

  runtime<K extends keyof RuntimeServiceService>(method: K, req: DeepPartial<RuntimeServiceService[K]['request']> = {} as never): Promise<RuntimeServiceService[K]['response']> {
    return this.unary('RuntimeService', method, req);
  }

  image<K extends keyof ImageServiceService>(method: K, req: DeepPartial<ImageServiceService[K]['request']> = {} as never): Promise<ImageServiceService[K]['response']> {
    return this.unary('ImageService', method, req);
  }

  /** Every message of a server-streaming RPC. */
  async stream<S extends CriServiceName, K extends keyof (S extends 'RuntimeService' ? RuntimeServiceService : ImageServiceService)>(
    service: S,
    method: K,
    req: object = {},
  ): Promise<((S extends 'RuntimeService' ? RuntimeServiceService : ImageServiceService)[K] & Shape)['response'][]> {
    const call = this.clients[service][method as string](req) as grpc.ClientReadableStream<never>;
    const out = [];
    for await (const m of call) out.push(m);
    return out;
  }

  /** A server stream left open (GetContainerEvents): the caller reads it and cancels it. */
  open(service: CriServiceName, method: string, req: object = {}): grpc.ClientReadableStream<never> {
    return this.clients[service][method](req) as grpc.ClientReadableStream<never>;
  }

  private unary<T>(service: CriServiceName, method: string, req: object): Promise<T> {
    return new Promise((resolve, reject) => {
      const fn = this.clients[service][method];
      if (typeof fn !== 'function') return reject(new Error(`${service} has no method ${method}`));
      fn.call(this.clients[service], req, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
    });
  }

  /** Every pod sandbox removed, for a suite's cleanup: a failure is passed over (the daemon may be gone). */
  async removeAllPods(): Promise<void> {
    for (const s of (await this.runtime('listPodSandbox').catch(() => ({ items: [] }))).items) await this.runtime('removePodSandbox', { podSandboxId: s.id }).catch(() => undefined);
  }

  close(): void {
    for (const c of Object.values(this.clients)) c.close();
  }
}
