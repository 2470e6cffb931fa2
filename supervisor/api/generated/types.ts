/* Generated from supervisor/api/v1/*.proto by supervisor/api/tools/gen-types.js: do not edit.
 * Change the protos and run `npm run gen:types`. */

/*
 * The messages of tsrun.supervisor.v1 as plain objects, the way supervisor/api/load.ts decodes
 * them: camelCase field names; every field present with its proto3 default, except the members
 * of a oneof and `optional` fields, which are absent when unset; a message field that is not set
 * is null; 64-bit integers are numbers (exact up to 2^53); enums are the names of their values
 * (a number the schema does not know arrives as that number); bytes are Buffers; maps are
 * objects keyed by the text of the key. A request may leave any field out (it is encoded as the
 * default): clients build requests as Partial<...>.
 */

// builds.proto ------------------------------------------------------------------------------------

export interface PruneBuildCacheRequest {}

export interface PruneBuildCacheResponse {
  /** How many cache entries there were. */
  removed: number;
}

export interface BuildRequest {
  options?: BuildOptions;
  context?: Buffer;
}

export interface BuildOptions {
  /**
   * Names the image gets ("app", "127.0.0.1:5000/team/app:v1"); none: an untagged image,
   * recorded as "<none>@<manifest digest>" (docker's dangling <none>:<none>).
   */
  tags: string[];
  /** The Dockerfile's path inside the context ("" for "Dockerfile"), unless `dockerfile_text`. */
  dockerfile: string;
  /** The Dockerfile itself, when it is not inside the context (`-f` outside it). */
  dockerfileText: string;
  buildArgs: Record<string, string>;
  /** The stage to build ("" for the last one). */
  target: string;
  /** Run every step, reusing nothing of the cache (the results are still stored in it). */
  noCache: boolean;
  /** "os/architecture[/variant]" of the base images; "" for tsrund's own. */
  platform: string;
  /** The network RUN steps get: "none" (the default, also for "") or "bridge" (tsrund's default network). */
  network: string;
  /** Also write the result somewhere; unset: only the image store. */
  output: BuildOutput | null;
  /**
   * Paths in the context the builder reads (the Dockerfile, .dockerignore) that .dockerignore
   * leaves out: COPY and ADD do not see them.
   */
  buildFilesOnly: string[];
}

export interface BuildOutput {
  /** "oci": an OCI image-layout tar. */
  type: string;
  /** An absolute path on tsrund's host. */
  dest: string;
}

export interface BuildResponse {
  progress?: BuildProgress;
  result?: BuildResult;
}

export interface BuildProgress {
  /** 1-based number of the step among all of the build's (every stage's), and how many there are. */
  step: number;
  steps: number;
  /** The stage's name (or index) and the instruction as written: "RUN make". */
  stage: string;
  instruction: string;
  /** "running", "cached", "done" or "output" (then `output` holds bytes a RUN wrote). */
  status: string;
  output: Buffer;
  /** "stdout" or "stderr", for output. */
  stream: string;
}

export interface BuildStepResult {
  step: number;
  instruction: string;
  cached: boolean;
}

export interface BuildResult {
  /** The full names given to the image. */
  names: string[];
  /** The image manifest's digest (and its config's, docker's "image id"). */
  manifestDigest: string;
  configDigest: string;
  /** Every step of the stages the target depends on, in order. */
  steps: BuildStepResult[];
}

// containers.proto --------------------------------------------------------------------------------

export interface Container {
  /**
   * 1 to 76 characters of [A-Za-z0-9_.+-], not starting with '.' or '-' (so no "..", no '/',
   * no control characters: the id names directories).
   */
  id: string;
  /** Absolute bundle directory the container was created from ("" for an image). */
  bundle: string;
  /** Image reference ("" for a bundle). */
  image: string;
  labels: Record<string, string>;
  overrides: ProcessOverrides | null;
  createdAt: Timestamp | null;
  /** The OCI config.json the task will run (the bundle's, overrides applied), as JSON text. */
  specJson: string;
  /** Where its running task is attached, and the host ports it got (empty without a task). */
  networkStatus: ContainerNetworkStatus | null;
  /** What its restart policy (overrides.restart_policy) did so far. */
  restartStatus: RestartStatus | null;
}

export interface RestartStatus {
  /** Tasks tsrund created again by the policy since the client's last Tasks.Create. */
  restartCount: number;
  /**
   * Tasks.Stop or a client's Tasks.Delete ended the policy (kept across tsrund restarts; cleared
   * by the next client Tasks.Create).
   */
  stoppedByUser: boolean;
  /**
   * A restart is waiting for its back-off to pass, or under way (the stopped task deleted, the
   * next one not yet started: Tasks.Get may answer NOT_FOUND meanwhile).
   */
  restarting: boolean;
}

export interface ContainerNetworkStatus {
  /** The network namespace file tsrund pinned for the task ("" for none of its own). */
  netnsPath: string;
  endpoints: NetworkEndpoint[];
  /** The published ports as bound: host_port filled in for ephemeral ones. */
  ports: PortMapping[];
  hostname: string;
}

/**
 * What a container record may hold, so that its Get and its List entry always fit in a gRPC
 * message (4 MiB): `overrides` at most 256 KiB encoded, `labels` at most 64 KiB in all (and
 * 4 KiB a label), the config it makes (spec_json) at most 512 KiB of JSON. Over a limit, Create
 * answers INVALID_ARGUMENT naming the field and the limit, and creates nothing.
 */
export interface CreateContainerRequest {
  id: string;
  /** Exactly one of bundle (an absolute path to an OCI bundle on the daemon's host) and image. */
  bundle: string;
  image: string;
  overrides: ProcessOverrides | null;
  labels: Record<string, string>;
}

export interface CreateContainerResponse {
  container: Container | null;
}

export interface GetContainerRequest {
  id: string;
}

export interface GetContainerResponse {
  container: Container | null;
}

export interface ListContainersRequest {
  /** "key=value" (the label must have that value) or "key" (the label must exist). */
  labelFilters: string[];
  /**
   * Paging (the same for every List of this API): at most `page_size` entries, and fewer when
   * the next would take the response past 3 MiB (gRPC's message limit is 4 MiB); the response's
   * next_page_token, passed back as `page_token`, continues after them ("" for the first page).
   * Entries come sorted by id. page_size 0 (what a client of the API before paging sends)
   * returns every entry in one response when they fit in 3 MiB, else RESOURCE_EXHAUSTED: page.
   */
  pageSize: number;
  /** Opaque; "" for the first page. */
  pageToken: string;
}

export interface ListContainersResponse {
  containers: Container[];
  /** "" on the last page; else the page_token of the next. */
  nextPageToken: string;
}

export interface DeleteContainerRequest {
  id: string;
  /** Remove the anonymous volumes the container uses and no other container does (docker rm -v). */
  removeVolumes: boolean;
}

export interface DeleteContainerResponse {}

export interface DiffContainerRequest {
  /** The container's id. */
  id: string;
}

export interface FileChange {
  /** "A" (added), "C" (changed; a directory: something in it changed) or "D" (deleted). */
  kind: string;
  /** Absolute in the container ("/etc/hostname"). */
  path: string;
}

export interface DiffContainerResponse {
  /** Sorted by path. */
  changes: FileChange[];
}

export interface CommitContainerRequest {
  /** The container's id. */
  id: string;
  /**
   * NAME[:TAG] of the new image ("" for an untagged one: listed as <none>@<manifest digest>, as
   * docker leaves a dangling image, until it is removed by that name).
   */
  reference: string;
  /** The history entry's comment (docker commit -m). */
  message: string;
  /** The config's and the history entry's author (docker commit -a). */
  author: string;
  /**
   * Dockerfile instructions applied to the config, one each (docker commit -c): CMD ENTRYPOINT
   * ENV EXPOSE HEALTHCHECK LABEL ONBUILD USER VOLUME WORKDIR STOPSIGNAL; refused: any other.
   */
  changes: string[];
  /** Freeze a running task while its layer is read (tsctl's default). */
  pause: boolean;
  /** "gzip" ("" too) or "zstd". */
  compression: string;
}

export interface CommitContainerResponse {
  /** The image record made. */
  image: Image | null;
  /** The new image's manifest (an OCI image manifest). */
  manifestDigest: string;
}

export interface RenameContainerRequest {
  /** The container's id now. */
  id: string;
  /** Its id from now on (the rules of Container.id). */
  newId: string;
}

export interface RenameContainerResponse {
  /** The container under its new id. */
  container: Container | null;
}

export interface CopyFromContainerRequest {
  /** The container's id. */
  id: string;
  /** Absolute inside the container. */
  path: string;
}

export interface CopyChunk {
  /** The next bytes of the tar stream. */
  data: Buffer;
}

export interface CopyToContainerRequest {
  /** The container's id (first message only). */
  id: string;
  /** The directory to unpack into, absolute inside the container (first message only). */
  path: string;
  /** The next bytes of the tar stream. */
  data: Buffer;
}

export interface CopyToContainerResponse {
  /** The entries unpacked. */
  entries: number;
}

// events.proto ------------------------------------------------------------------------------------

export interface SubscribeRequest {
  /** Event types to receive ("exit", "start", ...); empty: all. */
  types: string[];
  /** Container ids to receive events of; empty: all. */
  ids: string[];
  /**
   * 0: only events published from now on. N: first every retained event whose sequence is above
   * N (the last one the client saw), then the new ones.
   */
  afterSequence: number;
}

export interface Event {
  timestamp: Timestamp | null;
  /**
   * One of: "container-create", "container-delete", "create" (task created), "start", "exit",
   * "oom", "delete" (task deleted), "pause", "resume".
   */
  type: string;
  /** The container (and task) id. */
  id: string;
  /** The init's pid (create, start, exit, delete). */
  pid: number;
  /** exit and delete: the exit status (code, or 128+signal). */
  exitStatus: number;
  /**
   * The event's place in tsrund's journal: 1 for the first event, then one more for each next
   * one, across restarts too (a number a subscriber saw is never given again; a filtered stream
   * skips the numbers of the events it leaves out, and numbers of records found damaged when
   * tsrund starts are skipped). What after_sequence takes.
   */
  sequence: number;
}

// images.proto ------------------------------------------------------------------------------------

export interface Platform {
  os: string;
  architecture: string;
  variant: string;
}

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  /** "sha256:<64 hex digits>". */
  digest: string;
  size: number;
  annotations: Record<string, string>;
  platform: Platform | null;
}

export interface Image {
  /** The full reference: "docker.io/library/busybox:latest", "127.0.0.1:5000/x@sha256:...". */
  name: string;
  /** What the name resolved to: an image index or a manifest. */
  target: Descriptor | null;
  labels: Record<string, string>;
  createdAt: Timestamp | null;
  updatedAt: Timestamp | null;
  /** Bytes of the content the image uses that is in the store (manifests, config, layers). */
  size: number;
}

export interface PullImageRequest {
  /** "busybox", "127.0.0.1:5000/team/app:v1", "ghcr.io/x/y@sha256:...". */
  reference: string;
  /** "os/architecture[/variant]" to choose from an index; "" for the daemon's own platform. */
  platform: string;
  labels: Record<string, string>;
}

/** A blob's progress in a pull (and in a push: PushImageResponse lists its statuses). */
export interface PullProgress {
  /** "index", "manifest", "config" or "layer". */
  kind: string;
  digest: string;
  mediaType: string;
  /** "resolved", "waiting", "downloading", "done", "exists" (already in the store). */
  status: string;
  offset: number;
  total: number;
}

/** Either a progress message or, last, the image. */
export interface PullImageResponse {
  progress: PullProgress | null;
  image: Image | null;
}

export interface ListImagesRequest {
  /** Paging as containers.proto's ListContainersRequest says; entries sorted by name. */
  pageSize: number;
  /** Opaque; "" for the first page. */
  pageToken: string;
}

export interface ListImagesResponse {
  images: Image[];
  /** "" on the last page; else the page_token of the next. */
  nextPageToken: string;
}

export interface GetImageRequest {
  name: string;
  /** Which manifest of an index to show ("" for the daemon's platform). */
  platform: string;
}

export interface GetImageResponse {
  image: Image | null;
  /** The platform's manifest and the image config, as JSON text ("" when not in the store). */
  manifest: Descriptor | null;
  manifestJson: string;
  configJson: string;
}

export interface DeleteImageRequest {
  name: string;
}

export interface DeleteImageResponse {
  /** Digests of the blobs removed because nothing references them any more. */
  removedBlobs: string[];
}

export interface TagImageRequest {
  source: string;
  target: string;
}

export interface TagImageResponse {
  image: Image | null;
}

export interface ImportImagesRequest {
  /** Absolute path of the archive on the daemon's host. */
  path: string;
  /** The name for an archive holding one image (overrides its annotations). */
  name: string;
  labels: Record<string, string>;
}

export interface ImportImagesResponse {
  images: Image[];
}

export interface ExportImagesRequest {
  names: string[];
  /** Absolute path of the tar to write on the daemon's host (replaced atomically). */
  path: string;
}

export interface ExportImagesResponse {
  /** Bytes written. */
  size: number;
}

export interface PushImageRequest {
  /** The image to push: a name the store has ("127.0.0.1:5000/team/app:v1", "busybox"). */
  name: string;
  /**
   * Where to: "host/repo:tag" or "host/repo@sha256:..." (the digest must be the pushed one's);
   * "" pushes under `name` itself.
   */
  destination: string;
  /**
   * "" for the whole image: an index with every platform when the store holds every one (its
   * digest kept), else, as docker does, the daemon's platform's manifest alone (the final
   * message's `note` says so). "os/architecture[/variant]": that platform's manifest alone.
   */
  platform: string;
}

/**
 * Either a progress message (the blob's kind, digest, media type, and status "waiting",
 * "exists" (the registry has it), "mounted" (from another repository), "uploading" (with
 * offset of total), "done"), or, last, the result.
 */
export interface PushImageResponse {
  progress: PullProgress | null;
  pushed: PushedImage | null;
}

export interface PushedImage {
  /** The destination in full ("127.0.0.1:5000/team/app:v1"). */
  name: string;
  /** What it names now: its digest is the one the registry states (Docker-Content-Digest). */
  target: Descriptor | null;
  /** Said when less than the whole image was pushed; else "". */
  note: string;
}

export interface LoginRequest {
  /** The registry: "127.0.0.1:5000", "https://ghcr.io", "" or any name of Docker Hub for it. */
  server: string;
  username: string;
  password: string;
}

export interface LoginResponse {
  /** The registry the credentials are kept for ("127.0.0.1:5000", "docker.io"). */
  server: string;
}

export interface LogoutRequest {
  server: string;
}

export interface LogoutResponse {
  server: string;
  /** Whether the auth file had credentials for it. */
  removed: boolean;
}

// networks.proto ----------------------------------------------------------------------------------

export interface Network {
  /** 1 to 64 characters of [A-Za-z0-9_.-], starting with a letter or digit. */
  name: string;
  /** 64 hex digits (for a list tsrund did not write: the sha256 of its file's bytes). */
  id: string;
  /** The type of the list's first plugin ("bridge" for a managed network). */
  driver: string;
  /** IPv4 subnet in CIDR notation, and the gateway address in it ("" when the list does not say). */
  subnet: string;
  gateway: string;
  /** No route out of the network: its containers reach each other only. */
  internal: boolean;
  labels: Record<string, string>;
  createdAt: Timestamp | null;
  /** True for a list tsrund wrote (and may remove). */
  managed: boolean;
  /** The Linux bridge of a managed network. */
  bridge: string;
  /** The configuration list file. */
  configFile: string;
  /** The containers attached, sorted by container id (Get only). */
  endpoints: NetworkEndpoint[];
}

/** A container's attachment to one network. */
export interface NetworkEndpoint {
  containerId: string;
  /** Its interface inside the container, e.g. "eth0". */
  interface: string;
  /** IPv4 address with prefix length, e.g. "10.210.0.2/24" ("" when the plugins gave none). */
  ipv4Address: string;
  macAddress: string;
  /** Names other containers on the network resolve to it, besides its own name. */
  aliases: string[];
}

export interface CreateNetworkRequest {
  name: string;
  /** IPv4 CIDR; "" chooses a free /24 from tsrund's address pool. */
  subnet: string;
  /**
   * An address in the subnet; "" takes its first host address. Given only with a subnet (as
   * docker's --gateway): INVALID_ARGUMENT without one.
   */
  gateway: string;
  internal: boolean;
  labels: Record<string, string>;
}

export interface CreateNetworkResponse {
  network: Network | null;
}

export interface GetNetworkRequest {
  /** A name, or a unique prefix of an id (at least 4 hex digits). */
  name: string;
}

export interface GetNetworkResponse {
  network: Network | null;
}

export interface ListNetworksRequest {}

export interface ListNetworksResponse {
  networks: Network[];
}

export interface DeleteNetworkRequest {
  name: string;
}

export interface DeleteNetworkResponse {}

export interface ConnectNetworkRequest {
  network: string;
  containerId: string;
  aliases: string[];
}

export interface ConnectNetworkResponse {
  endpoint: NetworkEndpoint | null;
}

export interface DisconnectNetworkRequest {
  network: string;
  containerId: string;
}

export interface DisconnectNetworkResponse {}

// tasks.proto -------------------------------------------------------------------------------------

export type TaskStatus =
  | 'TASK_STATUS_UNKNOWN'
  /** The init exists and waits for Start. */
  | 'CREATED'
  | 'RUNNING'
  | 'PAUSED'
  /** The init exited; `exit_status` says how. */
  | 'STOPPED';

export interface Task {
  id: string;
  /** Host pid of the container's init (kept after it stopped, for reference). */
  pid: number;
  status: TaskStatus;
  /** Exit code, or 128+N when a signal N ended the init (as a shell reports it). */
  exitStatus: number;
  exitedAt: Timestamp | null;
  terminal: boolean;
  stdin: boolean;
  /** Pid of the monitor process holding the task. */
  monitorPid: number;
  createdAt: Timestamp | null;
}

export interface CreateTaskRequest {
  id: string;
  /** Keep a pipe to the init's stdin open (WriteStdin / CloseIO); otherwise stdin is /dev/null. */
  stdin: boolean;
}

export interface CreateTaskResponse {
  id: string;
  pid: number;
}

export interface StartTaskRequest {
  id: string;
}

export interface StartTaskResponse {
  pid: number;
}

export interface KillTaskRequest {
  id: string;
  /** Signal number (1..64); 0 means SIGTERM. */
  signal: number;
  all: boolean;
  /** Signal this exec'd process instead of the init (`all` does not apply). */
  execId: string;
}

export interface KillTaskResponse {}

export interface StopTaskRequest {
  id: string;
  /**
   * Seconds to wait after the signal before SIGKILL; unset: the container's stop_timeout (else
   * 10); 0: no wait; -1: for ever.
   */
  timeoutSeconds?: number;
  /** A signal name ("SIGINT", "INT") or number instead of the container's stop signal. */
  signal: string;
}

export interface StopTaskResponse {
  exitStatus: number;
  exitedAt: Timestamp | null;
  /** The init was still there after the timeout and SIGKILL ended it. */
  killed: boolean;
}

export interface DeleteTaskRequest {
  id: string;
  force: boolean;
  /** Remove this exec'd process (it must have exited, or `force` kills it) instead of the task. */
  execId: string;
}

export interface DeleteTaskResponse {
  id: string;
  pid: number;
  exitStatus: number;
  exitedAt: Timestamp | null;
}

export interface WaitTaskRequest {
  id: string;
  /** Wait for this exec'd process instead of the init. */
  execId: string;
}

export interface WaitTaskResponse {
  exitStatus: number;
  exitedAt: Timestamp | null;
}

export interface ExecProcessRequest {
  id: string;
  /** Names the process among the task's execs: same rules as container ids. */
  execId: string;
  args: string[];
  env: string[];
  cwd: string;
  terminal: boolean;
  stdin: boolean;
  /** "uid" or "uid:gid" (decimal); empty: the container's process user. */
  user: string;
  /** With `terminal`: its size from the start (0: the kernel's default); ResizePty changes it later. */
  consoleWidth: number;
  consoleHeight: number;
}

export interface ExecProcessResponse {
  pid: number;
}

export interface PauseTaskRequest {
  id: string;
}

export interface PauseTaskResponse {}

export interface ResumeTaskRequest {
  id: string;
}

export interface ResumeTaskResponse {}

export interface ListPidsRequest {
  id: string;
}

export interface ListPidsResponse {
  pids: number[];
}

export interface StatsRequest {
  id: string;
}

/** Figures the host's cgroups give; a figure the host does not keep is 0. */
export interface StatsResponse {
  /** Memory in use now, and the limit (0: none). */
  memoryUsageBytes: number;
  memoryLimitBytes: number;
  /** CPU time used by every process of the task so far. */
  cpuUsageNanoseconds: number;
  /** Processes (tasks, in cgroup terms) now, and the limit (0: none). */
  pidsCurrent: number;
  pidsLimit: number;
}

export interface ResizePtyRequest {
  id: string;
  width: number;
  height: number;
  execId: string;
}

export interface ResizePtyResponse {}

export interface CloseIORequest {
  id: string;
  /** Close stdin (the only stream a client can close). */
  stdin: boolean;
  execId: string;
}

export interface CloseIOResponse {}

export interface WriteStdinRequest {
  id: string;
  data: Buffer;
  execId: string;
}

export interface WriteStdinResponse {}

export interface StdinRequest {
  id: string;
  execId: string;
  data: Buffer;
  /** After `data`: close stdin (the process reads end of file). */
  close: boolean;
}

export interface StdinResponse {
  /** Bytes written to the process's stdin, or buffered for it by its monitor. */
  bytesWritten: number;
}

export interface GetTaskRequest {
  id: string;
}

export interface GetTaskResponse {
  task: Task | null;
}

export interface ListTasksRequest {
  /** Paging as containers.proto's ListContainersRequest says; entries sorted by id. */
  pageSize: number;
  /** Opaque; "" for the first page. */
  pageToken: string;
}

export interface ListTasksResponse {
  tasks: Task[];
  /** "" on the last page; else the page_token of the next. */
  nextPageToken: string;
}

export interface LogsRequest {
  id: string;
  follow: boolean;
  /** The output of this exec'd process instead of the container's. */
  execId: string;
  /**
   * With limit_tail: of the entries written before the request, only the last `tail` (docker
   * logs --tail N; 0: none of them), then with follow what comes after.
   */
  tail: number;
  /** Whether `tail` applies (false: every entry). */
  limitTail: boolean;
  /** Only the entries written at or after this time (docker logs --since); unset: all. */
  since: Timestamp | null;
}

export interface LogEntry {
  time: Timestamp | null;
  /** "stdout" or "stderr". */
  stream: string;
  /** `data` as UTF-8 text (a byte sequence that is not UTF-8 reads as U+FFFD): for people. */
  text: string;
  /**
   * The entry is a part of a line whose rest comes in later entries of the same stream (the
   * process wrote it without a newline, e.g. a prompt): print it without a line break.
   */
  partial: boolean;
  /**
   * The bytes of one line, without its newline, exactly as the process wrote them: `data` of
   * every entry, each followed by a newline unless `partial`, is the stream byte for byte.
   */
  data: Buffer;
}

export interface TopRequest {
  /** The container's id. */
  id: string;
}

export interface ProcessInfo {
  /** Host pid. */
  pid: number;
  /** Host pid of its parent (outside the container for the init). */
  ppid: number;
  /** Real uid on the host. */
  uid: number;
  /** When it started. */
  startedAt: Timestamp | null;
  /** Its controlling terminal ("pts/3"), "" for none. */
  tty: string;
  /** CPU time used (user + system). */
  cpuNanoseconds: number;
  /** Its command line, arguments joined by spaces; "[name]" when it has none (a kernel thread, a zombie). */
  command: string;
}

export interface TopResponse {
  /** Sorted by pid. */
  processes: ProcessInfo[];
}

// types.proto -------------------------------------------------------------------------------------

/** A mount added to the container, as an OCI config.json `mounts` entry. */
export interface Mount {
  /** Absolute path inside the container. */
  destination: string;
  /** e.g. "bind", "tmpfs", "proc". */
  type: string;
  /** A host path for binds (absolute), a file system name otherwise. */
  source: string;
  /** Mount options, e.g. "rbind", "ro", "nosuid". */
  options: string[];
}

/**
 * Resource limits, a subset of the OCI linux.resources; a field left at 0 (or empty) keeps what
 * the bundle's config.json says.
 */
export interface Resources {
  /** memory.limit in bytes. */
  memoryLimit: number;
  /** cpu.shares (relative weight). */
  cpuShares: number;
  /** cpu.quota in microseconds per cpu_period. */
  cpuQuota: number;
  /** cpu.period in microseconds. */
  cpuPeriod: number;
  /** pids.limit: the most processes the container may hold. */
  pidsLimit: number;
  /** cpuset.cpus, e.g. "0-1". */
  cpusetCpus: string;
  /** memory.swap: the limit of memory plus swap in bytes (docker's --memory-swap); -1: unlimited. */
  memorySwap: number;
}

/** A process resource limit (docker's --ulimit NAME=SOFT[:HARD]): process.rlimits. */
export interface Ulimit {
  /** The limit's name without RLIMIT_, lower case as docker writes it ("nofile", "nproc"). */
  name: string;
  soft: number;
  hard: number;
}

/** A host device made available in the container (docker's --device HOST[:CONTAINER[:PERMS]]). */
export interface DeviceMapping {
  /** The device node on the host. */
  hostPath: string;
  /** Where it appears in the container; "": the host path. */
  containerPath: string;
  /** The cgroup access allowed, a combination of r, w and m; "": "rwm". */
  permissions: string;
}

/**
 * What a container runs instead of what its bundle or image says. Every field is optional:
 * empty keeps the bundle's value.
 */
export interface ProcessOverrides {
  /** process.args; non-empty replaces them (for an image: its Cmd, after the Entrypoint). */
  args: string[];
  /** Entries "NAME=value" added to process.env, replacing an entry of the same NAME. */
  env: string[];
  /** process.cwd (absolute). */
  cwd: string;
  /**
   * "uid" or "uid:gid"; for an image also "name", "name:group", resolved in its /etc/passwd and
   * /etc/group.
   */
  user: string;
  /** process.terminal: the container's stdio is a pty held by its monitor. */
  terminal: boolean;
  /** Mounts appended to the config's mounts. */
  mounts: Mount[];
  resources: Resources | null;
  /**
   * An image's Entrypoint, replaced (images only; as docker's --entrypoint, it drops the image's
   * Cmd too: `args` then gives the whole command after it). [""]: no Entrypoint (docker's
   * `--entrypoint ''`), the image's Cmd dropped all the same.
   */
  entrypoint: string[];
  /** The container's network, names and published ports (networks.proto). */
  network: NetworkOverrides | null;
  /**
   * Volumes and host directories bind-mounted into the container (volumes.proto), after the
   * bundle's mounts and before `mounts`. Containers.Create stores them resolved: anonymous
   * volumes named, one anonymous volume for each VOLUME of the image not otherwise mounted, and
   * the entries `volumes_from` copies, so that the record says every volume the container uses.
   * A volume that is empty and used by no other container is first filled with what the image
   * has at the destination (owners, modes, times, xattrs and symlinks kept; docker's copy-up),
   * unless `nocopy`; a volume with content is never written to.
   */
  volumes: VolumeMount[];
  /**
   * "ID", "ID:ro" or "ID:rw": mount every entry of that container's `volumes` at the same
   * destination (":ro" read-only, ":rw" writable; neither keeps each entry's mode); an entry of
   * `volumes` or `mounts` at the same destination wins.
   */
  volumesFrom: string[];
  /**
   * Docker's --privileged: every capability tsrund has, no seccomp filter (unless
   * seccomp_profile gives one), no masked or read-only paths, /sys and the cgroup filesystem
   * writable, every device allowed in the device cgroup (the host's device nodes are not added).
   * cap_drop still applies.
   */
  privileged: boolean;
  /**
   * Capabilities added to the bounding, effective and permitted sets ("CHOWN" or "CAP_CHOWN",
   * any case; "ALL": every capability).
   */
  capAdd: string[];
  /** Capabilities removed from every set ("ALL": all of them; cap_add then adds back). */
  capDrop: string[];
  /**
   * linux.seccomp: "" the default (for an image, tsrund's default profile for the container's
   * capabilities; for a bundle, its config's), "unconfined" none, or a LinuxSeccomp as JSON text.
   */
  seccompProfile: string;
  /** process.noNewPrivileges set (setuid and file capabilities give nothing on exec). */
  noNewPrivileges: boolean;
  /** What tsrund does when the container's task exits (docker's --restart); unset: "no". */
  restartPolicy: RestartPolicy | null;
  /**
   * Run the command under tsrund's own init (docker's --init): a static binary bind-mounted
   * read-only at /sbin/tsrun-init and put before process.args. As pid 1 it passes SIGTERM,
   * SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH on to the command (to its pid, as
   * tini does by default), reaps every zombie, and exits with the command's status (128+N when
   * signal N ended it).
   */
  init: boolean;
  /**
   * The signal Tasks.Stop sends first (docker's --stop-signal), a name ("SIGINT", "INT") or a
   * number; "": the image's StopSignal (the config's org.opencontainers.image.stopSignal
   * annotation), else SIGTERM.
   */
  stopSignal: string;
  /**
   * Seconds Tasks.Stop waits after the stop signal before SIGKILL (docker's --stop-timeout):
   * unset: 10; 0: SIGKILL at once after the signal; -1: wait for ever.
   */
  stopTimeout?: number;
  /**
   * The root filesystem is mounted read-only (docker's --read-only): root.readonly in the config.
   * The mounts on it (/proc, /dev, /dev/shm, volumes, tmpfs, binds) stay as they are.
   */
  readOnly: boolean;
  /** process.rlimits set or replaced by name. */
  ulimits: Ulimit[];
  devices: DeviceMapping[];
  /** The size in bytes of the container's /dev/shm tmpfs (docker's --shm-size); 0: 64 MiB. */
  shmSize: number;
  /**
   * tsrund removes the container, its task and anonymous volumes once its task exits (docker's
   * run --rm, also with -d), also for a task that exited while tsrund was down (at its start).
   * Not with a restart policy other than "no" (INVALID_ARGUMENT, as docker refuses --rm with
   * --restart).
   */
  autoRemove: boolean;
}

/**
 * A container's restart policy, enforced by tsrund: when its task exits, tsrund deletes it and
 * creates and starts a new task of the same container (same writable layer, volumes and network
 * request), after docker's back-off: 100 ms, doubled at each restart up to 1 minute, back to
 * 100 ms once a task ran 10 s. Tasks.Stop and a client's Tasks.Delete end it (the container is
 * "stopped by the user") until the next Tasks.Create; Tasks.Kill does not. When tsrund starts,
 * "always" containers and "unless-stopped" ones not stopped by the user that have no running
 * task are started again.
 */
export interface RestartPolicy {
  /** "no" (also ""), "on-failure" (restart after a non-zero exit), "always", "unless-stopped". */
  name: string;
  /** on-failure only: restart at most this many times (0: no limit). */
  maxRetries: number;
}

/** A volume or a host directory mounted into a container (docker's -v and --mount). */
export interface VolumeMount {
  /** "volume" (also for "") or "bind" (a host directory or file). */
  type: string;
  /**
   * For a volume: its name ("" : a new anonymous volume), created on first use. For a bind: an
   * absolute host path that exists, reached through no symlink.
   */
  source: string;
  /** Absolute path inside the container; no ".." component, not "/". */
  destination: string;
  readOnly: boolean;
  /** A volume only: do not fill a new, empty volume with what the image has at the destination. */
  nocopy: boolean;
  /**
   * A bind only: the mount's propagation, "" (rprivate), "private", "rprivate", "shared",
   * "rshared", "slave" or "rslave".
   */
  propagation: string;
}

/**
 * Where a container's network comes from, the names it gets, and the ports it publishes. Set up
 * when its task is created (CNI ADD on a network namespace tsrund pins) and released when the
 * task is deleted.
 */
export interface NetworkOverrides {
  /**
   * Networks to attach to, by name ("" or none given: the default network, "bridge"). Alone,
   * the special entries "none" (a loopback only), "host" (the host's network namespace) and
   * "container:ID" (the network namespace of another container's running task).
   */
  networks: NetworkAttachment[];
  /** Host ports forwarded to the container (on its first network). */
  ports: PortMapping[];
  /** Publish every port of the image's ExposedPorts on an ephemeral host port (docker -P). */
  publishAll: boolean;
  /** The container's hostname ("" : the first 12 characters of its id). */
  hostname: string;
  /** Extra /etc/hosts entries, "name:address". */
  addHosts: string[];
  /** etc/resolv.conf: nameservers (replacing the network's), search domains, options. */
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

export interface NetworkAttachment {
  network: string;
  /** More names other containers on this network resolve to this one. */
  aliases: string[];
}

export interface PortMapping {
  /** The host address to listen on ("": every address of the host, and 127.0.0.1). */
  hostIp: string;
  /** 1-65535; 0 asks for an ephemeral port, chosen when the task is created. */
  hostPort: number;
  /** 1-65535. */
  containerPort: number;
  /** "tcp" (also for "") or "udp". */
  protocol: string;
}

// version.proto -----------------------------------------------------------------------------------

export interface VersionRequest {}

export interface VersionResponse {
  /** tsrun's package version. */
  version: string;
  /** "tsrun.supervisor.v1". */
  api: string;
  /** Version of Node running tsrund. */
  node: string;
  pid: number;
}

export interface HealthCheckRequest {}

export interface HealthCheckResponse {
  status: HealthCheckResponse_Status;
}

export type HealthCheckResponse_Status =
  | 'UNKNOWN'
  | 'SERVING'
  | 'NOT_SERVING';

// volumes.proto -----------------------------------------------------------------------------------

export interface Volume {
  /**
   * 1 to 255 characters of [A-Za-z0-9_.-], starting with a letter or digit (so no "..", no '/',
   * no control characters: the name names a directory). Anonymous volumes: 64 hex digits.
   */
  name: string;
  /** Always "local": a directory on tsrund's host. */
  driver: string;
  /** The host directory containers mount (<root>/volumes/<name>/_data). */
  mountpoint: string;
  labels: Record<string, string>;
  createdAt: Timestamp | null;
  /**
   * Made without a name (by a container, or Create with name ""): `rm -v` of its container and
   * Prune without `all` remove it.
   */
  anonymous: boolean;
  /** Ids of the containers whose records mount it, sorted. */
  containers: string[];
}

export interface CreateVolumeRequest {
  /** "" for an anonymous volume. */
  name: string;
  labels: Record<string, string>;
}

export interface CreateVolumeResponse {
  volume: Volume | null;
}

export interface GetVolumeRequest {
  name: string;
}

export interface GetVolumeResponse {
  volume: Volume | null;
}

export interface ListVolumesRequest {
  /** "key=value" (the label must have that value) or "key" (the label must exist). */
  labelFilters: string[];
  /** Only the volumes no container uses (docker's dangling=true). */
  unusedOnly: boolean;
  /** Paging as ListContainersRequest describes it (containers.proto). */
  pageSize: number;
  pageToken: string;
}

export interface ListVolumesResponse {
  volumes: Volume[];
  /** "" on the last page; else the page_token of the next. */
  nextPageToken: string;
}

export interface DeleteVolumeRequest {
  name: string;
}

export interface DeleteVolumeResponse {}

export interface PruneVolumesRequest {
  /** Named volumes too (docker volume prune --all); else anonymous ones only, as docker does. */
  all: boolean;
  /** Only volumes whose labels hold all of these ("key=value" or "key"). */
  labelFilters: string[];
}

export interface PruneVolumesResponse {
  /** The names of the volumes removed, sorted. */
  removed: string[];
  /** The bytes of their files' content (regular files' sizes, each inode counted once). */
  bytesReclaimed: number;
}

// google.protobuf (bundled with protobufjs) -------------------------------------------------------

/** google.protobuf.Timestamp. */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

// Services ----------------------------------------------------------------------------------------

/*
 * Each method by the name grpc-js clients and handlers use (lowerCamel), with its gRPC path, its
 * request and response messages and which of them stream.
 */

export interface BuildsService {
  /**
   * The first request holds `options`, the following ones `context` chunks: the build context
   * as one tar stream (what the client sends after .dockerignore; its end is the stream's end).
   * The responses: progress messages as the build goes, then one holding the result.
   * Errors: INVALID_ARGUMENT for a bad Dockerfile, option or context (the message names the
   * Dockerfile line and column: "Dockerfile:7:1: ..."), FAILED_PRECONDITION for a step that
   * failed (a RUN's non-zero exit: "Dockerfile:7: RUN exited with status 3"), and the Images
   * service's errors for a base image that cannot be pulled. A failed build leaves no container,
   * snapshot or blob of its own behind.
   */
  build: {
    path: '/tsrun.supervisor.v1.Builds/Build';
    request: BuildRequest;
    response: BuildResponse;
    requestStream: true;
    responseStream: true;
  };
  /**
   * Drop every entry of the build cache; the layers only the cache kept are removed from the
   * content store.
   */
  prune: {
    path: '/tsrun.supervisor.v1.Builds/Prune';
    request: PruneBuildCacheRequest;
    response: PruneBuildCacheResponse;
    requestStream: false;
    responseStream: false;
  };
}

export interface ContainersService {
  /**
   * Record a container. The bundle's config.json is read and validated now (INVALID_ARGUMENT
   * naming the config's JSON path when it is wrong), with `overrides` applied; the resulting
   * config is stored with the record, and the rootfs stays where the bundle has it (the bundle
   * directory is referenced, not copied: it must outlive the container).
   * For an image (a name in the image store), the layers are unpacked (once, shared between
   * images), the container gets its own writable layer, and the config is built from the
   * image's (Entrypoint + Cmd, Env, WorkingDir, User resolved in the image's /etc/passwd and
   * /etc/group, Labels as annotations) with `overrides` applied.
   * Errors: INVALID_ARGUMENT (bad id, bundle, overrides, a user the image does not have; the
   * message names the field), ALREADY_EXISTS (the id is taken), NOT_FOUND (no such image),
   * FAILED_PRECONDITION (an image whose blobs are missing or whose layers cannot be unpacked
   * safely: the message names the layer and the entry).
   */
  create: {
    path: '/tsrun.supervisor.v1.Containers/Create';
    request: CreateContainerRequest;
    response: CreateContainerResponse;
    requestStream: false;
    responseStream: false;
  };
  /** NOT_FOUND when no container has the id. */
  get: {
    path: '/tsrun.supervisor.v1.Containers/Get';
    request: GetContainerRequest;
    response: GetContainerResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Every container whose labels hold all of the request's filters. */
  list: {
    path: '/tsrun.supervisor.v1.Containers/List';
    request: ListContainersRequest;
    response: ListContainersResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Remove the record and its logs (and an image container's writable layer). FAILED_PRECONDITION while it has a task (delete the task
   * first). Its volumes stay, but for anonymous ones with remove_volumes.
   */
  delete: {
    path: '/tsrun.supervisor.v1.Containers/Delete';
    request: DeleteContainerRequest;
    response: DeleteContainerResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * What the container's writable layer changed in its image (docker diff), sorted by path; read
   * from the layer itself, so a running task's changes show as they are made. FAILED_PRECONDITION
   * for a container made from a bundle (it has no writable layer of tsrund's).
   */
  diff: {
    path: '/tsrun.supervisor.v1.Containers/Diff';
    request: DiffContainerRequest;
    response: DiffContainerResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * A new image of the container (docker commit): its writable layer, read as Diff reads it,
   * becomes one layer (whiteouts as .wh. entries, opaque directories with .wh..wh..opq; owners,
   * modes, mtimes, xattrs, hardlinks as they are) on top of its image's layers; the config is
   * the image's with the layer's diff_id, a history entry (created, created_by: the container's
   * command, author, comment) and `changes` applied; an OCI manifest over it all; an image
   * record named `reference`. A running task is paused (its cgroup frozen, as Tasks.Pause does)
   * while the layer is read when `pause` is set, and resumed after, also on failure. A stopped
   * container commits too. Errors: NOT_FOUND (no such container), FAILED_PRECONDITION (a
   * container made from a bundle: it has no image to build on; its image gone or re-pointed),
   * INVALID_ARGUMENT (a bad reference, compression, or change: which one and why).
   */
  commit: {
    path: '/tsrun.supervisor.v1.Containers/Commit';
    request: CommitContainerRequest;
    response: CommitContainerResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Give the container another id (docker rename): its record, log and writable layer move
   * together. FAILED_PRECONDITION while it has a task, a stopped one too (the task's state,
   * cgroup and monitor are named after the id: delete the task first); ALREADY_EXISTS when
   * new_id is taken.
   */
  rename: {
    path: '/tsrun.supervisor.v1.Containers/Rename';
    request: RenameContainerRequest;
    response: RenameContainerResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * A path inside the container as a tar stream (docker cp ID:PATH -): the top entry is its last
   * component, a directory with everything under it; a symlink is an entry of its own, never
   * followed out of the container's root (links on the way are resolved inside it). Read from a
   * running task's root (its mounts included), else from the writable layer over the image's
   * layers (or a bundle's rootfs). NOT_FOUND when the path is not there.
   */
  copyFrom: {
    path: '/tsrun.supervisor.v1.Containers/CopyFrom';
    request: CopyFromContainerRequest;
    response: CopyChunk;
    requestStream: false;
    responseStream: true;
  };
  /**
   * A tar stream unpacked into a directory inside the container (docker cp - ID:DIR): the first
   * message names the container and the directory, every message carries the next bytes. Files,
   * directories and symlinks; an entry with an absolute name, a ".." component, a NUL, a
   * symlink on its way, or over a file that exists is refused (INVALID_ARGUMENT naming it), as is
   * a file over 1 GiB. Into the root of a task that has one (created, running or paused), a
   * bundle container's rootfs, or else an image container's writable layer, written as overlayfs
   * writes through the merged view (directories copied up, deletions replaced).
   */
  copyTo: {
    path: '/tsrun.supervisor.v1.Containers/CopyTo';
    request: CopyToContainerRequest;
    response: CopyToContainerResponse;
    requestStream: true;
    responseStream: false;
  };
}

export interface EventsService {
  /**
   * A stream of the events that pass the filters, until the client cancels: first the retained
   * ones after `after_sequence` (when it is not 0), then each new one as it happens, with no event
   * missing or repeated between the two. Every event is written to tsrund's journal before any
   * subscriber sees it, so a client that resumes from the last sequence it saw gets every later
   * event exactly once, across tsrund restarts too. Exits that happened while tsrund was down are
   * published (and journaled) when it starts again. An `after_sequence` whose next events the
   * journal no longer holds (or one beyond the newest event) is OUT_OF_RANGE; the message names
   * the oldest and newest sequences retained.
   */
  subscribe: {
    path: '/tsrun.supervisor.v1.Events/Subscribe';
    request: SubscribeRequest;
    response: Event;
    requestStream: false;
    responseStream: true;
  };
}

export interface ImagesService {
  /**
   * Pull an image: a stream of progress messages (one per blob and state change, and byte
   * counts while a blob downloads, at most every 100 ms each), then one message holding the
   * image record. Each blob is checked against its digest and size before it is stored; nothing
   * of a failed pull stays (a blob no image references is removed).
   * Errors: INVALID_ARGUMENT (reference, platform), NOT_FOUND (the registry has no such image),
   * FAILED_PRECONDITION (a bad image: digest mismatch, truncated blob, unknown media type, no
   * manifest for the platform; credentials refused or missing), UNAVAILABLE (the registry
   * cannot be reached after retries).
   */
  pull: {
    path: '/tsrun.supervisor.v1.Images/Pull';
    request: PullImageRequest;
    response: PullImageResponse;
    requestStream: false;
    responseStream: true;
  };
  /** Every image record, sorted by name. */
  list: {
    path: '/tsrun.supervisor.v1.Images/List';
    request: ListImagesRequest;
    response: ListImagesResponse;
    requestStream: false;
    responseStream: false;
  };
  /** One record with its manifest and config. NOT_FOUND when no image has the name. */
  get: {
    path: '/tsrun.supervisor.v1.Images/Get';
    request: GetImageRequest;
    response: GetImageResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Remove the record, then every blob no remaining image references (and, through the
   * snapshotter's hook, their unpacked layers).
   */
  delete: {
    path: '/tsrun.supervisor.v1.Images/Delete';
    request: DeleteImageRequest;
    response: DeleteImageResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Give the image `source` names another name `target` (replacing what `target` named). */
  tag: {
    path: '/tsrun.supervisor.v1.Images/Tag';
    request: TagImageRequest;
    response: TagImageResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Read an OCI image-layout archive (a tar, possibly gzip-compressed, as `skopeo copy ...
   * oci-archive:FILE` and umoci write) from a path on the daemon's host; each manifest of its
   * index.json becomes an image named by its io.containerd.image.name or
   * org.opencontainers.image.ref.name annotation (or `name` when given).
   */
  import: {
    path: '/tsrun.supervisor.v1.Images/Import';
    request: ImportImagesRequest;
    response: ImportImagesResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Write the named images as one OCI image-layout tar at a path on the daemon's host. */
  export: {
    path: '/tsrun.supervisor.v1.Images/Export';
    request: ExportImagesRequest;
    response: ExportImagesResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Push an image to a registry (the OCI distribution spec): a stream of progress messages (one
   * per blob and state change, and byte counts while a blob uploads, at most every 100 ms each),
   * then one message with what the destination names now. A blob the registry has is not sent;
   * one that another repository of the same registry holds (where the image was pulled from) is
   * mounted from there; others are uploaded, large ones in chunks, resumed after a broken
   * connection. Credentials come from the auth file (Login). A mirror is pushed to only when its
   * hosts.toml capabilities include "push".
   * Errors: INVALID_ARGUMENT (name, destination, platform), NOT_FOUND (no image has the name),
   * FAILED_PRECONDITION (a blob of the image is not in the store, naming its digest; the
   * registry refused the credentials or has none for it, naming the registry and the auth file;
   * the registry refused the content), UNAVAILABLE (the registry cannot be reached after retries).
   * Nothing changes in tsrund on a failure.
   */
  push: {
    path: '/tsrun.supervisor.v1.Images/Push';
    request: PushImageRequest;
    response: PushImageResponse;
    requestStream: false;
    responseStream: true;
  };
  /**
   * Check credentials against a registry (its /v2/, answering the challenge it gives: Basic, or a
   * Bearer token from its realm) and, when it accepts them, keep them in tsrund's auth file
   * (--auth-file, written atomically, mode 0600) for pulls and pushes. FAILED_PRECONDITION when the
   * registry refuses them (the auth file is left as it was), UNAVAILABLE when it cannot be reached.
   */
  login: {
    path: '/tsrun.supervisor.v1.Images/Login';
    request: LoginRequest;
    response: LoginResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Remove a registry's credentials from the auth file. */
  logout: {
    path: '/tsrun.supervisor.v1.Images/Logout';
    request: LogoutRequest;
    response: LogoutResponse;
    requestStream: false;
    responseStream: false;
  };
}

export interface NetworksService {
  /**
   * Write a managed network's configuration list. INVALID_ARGUMENT for a bad name, subnet or
   * gateway (the message names the field), ALREADY_EXISTS for a name in use, FAILED_PRECONDITION
   * for a subnet that overlaps another network's or a route of the host.
   */
  create: {
    path: '/tsrun.supervisor.v1.Networks/Create';
    request: CreateNetworkRequest;
    response: CreateNetworkResponse;
    requestStream: false;
    responseStream: false;
  };
  /** The network with its endpoints. NOT_FOUND when no network has the name (or id prefix). */
  get: {
    path: '/tsrun.supervisor.v1.Networks/Get';
    request: GetNetworkRequest;
    response: GetNetworkResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Every network, sorted by name (endpoints left empty). */
  list: {
    path: '/tsrun.supervisor.v1.Networks/List';
    request: ListNetworksRequest;
    response: ListNetworksResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Remove a managed network: its configuration list, bridge, firewall rules and address leases.
   * FAILED_PRECONDITION while a container is attached, or for a network tsrund did not write.
   */
  delete: {
    path: '/tsrun.supervisor.v1.Networks/Delete';
    request: DeleteNetworkRequest;
    response: DeleteNetworkResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Attach a container whose task is running to one more network (CNI ADD on its network
   * namespace). FAILED_PRECONDITION when it has no running task, is attached already, or runs
   * in the host's or another container's network namespace.
   */
  connect: {
    path: '/tsrun.supervisor.v1.Networks/Connect';
    request: ConnectNetworkRequest;
    response: ConnectNetworkResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Detach a running container from a network (CNI DEL). NOT_FOUND when it is not attached. */
  disconnect: {
    path: '/tsrun.supervisor.v1.Networks/Disconnect';
    request: DisconnectNetworkRequest;
    response: DisconnectNetworkResponse;
    requestStream: false;
    responseStream: false;
  };
}

export interface TasksService {
  /**
   * Create the task of a container: its cgroups and its init, stopped before the user's process
   * (as `tsrun create`). FAILED_PRECONDITION when the container already has a task (delete it
   * first); INVALID_ARGUMENT when the config cannot be run (the message says which step and path).
   * The container's restart policy applies again from here, its count from 0.
   */
  create: {
    path: '/tsrun.supervisor.v1.Tasks/Create';
    request: CreateTaskRequest;
    response: CreateTaskResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Let the created init exec the user's process. FAILED_PRECONDITION unless the task is created. */
  start: {
    path: '/tsrun.supervisor.v1.Tasks/Start';
    request: StartTaskRequest;
    response: StartTaskResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Send a signal to the init, or with `all` to every process of the container's cgroups.
   * FAILED_PRECONDITION when the task has stopped. The container's restart policy stays (its
   * exit restarts it); Stop or Delete end it.
   */
  kill: {
    path: '/tsrun.supervisor.v1.Tasks/Kill';
    request: KillTaskRequest;
    response: KillTaskResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Stop the task as `docker stop` does: the container's stop signal (overrides.stop_signal,
   * else the image's StopSignal, else SIGTERM; `signal` replaces it) to the init, then, when it
   * has not exited after the timeout, SIGKILL to every process of the container. The task stays
   * (STOPPED) and its exit is returned; for a task that stopped already, at once. It ends the
   * container's restart policy (types.proto RestartPolicy). A created task, never started, is
   * killed at once.
   */
  stop: {
    path: '/tsrun.supervisor.v1.Tasks/Stop';
    request: StopTaskRequest;
    response: StopTaskResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Remove a task that has stopped, or was created and never started (or, with `force`, kill a
   * running one first): its processes, cgroups and monitor go, and the exit status is returned.
   * FAILED_PRECONDITION for a running or paused task without `force`.
   */
  delete: {
    path: '/tsrun.supervisor.v1.Tasks/Delete';
    request: DeleteTaskRequest;
    response: DeleteTaskResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Blocks until the task exits; returns at once for a stopped task. */
  wait: {
    path: '/tsrun.supervisor.v1.Tasks/Wait';
    request: WaitTaskRequest;
    response: WaitTaskResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Run another process in a created or running task (as `tsrun exec`): the container's process
   * with the request's args/env/cwd/user/terminal, joined to the container's namespaces and
   * cgroups, under a monitor of its own. Its output goes to a log of its own (Logs with exec_id);
   * Wait, Kill, WriteStdin, CloseIO and ResizePty take the exec_id; Delete with exec_id removes
   * it once it exited. FAILED_PRECONDITION for a paused or stopped task; ALREADY_EXISTS for an
   * exec_id in use; INVALID_ARGUMENT for a process the plan cannot express.
   */
  exec: {
    path: '/tsrun.supervisor.v1.Tasks/Exec';
    request: ExecProcessRequest;
    response: ExecProcessResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Freeze every process of the task (cgroup freezer). FAILED_PRECONDITION unless running. */
  pause: {
    path: '/tsrun.supervisor.v1.Tasks/Pause';
    request: PauseTaskRequest;
    response: PauseTaskResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Thaw a paused task. FAILED_PRECONDITION unless paused. */
  resume: {
    path: '/tsrun.supervisor.v1.Tasks/Resume';
    request: ResumeTaskRequest;
    response: ResumeTaskResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Host pids of every process in the task's cgroups. */
  listPids: {
    path: '/tsrun.supervisor.v1.Tasks/ListPids';
    request: ListPidsRequest;
    response: ListPidsResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Resource usage read from the task's cgroups. */
  stats: {
    path: '/tsrun.supervisor.v1.Tasks/Stats';
    request: StatsRequest;
    response: StatsResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Set the size of the task's pty. FAILED_PRECONDITION when it has no terminal. */
  resizePty: {
    path: '/tsrun.supervisor.v1.Tasks/ResizePty';
    request: ResizePtyRequest;
    response: ResizePtyResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Close the task's stdin (the process reads end of file) once every byte accepted before (by
   * WriteStdin or Stdin) was written to it: the reply means they were delivered.
   * FAILED_PRECONDITION without stdin.
   */
  closeIO: {
    path: '/tsrun.supervisor.v1.Tasks/CloseIO';
    request: CloseIORequest;
    response: CloseIOResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Write bytes to the task's stdin (created with `stdin`). One call's bytes stay together and in
   * order, and the reply means tsrund took them; calls are applied in the order tsrund receives
   * them, so a client must wait for each reply before the next call. Stdin does that for it.
   * FAILED_PRECONDITION once stdin is closed (CloseIO, or no process of the container reads it).
   */
  writeStdin: {
    path: '/tsrun.supervisor.v1.Tasks/WriteStdin';
    request: WriteStdinRequest;
    response: WriteStdinResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Stream bytes to the stdin of the task or of an exec'd process, in order: the first message
   * names the process, later ones may leave id and exec_id empty; a message with `close` closes
   * stdin once every byte before it was written to the process (CloseIO). The reply comes when
   * the client ends the stream (after the close, when it asked for one). Flow control: tsrund
   * reads a message only once the previous one is in the monitor's buffer (64 KiB), so a process
   * that reads slowly holds the client back (HTTP/2 flow control) rather than filling tsrund's
   * memory. FAILED_PRECONDITION when the process has no stdin or it was closed (no process
   * of the container reads it: as a pipe's writer gets EPIPE); INVALID_ARGUMENT for a message
   * naming another process, or data over 1 MiB in one message.
   */
  stdin: {
    path: '/tsrun.supervisor.v1.Tasks/Stdin';
    request: StdinRequest;
    response: StdinResponse;
    requestStream: true;
    responseStream: false;
  };
  get: {
    path: '/tsrun.supervisor.v1.Tasks/Get';
    request: GetTaskRequest;
    response: GetTaskResponse;
    requestStream: false;
    responseStream: false;
  };
  list: {
    path: '/tsrun.supervisor.v1.Tasks/List';
    request: ListTasksRequest;
    response: ListTasksResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * The container's output from its log (CRI log format, written by the task's monitor): every
   * entry so far, then with `follow` new entries as
   * they are written until the task exits and its output is drained (or the client goes away).
   */
  logs: {
    path: '/tsrun.supervisor.v1.Tasks/Logs';
    request: LogsRequest;
    response: LogEntry;
    requestStream: false;
    responseStream: true;
  };
  /**
   * The task's processes as ps sees them on tsrund's host (docker top), sorted by pid; a process
   * that exits while it is read is left out. NOT_FOUND without a task.
   */
  top: {
    path: '/tsrun.supervisor.v1.Tasks/Top';
    request: TopRequest;
    response: TopResponse;
    requestStream: false;
    responseStream: false;
  };
}

export interface VersionService {
  version: {
    path: '/tsrun.supervisor.v1.Version/Version';
    request: VersionRequest;
    response: VersionResponse;
    requestStream: false;
    responseStream: false;
  };
}

export interface HealthService {
  /** SERVING once tsrund has re-attached to every task after a start and accepts requests. */
  check: {
    path: '/tsrun.supervisor.v1.Health/Check';
    request: HealthCheckRequest;
    response: HealthCheckResponse;
    requestStream: false;
    responseStream: false;
  };
}

export interface VolumesService {
  /**
   * Create a volume with an empty _data directory. INVALID_ARGUMENT for a bad name or labels,
   * ALREADY_EXISTS when a volume has the name. A name "" makes an anonymous volume.
   */
  create: {
    path: '/tsrun.supervisor.v1.Volumes/Create';
    request: CreateVolumeRequest;
    response: CreateVolumeResponse;
    requestStream: false;
    responseStream: false;
  };
  /** The volume and the containers using it. NOT_FOUND when no volume has the name. */
  get: {
    path: '/tsrun.supervisor.v1.Volumes/Get';
    request: GetVolumeRequest;
    response: GetVolumeResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Every volume whose labels hold all of the request's filters, sorted by name. */
  list: {
    path: '/tsrun.supervisor.v1.Volumes/List';
    request: ListVolumesRequest;
    response: ListVolumesResponse;
    requestStream: false;
    responseStream: false;
  };
  /**
   * Remove a volume and its content. FAILED_PRECONDITION while a container uses it (the message
   * names the containers: remove them first); NOT_FOUND when no volume has the name.
   */
  delete: {
    path: '/tsrun.supervisor.v1.Volumes/Delete';
    request: DeleteVolumeRequest;
    response: DeleteVolumeResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Remove the volumes no container uses (anonymous ones only, unless `all`). */
  prune: {
    path: '/tsrun.supervisor.v1.Volumes/Prune';
    request: PruneVolumesRequest;
    response: PruneVolumesResponse;
    requestStream: false;
    responseStream: false;
  };
}

/** Every service of tsrun.supervisor.v1, by name. */
export interface ApiServices {
  Builds: BuildsService;
  Containers: ContainersService;
  Events: EventsService;
  Images: ImagesService;
  Networks: NetworksService;
  Tasks: TasksService;
  Version: VersionService;
  Health: HealthService;
  Volumes: VolumesService;
}
