/**
 * The /etc/hosts, /etc/hostname and /etc/resolv.conf a networked container gets, as Docker
 * (libnetwork's etchosts and resolvconf packages) writes them: the loopback and IPv6 lines, the
 * --add-host entries and the container's own address(es) with its hostname; for a network with
 * the embedded DNS server its address alone as nameserver, otherwise the host's resolv.conf
 * without its loopback nameservers (unreachable from the container's namespace). Every name and
 * address is checked before it is written: a newline or NUL would add lines of its own.
 * Pure but for writeEtcFiles.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { invalidArgument } from '../../common/errors';

/** Docker's fixed lines, in its order. */
const DEFAULT_HOSTS: Array<[string, string]> = [
  ['127.0.0.1', 'localhost'],
  ['::1', 'localhost ip6-localhost ip6-loopback'],
  ['fe00::0', 'ip6-localnet'],
  ['ff00::0', 'ip6-mcastprefix'],
  ['ff02::1', 'ip6-allnodes'],
  ['ff02::2', 'ip6-allrouters'],
];

/** Docker's nameservers when the host's leave none the container can reach (libnetwork resolvconf). */
const FALLBACK_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

/** HOST_NAME_MAX: what sethostname(2) takes. */
const HOSTNAME_MAX = 64;
/** A full domain name's text (RFC 1035: 255 bytes on the wire). */
const NAME_MAX = 253;
/** Labels of letters, digits, '-' and '_' (container names have underscores) between dots. */
const NAME_PATTERN = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;
/** A resolv.conf option ("ndots:2", "edns0", "timeout:1"). */
const OPTION_PATTERN = /^[A-Za-z0-9_.:-]+$/;

/** Throws invalid-argument naming `field` unless `name` is a host name fit for a hosts line. */
export function checkHostName(name: string, field: string, max = NAME_MAX): void {
  if (name.length === 0) throw invalidArgument(field, 'must not be empty');
  if (name.length > max) throw invalidArgument(field, `${JSON.stringify(name.slice(0, 80))} is longer than ${max} characters`);
  if (!NAME_PATTERN.test(name)) {
    throw invalidArgument(field, `${JSON.stringify(name)} is not a host name (letters, digits, '-', '_' and dots between labels)`);
  }
}

/** The address of `text` ("10.0.0.2", or a CIDR "10.0.0.2/24" as CNI results give it). */
function plainAddress(text: string, field: string): string {
  const address = /^[^/]+\/\d{1,3}$/.test(text) ? text.slice(0, text.indexOf('/')) : text;
  if (net.isIP(address) === 0) throw invalidArgument(field, `${JSON.stringify(text)} is not an IP address`);
  return address;
}

/**
 * /etc/hosts: Docker's fixed lines, then each --add-host entry, then the container's own
 * address(es) with its hostname ("web.example.com web" for a dotted one).
 */
export function hostsFile(o: { hostname: string; addresses: string[]; extraHosts: Array<{ name: string; address: string }> }): string {
  checkHostName(o.hostname, 'hostname', HOSTNAME_MAX);
  const lines = DEFAULT_HOSTS.map(([address, names]) => `${address}\t${names}`);
  o.extraHosts.forEach((h, i) => {
    checkHostName(h.name, `extraHosts[${i}].name`);
    lines.push(`${plainAddress(h.address, `extraHosts[${i}].address`)}\t${h.name}`);
  });
  const dot = o.hostname.indexOf('.');
  const names = dot > 0 ? `${o.hostname} ${o.hostname.slice(0, dot)}` : o.hostname;
  o.addresses.forEach((a, i) => lines.push(`${plainAddress(a, `addresses[${i}]`)}\t${names}`));
  return lines.join('\n') + '\n';
}

export function hostnameFile(hostname: string): string {
  checkHostName(hostname, 'hostname', HOSTNAME_MAX);
  return `${hostname}\n`;
}

/** What a resolv.conf says (resolv.conf(5): the last search or domain line wins; options add up). */
export interface ResolvSettings {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** The settings of a resolv.conf's text (the host's nameservers are the embedded server's default upstreams). */
export function parseResolvConf(text: string): ResolvSettings {
  const settings: ResolvSettings = { nameservers: [], search: [], options: [] };
  for (const line of text.split('\n')) {
    const [keyword, ...values] = line.trim().split(/\s+/);
    if (keyword === 'nameserver' && values.length > 0) settings.nameservers.push(values[0]);
    else if (keyword === 'search' || keyword === 'domain') settings.search = values;
    else if (keyword === 'options') settings.options.push(...values);
  }
  return settings;
}

/**
 * A nameserver the container cannot use: loopback (the host's own, e.g. systemd-resolved's
 * 127.0.0.53) and IPv6 ones (the container's networks are IPv4 only), as Docker drops them.
 */
function unreachableFromContainer(address: string): boolean {
  return net.isIP(address) !== 4 || address.startsWith('127.');
}

const NAMESERVER_LINE = /^\s*nameserver\s+(\S+)/;

/** The checked overrides: --dns (addresses), --dns-search (names, or "."), --dns-option. */
function checkOverrides(o: { nameservers: string[]; search: string[]; options: string[] }): void {
  o.nameservers.forEach((a, i) => {
    if (net.isIP(a) === 0) throw invalidArgument(`dns[${i}]`, `${JSON.stringify(a)} is not an IP address`);
  });
  o.search.forEach((s, i) => {
    if (s !== '.') checkHostName(s, `dnsSearch[${i}]`);
  });
  o.options.forEach((s, i) => {
    if (!OPTION_PATTERN.test(s)) throw invalidArgument(`dnsOption[${i}]`, `${JSON.stringify(s)} is not a resolver option`);
  });
}

/** libnetwork's resolvconf.Build: search, nameservers, options; a search of "." is none. */
function buildResolvConf(s: ResolvSettings): string {
  const lines: string[] = [];
  if (s.search.length > 0 && s.search.join(' ').trim() !== '.') lines.push(`search ${s.search.join(' ')}`);
  for (const a of s.nameservers) lines.push(`nameserver ${a}`);
  if (s.options.length > 0) lines.push(`options ${s.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/**
 * /etc/resolv.conf from the host's (`host`, its text) and the container's --dns, --dns-search
 * and --dns-option (`nameservers`, `search`, `options`: empty for none given). With the embedded
 * DNS server (`embeddedDns`, its address) that server is the only nameserver, with option
 * ndots:0 unless an ndots is given, as Docker's internal resolver does. Otherwise, with no
 * override, the host's file with the unusable nameservers removed (Google's public ones in
 * their place when none is left, Docker's fallback); with one, the parts given replace the host's.
 */
export function resolvConf(o: { host: string; nameservers: string[]; search: string[]; options: string[]; embeddedDns: string | null }): string {
  checkOverrides(o);
  const host = parseResolvConf(o.host);
  const search = o.search.length > 0 ? o.search : host.search;
  if (o.embeddedDns !== null) {
    if (net.isIP(o.embeddedDns) === 0) throw invalidArgument('embeddedDns', `${JSON.stringify(o.embeddedDns)} is not an IP address`);
    // The host's ndots is for the host's resolvers; the embedded server answers short names itself.
    const options = o.options.length > 0 ? [...o.options] : host.options.filter((opt) => !opt.startsWith('ndots:'));
    if (!options.some((opt) => opt.startsWith('ndots:'))) options.push('ndots:0');
    return buildResolvConf({ nameservers: [o.embeddedDns], search, options });
  }
  const usable = host.nameservers.filter((a) => !unreachableFromContainer(a));
  if (o.nameservers.length === 0 && o.search.length === 0 && o.options.length === 0) {
    const kept = o.host
      .split('\n')
      .filter((line) => {
        const m = NAMESERVER_LINE.exec(line);
        return !m || !unreachableFromContainer(m[1]);
      })
      .join('\n');
    const text = kept.length === 0 || kept.endsWith('\n') ? kept : `${kept}\n`;
    return usable.length > 0 ? text : text + FALLBACK_NAMESERVERS.map((a) => `nameserver ${a}\n`).join('');
  }
  return buildResolvConf({
    nameservers: o.nameservers.length > 0 ? o.nameservers : usable.length > 0 ? usable : FALLBACK_NAMESERVERS,
    search,
    options: o.options.length > 0 ? o.options : host.options,
  });
}

/**
 * --add-host "name:address" (or Docker's "name=address"; an IPv6 address may be in brackets).
 * Docker's special address host-gateway is refused: tsrun has no host gateway address to give.
 */
export function parseAddHost(entry: string, field: string): { name: string; address: string } {
  const at = entry.search(/[:=]/);
  if (at <= 0) throw invalidArgument(field, `${JSON.stringify(entry)} is not NAME:ADDRESS`);
  const name = entry.slice(0, at);
  let address = entry.slice(at + 1);
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  checkHostName(name, field);
  if (address === 'host-gateway') throw invalidArgument(field, 'the address host-gateway is not supported: give the host address itself');
  if (net.isIP(address) === 0) throw invalidArgument(field, `${JSON.stringify(address)} is not an IP address`);
  return { name, address };
}

/** The three files into `dir` (made if missing), each replaced atomically (rename), mode 0644. */
export function writeEtcFiles(dir: string, files: { hosts: string; hostname: string; resolvConf: string }): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const entries: Array<[string, string]> = [
    ['hosts', files.hosts],
    ['hostname', files.hostname],
    ['resolv.conf', files.resolvConf],
  ];
  for (const [name, text] of entries) {
    const target = path.join(dir, name);
    const temporary = path.join(dir, `.${name}.${process.pid}.tmp`);
    try {
      fs.writeFileSync(temporary, text, { mode: 0o644 });
      // The umask may have taken bits off: the container's processes must all read it.
      fs.chmodSync(temporary, 0o644);
      fs.renameSync(temporary, target);
    } catch (err) {
      fs.rmSync(temporary, { force: true });
      throw err;
    }
  }
}
