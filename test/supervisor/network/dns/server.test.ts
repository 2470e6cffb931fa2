/**
 * The embedded DNS server (supervisor/network/dns/server.ts) against real resolvers: Node's
 * dns.Resolver (c-ares: UDP, then TCP after a truncated answer) on 127.0.232.x, and busybox's
 * nslookup inside a network namespace of its own, reaching the server over a veth pair in
 * 10.232.0.0/16. Forwarding goes to a second server of the test's own on 127.0.232.x; nothing
 * beyond this machine is asked.
 */
import { spawn } from 'child_process';
import * as dgram from 'dgram';
import * as dns from 'dns';
import * as net from 'net';
import { EmbeddedDns } from '../../../../supervisor/network/dns/server';
import { decodeMessage, TYPE_A } from '../../../../supervisor/network/dns/message';
import type { Logger } from '../../../../supervisor/shared/logger';
import { NetnsHolder } from '../../../helpers/netns-holder';
import { deleteLinks, ip } from '../../../helpers/veth';
import { addressesOf, query } from './queries';

const PORT = 20000 + (process.pid % 20000);
const SERVER = '127.0.232.1';
const UPSTREAM = '127.0.232.2';
/** Takes queries and never answers: an upstream that times out. */
const BLACK_HOLE = '127.0.232.3';

const warnings: string[] = [];
const log: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };

function resolver(server = SERVER): dns.promises.Resolver {
  const r = new dns.promises.Resolver({ timeout: 1000, tries: 2 });
  r.setServers([`${server}:${PORT}`]);
  return r;
}

/** One UDP exchange; null when nothing came back within `timeoutMs`. */
function askUdp(packet: Buffer, address = SERVER, timeoutMs = 1000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(null);
    }, timeoutMs);
    socket.on('message', (m) => {
      clearTimeout(timer);
      socket.close();
      resolve(m);
    });
    socket.send(packet, PORT, address);
  });
}

/** Send `bytes` over one TCP connection and collect `count` framed responses. */
function askTcp(bytes: Buffer, count: number, address = SERVER): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port: PORT });
    let got: Buffer = Buffer.alloc(0);
    const out: Buffer[] = [];
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${out.length} of ${count} answers`)));
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      while (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) {
        out.push(got.subarray(2, 2 + got.readUInt16BE(0)));
        got = got.subarray(2 + got.readUInt16BE(0));
      }
      if (out.length === count) {
        socket.destroy();
        resolve(out);
      }
    });
    socket.write(bytes);
  });
}

const framed = (m: Buffer) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);

let server: EmbeddedDns;
let upstream: EmbeddedDns;
let blackHole: dgram.Socket;

beforeAll(async () => {
  upstream = new EmbeddedDns({ upstreams: [], log, port: PORT });
  await upstream.serve('far', UPSTREAM);
  upstream.setRecords('far', [
    { names: ['far.example'], ipv4: '10.232.99.9' },
    ...Array.from({ length: 40 }, (_, i) => ({ names: ['big.example'], ipv4: `10.232.98.${i + 1}` })),
  ]);
  blackHole = dgram.createSocket('udp4');
  await new Promise<void>((r) => blackHole.bind(PORT, BLACK_HOLE, () => r()));
  server = new EmbeddedDns({ upstreams: [`${BLACK_HOLE}:${PORT}`, `${UPSTREAM}:${PORT}`], log, port: PORT, timeoutMs: 300 });
  await server.serve('n1', SERVER);
  server.setRecords('n1', [
    { names: ['web', 'Front.'], ipv4: '10.232.0.5' },
    { names: ['db'], ipv4: '10.232.0.6' },
    ...Array.from({ length: 40 }, (_, i) => ({ names: ['many'], ipv4: `10.232.1.${i + 1}` })),
  ]);
});

afterAll(async () => {
  await server.close();
  await upstream.close();
  blackHole.close();
});

describe("Node's resolver", () => {
  test('A of a container name, any case, with and without the trailing dot', async () => {
    const r = resolver();
    expect(await r.resolve4('web')).toEqual(['10.232.0.5']);
    expect(await r.resolve4('WEB.')).toEqual(['10.232.0.5']);
    expect(await r.resolve4('front')).toEqual(['10.232.0.5']);
  });

  test('AAAA of a known name: no data (not NXDOMAIN); PTR of a known address', async () => {
    await expect(resolver().resolve6('db')).rejects.toMatchObject({ code: 'ENODATA' });
    expect(await resolver().reverse('10.232.0.6')).toEqual(['db']);
  });

  test('40 addresses do not fit in 512 bytes: truncated over UDP, whole over TCP', async () => {
    expect(decodeMessage((await askUdp(query('many', TYPE_A)))!)).toMatchObject({ tc: true, answers: [] });
    expect((await resolver().resolve4('many')).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `10.232.1.${i + 1}`).sort());
  });

  test('other names go to the upstreams: past one that never answers, to the next', async () => {
    expect(await resolver().resolve4('far.example')).toEqual(['10.232.99.9']);
  });

  test('a container that joins later is found; one that left is not', async () => {
    server.setRecords('n1', [{ names: ['late'], ipv4: '10.232.0.9' }]);
    try {
      expect(await resolver().resolve4('late')).toEqual(['10.232.0.9']);
      // Forwarded, and the upstream (no upstreams of its own) refuses.
      await expect(resolver().resolve4('web')).rejects.toMatchObject({ code: 'EREFUSED' });
    } finally {
      server.setRecords('n1', [
        { names: ['web', 'Front.'], ipv4: '10.232.0.5' },
        { names: ['db'], ipv4: '10.232.0.6' },
        ...Array.from({ length: 40 }, (_, i) => ({ names: ['many'], ipv4: `10.232.1.${i + 1}` })),
      ]);
    }
  });
});

test('TCP: two queries in one write, two framed answers', async () => {
  const [a, b] = await askTcp(Buffer.concat([framed(query('web', TYPE_A, { id: 1 })), framed(query('db', TYPE_A, { id: 2 }))]), 2);
  expect([decodeMessage(a).id, addressesOf(a)]).toEqual([1, ['10.232.0.5']]);
  expect([decodeMessage(b).id, addressesOf(b)]).toEqual([2, ['10.232.0.6']]);
});

test("a TCP client's forwarded query whose UDP answer is truncated is asked again over TCP: the whole answer", async () => {
  const [reply] = await askTcp(framed(query('big.example', TYPE_A, { id: 3 })), 1);
  expect(decodeMessage(reply)).toMatchObject({ id: 3, tc: false });
  expect(addressesOf(reply)).toHaveLength(40);
  const overUdp = decodeMessage((await askUdp(query('big.example', TYPE_A, { id: 4 })))!);
  expect(overUdp).toMatchObject({ id: 4, tc: true, answers: [] });
});

test('with no upstream answering: SERVFAIL after the timeouts; with no upstream at all: REFUSED', async () => {
  const stuck = new EmbeddedDns({ upstreams: [`${BLACK_HOLE}:${PORT}`], log, port: PORT, timeoutMs: 200 });
  await stuck.serve('n2', '127.0.232.4');
  try {
    const started = Date.now();
    const reply = decodeMessage((await askUdp(query('anything.example', TYPE_A, { id: 5 }), '127.0.232.4'))!);
    expect(reply).toMatchObject({ id: 5, rcode: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  } finally {
    await stuck.close();
  }
  expect(decodeMessage((await askUdp(query('anything.example', TYPE_A), UPSTREAM))!).rcode).toBe(5);
});

test('serve is idempotent, a taken address is one line, stop ends the answers', async () => {
  await server.serve('n1', SERVER);
  const other = new EmbeddedDns({ upstreams: [], log, port: PORT });
  await expect(other.serve('n3', SERVER)).rejects.toThrow(`DNS server of network n3 on ${SERVER}:${PORT}: cannot listen: EADDRINUSE`);
  await other.close();
  const brief = new EmbeddedDns({ upstreams: [], log, port: PORT });
  await brief.serve('n4', '127.0.232.5');
  brief.setRecords('n4', [{ names: ['x'], ipv4: '10.232.0.7' }]);
  expect(addressesOf((await askUdp(query('x', TYPE_A), '127.0.232.5'))!)).toEqual(['10.232.0.7']);
  await brief.stop('n4');
  expect(await askUdp(query('x', TYPE_A), '127.0.232.5', 300)).toBeNull();
  await brief.close();
});

test('serve twice at once binds once; another address moves the server and keeps its names', async () => {
  const moving = new EmbeddedDns({ upstreams: [`${UPSTREAM}:${PORT}`], log, port: PORT });
  try {
    moving.setRecords('n5', [{ names: ['mover'], ipv4: '10.232.0.8' }]);
    await Promise.all([moving.serve('n5', '127.0.232.6'), moving.serve('n5', '127.0.232.6')]);
    expect(await resolver('127.0.232.6').resolve4('mover')).toEqual(['10.232.0.8']);
    await moving.serve('n5', '127.0.232.7');
    expect(await askUdp(query('mover', TYPE_A), '127.0.232.6', 300)).toBeNull();
    expect(await resolver('127.0.232.7').resolve4('mover')).toEqual(['10.232.0.8']);
  } finally {
    await moving.close();
  }
});

test('a network served without forwarding (--internal) answers its names and refuses the rest', async () => {
  const internal = new EmbeddedDns({ upstreams: [`${UPSTREAM}:${PORT}`], log, port: PORT });
  try {
    await internal.serve('n6', '127.0.232.8', { forward: false });
    internal.setRecords('n6', [{ names: ['inside'], ipv4: '10.232.0.10' }]);
    expect(await resolver('127.0.232.8').resolve4('inside')).toEqual(['10.232.0.10']);
    await expect(resolver('127.0.232.8').resolve4('far.example')).rejects.toMatchObject({ code: 'EREFUSED' });
  } finally {
    await internal.close();
  }
});

test('a network served for its subnet ignores queries from elsewhere, over UDP and TCP', async () => {
  const fenced = new EmbeddedDns({ upstreams: [], log, port: PORT });
  try {
    await fenced.serve('n7', '127.0.232.10', { clients: '10.232.250.0/24' });
    fenced.setRecords('n7', [{ names: ['fenced'], ipv4: '10.232.250.5' }]);
    expect(await askUdp(query('fenced', TYPE_A), '127.0.232.10', 300)).toBeNull();
    await expect(askTcp(framed(query('fenced', TYPE_A)), 1, '127.0.232.10')).rejects.toThrow();
    await fenced.serve('n7', '127.0.232.10', { clients: '127.0.0.0/8' });
    expect(addressesOf((await askUdp(query('fenced', TYPE_A), '127.0.232.10'))!)).toEqual(['10.232.250.5']);
    await expect(fenced.serve('n8', '127.0.232.11', { clients: '10.232.0.0/33' })).rejects.toThrow('clients: "10.232.0.0/33" is not an IPv4 CIDR');
  } finally {
    await fenced.close();
  }
});

describe("busybox's nslookup in a network namespace of its own, over a veth pair", () => {
  const tag = `nd${process.pid % 100000}`;
  const pair = { end: `${tag}h`, peer: `${tag}c` };
  const subnet = 1 + (process.pid % 250);
  const hostAddress = `10.232.${subnet}.1`;
  let holder: NetnsHolder;
  let onLink: EmbeddedDns;

  beforeAll(async () => {
    holder = await NetnsHolder.start();
    ip(['link', 'add', pair.end, 'type', 'veth', 'peer', 'name', pair.peer, 'netns', String(holder.pid)]);
    ip(['addr', 'add', `${hostAddress}/24`, 'dev', pair.end]);
    ip(['link', 'set', pair.end, 'up']);
    holder.check(['ip', 'addr', 'add', `10.232.${subnet}.2/24`, 'dev', pair.peer]);
    holder.check(['ip', 'link', 'set', pair.peer, 'up']);
    holder.check(['ip', 'link', 'set', 'lo', 'up']);
    onLink = new EmbeddedDns({ upstreams: [], log, port: PORT });
    await onLink.serve('veth', hostAddress, { clients: `10.232.${subnet}.0/24` });
    onLink.setRecords('veth', [{ names: ['web', 'web-alias'], ipv4: `10.232.${subnet}.2` }]);
  });

  afterAll(async () => {
    await onLink?.close();
    deleteLinks(pair);
    await holder?.close();
  });

  /** nslookup inside the namespace, asynchronously (the server runs in this process). */
  function nslookup(args: string[]): Promise<{ status: number | null; stdout: string }> {
    return new Promise((resolve) => {
      const child = spawn('nsenter', [`--net=${holder.path}`, '--', 'timeout', '10', '/bin/busybox', 'nslookup', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stdout += d));
      child.on('exit', (status) => resolve({ status, stdout }));
    });
  }

  test('finds a container by name and by alias, and a name that is not there is not found', async () => {
    const byName = await nslookup(['web', `${hostAddress}:${PORT}`]);
    expect(byName.stdout).toMatch(new RegExp(`Name:\\s+web\\nAddress: 10\\.232\\.${subnet}\\.2\\n`));
    expect(byName.status).toBe(0);
    const byAlias = await nslookup(['-type=a', 'WEB-ALIAS', `${hostAddress}:${PORT}`]);
    expect(byAlias.stdout).toMatch(new RegExp(`Address: 10\\.232\\.${subnet}\\.2\\n`));
    const missing = await nslookup(['-type=a', 'nothere', `${hostAddress}:${PORT}`]);
    expect(missing.stdout).toMatch(/REFUSED/);
    expect(missing.status).not.toBe(0);
  });

  test('reverse lookup of the container’s address', async () => {
    const r = await nslookup([`10.232.${subnet}.2`, `${hostAddress}:${PORT}`]);
    expect(r.stdout).toMatch(/name = web\n/);
  });
});

test('nothing was logged as a failure', () => {
  expect(warnings).toEqual([]);
});
