/**
 * The network flags of `tsctl run`, in Docker's grammar, parsed into the API's NetworkOverrides:
 * `--network` (repeatable, also `name=NET,alias=A`), `--network-alias`, `-p`/`--publish`
 * ([HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp], ranges as 8000-8001:80-81), `-P`, `--hostname`,
 * `--add-host`, `--dns`, `--dns-search`, `--dns-option`. What the text can tell is checked here,
 * in one line naming the flag; tsrund checks the structured fields again (and what only it knows:
 * which networks exist, which ports are free).
 */
import * as net from 'net';
import type { FlagSpec, FlagValues } from '../../runtime/cli/args';
import { TsrunError } from '../../common/errors';
import type { NetworkAttachment, NetworkOverrides, PortMapping } from '../api/types';

export const NETWORK_RUN_FLAGS: FlagSpec[] = [
  {
    name: 'network',
    aliases: ['net'],
    kind: 'list',
    usage: 'none, host, bridge (the default), a network NAME or container:ID; repeatable; also name=NET,alias=ALIAS',
  },
  { name: 'network-alias', aliases: ['alias'], kind: 'list', usage: 'another name the container has on its (first) network (repeatable)' },
  { name: 'publish', short: 'p', kind: 'list', usage: 'publish a port: [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp], ranges as 8000-8001:80-81 (repeatable)' },
  { name: 'publish-all', short: 'P', kind: 'bool', usage: "publish every port the image exposes on an ephemeral host port", default: false },
  { name: 'hostname', kind: 'string', usage: "the container's hostname (default: the first 12 characters of its id)", default: '' },
  { name: 'add-host', kind: 'list', usage: 'NAME:IP added to /etc/hosts (repeatable)' },
  { name: 'dns', kind: 'list', usage: 'a nameserver IP for /etc/resolv.conf, replacing the network\'s (repeatable)' },
  { name: 'dns-search', kind: 'list', usage: 'a search domain for /etc/resolv.conf (repeatable)' },
  { name: 'dns-option', kind: 'list', usage: 'an option line for /etc/resolv.conf, e.g. ndots:2 (repeatable)' },
];

/** A flag's value refused: "<flag> "<value>": <why>", one line whatever the value holds. */
function badFlag(flag: string, value: string, why: string): TsrunError {
  return new TsrunError(`${flag} ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)}: ${why}`, {
    code: 'invalid-argument',
    subject: flag,
  });
}

const MAX_PORT = 65535;
const PORT_RANGE = /^(\d+)(?:-(\d+))?$/;

/** "80" or "8000-8010" as [first, last]; null when the text is not one. */
function portRange(text: string): [number, number] | null {
  const m = PORT_RANGE.exec(text);
  if (!m) return null;
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  return first <= last && last <= MAX_PORT ? [first, last] : null;
}

/**
 * One `-p` value as the port mappings it makes (a range, one per port), as docker's
 * nat.ParsePortSpec reads it: the text after the last ':' is the container port, the one before
 * it the host port, anything before that the host address. A missing host port (`80`,
 * `127.0.0.1::80`) or 0 asks tsrund for an ephemeral one.
 */
export function parsePublish(spec: string, flag = '--publish'): PortMapping[] {
  const bad = (why: string) => badFlag(flag, spec, why);
  const parts = spec.split(':');
  const containerPart = parts.pop()!;
  const hostPortText = parts.pop() ?? '';
  const hostIp = parts.join(':');
  if (hostIp.startsWith('[') || hostIp.includes(':')) throw bad('IPv6 host addresses are not supported: give an IPv4 address');
  if (hostIp !== '' && !net.isIPv4(hostIp)) throw bad(`the host address ${JSON.stringify(hostIp.slice(0, 40))} is not an IPv4 address`);
  const [portText, protoText, ...more] = containerPart.split('/');
  if (more.length > 0) throw bad('expected CONTAINER_PORT[/tcp|udp] after the last colon');
  const protocol = (protoText ?? '').toLowerCase() || 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp') throw bad(`protocol ${JSON.stringify(protoText.slice(0, 20))} is not supported: tcp or udp`);
  if (portText === '') throw bad('no container port');
  const container = portRange(portText);
  if (!container || container[0] === 0) throw bad(`the container port ${JSON.stringify(portText.slice(0, 20))} is not a port (1-65535) or a range of them (8000-8010)`);
  const host = hostPortText === '' ? null : portRange(hostPortText);
  if (hostPortText !== '' && (!host || (host[0] === 0 && host[1] !== 0))) {
    throw bad(`the host port ${JSON.stringify(hostPortText.slice(0, 20))} is not a port (1-65535, 0 for any) or a range of them`);
  }
  const count = container[1] - container[0] + 1;
  if (host && host[1] - host[0] + 1 !== count) {
    throw bad(`the host ports (${host[1] - host[0] + 1}) and the container ports (${count}) are not as many: give ranges of the same length, or no host port for ephemeral ones`);
  }
  return Array.from({ length: count }, (_, i) => ({
    hostIp,
    hostPort: host ? (host[0] === 0 ? 0 : host[0] + i) : 0,
    containerPort: container[0] + i,
    protocol,
  }));
}

/**
 * One `--network` value: a network (`NAME`, `none`, `host`, `container:ID`) or, as docker's
 * long syntax, comma-separated `name=NET` and `alias=ALIAS` fields.
 */
export function parseNetworkFlag(value: string, flag = '--network'): NetworkAttachment {
  if (!value.includes('=')) {
    if (value === '') throw badFlag(flag, value, 'give a network: none, host, bridge, a NAME or container:ID');
    return { network: value, aliases: [] };
  }
  let network: string | null = null;
  const aliases: string[] = [];
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    const [key, v] = eq < 0 ? [field, ''] : [field.slice(0, eq), field.slice(eq + 1)];
    if (v === '') throw badFlag(flag, value, `${JSON.stringify(field.slice(0, 40))} has no value: expected name=NETWORK[,alias=ALIAS...]`);
    if (key === 'name') {
      if (network !== null) throw badFlag(flag, value, 'name= given twice');
      network = v;
    } else if (key === 'alias') aliases.push(v);
    else throw badFlag(flag, value, `unknown field ${JSON.stringify(key.slice(0, 40))}: name= and alias= are supported`);
  }
  if (network === null) throw badFlag(flag, value, 'no name=NETWORK');
  return { network, aliases };
}

/** Longest hostname the kernel takes (HOST_NAME_MAX). */
const MAX_HOSTNAME = 64;
const HOSTNAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

function checkHostname(hostname: string): void {
  if (hostname.length > MAX_HOSTNAME) throw badFlag('--hostname', hostname, `is ${hostname.length} characters long; a hostname has at most ${MAX_HOSTNAME}`);
  if (!HOSTNAME.test(hostname) || hostname.includes('..')) {
    throw badFlag('--hostname', hostname, 'is not a hostname: letters, digits, - _ and dots, not starting or ending with - or a dot');
  }
}

/** `--add-host NAME:IP` (docker also takes NAME=IP) as the API's "name:address". */
function parseAddHost(entry: string): string {
  const sep = /[:=]/.exec(entry);
  const name = sep ? entry.slice(0, sep.index) : '';
  const address = sep ? entry.slice(sep.index + 1) : '';
  if (name === '' || /[\s\0]/.test(name)) throw badFlag('--add-host', entry, 'expected NAME:IP');
  if (net.isIP(address) === 0) throw badFlag('--add-host', entry, `${JSON.stringify(address.slice(0, 40))} is not an IP address`);
  return `${name}:${address}`;
}

/** A resolv.conf word (search domain, option): nothing that would break its line. */
function checkResolvWord(flag: string, word: string): void {
  if (word === '' || /[\s\0]/.test(word)) throw badFlag(flag, word, 'must be one word without spaces');
}

/** The network part of `tsctl run`'s overrides from its flags; null when no network flag was given. */
export function networkOverrides(f: FlagValues): NetworkOverrides | null {
  const list = (name: string) => (f[name] as string[] | undefined) ?? [];
  const networks = list('network').map((v) => parseNetworkFlag(v));
  const seen = new Set<string>();
  for (const n of networks) {
    if (seen.has(n.network)) throw badFlag('--network', n.network, 'given twice');
    seen.add(n.network);
  }
  const aliases = list('network-alias');
  if (aliases.length > 0) {
    // As docker: the aliases are the first network's ("" is the default network).
    if (networks.length === 0) networks.push({ network: '', aliases: [] });
    if (networks[0].aliases.length > 0) throw badFlag('--network-alias', aliases[0], `--network ${networks[0].network} gives its aliases already (alias=)`);
    networks[0].aliases = aliases;
  }
  const hostname = (f.hostname as string | undefined) ?? '';
  if (hostname !== '') checkHostname(hostname);
  const dns = list('dns');
  for (const d of dns) if (net.isIP(d) === 0) throw badFlag('--dns', d, 'is not an IP address');
  for (const d of list('dns-search')) checkResolvWord('--dns-search', d);
  for (const d of list('dns-option')) checkResolvWord('--dns-option', d);
  const o: NetworkOverrides = {
    networks,
    ports: list('publish').flatMap((p) => parsePublish(p)),
    publishAll: f['publish-all'] === true,
    hostname,
    addHosts: list('add-host').map(parseAddHost),
    dns,
    dnsSearch: list('dns-search'),
    dnsOptions: list('dns-option'),
  };
  const given = o.networks.length + o.ports.length + o.addHosts.length + o.dns.length + o.dnsSearch.length + o.dnsOptions.length > 0;
  return given || o.publishAll || o.hostname !== '' ? o : null;
}
