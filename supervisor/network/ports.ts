/**
 * Published ports: the API's mappings checked (errors naming the field), an image's
 * ExposedPorts as mappings for -P, and the host ports tsrund hands out. portmap only writes DNAT
 * rules, it binds nothing, so the allocator is what refuses a port another container publishes
 * or a process on the host listens on, and what picks ephemeral ports (from the kernel's
 * ip_local_port_range, as Docker does) that are really free.
 */
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as net from 'net';
import type { PortMapping as ApiPortMapping } from '../api/generated/types';
import { failedPrecondition, invalidArgument, TsrunError } from '../shared/errors';
import { parseIpv4 } from './subnets';
import type { PortMapping, PortProtocol } from './types';

const PROTOCOLS: readonly PortProtocol[] = ['tcp', 'udp'];

function checkPort(value: number, field: string, allowZero: boolean): number {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1) || value > 65535) {
    throw invalidArgument(field, `${value} is not a port (${allowZero ? '0 for an ephemeral port, or ' : ''}1-65535)`);
  }
  return value;
}

/** The host address as portmap takes it: "" for every address ("0.0.0.0" too). */
function checkHostIp(text: string, field: string): string {
  if (text === '' || text === '0.0.0.0') return '';
  if (parseIpv4(text) === null) throw invalidArgument(field, `${JSON.stringify(text)} is not an IPv4 address`);
  return text;
}

/** How a mapping's host side reads in messages: "8080/tcp on 127.0.0.1" ("on every address" for ""). */
const hostSide = (m: PortMapping): string => `${m.hostPort}/${m.protocol} on ${m.hostIp === '' ? 'every address' : m.hostIp}`;

/** Two host sides that cannot both be bound: one port and protocol, and one address or every address. */
const clash = (a: PortMapping, b: PortMapping): boolean =>
  a.hostPort === b.hostPort && a.protocol === b.protocol && (a.hostIp === b.hostIp || a.hostIp === '' || b.hostIp === '');

export function checkPortMappings(ports: ApiPortMapping[], field: string): PortMapping[] {
  const out: PortMapping[] = [];
  ports.forEach((p, i) => {
    const at = `${field}[${i}]`;
    const protocol = (p.protocol === '' ? 'tcp' : p.protocol.toLowerCase()) as PortProtocol;
    if (!PROTOCOLS.includes(protocol)) throw invalidArgument(`${at}.protocol`, `${JSON.stringify(p.protocol)} is not a protocol (tcp or udp)`);
    const mapping: PortMapping = {
      hostIp: checkHostIp(p.hostIp, `${at}.host_ip`),
      hostPort: checkPort(p.hostPort, `${at}.host_port`, true),
      containerPort: checkPort(p.containerPort, `${at}.container_port`, false),
      protocol,
    };
    const earlier = mapping.hostPort === 0 ? -1 : out.findIndex((o) => clash(o, mapping));
    if (earlier >= 0) throw invalidArgument(`${at}.host_port`, `host port ${hostSide(mapping)} is already published by ${field}[${earlier}]`);
    out.push(mapping);
  });
  return out;
}

/**
 * An image's ExposedPorts ("80/tcp", "53/udp", "8080": tcp) as mappings on ephemeral host ports,
 * in port order. A key that is no port is the image's error, named as its config spells it.
 */
export function exposedPortMappings(exposed: Record<string, unknown> | undefined): PortMapping[] {
  const out: PortMapping[] = [];
  for (const key of Object.keys(exposed ?? {})) {
    const field = `image config ExposedPorts[${JSON.stringify(key)}]`;
    const m = /^([1-9][0-9]{0,4})(?:\/([A-Za-z]+))?$/.exec(key);
    if (!m) throw invalidArgument(field, 'not a port ("80/tcp", "53/udp" or "8080")');
    const protocol = (m[2] ?? 'tcp').toLowerCase() as PortProtocol;
    if (!PROTOCOLS.includes(protocol)) throw invalidArgument(field, `${JSON.stringify(m[2])} is not a protocol (tcp or udp)`);
    const mapping: PortMapping = { hostIp: '', hostPort: 0, containerPort: checkPort(Number(m[1]), field, false), protocol };
    if (!out.some((o) => o.containerPort === mapping.containerPort && o.protocol === protocol)) out.push(mapping);
  }
  return out.sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol));
}

/** /proc/sys/net/ipv4/ip_local_port_range: the ports the kernel hands out, and tsrund too. */
export function localPortRange(): { first: number; last: number } {
  const [first, last] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  return { first, last };
}

/** Why a host port cannot be had; inUse: another socket holds it (another port may do), else the address is the trouble. */
export interface PortProblem {
  inUse: boolean;
  reason: string;
}

/**
 * Whether a port can be bound on the host (null: it can) or why not. The socket is closed at
 * once: the test only asks the kernel.
 */
export async function hostPortProblem(hostIp: string, port: number, protocol: PortProtocol): Promise<PortProblem | null> {
  const address = hostIp === '' ? '0.0.0.0' : hostIp;
  const bound = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    if (protocol === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', (err) => {
        s.close();
        resolve(err);
      });
      s.bind({ address, port, exclusive: true }, () => s.close(() => resolve(null)));
    } else {
      const s = net.createServer();
      s.once('error', resolve);
      s.listen({ host: address, port, exclusive: true }, () => s.close(() => resolve(null)));
    }
  });
  if (bound === null) return null;
  if (bound.code === 'EADDRINUSE') {
    const holder = socketHolder(port, protocol);
    return { inUse: true, reason: `is in use on the host${holder ? ` by ${holder}` : ''}` };
  }
  if (bound.code === 'EADDRNOTAVAIL') return { inUse: false, reason: `cannot be bound: ${hostIp} is not an address of this host` };
  return { inUse: false, reason: `cannot be bound on the host: ${bound.message}` };
}

/**
 * The process holding a socket bound to `port` ("process 1234 (nginx)"), found as ss -p finds
 * it: the socket's inode in /proc/net/{tcp,udp}{,6}, then the pid with a descriptor on it.
 * Best effort, for the message only: null when it cannot be told (another namespace, a race).
 */
export function socketHolder(port: number, protocol: PortProtocol): string | null {
  const inodes = new Set<string>();
  for (const file of [`/proc/net/${protocol}`, `/proc/net/${protocol}6`]) {
    let table = '';
    try {
      table = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; a TCP socket that holds a port for others is LISTEN (0A).
      if (f.length < 10 || Number.parseInt(f[1].split(':')[1], 16) !== port) continue;
      if (protocol === 'tcp' && f[3] !== '0A') continue;
      if (f[9] !== '0') inodes.add(`socket:[${f[9]}]`);
    }
  }
  if (inodes.size === 0) return null;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d))) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!inodes.has(target)) continue;
      let comm = '';
      try {
        comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        // gone meanwhile: the pid alone
      }
      return comm ? `process ${pid} (${comm})` : `process ${pid}`;
    }
  }
  return null;
}

export interface PortAllocatorOptions {
  /** Default: the kernel's ip_local_port_range. */
  ephemeral?: { first: number; last: number };
  /** Default: hostPortProblem (a bind test). */
  probe?: (hostIp: string, port: number, protocol: PortProtocol) => Promise<PortProblem | null>;
}

interface Reservation {
  owner: string;
  mapping: PortMapping;
}

/**
 * The host ports of published mappings, by owner (the id of the container that publishes them).
 * In memory: after a restart tsrund restores what its attachments hold.
 */
export class PortAllocator {
  private readonly held: Reservation[] = [];
  private readonly ephemeral: { first: number; last: number };
  private readonly probe: NonNullable<PortAllocatorOptions['probe']>;
  /** Where the next ephemeral search starts: ports just released are not handed out again at once. */
  private cursor: number;

  constructor(o: PortAllocatorOptions = {}) {
    this.ephemeral = o.ephemeral ?? localPortRange();
    this.probe = o.probe ?? hostPortProblem;
    this.cursor = this.ephemeral.first;
  }

  /**
   * Every mapping with its host port: a given one checked against the other owners and the host,
   * an ephemeral one (0) chosen. All or nothing: a refusal keeps none of this call's ports.
   */
  async reserve(owner: string, ports: PortMapping[]): Promise<PortMapping[]> {
    const mine: Reservation[] = [];
    try {
      for (const p of ports) mine.push(p.hostPort === 0 ? await this.reserveEphemeral(owner, p) : await this.reserveGiven(owner, p));
    } catch (err) {
      for (const r of mine) this.drop(r);
      throw err;
    }
    return mine.map((r) => r.mapping);
  }

  release(owner: string): void {
    for (const r of this.held.filter((h) => h.owner === owner)) this.drop(r);
  }

  /** Ports an owner held before a restart, taken back as they are (the kernel was never asked to hold them). */
  restore(owner: string, ports: PortMapping[]): void {
    for (const mapping of ports) this.held.push({ owner, mapping: { ...mapping } });
  }

  /** What is held, for inspection: owner and mapping. */
  reservations(): Array<{ owner: string; mapping: PortMapping }> {
    return this.held.map((r) => ({ owner: r.owner, mapping: { ...r.mapping } }));
  }

  private async reserveGiven(owner: string, p: PortMapping): Promise<Reservation> {
    const holder = this.held.find((h) => clash(h.mapping, p));
    if (holder) throw failedPrecondition(`host port ${hostSide(p)} is already published by container ${holder.owner}`, `${p.hostPort}/${p.protocol}`);
    // Held before the bind test is awaited, so that a concurrent reserve sees it.
    const r = this.hold(owner, { ...p });
    const problem = await this.probe(p.hostIp, p.hostPort, p.protocol);
    if (problem !== null) {
      this.drop(r);
      throw failedPrecondition(`host port ${hostSide(p)} ${problem.reason}`, `${p.hostPort}/${p.protocol}`);
    }
    return r;
  }

  private async reserveEphemeral(owner: string, p: PortMapping): Promise<Reservation> {
    const { first, last } = this.ephemeral;
    const count = last - first + 1;
    for (let i = 0; i < count; i++) {
      const port = first + ((this.cursor - first + i) % count);
      const candidate = { ...p, hostPort: port };
      if (this.held.some((h) => clash(h.mapping, candidate))) continue;
      const r = this.hold(owner, candidate);
      const problem = await this.probe(p.hostIp, port, p.protocol);
      if (problem === null) {
        this.cursor = port === last ? first : port + 1;
        return r;
      }
      this.drop(r);
      if (!problem.inUse) throw failedPrecondition(`host port ${hostSide(candidate)} ${problem.reason}`, `${port}/${p.protocol}`);
    }
    throw new TsrunError(`no free host port for ${p.containerPort}/${p.protocol} in ${first}-${last}`, { code: 'resource-exhausted' });
  }

  private hold(owner: string, mapping: PortMapping): Reservation {
    const r = { owner, mapping };
    this.held.push(r);
    return r;
  }

  private drop(r: Reservation): void {
    const i = this.held.indexOf(r);
    if (i >= 0) this.held.splice(i, 1);
  }
}
