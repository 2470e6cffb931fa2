/**
 * IPv4 subnets of tsrund's managed networks: parsing with errors naming the request field,
 * overlap, the host's routes (what a new network must not clash with), the choice of a free
 * subnet from a pool, and gateways. Addresses are handled as unsigned 32-bit numbers; all of it
 * is pure but for hostIpv4Routes, which reads /proc/net/route.
 */
import * as fs from 'fs';
import * as os from 'os';
import { invalidArgument } from '../shared/errors';

export interface Ipv4Cidr {
  /** The address as written ("10.1.2.3" of "10.1.2.3/24"). */
  address: string;
  prefix: number;
  /** The network it is in, as a CIDR ("10.1.2.0/24"). */
  network: string;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** "10.1.2.3" as a number; null unless four decimal octets 0-255 (no leading zeros: "010" reads as octal elsewhere). */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

/** The netmask of a prefix length as a number (0 for /0). */
function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The number of addresses in a /prefix. */
const size = (prefix: number): number => 2 ** (32 - prefix);

export function parseIpv4Cidr(text: string, field: string): Ipv4Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw invalidArgument(field, `${JSON.stringify(text)} is not an IPv4 CIDR (address/prefix, e.g. 10.1.2.0/24)`);
  const address = parseIpv4(text.slice(0, slash));
  if (address === null) throw invalidArgument(field, `${JSON.stringify(text)}: ${JSON.stringify(text.slice(0, slash))} is not an IPv4 address`);
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]?)$/.test(prefixText) || Number(prefixText) > 32) {
    throw invalidArgument(field, `${JSON.stringify(text)}: the prefix length must be 0-32, not ${JSON.stringify(prefixText)}`);
  }
  const prefix = Number(prefixText);
  return { address: formatIpv4(address), prefix, network: `${formatIpv4((address & mask(prefix)) >>> 0)}/${prefix}` };
}

/**
 * A subnet a network can be made on: a network address (no host bits: "10.1.2.3/24" is refused
 * as Docker does, naming 10.1.2.0/24) with room for a gateway and at least one container
 * (/30 at most), and not /0. Returns it canonical.
 */
export function checkSubnet(text: string, field: string): string {
  const cidr = parseIpv4Cidr(text, field);
  if (`${cidr.address}/${cidr.prefix}` !== cidr.network) {
    throw invalidArgument(field, `${text} has host bits set (its network is ${cidr.network})`);
  }
  if (cidr.prefix < 1 || cidr.prefix > 30) throw invalidArgument(field, `${text}: the prefix length of a network must be 1-30`);
  return cidr.network;
}

/** First and last address of a CIDR; `field` names it in errors. */
function range(cidr: string, field = cidr): { first: number; last: number; prefix: number } {
  const { network, prefix } = parseIpv4Cidr(cidr, field);
  const first = parseIpv4(network.slice(0, network.indexOf('/'))) as number;
  return { first, last: first + size(prefix) - 1, prefix };
}

/** Whether two CIDRs share an address (one holds the other, or they are equal). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = range(a);
  const y = range(b);
  return x.first <= y.last && y.first <= x.last;
}

/** A 32-bit number as /proc/net/route prints it (the CPU's byte order) read as a network-order address. */
function fromHostOrder(v: number, littleEndian: boolean): number {
  return littleEndian ? (((v & 255) << 24) | (((v >>> 8) & 255) << 16) | (((v >>> 16) & 255) << 8) | (v >>> 24)) >>> 0 : v >>> 0;
}

/**
 * The destinations of /proc/net/route's IPv4 routes as CIDRs ("192.0.2.0/24"), without the
 * default route (every subnet is inside it).
 */
export function parseProcNetRoute(text: string, littleEndian = os.endianness() === 'LE'): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const destination = Number.parseInt(fields[1], 16);
    const netmask = Number.parseInt(fields[7], 16);
    if (!Number.isFinite(destination) || !Number.isFinite(netmask) || netmask === 0) continue;
    const maskValue = fromHostOrder(netmask, littleEndian);
    const prefix = 32 - Math.log2(2 ** 32 - maskValue);
    // A non-contiguous netmask cannot be written as a prefix; the kernel does not make one.
    if (!Number.isInteger(prefix)) continue;
    out.add(`${formatIpv4((fromHostOrder(destination, littleEndian) & maskValue) >>> 0)}/${prefix}`);
  }
  return [...out];
}

/** The destination CIDRs of the host's IPv4 routes in tsrund's network namespace (no default route). */
export function hostIpv4Routes(): string[] {
  return parseProcNetRoute(fs.readFileSync('/proc/net/route', 'utf8'));
}

/**
 * The first /prefix subnet of `pool` (in address order) that overlaps none of `taken` (the
 * host's routes and the other networks' subnets); null when the pool has none left. A candidate
 * that hits a taken CIDR skips past its end, so a /8 pool full of /30s is a few steps, not millions.
 */
export function chooseSubnet(pool: string, prefix: number, taken: string[]): string | null {
  const p = range(pool, 'the network pool');
  if (!Number.isInteger(prefix) || prefix < p.prefix || prefix > 32) return null;
  const step = size(prefix);
  const used = taken.map((t) => range(t));
  let candidate = p.first;
  while (candidate + step - 1 <= p.last) {
    const end = candidate + step - 1;
    const hit = used.find((u) => u.first <= end && candidate <= u.last);
    if (!hit) return `${formatIpv4(candidate)}/${prefix}`;
    candidate = Math.ceil((hit.last + 1) / step) * step;
  }
  return null;
}

/** A network's first host address (10.1.2.1 of 10.1.2.0/24), which tsrund gives the bridge. */
export function defaultGateway(subnet: string): string {
  const { first } = range(subnet);
  return formatIpv4(first + 1);
}

/** A gateway must be an address of the subnet's hosts: inside it, neither its network nor its broadcast address. */
export function checkGateway(subnet: string, gateway: string, field: string): void {
  const address = parseIpv4(gateway);
  if (address === null) throw invalidArgument(field, `${JSON.stringify(gateway)} is not an IPv4 address`);
  const r = range(subnet);
  if (address < r.first || address > r.last) throw invalidArgument(field, `${gateway} is not inside the subnet ${subnet}`);
  if (r.prefix <= 30 && (address === r.first || address === r.last)) {
    throw invalidArgument(field, `${gateway} is the ${address === r.first ? 'network' : 'broadcast'} address of ${subnet}, not a host's`);
  }
}
