/**
 * The embedded DNS server of tsrund's networks (as Docker's embedded DNS and podman's
 * aardvark-dns): on each network's address it answers the names of the containers on that
 * network (so a container that joins later is found, unlike a hosts file) and forwards other
 * names to the upstreams. UDP and TCP on address:port. Nothing a client sends can stop it: a
 * malformed packet is dropped or answered FORMERR, and the work each network takes on at once
 * is bounded (forwarded queries, TCP connections).
 */
import * as dgram from 'dgram';
import * as net from 'net';
import type { Logger } from '../../shared/logger';
import { errnoText, invalidArgument, TsrunError } from '../../../common/errors';
import { answerQuery, DnsRecord, indexRecords, RecordIndex, respond } from './answer';
import { forwardQuery, parseUpstream, Upstream } from './forward';
import { DnsFormatError, RCODE_SERVFAIL } from './message';
import { frame, readFrames } from './tcp-framing';

const DNS_PORT = 53;
const DEFAULT_TIMEOUT_MS = 2000;
/** Forwarded queries waiting for an upstream, per network; more are answered SERVFAIL at once. */
const MAX_PENDING_FORWARDS = 256;
const MAX_TCP_CONNECTIONS = 64;
/** A TCP client that sends nothing for this long is disconnected (RFC 7766 6.2.3). */
const TCP_IDLE_MS = 10_000;

export interface ServeOptions {
  /** Whether names not on the network go to the upstreams (default true). */
  forward?: boolean;
  /** An IPv4 CIDR: only queries from its addresses are answered (default: any). */
  clients?: string;
}

interface ListenerPolicy {
  forward: boolean;
  clients: { network: number; mask: number } | null;
}

/** One network's sockets on its address. */
interface Listener extends ListenerPolicy {
  address: string;
  udp: dgram.Socket;
  tcp: net.Server;
  connections: Set<net.Socket>;
  pendingForwards: number;
}

export class EmbeddedDns {
  private readonly upstreams: Upstream[];
  private readonly log: Logger;
  private readonly port: number;
  private readonly timeoutMs: number;
  private readonly records = new Map<string, RecordIndex>();
  private readonly listeners = new Map<string, Listener>();
  private chain: Promise<unknown> = Promise.resolve();

  /** `upstreams`: "ADDRESS" or "ADDRESS:PORT" (an IPv6 address in brackets with a port). */
  constructor(o: { upstreams: string[]; log: Logger; port?: number; timeoutMs?: number }) {
    this.upstreams = o.upstreams.map((u, i) => parseUpstream(u, `dnsUpstream[${i}]`));
    this.log = o.log;
    this.port = o.port ?? DNS_PORT;
    this.timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Answer for `network` on address:port (UDP and TCP); again on the same address: nothing to
   * do (another address moves it). `forward: false` (an --internal network: no way out, not even
   * for names) answers the network's names only. `clients` (an IPv4 CIDR, the network's subnet):
   * queries from other addresses are ignored, so that a host address that others can route to
   * (Linux accepts a packet for any of its addresses on any link) is no open resolver.
   */
  serve(network: string, address: string, o: ServeOptions = {}): Promise<void> {
    return this.serialized(() => this.serveNow(network, address, { forward: o.forward ?? true, clients: o.clients === undefined ? null : parseClients(o.clients) }));
  }

  /** The names on `network` from now on (each record: a container's names and its address). */
  setRecords(network: string, records: DnsRecord[]): void {
    try {
      this.records.set(network, indexRecords(records));
    } catch (err) {
      if (err instanceof DnsFormatError) throw invalidArgument(`network ${network} records`, err.message);
      throw err;
    }
  }

  /** Stop answering for `network` and forget its names. */
  stop(network: string): Promise<void> {
    return this.serialized(() => this.stopNow(network));
  }

  close(): Promise<void> {
    return this.serialized(async () => {
      await Promise.all([...this.listeners.keys()].map((n) => this.stopNow(n)));
      this.records.clear();
    });
  }

  /** Runs `op` after the serve, stop or close before it: two calls never bind the same address at once. */
  private serialized<T>(op: () => Promise<T>): Promise<T> {
    const run = this.chain.then(op, op);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async serveNow(network: string, address: string, policy: ListenerPolicy): Promise<void> {
    const current = this.listeners.get(network);
    if (current) {
      // Same address: the sockets stay, the policy is the one asked for now.
      if (current.address === address) {
        Object.assign(current, policy);
        return;
      }
      await this.closeListener(network, current);
    }
    if (net.isIP(address) === 0) throw invalidArgument('address', `${JSON.stringify(address)} is not an IP address`);
    const listener = await this.listen(network, address, policy);
    this.listeners.set(network, listener);
  }

  private async stopNow(network: string): Promise<void> {
    this.records.delete(network);
    const listener = this.listeners.get(network);
    if (listener) await this.closeListener(network, listener);
  }

  private async closeListener(network: string, listener: Listener): Promise<void> {
    this.listeners.delete(network);
    for (const c of listener.connections) c.destroy();
    await Promise.all([
      new Promise<void>((resolve) => listener.udp.close(() => resolve())),
      new Promise<void>((resolve) => listener.tcp.close(() => resolve())),
    ]);
  }

  private async listen(network: string, address: string, policy: ListenerPolicy): Promise<Listener> {
    const udp = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    const tcp = net.createServer();
    const listener: Listener = { address, ...policy, udp, tcp, connections: new Set(), pendingForwards: 0 };
    const where = `DNS server of network ${network} on ${address}:${this.port}`;
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind({ address, port: this.port, exclusive: true }, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen({ host: address, port: this.port }, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      tcp.close();
      const code = (err as NodeJS.ErrnoException).code ?? '';
      throw new TsrunError(`${where}: cannot listen: ${errnoText(code) ?? (code || String(err))}`, { code: 'failed-precondition', subject: network, cause: err });
    }
    udp.on('error', (err) => this.log.warn(`${where}: UDP: ${err.message}`));
    tcp.on('error', (err) => this.log.warn(`${where}: TCP: ${err.message}`));
    udp.on('message', (packet, from) => {
      if (!admitted(listener, from.address)) return;
      void this.handle(network, listener, packet, false).then((response) => {
        if (response) udp.send(response, from.port, from.address, () => undefined);
      });
    });
    tcp.on('connection', (socket) => this.accept(network, listener, socket));
    return listener;
  }

  private accept(network: string, listener: Listener, socket: net.Socket): void {
    if (listener.connections.size >= MAX_TCP_CONNECTIONS || !admitted(listener, socket.remoteAddress ?? '')) {
      socket.destroy();
      return;
    }
    listener.connections.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => listener.connections.delete(socket));
    readFrames(socket, (packet) => {
      void this.handle(network, listener, packet, true).then((response) => {
        const framed = response && frame(response);
        if (framed && !socket.destroyed) socket.write(framed);
      });
    });
  }

  /** The response to `packet`, or null for none; never throws. */
  private async handle(network: string, listener: Listener, packet: Buffer, tcp: boolean): Promise<Buffer | null> {
    try {
      const records = this.records.get(network) ?? indexRecords([]);
      const reply = answerQuery(packet, { records, recursion: listener.forward && this.upstreams.length > 0, udp: !tcp });
      if (reply.kind === 'drop') return null;
      if (reply.kind === 'answer') return reply.response;
      const servfail = () => respond(reply.query, RCODE_SERVFAIL, [], { authoritative: false, recursion: true, udp: !tcp });
      if (listener.pendingForwards >= MAX_PENDING_FORWARDS) return servfail();
      listener.pendingForwards++;
      try {
        return (await forwardQuery(packet, this.upstreams, { timeoutMs: this.timeoutMs, tcp })) ?? servfail();
      } finally {
        listener.pendingForwards--;
      }
    } catch (err) {
      this.log.warn(`DNS server of network ${network}: query dropped: ${(err as Error).message}`);
      return null;
    }
  }
}

function ipv4Number(address: string): number | null {
  const octets = address.split('.');
  if (octets.length !== 4 || octets.some((o) => !/^\d{1,3}$/.test(o) || Number(o) > 255)) return null;
  return octets.reduce((n, o) => n * 256 + Number(o), 0);
}

function parseClients(cidr: string): { network: number; mask: number } {
  const [address, prefix, ...rest] = cidr.split('/');
  const base = ipv4Number(address);
  const bits = Number(prefix);
  if (base === null || rest.length > 0 || !/^\d{1,2}$/.test(prefix ?? '') || bits > 32) throw invalidArgument('clients', `${JSON.stringify(cidr)} is not an IPv4 CIDR`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { network: (base & mask) >>> 0, mask };
}

/** Whether `from` (as the socket gives it; IPv4-mapped for a dual-stack socket) may ask. */
function admitted(listener: Listener, from: string): boolean {
  if (!listener.clients) return true;
  const n = ipv4Number(from.startsWith('::ffff:') ? from.slice(7) : from);
  return n !== null && ((n & listener.clients.mask) >>> 0) === listener.clients.network;
}
