/* Generated from supervisor/api/cri/v1/*.proto by supervisor/api/tools/gen-types.js: do not edit.
 * Change the protos and run `npm run gen:types`. */

/*
 * The messages of runtime.v1 as plain objects, the way supervisor/api/load.ts decodes
 * them: camelCase field names; every field present with its proto3 default, except the members
 * of a oneof and `optional` fields, which are absent when unset; a message field that is not set
 * is null; 64-bit integers are numbers (exact up to 2^53); enums are the names of their values
 * (a number the schema does not know arrives as that number); bytes are Buffers; maps are
 * objects keyed by the text of the key. A request may leave any field out (it is encoded as the
 * default): clients build requests as Partial<...>.
 */

// api.proto ---------------------------------------------------------------------------------------

export interface VersionRequest {
  version: string;
}

export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export type Protocol =
  | 'TCP'
  | 'UDP'
  | 'SCTP';

export interface PortMapping {
  protocol: Protocol;
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

export type MountPropagation =
  | 'PROPAGATION_PRIVATE'
  | 'PROPAGATION_HOST_TO_CONTAINER'
  | 'PROPAGATION_BIDIRECTIONAL';

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  selinuxRelabel: boolean;
  propagation: MountPropagation;
  uidMappings: IDMapping[];
  gidMappings: IDMapping[];
  recursiveReadOnly: boolean;
  image: ImageSpec | null;
  imageSubPath: string;
}

export interface IDMapping {
  hostId: number;
  containerId: number;
  length: number;
}

export type NamespaceMode =
  | 'POD'
  | 'CONTAINER'
  | 'NODE'
  | 'TARGET';

export interface UserNamespace {
  mode: NamespaceMode;
  uids: IDMapping[];
  gids: IDMapping[];
}

export interface NamespaceOption {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  targetId: string;
  usernsOptions: UserNamespace | null;
}

export type SupplementalGroupsPolicy =
  | 'Merge'
  | 'Strict';

export interface Int64Value {
  value: number;
}

export interface LinuxSandboxSecurityContext {
  namespaceOptions: NamespaceOption | null;
  selinuxOptions: SELinuxOption | null;
  runAsUser: Int64Value | null;
  runAsGroup: Int64Value | null;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  supplementalGroupsPolicy: SupplementalGroupsPolicy;
  privileged: boolean;
  seccomp: SecurityProfile | null;
  apparmor: SecurityProfile | null;
  seccompProfilePath: string;
}

export interface SecurityProfile {
  profileType: SecurityProfile_ProfileType;
  localhostRef: string;
}

export type SecurityProfile_ProfileType =
  | 'RuntimeDefault'
  | 'Unconfined'
  | 'Localhost';

export interface LinuxPodSandboxConfig {
  cgroupParent: string;
  securityContext: LinuxSandboxSecurityContext | null;
  sysctls: Record<string, string>;
  overhead: LinuxContainerResources | null;
  resources: LinuxContainerResources | null;
}

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata | null;
  hostname: string;
  logDirectory: string;
  dnsConfig: DNSConfig | null;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux: LinuxPodSandboxConfig | null;
  windows: WindowsPodSandboxConfig | null;
}

export interface RunPodSandboxRequest {
  config: PodSandboxConfig | null;
  runtimeHandler: string;
}

export interface RunPodSandboxResponse {
  podSandboxId: string;
}

export interface StopPodSandboxRequest {
  podSandboxId: string;
}

export interface StopPodSandboxResponse {}

export interface RemovePodSandboxRequest {
  podSandboxId: string;
}

export interface RemovePodSandboxResponse {}

export interface PodSandboxStatusRequest {
  podSandboxId: string;
  verbose: boolean;
}

export interface PodIP {
  ip: string;
}

export interface PodSandboxNetworkStatus {
  ip: string;
  additionalIps: PodIP[];
}

export interface Namespace {
  options: NamespaceOption | null;
}

export interface LinuxPodSandboxStatus {
  namespaces: Namespace | null;
}

export type PodSandboxState =
  | 'SANDBOX_READY'
  | 'SANDBOX_NOTREADY';

export interface PodSandboxStatus {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: number;
  network: PodSandboxNetworkStatus | null;
  linux: LinuxPodSandboxStatus | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface PodSandboxStatusResponse {
  status: PodSandboxStatus | null;
  info: Record<string, string>;
  containersStatuses: ContainerStatus[];
  timestamp: number;
}

export interface PodSandboxStateValue {
  state: PodSandboxState;
}

export interface PodSandboxFilter {
  id: string;
  state: PodSandboxStateValue | null;
  labelSelector: Record<string, string>;
}

export interface ListPodSandboxRequest {
  filter: PodSandboxFilter | null;
}

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}

export interface ListPodSandboxResponse {
  items: PodSandbox[];
}

export interface StreamPodSandboxesRequest {
  filter: PodSandboxFilter | null;
}

export interface StreamPodSandboxesResponse {
  podSandboxes: PodSandbox[];
}

export interface PodSandboxStatsRequest {
  podSandboxId: string;
}

export interface PodSandboxStatsResponse {
  stats: PodSandboxStats | null;
}

export interface PodSandboxStatsFilter {
  id: string;
  labelSelector: Record<string, string>;
}

export interface ListPodSandboxStatsRequest {
  filter: PodSandboxStatsFilter | null;
}

export interface ListPodSandboxStatsResponse {
  stats: PodSandboxStats[];
}

export interface StreamPodSandboxStatsRequest {
  filter: PodSandboxStatsFilter | null;
}

export interface StreamPodSandboxStatsResponse {
  podSandboxStats: PodSandboxStats[];
}

export interface PodSandboxAttributes {
  id: string;
  metadata: PodSandboxMetadata | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStats {
  attributes: PodSandboxAttributes | null;
  linux: LinuxPodSandboxStats | null;
  windows: WindowsPodSandboxStats | null;
}

export interface LinuxPodSandboxStats {
  cpu: CpuUsage | null;
  memory: MemoryUsage | null;
  network: NetworkUsage | null;
  process: ProcessUsage | null;
  containers: ContainerStats[];
  io: IoUsage | null;
}

export interface WindowsPodSandboxStats {
  cpu: WindowsCpuUsage | null;
  memory: WindowsMemoryUsage | null;
  network: WindowsNetworkUsage | null;
  process: WindowsProcessUsage | null;
  containers: WindowsContainerStats[];
}

export interface NetworkUsage {
  timestamp: number;
  defaultInterface: NetworkInterfaceUsage | null;
  interfaces: NetworkInterfaceUsage[];
}

export interface WindowsNetworkUsage {
  timestamp: number;
  defaultInterface: WindowsNetworkInterfaceUsage | null;
  interfaces: WindowsNetworkInterfaceUsage[];
}

export interface NetworkInterfaceUsage {
  name: string;
  rxBytes: UInt64Value | null;
  rxErrors: UInt64Value | null;
  txBytes: UInt64Value | null;
  txErrors: UInt64Value | null;
}

export interface WindowsNetworkInterfaceUsage {
  name: string;
  rxBytes: UInt64Value | null;
  rxPacketsDropped: UInt64Value | null;
  txBytes: UInt64Value | null;
  txPacketsDropped: UInt64Value | null;
}

export interface ProcessUsage {
  timestamp: number;
  processCount: UInt64Value | null;
}

export interface WindowsProcessUsage {
  timestamp: number;
  processCount: UInt64Value | null;
}

export interface ImageSpec {
  image: string;
  annotations: Record<string, string>;
  userSpecifiedImage: string;
  runtimeHandler: string;
  imageRef: string;
}

export interface KeyValue {
  key: string;
  value: Buffer;
}

export interface LinuxContainerResources {
  cpuPeriod: number;
  cpuQuota: number;
  cpuShares: number;
  memoryLimitInBytes: number;
  oomScoreAdj: number;
  cpusetCpus: string;
  cpusetMems: string;
  hugepageLimits: HugepageLimit[];
  unified: Record<string, string>;
  memorySwapLimitInBytes: number;
}

export interface HugepageLimit {
  pageSize: string;
  limit: number;
}

export interface SELinuxOption {
  user: string;
  role: string;
  type: string;
  level: string;
}

export interface Capability {
  addCapabilities: string[];
  dropCapabilities: string[];
  addAmbientCapabilities: string[];
}

export interface LinuxContainerSecurityContext {
  capabilities: Capability | null;
  privileged: boolean;
  namespaceOptions: NamespaceOption | null;
  selinuxOptions: SELinuxOption | null;
  runAsUser: Int64Value | null;
  runAsGroup: Int64Value | null;
  runAsUsername: string;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  supplementalGroupsPolicy: SupplementalGroupsPolicy;
  noNewPrivs: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp: SecurityProfile | null;
  apparmor: SecurityProfile | null;
  apparmorProfile: string;
  seccompProfilePath: string;
}

export interface LinuxContainerConfig {
  resources: LinuxContainerResources | null;
  securityContext: LinuxContainerSecurityContext | null;
}

export interface LinuxContainerUser {
  uid: number;
  gid: number;
  supplementalGroups: number[];
}

export interface WindowsNamespaceOption {
  network: NamespaceMode;
}

export interface WindowsSandboxSecurityContext {
  runAsUsername: string;
  credentialSpec: string;
  hostProcess: boolean;
  namespaceOptions: WindowsNamespaceOption | null;
}

export interface WindowsPodSandboxConfig {
  securityContext: WindowsSandboxSecurityContext | null;
}

export interface WindowsContainerSecurityContext {
  runAsUsername: string;
  credentialSpec: string;
  hostProcess: boolean;
}

export interface WindowsContainerConfig {
  resources: WindowsContainerResources | null;
  securityContext: WindowsContainerSecurityContext | null;
}

export interface WindowsContainerResources {
  cpuShares: number;
  cpuCount: number;
  cpuMaximum: number;
  memoryLimitInBytes: number;
  rootfsSizeInBytes: number;
  affinityCpus: WindowsCpuGroupAffinity[];
}

export interface WindowsCpuGroupAffinity {
  cpuMask: number;
  cpuGroup: number;
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface Device {
  containerPath: string;
  hostPath: string;
  permissions: string;
}

export interface CDIDevice {
  name: string;
}

export interface ContainerConfig {
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  command: string[];
  args: string[];
  workingDir: string;
  envs: KeyValue[];
  mounts: Mount[];
  devices: Device[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  linux: LinuxContainerConfig | null;
  windows: WindowsContainerConfig | null;
  CDIDevices: CDIDevice[];
  stopSignal: Signal;
}

export type Signal =
  | 'RUNTIME_DEFAULT'
  | 'SIGABRT'
  | 'SIGALRM'
  | 'SIGBUS'
  | 'SIGCHLD'
  | 'SIGCLD'
  | 'SIGCONT'
  | 'SIGFPE'
  | 'SIGHUP'
  | 'SIGILL'
  | 'SIGINT'
  | 'SIGIO'
  | 'SIGIOT'
  | 'SIGKILL'
  | 'SIGPIPE'
  | 'SIGPOLL'
  | 'SIGPROF'
  | 'SIGPWR'
  | 'SIGQUIT'
  | 'SIGSEGV'
  | 'SIGSTKFLT'
  | 'SIGSTOP'
  | 'SIGSYS'
  | 'SIGTERM'
  | 'SIGTRAP'
  | 'SIGTSTP'
  | 'SIGTTIN'
  | 'SIGTTOU'
  | 'SIGURG'
  | 'SIGUSR1'
  | 'SIGUSR2'
  | 'SIGVTALRM'
  | 'SIGWINCH'
  | 'SIGXCPU'
  | 'SIGXFSZ'
  | 'SIGRTMIN'
  | 'SIGRTMINPLUS1'
  | 'SIGRTMINPLUS2'
  | 'SIGRTMINPLUS3'
  | 'SIGRTMINPLUS4'
  | 'SIGRTMINPLUS5'
  | 'SIGRTMINPLUS6'
  | 'SIGRTMINPLUS7'
  | 'SIGRTMINPLUS8'
  | 'SIGRTMINPLUS9'
  | 'SIGRTMINPLUS10'
  | 'SIGRTMINPLUS11'
  | 'SIGRTMINPLUS12'
  | 'SIGRTMINPLUS13'
  | 'SIGRTMINPLUS14'
  | 'SIGRTMINPLUS15'
  | 'SIGRTMAXMINUS14'
  | 'SIGRTMAXMINUS13'
  | 'SIGRTMAXMINUS12'
  | 'SIGRTMAXMINUS11'
  | 'SIGRTMAXMINUS10'
  | 'SIGRTMAXMINUS9'
  | 'SIGRTMAXMINUS8'
  | 'SIGRTMAXMINUS7'
  | 'SIGRTMAXMINUS6'
  | 'SIGRTMAXMINUS5'
  | 'SIGRTMAXMINUS4'
  | 'SIGRTMAXMINUS3'
  | 'SIGRTMAXMINUS2'
  | 'SIGRTMAXMINUS1'
  | 'SIGRTMAX';

export interface CreateContainerRequest {
  podSandboxId: string;
  config: ContainerConfig | null;
  sandboxConfig: PodSandboxConfig | null;
}

export interface CreateContainerResponse {
  containerId: string;
}

export interface StartContainerRequest {
  containerId: string;
}

export interface StartContainerResponse {}

export interface StopContainerRequest {
  containerId: string;
  timeout: number;
}

export interface StopContainerResponse {}

export interface RemoveContainerRequest {
  containerId: string;
}

export interface RemoveContainerResponse {}

export type ContainerState =
  | 'CONTAINER_CREATED'
  | 'CONTAINER_RUNNING'
  | 'CONTAINER_EXITED'
  | 'CONTAINER_UNKNOWN';

export interface ContainerStateValue {
  state: ContainerState;
}

export interface ContainerFilter {
  id: string;
  state: ContainerStateValue | null;
  podSandboxId: string;
  labelSelector: Record<string, string>;
}

export interface ListContainersRequest {
  filter: ContainerFilter | null;
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  imageRef: string;
  state: ContainerState;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  imageId: string;
}

export interface ListContainersResponse {
  containers: Container[];
}

export interface StreamContainersRequest {
  filter: ContainerFilter | null;
}

export interface StreamContainersResponse {
  containers: Container[];
}

export interface ContainerStatusRequest {
  containerId: string;
  verbose: boolean;
}

export interface ContainerStatus {
  id: string;
  metadata: ContainerMetadata | null;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image: ImageSpec | null;
  imageRef: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: Mount[];
  logPath: string;
  resources: ContainerResources | null;
  imageId: string;
  user: ContainerUser | null;
  stopSignal: Signal;
}

export interface ContainerStatusResponse {
  status: ContainerStatus | null;
  info: Record<string, string>;
}

export interface ContainerResources {
  linux: LinuxContainerResources | null;
  windows: WindowsContainerResources | null;
}

export interface ContainerUser {
  linux: LinuxContainerUser | null;
}

export interface UpdateContainerResourcesRequest {
  containerId: string;
  linux: LinuxContainerResources | null;
  windows: WindowsContainerResources | null;
  annotations: Record<string, string>;
}

export interface UpdateContainerResourcesResponse {}

export interface ExecSyncRequest {
  containerId: string;
  cmd: string[];
  timeout: number;
}

export interface ExecSyncResponse {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface ExecResponse {
  url: string;
}

export interface AttachRequest {
  containerId: string;
  stdin: boolean;
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface AttachResponse {
  url: string;
}

export interface PortForwardRequest {
  podSandboxId: string;
  port: number[];
}

export interface PortForwardResponse {
  url: string;
}

export interface ImageFilter {
  image: ImageSpec | null;
}

export interface ListImagesRequest {
  filter: ImageFilter | null;
}

export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  uid: Int64Value | null;
  username: string;
  spec: ImageSpec | null;
  pinned: boolean;
}

export interface ListImagesResponse {
  images: Image[];
}

export interface StreamImagesRequest {
  filter: ImageFilter | null;
}

export interface StreamImagesResponse {
  images: Image[];
}

export interface ImageStatusRequest {
  image: ImageSpec | null;
  verbose: boolean;
}

export interface ImageStatusResponse {
  image: Image | null;
  info: Record<string, string>;
}

export interface AuthConfig {
  username: string;
  password: string;
  auth: string;
  serverAddress: string;
  identityToken: string;
  registryToken: string;
}

export interface PullImageRequest {
  image: ImageSpec | null;
  auth: AuthConfig | null;
  sandboxConfig: PodSandboxConfig | null;
}

export interface PullImageResponse {
  imageRef: string;
}

export interface RemoveImageRequest {
  image: ImageSpec | null;
}

export interface RemoveImageResponse {}

export interface NetworkConfig {
  podCidr: string;
}

export interface RuntimeConfig {
  networkConfig: NetworkConfig | null;
}

export interface UpdateRuntimeConfigRequest {
  runtimeConfig: RuntimeConfig | null;
}

export interface UpdateRuntimeConfigResponse {}

export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}

export interface RuntimeStatus {
  conditions: RuntimeCondition[];
}

export interface StatusRequest {
  verbose: boolean;
}

export interface RuntimeHandlerFeatures {
  recursiveReadOnlyMounts: boolean;
  userNamespaces: boolean;
}

export interface RuntimeHandler {
  name: string;
  features: RuntimeHandlerFeatures | null;
}

export interface RuntimeFeatures {
  supplementalGroupsPolicy: boolean;
  userNamespacesHostNetwork: boolean;
}

export interface StatusResponse {
  status: RuntimeStatus | null;
  info: Record<string, string>;
  runtimeHandlers: RuntimeHandler[];
  features: RuntimeFeatures | null;
}

export interface ImageFsInfoRequest {}

export interface UInt64Value {
  value: number;
}

export interface FilesystemIdentifier {
  mountpoint: string;
}

export interface FilesystemUsage {
  timestamp: number;
  fsId: FilesystemIdentifier | null;
  usedBytes: UInt64Value | null;
  inodesUsed: UInt64Value | null;
}

export interface WindowsFilesystemUsage {
  timestamp: number;
  fsId: FilesystemIdentifier | null;
  usedBytes: UInt64Value | null;
}

export interface ImageFsInfoResponse {
  imageFilesystems: FilesystemUsage[];
  containerFilesystems: FilesystemUsage[];
}

export interface ContainerStatsRequest {
  containerId: string;
}

export interface ContainerStatsResponse {
  stats: ContainerStats | null;
}

export interface ListContainerStatsRequest {
  filter: ContainerStatsFilter | null;
}

export interface ContainerStatsFilter {
  id: string;
  podSandboxId: string;
  labelSelector: Record<string, string>;
}

export interface ListContainerStatsResponse {
  stats: ContainerStats[];
}

export interface StreamContainerStatsRequest {
  filter: ContainerStatsFilter | null;
}

export interface StreamContainerStatsResponse {
  containerStats: ContainerStats[];
}

export interface ContainerAttributes {
  id: string;
  metadata: ContainerMetadata | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStats {
  attributes: ContainerAttributes | null;
  cpu: CpuUsage | null;
  memory: MemoryUsage | null;
  writableLayer: FilesystemUsage | null;
  swap: SwapUsage | null;
  io: IoUsage | null;
}

export interface WindowsContainerStats {
  attributes: ContainerAttributes | null;
  cpu: WindowsCpuUsage | null;
  memory: WindowsMemoryUsage | null;
  writableLayer: WindowsFilesystemUsage | null;
}

export interface PsiStats {
  Full: PsiData | null;
  Some: PsiData | null;
}

export interface PsiData {
  Total: number;
  Avg10: number;
  Avg60: number;
  Avg300: number;
}

export interface CpuUsage {
  timestamp: number;
  usageCoreNanoSeconds: UInt64Value | null;
  usageNanoCores: UInt64Value | null;
  psi: PsiStats | null;
}

export interface WindowsCpuUsage {
  timestamp: number;
  usageCoreNanoSeconds: UInt64Value | null;
  usageNanoCores: UInt64Value | null;
}

export interface MemoryUsage {
  timestamp: number;
  workingSetBytes: UInt64Value | null;
  availableBytes: UInt64Value | null;
  usageBytes: UInt64Value | null;
  rssBytes: UInt64Value | null;
  pageFaults: UInt64Value | null;
  majorPageFaults: UInt64Value | null;
  psi: PsiStats | null;
}

export interface IoUsage {
  timestamp: number;
  psi: PsiStats | null;
}

export interface SwapUsage {
  timestamp: number;
  swapAvailableBytes: UInt64Value | null;
  swapUsageBytes: UInt64Value | null;
}

export interface WindowsMemoryUsage {
  timestamp: number;
  workingSetBytes: UInt64Value | null;
  availableBytes: UInt64Value | null;
  pageFaults: UInt64Value | null;
  commitMemoryBytes: UInt64Value | null;
}

export interface ReopenContainerLogRequest {
  containerId: string;
}

export interface ReopenContainerLogResponse {}

export interface CheckpointContainerRequest {
  containerId: string;
  location: string;
  timeout: number;
}

export interface CheckpointContainerResponse {}

export interface GetEventsRequest {}

export interface ContainerEventResponse {
  containerId: string;
  containerEventType: ContainerEventType;
  createdAt: number;
  podSandboxStatus: PodSandboxStatus | null;
  containersStatuses: ContainerStatus[];
}

export type ContainerEventType =
  | 'CONTAINER_CREATED_EVENT'
  | 'CONTAINER_STARTED_EVENT'
  | 'CONTAINER_STOPPED_EVENT'
  | 'CONTAINER_DELETED_EVENT';

export interface ListMetricDescriptorsRequest {}

export interface ListMetricDescriptorsResponse {
  descriptors: MetricDescriptor[];
}

export interface MetricDescriptor {
  name: string;
  help: string;
  labelKeys: string[];
}

export interface ListPodSandboxMetricsRequest {}

export interface ListPodSandboxMetricsResponse {
  podMetrics: PodSandboxMetrics[];
}

export interface StreamPodSandboxMetricsRequest {}

export interface StreamPodSandboxMetricsResponse {
  podSandboxMetrics: PodSandboxMetrics[];
}

export interface PodSandboxMetrics {
  podSandboxId: string;
  metrics: Metric[];
  containerMetrics: ContainerMetrics[];
}

export interface ContainerMetrics {
  containerId: string;
  metrics: Metric[];
}

export interface Metric {
  name: string;
  timestamp: number;
  metricType: MetricType;
  labelValues: string[];
  value: UInt64Value | null;
}

export type MetricType =
  | 'COUNTER'
  | 'GAUGE';

export interface RuntimeConfigRequest {}

export interface RuntimeConfigResponse {
  linux: LinuxRuntimeConfiguration | null;
}

export interface LinuxRuntimeConfiguration {
  cgroupDriver: CgroupDriver;
}

export type CgroupDriver =
  | 'SYSTEMD'
  | 'CGROUPFS';

export interface UpdatePodSandboxResourcesRequest {
  podSandboxId: string;
  overhead: LinuxContainerResources | null;
  resources: LinuxContainerResources | null;
}

export interface UpdatePodSandboxResourcesResponse {}

// Services ----------------------------------------------------------------------------------------

/*
 * Each method by the name grpc-js clients and handlers use (lowerCamel), with its gRPC path, its
 * request and response messages and which of them stream.
 */

export interface RuntimeServiceService {
  /** tsrund: runtime_name "tsrun", runtime_version its own release, runtime_api_version "v1". */
  version: {
    path: '/runtime.v1.RuntimeService/Version';
    request: VersionRequest;
    response: VersionResponse;
    requestStream: false;
    responseStream: false;
  };
  runPodSandbox: {
    path: '/runtime.v1.RuntimeService/RunPodSandbox';
    request: RunPodSandboxRequest;
    response: RunPodSandboxResponse;
    requestStream: false;
    responseStream: false;
  };
  stopPodSandbox: {
    path: '/runtime.v1.RuntimeService/StopPodSandbox';
    request: StopPodSandboxRequest;
    response: StopPodSandboxResponse;
    requestStream: false;
    responseStream: false;
  };
  removePodSandbox: {
    path: '/runtime.v1.RuntimeService/RemovePodSandbox';
    request: RemovePodSandboxRequest;
    response: RemovePodSandboxResponse;
    requestStream: false;
    responseStream: false;
  };
  podSandboxStatus: {
    path: '/runtime.v1.RuntimeService/PodSandboxStatus';
    request: PodSandboxStatusRequest;
    response: PodSandboxStatusResponse;
    requestStream: false;
    responseStream: false;
  };
  listPodSandbox: {
    path: '/runtime.v1.RuntimeService/ListPodSandbox';
    request: ListPodSandboxRequest;
    response: ListPodSandboxResponse;
    requestStream: false;
    responseStream: false;
  };
  streamPodSandboxes: {
    path: '/runtime.v1.RuntimeService/StreamPodSandboxes';
    request: StreamPodSandboxesRequest;
    response: StreamPodSandboxesResponse;
    requestStream: false;
    responseStream: true;
  };
  createContainer: {
    path: '/runtime.v1.RuntimeService/CreateContainer';
    request: CreateContainerRequest;
    response: CreateContainerResponse;
    requestStream: false;
    responseStream: false;
  };
  startContainer: {
    path: '/runtime.v1.RuntimeService/StartContainer';
    request: StartContainerRequest;
    response: StartContainerResponse;
    requestStream: false;
    responseStream: false;
  };
  stopContainer: {
    path: '/runtime.v1.RuntimeService/StopContainer';
    request: StopContainerRequest;
    response: StopContainerResponse;
    requestStream: false;
    responseStream: false;
  };
  removeContainer: {
    path: '/runtime.v1.RuntimeService/RemoveContainer';
    request: RemoveContainerRequest;
    response: RemoveContainerResponse;
    requestStream: false;
    responseStream: false;
  };
  listContainers: {
    path: '/runtime.v1.RuntimeService/ListContainers';
    request: ListContainersRequest;
    response: ListContainersResponse;
    requestStream: false;
    responseStream: false;
  };
  streamContainers: {
    path: '/runtime.v1.RuntimeService/StreamContainers';
    request: StreamContainersRequest;
    response: StreamContainersResponse;
    requestStream: false;
    responseStream: true;
  };
  containerStatus: {
    path: '/runtime.v1.RuntimeService/ContainerStatus';
    request: ContainerStatusRequest;
    response: ContainerStatusResponse;
    requestStream: false;
    responseStream: false;
  };
  updateContainerResources: {
    path: '/runtime.v1.RuntimeService/UpdateContainerResources';
    request: UpdateContainerResourcesRequest;
    response: UpdateContainerResourcesResponse;
    requestStream: false;
    responseStream: false;
  };
  reopenContainerLog: {
    path: '/runtime.v1.RuntimeService/ReopenContainerLog';
    request: ReopenContainerLogRequest;
    response: ReopenContainerLogResponse;
    requestStream: false;
    responseStream: false;
  };
  execSync: {
    path: '/runtime.v1.RuntimeService/ExecSync';
    request: ExecSyncRequest;
    response: ExecSyncResponse;
    requestStream: false;
    responseStream: false;
  };
  exec: {
    path: '/runtime.v1.RuntimeService/Exec';
    request: ExecRequest;
    response: ExecResponse;
    requestStream: false;
    responseStream: false;
  };
  attach: {
    path: '/runtime.v1.RuntimeService/Attach';
    request: AttachRequest;
    response: AttachResponse;
    requestStream: false;
    responseStream: false;
  };
  portForward: {
    path: '/runtime.v1.RuntimeService/PortForward';
    request: PortForwardRequest;
    response: PortForwardResponse;
    requestStream: false;
    responseStream: false;
  };
  containerStats: {
    path: '/runtime.v1.RuntimeService/ContainerStats';
    request: ContainerStatsRequest;
    response: ContainerStatsResponse;
    requestStream: false;
    responseStream: false;
  };
  listContainerStats: {
    path: '/runtime.v1.RuntimeService/ListContainerStats';
    request: ListContainerStatsRequest;
    response: ListContainerStatsResponse;
    requestStream: false;
    responseStream: false;
  };
  streamContainerStats: {
    path: '/runtime.v1.RuntimeService/StreamContainerStats';
    request: StreamContainerStatsRequest;
    response: StreamContainerStatsResponse;
    requestStream: false;
    responseStream: true;
  };
  podSandboxStats: {
    path: '/runtime.v1.RuntimeService/PodSandboxStats';
    request: PodSandboxStatsRequest;
    response: PodSandboxStatsResponse;
    requestStream: false;
    responseStream: false;
  };
  listPodSandboxStats: {
    path: '/runtime.v1.RuntimeService/ListPodSandboxStats';
    request: ListPodSandboxStatsRequest;
    response: ListPodSandboxStatsResponse;
    requestStream: false;
    responseStream: false;
  };
  streamPodSandboxStats: {
    path: '/runtime.v1.RuntimeService/StreamPodSandboxStats';
    request: StreamPodSandboxStatsRequest;
    response: StreamPodSandboxStatsResponse;
    requestStream: false;
    responseStream: true;
  };
  /** tsrund keeps the pod CIDR (under --root, across restarts) and reports it in Status's verbose info. */
  updateRuntimeConfig: {
    path: '/runtime.v1.RuntimeService/UpdateRuntimeConfig';
    request: UpdateRuntimeConfigRequest;
    response: UpdateRuntimeConfigResponse;
    requestStream: false;
    responseStream: false;
  };
  /** tsrund: NetworkReady is false, reason NetworkPluginNotReady, while --cni-conf-dir holds no network list; verbose adds info["config"], tsrund's CRI settings as JSON. */
  status: {
    path: '/runtime.v1.RuntimeService/Status';
    request: StatusRequest;
    response: StatusResponse;
    requestStream: false;
    responseStream: false;
  };
  /** tsrund has no checkpoint support (no CRIU): always UNIMPLEMENTED, with a message saying so. */
  checkpointContainer: {
    path: '/runtime.v1.RuntimeService/CheckpointContainer';
    request: CheckpointContainerRequest;
    response: CheckpointContainerResponse;
    requestStream: false;
    responseStream: false;
  };
  getContainerEvents: {
    path: '/runtime.v1.RuntimeService/GetContainerEvents';
    request: GetEventsRequest;
    response: ContainerEventResponse;
    requestStream: false;
    responseStream: true;
  };
  listMetricDescriptors: {
    path: '/runtime.v1.RuntimeService/ListMetricDescriptors';
    request: ListMetricDescriptorsRequest;
    response: ListMetricDescriptorsResponse;
    requestStream: false;
    responseStream: false;
  };
  listPodSandboxMetrics: {
    path: '/runtime.v1.RuntimeService/ListPodSandboxMetrics';
    request: ListPodSandboxMetricsRequest;
    response: ListPodSandboxMetricsResponse;
    requestStream: false;
    responseStream: false;
  };
  streamPodSandboxMetrics: {
    path: '/runtime.v1.RuntimeService/StreamPodSandboxMetrics';
    request: StreamPodSandboxMetricsRequest;
    response: StreamPodSandboxMetricsResponse;
    requestStream: false;
    responseStream: true;
  };
  /** tsrund drives cgroups through cgroupfs: the answer is always CGROUPFS. */
  runtimeConfig: {
    path: '/runtime.v1.RuntimeService/RuntimeConfig';
    request: RuntimeConfigRequest;
    response: RuntimeConfigResponse;
    requestStream: false;
    responseStream: false;
  };
  updatePodSandboxResources: {
    path: '/runtime.v1.RuntimeService/UpdatePodSandboxResources';
    request: UpdatePodSandboxResourcesRequest;
    response: UpdatePodSandboxResourcesResponse;
    requestStream: false;
    responseStream: false;
  };
}

export interface ImageServiceService {
  /** The images of tsrund's own store (the Images service sees the same ones), one per image id: its names grouped. */
  listImages: {
    path: '/runtime.v1.ImageService/ListImages';
    request: ListImagesRequest;
    response: ListImagesResponse;
    requestStream: false;
    responseStream: false;
  };
  streamImages: {
    path: '/runtime.v1.ImageService/StreamImages';
    request: StreamImagesRequest;
    response: StreamImagesResponse;
    requestStream: false;
    responseStream: true;
  };
  /** The image is looked up by name, by repository@digest, or by id (the config digest, with or without "sha256:"). */
  imageStatus: {
    path: '/runtime.v1.ImageService/ImageStatus';
    request: ImageStatusRequest;
    response: ImageStatusResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Registry mirrors (--registry-mirror, --registry-config-dir) are tried before the registry; image_ref is the image id. */
  pullImage: {
    path: '/runtime.v1.ImageService/PullImage';
    request: PullImageRequest;
    response: PullImageResponse;
    requestStream: false;
    responseStream: false;
  };
  /** Removes every name of the image it resolves to; an image that is not there is no error. */
  removeImage: {
    path: '/runtime.v1.ImageService/RemoveImage';
    request: RemoveImageRequest;
    response: RemoveImageResponse;
    requestStream: false;
    responseStream: false;
  };
  /** The filesystem holding tsrund's content store and unpacked layers (--root). */
  imageFsInfo: {
    path: '/runtime.v1.ImageService/ImageFsInfo';
    request: ImageFsInfoRequest;
    response: ImageFsInfoResponse;
    requestStream: false;
    responseStream: false;
  };
}

/** Every service of runtime.v1, by name. */
export interface ApiServices {
  RuntimeService: RuntimeServiceService;
  ImageService: ImageServiceService;
}
