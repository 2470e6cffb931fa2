/**
 * Asking the upstream servers what the embedded server does not know: the client's query as it
 * came, under an ID of this server's choosing (a reply must come from the upstream asked, with
 * that ID), over UDP; over TCP again when the client came over TCP and the UDP answer was
 * truncated. Each upstream gets `timeoutMs`, in order; null when none answered.
 */
import * as crypto from 'crypto';
import * as dgram from 'dgram';
import * as net from 'net';
import { invalidArgument } from '../../../common/errors';
import { decodeHeader } from './message';
import { frame, readFrames } from './tcp-framing';

export interface Upstream {
  address: string;
  port: number;
}

const DNS_PORT = 53;

/** "10.0.0.1", "10.0.0.1:5353", "fd00::1", "[fd00::1]:5353". */
export function parseUpstream(text: string, field: string): Upstream {
  let address = text;
  let port = DNS_PORT;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const withPort = /^([^:]+):(\d+)$/.exec(text);
  if (bracketed) {
    address = bracketed[1];
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (withPort) {
    address = withPort[1];
    port = Number(withPort[2]);
  }
  if (net.isIP(address) === 0) throw invalidArgument(field, `${JSON.stringify(text)} is not an IP address (with an optional :PORT)`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidArgument(field, `${JSON.stringify(text)}: the port is not in 1-65535`);
  return { address, port };
}

/** `packet` with `id` in place of its own. */
function withId(packet: Buffer, id: number): Buffer {
  const copy = Buffer.from(packet);
  copy.writeUInt16BE(id, 0);
  return copy;
}

/** The upstream's reply if it is one to `id`. */
function replyTo(message: Buffer, id: number): boolean {
  const header = decodeHeader(message);
  return header !== null && header.qr && header.id === id;
}

/**
 * One exchange with an upstream: `start` sends and calls `finish` with the reply (null: failed);
 * it returns how to close what it opened. Settles once, null after `timeoutMs`.
 */
function exchange(timeoutMs: number, start: (finish: (reply: Buffer | null) => void) => () => void): Promise<Buffer | null> {
  return new Promise((resolve) => {
    let settled = false;
    let close: (() => void) | null = null;
    const finish = (reply: Buffer | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      close?.();
      resolve(reply);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    close = start(finish);
    if (settled) close();
  });
}

function exchangeUdp(query: Buffer, up: Upstream, timeoutMs: number): Promise<Buffer | null> {
  const id = crypto.randomInt(0, 0x10000);
  return exchange(timeoutMs, (finish) => {
    const socket = dgram.createSocket(net.isIPv6(up.address) ? 'udp6' : 'udp4');
    socket.on('error', () => finish(null));
    socket.on('message', (message, from) => {
      if (from.address === up.address && from.port === up.port && replyTo(message, id)) finish(message);
    });
    socket.send(withId(query, id), up.port, up.address, (err) => {
      if (err) finish(null);
    });
    return () => socket.close();
  });
}

function exchangeTcp(query: Buffer, up: Upstream, timeoutMs: number): Promise<Buffer | null> {
  const id = crypto.randomInt(0, 0x10000);
  const framed = frame(withId(query, id));
  if (!framed) return Promise.resolve(null);
  return exchange(timeoutMs, (finish) => {
    const socket = net.connect({ host: up.address, port: up.port });
    socket.on('error', () => finish(null));
    socket.on('close', () => finish(null));
    readFrames(socket, (message) => {
      if (replyTo(message, id)) finish(message);
    });
    socket.write(framed);
    return () => socket.destroy();
  });
}

/** The first upstream's reply to `query` (with the query's own ID), or null when none answered. */
export async function forwardQuery(query: Buffer, upstreams: Upstream[], o: { timeoutMs: number; tcp: boolean }): Promise<Buffer | null> {
  const clientId = query.readUInt16BE(0);
  for (const up of upstreams) {
    let reply = await exchangeUdp(query, up, o.timeoutMs);
    if (reply && o.tcp && decodeHeader(reply)?.tc) reply = (await exchangeTcp(query, up, o.timeoutMs)) ?? reply;
    if (reply) return withId(reply, clientId);
  }
  return null;
}
