/**
 * A bounded, seeded fuzzer against the embedded DNS server: random bytes, mutated queries,
 * compression loops, lengths past the end and huge counts, first straight into the answering
 * code (which must never throw, and whose every response must be a well-formed reply), then
 * over UDP and TCP into a running server, which must still answer a valid query afterwards.
 * The seed is in the test names; DNS_FUZZ_SEED=<seed> replays a run.
 */
import * as dgram from 'dgram';
import * as net from 'net';
import { answerQuery, indexRecords } from '../../../../supervisor/network/dns/answer';
import { decodeMessage, TYPE_A } from '../../../../supervisor/network/dns/message';
import { EmbeddedDns } from '../../../../supervisor/network/dns/server';
import type { Logger } from '../../../../supervisor/shared/logger';
import { SeededRandom } from '../../../helpers/seeded-choices';
import { addressesOf, query } from './queries';

const SEED = Number(process.env.DNS_FUZZ_SEED ?? Date.now() % 2 ** 31);
const PORT = 20000 + ((process.pid + 7) % 20000);
const SERVER = '127.0.232.21';

function header(rand: SeededRandom, counts: number[]): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(rand.int(0x10000), 0);
  h.writeUInt16BE(rand.int(0x10000) & 0x7fff, 2);
  counts.forEach((c, i) => h.writeUInt16BE(c, 4 + 2 * i));
  return h;
}

/** One hostile packet. */
function hostile(rand: SeededRandom): Buffer {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => rand.int(256)));
  switch (rand.int(6)) {
    case 0:
      return bytes(rand.int(600));
    case 1: {
      const p = Buffer.from(query(rand.pick(['web', 'many', 'x.example', '5.0.232.10.in-addr.arpa']), rand.pick([1, 12, 28, 255])));
      for (let i = rand.int(6); i >= 0; i--) p[rand.int(p.length)] = rand.int(256);
      return p;
    }
    case 2: {
      // Pointers that loop: to themselves, to each other, through labels.
      const body = [1, 0x61, 0xc0, 12 + rand.int(6), 0xc0, 12 + rand.int(8), 0, 1, 0, 1];
      return Buffer.concat([header(rand, [1 + rand.int(3), rand.int(3), 0, 0]), Buffer.from(body), bytes(rand.int(20))]);
    }
    case 3: {
      // A label or record length past the end.
      const body = [rand.int(64), 0x61, 0x62, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, rand.int(256), rand.int(256)];
      return Buffer.concat([header(rand, [1, 1, 0, 0]), Buffer.from(body)]);
    }
    case 4: {
      const p = Buffer.from(query('web', TYPE_A));
      for (let i = 0; i < 4; i++) if (rand.chance(0.7)) p.writeUInt16BE(rand.int(0x10000), 4 + 2 * i);
      return p;
    }
    default: {
      // A name of many maximal labels, past 255 bytes.
      const labels = Array.from({ length: 3 + rand.int(6) }, () => [63, ...bytes(63)]).flat();
      return Buffer.concat([header(rand, [1, 0, 0, 0]), Buffer.from([...labels, 0, 0, 1, 0, 1])]);
    }
  }
}

test(`answering never throws, and answers are well-formed replies (seed ${SEED})`, () => {
  const rand = new SeededRandom(SEED);
  const records = indexRecords(Array.from({ length: 40 }, (_, i) => ({ names: ['many', `c${i}`], ipv4: `10.232.3.${i + 1}` })));
  const bad: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const packet = hostile(rand);
    const udp = rand.chance(0.5);
    const reply = answerQuery(packet, { records, recursion: rand.chance(0.5), udp });
    if (reply.kind !== 'answer') continue;
    const m = decodeMessage(reply.response);
    if (!m.qr || m.id !== packet.readUInt16BE(0) || (udp && reply.response.length > 1232)) bad.push(packet.toString('hex'));
  }
  expect(bad).toEqual([]);
});

test(`a running server takes hostile packets over UDP and TCP and still answers (seed ${SEED})`, async () => {
  const warnings: string[] = [];
  const log: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const server = new EmbeddedDns({ upstreams: [], log, port: PORT });
  await server.serve('fuzz', SERVER);
  server.setRecords('fuzz', [{ names: ['web'], ipv4: '10.232.3.5' }]);
  const rand = new SeededRandom(SEED + 1);
  const client = dgram.createSocket('udp4');
  try {
    for (let i = 0; i < 2000; i++) {
      await new Promise<void>((r) => client.send(hostile(rand), PORT, SERVER, () => r()));
    }
    for (let i = 0; i < 30; i++) {
      const stream = Buffer.concat(
        Array.from({ length: 1 + rand.int(4) }, () => {
          const p = hostile(rand);
          const length = rand.chance(0.2) ? rand.int(3) : rand.chance(0.2) ? p.length + rand.int(100) : p.length;
          return Buffer.concat([Buffer.from([length >> 8, length & 0xff]), p]);
        }),
      );
      await new Promise<void>((resolve) => {
        const socket = net.connect({ host: SERVER, port: PORT }, () => socket.end(stream));
        socket.on('error', () => resolve());
        socket.on('close', () => resolve());
        socket.resume();
      });
    }
    const answer = await new Promise<Buffer>((resolve) => {
      const ask = dgram.createSocket('udp4');
      ask.on('message', (m) => {
        ask.close();
        resolve(m);
      });
      ask.send(query('web', TYPE_A, { id: 4242 }), PORT, SERVER);
    });
    expect(decodeMessage(answer).id).toBe(4242);
    expect(addressesOf(answer)).toEqual(['10.232.3.5']);
    expect(warnings).toEqual([]);
  } finally {
    client.close();
    await server.close();
  }
});
