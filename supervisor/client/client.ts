/**
 * A typed client of tsrund's API (tsrun.supervisor.v1) over grpc-js, for tsctl and for programs
 * that embed tsrund. Every method returns a promise (or, for streams, an async iterable that
 * `cancel()` ends); a failed call rejects with grpc-js's ServiceError, whose `code` is the gRPC
 * status (grpc.status.NOT_FOUND, ...) and `details` tsrund's message; callErrorMessage(err, address)
 * makes it one line for a user (tsrund's message, or why the connection failed). Lists page.
 *
 *   const c = new TsrundClient('/run/tsrund/tsrund.sock');
 *   await c.createContainer({ id: 'web', bundle: '/srv/bundles/web' });
 *   await c.createTask('web'); await c.startTask('web');
 *   const { exitStatus } = await c.wait('web');
 */
import * as grpc from '@grpc/grpc-js';
import { apiServices, DEFAULT_ADDRESS, SERVICE_NAMES, type ServiceName } from '../api/load';
import type {
  Container,
  CreateContainerRequest,
  DeleteTaskResponse,
  Event,
  ExecProcessRequest,
  ExitInfo,
  HealthStatus,
  LogEntry,
  ProcessOverrides,
  StatsResponse,
  SubscribeRequest,
  Task,
  VersionResponse,
  GetImageResponse,
  Image,
  PullImageResponse,
} from '../api/types';

export { DEFAULT_ADDRESS } from '../api/load';
export { status as GrpcStatus } from '@grpc/grpc-js';
export { callErrorMessage } from './call-error';
export type * from '../api/types';

type Method = (req: object, ...rest: unknown[]) => unknown;
type ServiceClient = grpc.Client & Record<string, Method>;

/** Entries asked for per List call; tsrund sends fewer when they would not fit one message. */
const LIST_PAGE_SIZE = 1000;

/** A server stream: iterate it; cancel() ends the iteration without an error. */
export interface ResponseStream<T> extends AsyncIterable<T> {
  cancel(): void;
}

export interface CreateContainerOptions extends Partial<Omit<CreateContainerRequest, 'overrides'>> {
  id: string;
  overrides?: Partial<ProcessOverrides>;
}

export class TsrundClient {
  private readonly channel: grpc.Channel;
  private readonly services: Record<ServiceName, ServiceClient>;

  /** `address`: the socket path (or a full "unix:///path" target). No connection is made until a call. */
  constructor(readonly address: string = DEFAULT_ADDRESS) {
    const target = address.startsWith('unix:') ? address : `unix://${address}`;
    this.channel = new grpc.Channel(target, grpc.credentials.createInsecure(), {});
    const defs = apiServices();
    this.services = {} as Record<ServiceName, ServiceClient>;
    for (const name of SERVICE_NAMES) {
      const Ctor = grpc.makeGenericClientConstructor(defs[name], name);
      this.services[name] = new Ctor(target, grpc.credentials.createInsecure(), {
        channelOverride: this.channel,
      }) as unknown as ServiceClient;
    }
  }

  close(): void {
    for (const c of Object.values(this.services)) c.close();
    this.channel.close();
  }

  // Containers ------------------------------------------------------------------------------

  async createContainer(o: CreateContainerOptions): Promise<Container> {
    return (await this.unary<{ container: Container }>('Containers', 'create', o)).container;
  }

  async getContainer(id: string): Promise<Container> {
    return (await this.unary<{ container: Container }>('Containers', 'get', { id })).container;
  }

  /** Containers whose labels match every filter ("key=value" or "key"), sorted by id (all pages). */
  listContainers(labelFilters: string[] = []): Promise<Container[]> {
    return this.allPages('Containers', 'containers', { labelFilters });
  }

  async deleteContainer(id: string): Promise<void> {
    await this.unary('Containers', 'delete', { id });
  }

  // Tasks -----------------------------------------------------------------------------------

  createTask(id: string, o: { stdin?: boolean } = {}): Promise<{ id: string; pid: number }> {
    return this.unary('Tasks', 'create', { id, stdin: o.stdin ?? false });
  }

  async startTask(id: string): Promise<number> {
    return (await this.unary<{ pid: number }>('Tasks', 'start', { id })).pid;
  }

  /** `execId`: signal that exec'd process instead of the init. */
  async kill(id: string, signal = 15, o: { all?: boolean; execId?: string } = {}): Promise<void> {
    await this.unary('Tasks', 'kill', { id, signal, all: o.all ?? false, execId: o.execId ?? '' });
  }

  /** `execId`: remove that exec'd process (once it exited; `force` kills it) instead of the task. */
  deleteTask(id: string, o: { force?: boolean; execId?: string } = {}): Promise<DeleteTaskResponse> {
    return this.unary('Tasks', 'delete', { id, force: o.force ?? false, execId: o.execId ?? '' });
  }

  /** Resolves when the task (or its exec'd process `execId`) exits (at once when it has). */
  wait(id: string, o: { execId?: string } = {}): Promise<ExitInfo> {
    return this.unary('Tasks', 'wait', { id, execId: o.execId ?? '' });
  }

  /** Run another process in task `id`; resolves with its pid once it runs. */
  async exec(req: Partial<ExecProcessRequest> & { id: string; execId: string }): Promise<number> {
    return (await this.unary<{ pid: number }>('Tasks', 'exec', req)).pid;
  }

  async pause(id: string): Promise<void> {
    await this.unary('Tasks', 'pause', { id });
  }

  async resume(id: string): Promise<void> {
    await this.unary('Tasks', 'resume', { id });
  }

  async listPids(id: string): Promise<number[]> {
    return (await this.unary<{ pids: number[] }>('Tasks', 'listPids', { id })).pids;
  }

  stats(id: string): Promise<StatsResponse> {
    return this.unary('Tasks', 'stats', { id });
  }

  async resizePty(id: string, width: number, height: number, o: { execId?: string } = {}): Promise<void> {
    await this.unary('Tasks', 'resizePty', { id, width, height, execId: o.execId ?? '' });
  }

  async closeStdin(id: string, o: { execId?: string } = {}): Promise<void> {
    await this.unary('Tasks', 'closeIO', { id, stdin: true, execId: o.execId ?? '' });
  }

  async writeStdin(id: string, data: Buffer, o: { execId?: string } = {}): Promise<void> {
    await this.unary('Tasks', 'writeStdin', { id, data, execId: o.execId ?? '' });
  }

  async getTask(id: string): Promise<Task> {
    return (await this.unary<{ task: Task }>('Tasks', 'get', { id })).task;
  }

  listTasks(): Promise<Task[]> {
    return this.allPages('Tasks', 'tasks', {});
  }

  /**
   * The container's output so far; with `follow`, then what it writes until its task exits.
   * `execId`: the output of that exec'd process instead.
   */
  logs(id: string, o: { follow?: boolean; execId?: string } = {}): ResponseStream<LogEntry> {
    return this.stream('Tasks', 'logs', { id, follow: o.follow ?? false, execId: o.execId ?? '' });
  }

  // Events, Version, Health -----------------------------------------------------------------

  subscribe(filter: Partial<SubscribeRequest> = {}): ResponseStream<Event> {
    return this.stream('Events', 'subscribe', { types: filter.types ?? [], ids: filter.ids ?? [] });
  }

  version(): Promise<VersionResponse> {
    return this.unary('Version', 'version', {});
  }

  async health(): Promise<HealthStatus> {
    return (await this.unary<{ status: HealthStatus }>('Health', 'check', {})).status;
  }

  // Images ----------------------------------------------------------------------------------

  /** Progress messages, then one holding the image. `platform`: "os/arch[/variant]" ("" = tsrund's). */
  pullImage(reference: string, o: { platform?: string; labels?: Record<string, string> } = {}): ResponseStream<PullImageResponse> {
    return this.stream('Images', 'pull', { reference, platform: o.platform ?? '', labels: o.labels ?? {} });
  }

  listImages(): Promise<Image[]> {
    return this.allPages('Images', 'images', {});
  }

  getImage(name: string, o: { platform?: string } = {}): Promise<GetImageResponse> {
    return this.unary('Images', 'get', { name, platform: o.platform ?? '' });
  }

  /** Removes the record; returns the digests of the blobs that went with it. */
  async deleteImage(name: string): Promise<string[]> {
    return (await this.unary<{ removedBlobs: string[] }>('Images', 'delete', { name })).removedBlobs;
  }

  async tagImage(source: string, target: string): Promise<Image> {
    return (await this.unary<{ image: Image }>('Images', 'tag', { source, target })).image;
  }

  /** `path`: an OCI image-layout tar on tsrund's host (absolute). */
  async importImages(path: string, o: { name?: string; labels?: Record<string, string> } = {}): Promise<Image[]> {
    return (await this.unary<{ images: Image[] }>('Images', 'import', { path, name: o.name ?? '', labels: o.labels ?? {} })).images;
  }

  /** Writes the images as an OCI image-layout tar at `path` on tsrund's host; returns its size. */
  async exportImages(names: string[], path: string): Promise<number> {
    return (await this.unary<{ size: number }>('Images', 'export', { names, path })).size;
  }

  // -------------------------------------------------------------------------------------------

  /** Every entry of a List, a page at a time (each response stays under gRPC's message limit). */
  private async allPages<T>(service: ServiceName, field: string, req: object): Promise<T[]> {
    const all: T[] = [];
    let pageToken = '';
    do {
      const res = await this.unary<Record<string, unknown> & { nextPageToken: string }>(service, 'list', { ...req, pageSize: LIST_PAGE_SIZE, pageToken });
      all.push(...(res[field] as T[]));
      pageToken = res.nextPageToken;
    } while (pageToken !== '');
    return all;
  }

  private unary<Res>(service: ServiceName, method: string, req: object): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.services[service][method](req, (err: grpc.ServiceError | null, res: Res) => (err ? reject(err) : resolve(res)));
    });
  }

  private stream<Res>(service: ServiceName, method: string, req: object): ResponseStream<Res> {
    const call = this.services[service][method](req) as grpc.ClientReadableStream<Res>;
    let cancelled = false;
    return {
      cancel() {
        cancelled = true;
        call.cancel();
      },
      async *[Symbol.asyncIterator]() {
        try {
          for await (const msg of call) yield msg as Res;
        } catch (err) {
          if (cancelled && (err as grpc.ServiceError).code === grpc.status.CANCELLED) return;
          throw err;
        }
      },
    };
  }
}
