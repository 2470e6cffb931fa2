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
}

export interface DeleteContainerResponse {}

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
   * Cmd too: `args` then gives the whole command after it).
   */
  entrypoint: string[];
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
   * first).
   */
  delete: {
    path: '/tsrun.supervisor.v1.Containers/Delete';
    request: DeleteContainerRequest;
    response: DeleteContainerResponse;
    requestStream: false;
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
}

export interface TasksService {
  /**
   * Create the task of a container: its cgroups and its init, stopped before the user's process
   * (as `tsrun create`). FAILED_PRECONDITION when the container already has a task (delete it
   * first); INVALID_ARGUMENT when the config cannot be run (the message says which step and path).
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
   * FAILED_PRECONDITION when the task has stopped.
   */
  kill: {
    path: '/tsrun.supervisor.v1.Tasks/Kill';
    request: KillTaskRequest;
    response: KillTaskResponse;
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

/** Every service of tsrun.supervisor.v1, by name. */
export interface ApiServices {
  Containers: ContainersService;
  Events: EventsService;
  Images: ImagesService;
  Tasks: TasksService;
  Version: VersionService;
  Health: HealthService;
}
