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
import { COMMON_GRPC_OPTIONS } from '../api/grpc-options';
import type {
  BuildOptions,
  BuildResponse,
  StopTaskResponse,
  Container,
  CopyChunk,
  CreateContainerRequest,
  CommitContainerResponse,
  FileChange,
  Timestamp,
  DeleteTaskResponse,
  Event,
  ExecProcessRequest,
  ExitInfo,
  HealthStatus,
  LogEntry,
  ProcessInfo,
  ProcessOverrides,
  StatsResponse,
  SubscribeRequest,
  Task,
  VersionResponse,
  GetImageResponse,
  Image,
  PullImageResponse,
  PushImageResponse,
  LogoutResponse,
  PruneVolumesResponse,
  Volume,
  CreateNetworkRequest,
  Network,
  NetworkEndpoint,
} from '../api/types';
import { NEWEST_SEQUENCE_HEADER } from '../api/types';

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

/**
 * A process's stdin as one ordered stream (Tasks.Stdin). write() resolves once the message went
 * out (HTTP/2 flow control holds it while the process reads slowly); close() closes stdin and
 * resolves once every byte was delivered to the process. Both reject with the call's error
 * (FAILED_PRECONDITION: stdin is closed, nobody in the container reads it).
 */
export interface StdinWriter {
  write(data: Buffer): Promise<void>;
  close(): Promise<{ bytesWritten: number }>;
  /** Give up without closing stdin (the caller is done with it). */
  cancel(): void;
}

export interface CreateContainerOptions extends Partial<Omit<CreateContainerRequest, 'overrides'>> {
  id: string;
  overrides?: Partial<ProcessOverrides>;
}

const RESUBSCRIBE_DELAY_MS = 100;

/** Events.Subscribe's request for `filter`, resuming after `afterSequence`. */
function subscribeRequest(filter: Partial<SubscribeRequest>, afterSequence: number): SubscribeRequest {
  return { types: filter.types ?? [], ids: filter.ids ?? [], afterSequence };
}

export class TsrundClient {
  private readonly channel: grpc.Channel;
  private readonly services: Record<ServiceName, ServiceClient>;

  /** `address`: the socket path (or a full "unix:///path" target). No connection is made until a call. */
  constructor(readonly address: string = DEFAULT_ADDRESS) {
    const target = address.startsWith('unix:') ? address : `unix://${address}`;
    // A local socket: after tsrund restarts, reconnect within a second rather than grpc's up to 2 minutes.
    this.channel = new grpc.Channel(target, grpc.credentials.createInsecure(), {
      ...COMMON_GRPC_OPTIONS,
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    });
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

  /** `removeVolumes`: its anonymous volumes too, unless another container uses them (docker rm -v). */
  async deleteContainer(id: string, o: { removeVolumes?: boolean } = {}): Promise<void> {
    await this.unary('Containers', 'delete', { id, removeVolumes: o.removeVolumes ?? false });
  }

  /** Give container `id` the id `newId` (no task: delete it first); the container renamed. */
  async renameContainer(id: string, newId: string): Promise<Container> {
    return (await this.unary<{ container: Container }>('Containers', 'rename', { id, newId })).container;
  }

  /** `path` inside container `id` as a tar stream (docker cp ID:PATH -): see Containers.CopyFrom. */
  copyFrom(id: string, path: string): ResponseStream<CopyChunk> {
    return this.stream('Containers', 'copyFrom', { id, path });
  }

  /** Unpack the tar stream `tar` into the directory `path` inside container `id`; the entries unpacked. */
  async copyTo(id: string, path: string, tar: AsyncIterable<Buffer>): Promise<number> {
    let call!: grpc.ClientWritableStream<object>;
    const ended = new Promise<{ entries: number }>((resolve, reject) => {
      call = this.services.Containers.copyTo((err: grpc.ServiceError | null, res: { entries: number }) => (err ? reject(err) : resolve(res))) as grpc.ClientWritableStream<object>;
    });
    ended.catch(() => undefined); // seen below
    const send = (msg: object) =>
      Promise.race([
        new Promise<void>((resolve, reject) => call.write(msg, (err?: Error | null) => (err ? reject(err) : resolve()))),
        // An early answer (a refused entry) ends the call: no write is called back after it.
        ended.then(() => undefined),
      ]);
    try {
      await send({ id, path, data: Buffer.alloc(0) });
      for await (const data of tar) await send({ data });
      call.end();
    } catch (err) {
      call.cancel();
      await ended;
      throw err;
    }
    return (await ended).entries;
  }

  /** What the container's writable layer changed in its image, sorted by path (docker diff). */
  async diffContainer(id: string): Promise<FileChange[]> {
    return (await this.unary<{ changes: FileChange[] }>('Containers', 'diff', { id })).changes;
  }

  /** A new image of the container's writable layer over its image (docker commit). */
  commitContainer(
    id: string,
    o: { reference?: string; message?: string; author?: string; changes?: string[]; pause?: boolean; compression?: string } = {},
  ): Promise<CommitContainerResponse> {
    return this.unary<CommitContainerResponse>('Containers', 'commit', {
      id,
      reference: o.reference ?? '',
      message: o.message ?? '',
      author: o.author ?? '',
      changes: o.changes ?? [],
      pause: o.pause ?? true,
      compression: o.compression ?? '',
    });
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

  /** Stop as `docker stop` does (the container's stop signal, SIGKILL after the timeout); `timeoutSeconds` unset: the container's. */
  stopTask(id: string, o: { timeoutSeconds?: number; signal?: string } = {}): Promise<StopTaskResponse> {
    return this.unary('Tasks', 'stop', { id, signal: o.signal ?? '', ...(o.timeoutSeconds === undefined ? {} : { timeoutSeconds: o.timeoutSeconds }) });
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

  /** The task's processes as ps shows them on tsrund's host (docker top). */
  async top(id: string): Promise<ProcessInfo[]> {
    return (await this.unary<{ processes: ProcessInfo[] }>('Tasks', 'top', { id })).processes;
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

  /** Write to the stdin of task `id` (or its exec'd process `execId`) in order: see StdinWriter. */
  stdin(id: string, o: { execId?: string } = {}): StdinWriter {
    let call!: grpc.ClientWritableStream<object>;
    const ended = new Promise<{ bytesWritten: number }>((resolve, reject) => {
      call = this.services.Tasks.stdin((err: grpc.ServiceError | null, res: { bytesWritten: number }) =>
        err ? reject(err) : resolve(res),
      ) as grpc.ClientWritableStream<object>;
    });
    ended.catch(() => undefined); // seen by whoever writes or closes next
    let first = true;
    const send = (msg: { data: Buffer; close: boolean }) => {
      const head = first ? { id, execId: o.execId ?? '' } : {};
      first = false;
      return Promise.race([
        new Promise<void>((resolve, reject) => call.write({ ...head, ...msg }, (err?: Error | null) => (err ? reject(err) : resolve()))),
        // A call that ended early (an error) never calls the write back.
        ended.then(() => Promise.reject(new Error('Tasks.Stdin ended before the data was sent'))),
      ]);
    };
    return {
      write: (data) => send({ data, close: false }),
      async close() {
        await send({ data: Buffer.alloc(0), close: true });
        call.end();
        return ended;
      },
      cancel: () => call.cancel(),
    };
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
  logs(id: string, o: { follow?: boolean; execId?: string; tail?: number; since?: Timestamp } = {}): ResponseStream<LogEntry> {
    const window = { tail: o.tail ?? 0, limitTail: o.tail !== undefined, since: o.since ?? null };
    return this.stream('Tasks', 'logs', { id, follow: o.follow ?? false, execId: o.execId ?? '', ...window });
  }

  // Events, Version, Health -----------------------------------------------------------------

  /** Events passing the filters: with `afterSequence`, the retained ones after it first. */
  subscribe(filter: Partial<SubscribeRequest> = {}): ResponseStream<Event> {
    return this.stream('Events', 'subscribe', subscribeRequest(filter, filter.afterSequence ?? 0));
  }

  /**
   * subscribe() that lasts across tsrund restarts: when the stream breaks (tsrund stopped or was
   * killed), it subscribes again after the last sequence it yielded (waiting for tsrund to come
   * back), so every event passing the filters comes once, in sequence order. With no
   * `afterSequence` it starts from the events new when the first subscription began. Ends on
   * cancel(); rejects with any other failure (OUT_OF_RANGE when tsrund no longer retains the
   * events after the last one seen).
   */
  subscribeResuming(filter: Partial<SubscribeRequest> = {}): ResponseStream<Event> {
    let after: number | null = filter.afterSequence || null;
    let call: grpc.ClientReadableStream<Event> | null = null;
    let cancelled = false;
    let opened = false;
    const subscribeOnce = (resuming: boolean) => {
      const metadata = new grpc.Metadata({ waitForReady: resuming });
      call = this.services.Events.subscribe(subscribeRequest(filter, after ?? 0), metadata) as grpc.ClientReadableStream<Event>;
      call.on('metadata', (m: grpc.Metadata) => {
        opened = true;
        // Where "new" began on the first subscription: the events after it are the ones owed.
        if (after === null) after = Number(m.get(NEWEST_SEQUENCE_HEADER)[0] ?? 0);
      });
      return call;
    };
    return {
      cancel() {
        cancelled = true;
        call?.cancel();
      },
      async *[Symbol.asyncIterator]() {
        try {
          for (let resuming = false; !cancelled; resuming = true) {
            // Not at once: a tsrund going away may refuse a call or two before its socket goes.
            if (resuming) await new Promise((r) => setTimeout(r, RESUBSCRIBE_DELAY_MS));
            if (cancelled) return;
            try {
              for await (const e of subscribeOnce(resuming)) {
                after = (e as Event).sequence;
                yield e as Event;
              }
            } catch (err) {
              const code = (err as grpc.ServiceError).code;
              if (cancelled && code === grpc.status.CANCELLED) return;
              // Only a tsrund that went away is waited for, not one that never answered.
              if (code !== grpc.status.UNAVAILABLE || !opened) throw err;
            }
          }
        } finally {
          // The consumer stopped early (break): end the call too.
          (call as grpc.ClientReadableStream<Event> | null)?.cancel();
        }
      },
    };
  }

  version(): Promise<VersionResponse> {
    return this.unary('Version', 'version', {});
  }

  async health(): Promise<HealthStatus> {
    return (await this.unary<{ status: HealthStatus }>('Health', 'check', {})).status;
  }

  // Builds ----------------------------------------------------------------------------------

  /**
   * Build an image (Builds.Build): `options`, then the context tar `context` sent as the server
   * reads it; the responses (progress, then the result) as they come. A failure of the build or
   * of reading the context ends the iteration with it.
   */
  async *build(options: BuildOptions, context: AsyncIterable<Buffer>): AsyncGenerator<BuildResponse> {
    const call = this.services.Builds.build(new grpc.Metadata()) as grpc.ClientDuplexStream<object, BuildResponse>;
    let sendError: Error | null = null;
    const sending = (async () => {
      const write = (msg: object) => new Promise<void>((resolve, reject) => call.write(msg, (err?: Error | null) => (err ? reject(err) : resolve())));
      await write({ options });
      for await (const chunk of context) await write({ context: chunk });
      call.end();
    })().catch((err: Error) => {
      sendError = err;
      call.cancel();
    });
    try {
      for await (const msg of call) yield msg as BuildResponse;
    } catch (err) {
      if (sendError) throw sendError;
      throw err;
    } finally {
      call.cancel();
      await sending;
    }
  }

  /** Drop the build cache; how many entries it had. */
  async pruneBuildCache(): Promise<number> {
    return (await this.unary<{ removed: number }>('Builds', 'prune', {})).removed;
  }

  // Images ----------------------------------------------------------------------------------

  /** Progress messages, then one holding the image. `platform`: "os/arch[/variant]" ("" = tsrund's). */
  pullImage(reference: string, o: { platform?: string; labels?: Record<string, string> } = {}): ResponseStream<PullImageResponse> {
    return this.stream('Images', 'pull', { reference, platform: o.platform ?? '', labels: o.labels ?? {} });
  }

  /** Progress messages, then one holding what was pushed. `destination` "": under `name` itself. */
  pushImage(name: string, o: { destination?: string; platform?: string } = {}): ResponseStream<PushImageResponse> {
    return this.stream('Images', 'push', { name, destination: o.destination ?? '', platform: o.platform ?? '' });
  }

  /** Returns the registry the credentials are kept for. */
  async login(server: string, username: string, password: string): Promise<string> {
    return (await this.unary<{ server: string }>('Images', 'login', { server, username, password })).server;
  }

  logout(server: string): Promise<LogoutResponse> {
    return this.unary('Images', 'logout', { server });
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

  // Volumes ---------------------------------------------------------------------------------

  /** `name` "" makes an anonymous volume (64 hex digits). */
  async createVolume(name: string, o: { labels?: Record<string, string> } = {}): Promise<Volume> {
    return (await this.unary<{ volume: Volume }>('Volumes', 'create', { name, labels: o.labels ?? {} })).volume;
  }

  async getVolume(name: string): Promise<Volume> {
    return (await this.unary<{ volume: Volume }>('Volumes', 'get', { name })).volume;
  }

  /** Volumes whose labels match every filter ("key=value" or "key"), sorted by name (all pages). */
  listVolumes(o: { labelFilters?: string[]; unusedOnly?: boolean } = {}): Promise<Volume[]> {
    return this.allPages('Volumes', 'volumes', { labelFilters: o.labelFilters ?? [], unusedOnly: o.unusedOnly ?? false });
  }

  async deleteVolume(name: string): Promise<void> {
    await this.unary('Volumes', 'delete', { name });
  }

  /** Removes the unused volumes (anonymous ones only unless `all`). */
  pruneVolumes(o: { all?: boolean; labelFilters?: string[] } = {}): Promise<PruneVolumesResponse> {
    return this.unary('Volumes', 'prune', { all: o.all ?? false, labelFilters: o.labelFilters ?? [] });
  }

  // Networks --------------------------------------------------------------------------------

  /** `subnet` "" picks a free one from tsrund's pool; `gateway` "" its first host address. */
  async createNetwork(o: Partial<CreateNetworkRequest> & { name: string }): Promise<Network> {
    const req = { subnet: '', gateway: '', internal: false, labels: {}, ...o };
    return (await this.unary<{ network: Network }>('Networks', 'create', req)).network;
  }

  /** By name or by a unique prefix of its id; with its endpoints. */
  async getNetwork(name: string): Promise<Network> {
    return (await this.unary<{ network: Network }>('Networks', 'get', { name })).network;
  }

  /** Every network, sorted by name (endpoints left empty: getNetwork has them). */
  async listNetworks(): Promise<Network[]> {
    return (await this.unary<{ networks: Network[] }>('Networks', 'list', {})).networks;
  }

  async deleteNetwork(name: string): Promise<void> {
    await this.unary('Networks', 'delete', { name });
  }

  /** Attach the running container `containerId` to `network` too; its endpoint there. */
  async connectNetwork(network: string, containerId: string, o: { aliases?: string[] } = {}): Promise<NetworkEndpoint> {
    return (await this.unary<{ endpoint: NetworkEndpoint }>('Networks', 'connect', { network, containerId, aliases: o.aliases ?? [] })).endpoint;
  }

  async disconnectNetwork(network: string, containerId: string): Promise<void> {
    await this.unary('Networks', 'disconnect', { network, containerId });
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
        // The CANCELLED status that follows is the expected end, also for a stream never iterated.
        call.on('error', () => undefined);
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
