/**
 * The shapes the network modules hand each other: a network (a CNI configuration list, managed
 * by tsrund or found in --cni-conf-dir), a published port, and a container's attachments.
 */

/** What tsrund writes under the "tsrun" key of a managed network's .conflist (plugins ignore it). */
export interface ManagedNetworkMeta {
  /** 64 hex digits. */
  id: string;
  /** IPv4 CIDR, e.g. "10.210.3.0/24". */
  subnet: string;
  gateway: string;
  internal: boolean;
  /** The Linux bridge (at most 15 bytes). */
  bridge: string;
  labels: Record<string, string>;
  /** RFC 3339. */
  createdAt: string;
}

export interface NetworkRecord {
  name: string;
  /** For an unmanaged list: sha256 of its file's bytes. */
  id: string;
  /** The type of the list's first plugin. */
  driver: string;
  /** The .conflist file. */
  configFile: string;
  /** The parsed list (JSON), as plugins get it. */
  configList: Record<string, unknown>;
  /** null: a list tsrund did not write (used as it is, never removed by tsrund). */
  managed: ManagedNetworkMeta | null;
}

export type PortProtocol = 'tcp' | 'udp';

/** One published port; hostPort 0 until an ephemeral port is chosen. */
export interface PortMapping {
  /** "" for every host address. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: PortProtocol;
}

/** A container's attachment to one network, as CNI ADD answered. */
export interface Endpoint {
  network: string;
  /** Interface name inside the container ("eth0", "eth1", …). */
  ifName: string;
  /** CIDR, "" when the plugins gave none. */
  ipv4: string;
  mac: string;
  aliases: string[];
}

/** Everything tsrund set up for a container's task network, persisted until it is torn down. */
export interface Attachment {
  containerId: string;
  /** "bridge" covers every CNI network; the others have no CNI attachment. */
  mode: 'networks' | 'none' | 'host' | 'container';
  /** The pinned network namespace file ("" for host; the other task's for container:). */
  netnsPath: string;
  /** container:ID's ID. */
  peer: string;
  endpoints: Endpoint[];
  /** As bound (ephemeral ports resolved). */
  ports: PortMapping[];
  hostname: string;
  /** Directory holding the hosts, hostname and resolv.conf files bind-mounted into the container. */
  etcDir: string;
}
