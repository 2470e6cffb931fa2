/**
 * A container's network request (ProcessOverrides.network) checked and put in the shape the
 * network manager sets up: which mode, which networks with which aliases, the ports, the names
 * and the DNS settings. Pure; a bad entry is INVALID_ARGUMENT naming its request field.
 */
import * as net from 'net';
import type { NetworkOverrides } from '../api/types';
import { checkHostName, parseAddHost } from './etc-files';
import { checkPortMappings } from './ports';
import { DEFAULT_NETWORK } from './store';
import type { Attachment, PortMapping } from './types';
import { invalidArgument } from '../shared/errors';

export interface TaskNetworkRequest {
  mode: Attachment['mode'];
  /** For mode "networks": in order (the first gets eth0 and the published ports). */
  networks: Array<{ name: string; aliases: string[] }>;
  /** For mode "container": the container whose task's network namespace is joined. */
  peer: string;
  ports: PortMapping[];
  publishAll: boolean;
  /** "" : the first 12 characters of the container's id. */
  hostname: string;
  extraHosts: Array<{ name: string; address: string }>;
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

const CONTAINER_MODE = 'container:';
/** What sethostname(2) takes. */
const MAX_HOSTNAME = 64;

/** What an image container without network overrides gets: the default network. */
/** Network overrides that ask for nothing: the default network, no ports, no DNS changes. */
export const NO_OVERRIDES: NetworkOverrides = { networks: [], ports: [], publishAll: false, hostname: '', addHosts: [], dns: [], dnsSearch: [], dnsOptions: [] };

/**
 * The network a container's task gets; null when its config's own network namespace stays as it
 * is (a bundle container given no network overrides).
 */
export function taskNetworkRequest(c: { image: string; overrides: { network: NetworkOverrides | null } | null }): TaskNetworkRequest | null {
  const o = c.overrides?.network ?? null;
  if (!o && c.image === '') return null;
  return parseNetworkOverrides(o ?? NO_OVERRIDES, 'overrides.network');
}

export function parseNetworkOverrides(o: NetworkOverrides, field: string): TaskNetworkRequest {
  const entries = o.networks.length === 0 ? [{ network: DEFAULT_NETWORK, aliases: [] }] : o.networks;
  const names = entries.map((e, i) => {
    const name = e.network === '' ? DEFAULT_NETWORK : e.network;
    if (name === 'none' || name === 'host' || name.startsWith(CONTAINER_MODE)) {
      if (entries.length > 1) throw invalidArgument(`${field}.networks[${i}].network`, `"${name}" cannot be combined with other networks`);
      if (e.aliases.length > 0) throw invalidArgument(`${field}.networks[${i}].aliases`, `aliases need a network to be known on, not "${name}"`);
    }
    e.aliases.forEach((a, j) => checkHostName(a, `${field}.networks[${i}].aliases[${j}]`));
    if (entries.findIndex((other) => (other.network || DEFAULT_NETWORK) === name) !== i) throw invalidArgument(`${field}.networks[${i}].network`, `network ${name} is given twice`);
    return name;
  });
  const first = names[0];
  const mode: Attachment['mode'] = first === 'none' ? 'none' : first === 'host' ? 'host' : first.startsWith(CONTAINER_MODE) ? 'container' : 'networks';
  const peer = mode === 'container' ? first.slice(CONTAINER_MODE.length) : '';
  if (mode === 'container' && peer === '') throw invalidArgument(`${field}.networks[0].network`, 'container: needs the id of the container whose network to join');
  const ports = checkPortMappings(o.ports, `${field}.ports`);
  if (mode !== 'networks' && (ports.length > 0 || o.publishAll)) throw invalidArgument(`${field}.ports`, `ports are published on a network, not with "${first}"`);
  if (o.hostname !== '') {
    if (mode === 'container') throw invalidArgument(`${field}.hostname`, 'a container in another container\'s network has that one\'s hostname');
    checkHostName(o.hostname, `${field}.hostname`, MAX_HOSTNAME);
  }
  o.dns.forEach((d, i) => {
    if (net.isIP(d) === 0) throw invalidArgument(`${field}.dns[${i}]`, `${JSON.stringify(d)} is not an IP address`);
  });
  return {
    mode,
    networks: mode === 'networks' ? names.map((name, i) => ({ name, aliases: [...entries[i].aliases] })) : [],
    peer,
    ports,
    publishAll: o.publishAll,
    hostname: o.hostname,
    extraHosts: o.addHosts.map((h, i) => parseAddHost(h, `${field}.add_hosts[${i}]`)),
    dns: [...o.dns],
    dnsSearch: [...o.dnsSearch],
    dnsOptions: [...o.dnsOptions],
  };
}
