/**
 * The Networks service of the API (api/v1/networks.proto) over the network manager
 * (network/manager.ts): each request's fields checked, then the manager, whose answers become API
 * messages here (also a container's network status, for the Containers service).
 */
import type {
  ConnectNetworkRequest,
  ContainerNetworkStatus,
  CreateNetworkRequest,
  DisconnectNetworkRequest,
  Network,
  NetworkEndpoint,
} from '../api/types';
import { timestampFromRfc3339 } from '../api/timestamp';
import { checkId } from '../containers/id';
import { checkLabels } from '../containers/record-checks';
import type { NetworkInfo } from '../network/manager';
import type { Attachment, Endpoint } from '../network/types';
import { invalidArgument } from '../shared/errors';
import type { Supervisor } from './supervisor';
import { unary, type UnaryHandler } from './handlers';

/**
 * What the services call of the network manager (network/manager.ts's NetworkManager satisfies
 * it), which checks what only it knows the rules of (network names, subnets, aliases). Failures
 * are TsrunErrors: INVALID_ARGUMENT naming the field, NOT_FOUND for a network or attachment that
 * does not exist, ALREADY_EXISTS for a name in use, FAILED_PRECONDITION for a network in use or
 * not tsrund's.
 */
export interface NetworkManagerApi {
  create(req: { name: string; subnet: string; gateway: string; internal: boolean; labels: Record<string, string> }): NetworkInfo;
  /** By name or by a unique prefix of its id. */
  get(nameOrIdPrefix: string): NetworkInfo;
  list(): NetworkInfo[];
  remove(name: string): Promise<void>;
  connect(containerId: string, network: string, aliases: string[]): Promise<Endpoint>;
  disconnect(containerId: string, network: string): Promise<void>;
  /** Where the container's task is attached; null without a task (or before one is networked). */
  attachment(containerId: string): Attachment | null;
}

/** Longest network name or id (networks.proto): a longer reference names none. */
const MAX_NETWORK_REF = 64;

/** A network named by a request: given, and not longer than any name or id. */
function checkNetworkRef(field: string, ref: string): void {
  if (ref === '') throw invalidArgument(field, 'a network name is required');
  if (ref.length > MAX_NETWORK_REF) throw invalidArgument(field, `is ${ref.length} characters long; a network name or id has at most ${MAX_NETWORK_REF}`);
}

export function networksService(s: Supervisor): Record<string, UnaryHandler> {
  return {
    create: unary(s.log, 'Networks.Create', (req: CreateNetworkRequest) => {
      checkNetworkRef('name', req.name);
      if (req.gateway !== '' && req.subnet === '') throw invalidArgument('gateway', 'give the subnet it is in too');
      checkLabels('labels', req.labels);
      const { name, subnet, gateway, internal, labels } = req;
      return { network: apiNetwork(s.networks.create({ name, subnet, gateway, internal, labels })) };
    }),
    get: unary(s.log, 'Networks.Get', (req: { name: string }) => {
      checkNetworkRef('name', req.name);
      return { network: apiNetwork(s.networks.get(req.name)) };
    }),
    list: unary(s.log, 'Networks.List', () => ({
      networks: s.networks
        .list()
        .map(apiNetwork)
        .sort((a, b) => (a.name < b.name ? -1 : 1)),
    })),
    delete: unary(s.log, 'Networks.Delete', async (req: { name: string }) => {
      checkNetworkRef('name', req.name);
      await s.networks.remove(req.name);
      return {};
    }),
    connect: unary(s.log, 'Networks.Connect', async (req: ConnectNetworkRequest) => {
      checkNetworkRef('network', req.network);
      checkId(req.containerId, 'container_id');
      return { endpoint: apiEndpoint(req.containerId, await s.networks.connect(req.containerId, req.network, req.aliases)) };
    }),
    disconnect: unary(s.log, 'Networks.Disconnect', async (req: DisconnectNetworkRequest) => {
      checkNetworkRef('network', req.network);
      checkId(req.containerId, 'container_id');
      await s.networks.disconnect(req.containerId, req.network);
      return {};
    }),
  };
}

export function apiNetwork(n: NetworkInfo): Network {
  const m = n.managed;
  const addressing = m ? { subnet: m.subnet, gateway: m.gateway } : listedAddressing(n.configList);
  return {
    name: n.name,
    id: n.id,
    driver: n.driver,
    ...addressing,
    internal: m?.internal ?? false,
    labels: m?.labels ?? {},
    createdAt: m ? timestampFromRfc3339(m.createdAt) : null,
    managed: m !== null,
    bridge: m?.bridge ?? '',
    configFile: n.configFile,
    endpoints: [...n.endpoints].sort((a, b) => (a.containerId < b.containerId ? -1 : 1)).map((e) => apiEndpoint(e.containerId, e)),
  };
}

function apiEndpoint(containerId: string, e: Endpoint): NetworkEndpoint {
  return { containerId, interface: e.ifName, ipv4Address: e.ipv4, macAddress: e.mac, aliases: e.aliases };
}

/** Containers.Get's network_status: null for a container whose task has no network set up. */
export function apiNetworkStatus(a: Attachment | null): ContainerNetworkStatus | null {
  if (a === null) return null;
  return {
    // In another container's network namespace, the task has none of its own.
    netnsPath: a.mode === 'container' ? '' : a.netnsPath,
    endpoints: a.endpoints.map((e) => apiEndpoint(a.containerId, e)),
    ports: a.ports.map(({ hostIp, hostPort, containerPort, protocol }) => ({ hostIp, hostPort, containerPort, protocol })),
    hostname: a.hostname,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * The subnet and gateway a list tsrund did not write says, as host-local IPAM takes them: the
 * first plugin with an `ipam` section, its `subnet`/`gateway` or its first range's ("" when none).
 */
function listedAddressing(list: Record<string, unknown>): { subnet: string; gateway: string } {
  const plugins = Array.isArray(list.plugins) ? list.plugins : [list];
  const ipam = plugins.map((p) => (isRecord(p) && isRecord(p.ipam) ? p.ipam : null)).find((i) => i !== null);
  if (!ipam) return { subnet: '', gateway: '' };
  const firstSet = Array.isArray(ipam.ranges) && Array.isArray(ipam.ranges[0]) ? ipam.ranges[0] : [];
  const range = isRecord(firstSet[0]) ? firstSet[0] : {};
  return { subnet: text(ipam.subnet) || text(range.subnet), gateway: text(ipam.gateway) || text(range.gateway) };
}
