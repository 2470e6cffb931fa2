/** What the embedded DNS server answers (supervisor/network/dns/answer.ts), as bytes in and out. */
import { answerQuery, indexRecords, Reply } from '../../../../supervisor/network/dns/answer';
import { decodeMessage, TYPE_A, TYPE_AAAA } from '../../../../supervisor/network/dns/message';
import { addressesOf, query } from './queries';

const records = indexRecords([
  { names: ['web', 'Front.'], ipv4: '10.232.0.5' },
  { names: ['db'], ipv4: '10.232.0.6' },
  ...Array.from({ length: 40 }, (_, i) => ({ names: ['many'], ipv4: `10.232.1.${i + 1}` })),
]);
const TYPE_MX = 15;
const udp = { records, recursion: true, udp: true };

function answer(r: Reply): Buffer {
  if (r.kind !== 'answer') throw new Error(`expected an answer, got ${r.kind}`);
  return r.response;
}

test('A for a name of the network, whatever its case; the question echoed as asked', () => {
  const m = decodeMessage(answer(answerQuery(query('WEB', TYPE_A, { id: 99 }), udp)));
  expect(m).toMatchObject({ id: 99, qr: true, aa: true, ra: true, rd: true, rcode: 0, questions: [{ labels: ['WEB'] }] });
  expect(addressesOf(answer(answerQuery(query('front', TYPE_A), udp)))).toEqual(['10.232.0.5']);
  expect(addressesOf(answer(answerQuery(query('fRoNt', TYPE_A), udp)))).toEqual(['10.232.0.5']);
});

test('AAAA (and other types) of a known name: NOERROR, no data', () => {
  for (const type of [TYPE_AAAA, TYPE_MX]) {
    const m = decodeMessage(answer(answerQuery(query('db', type), udp)));
    expect(m).toMatchObject({ rcode: 0, aa: true, answers: [] });
  }
});

test('PTR for a known address names its first name', () => {
  const m = decodeMessage(answer(answerQuery(query('5.0.232.10.in-addr.arpa', 12), udp)));
  expect(m.answers).toHaveLength(1);
  expect(m.answers[0].data).toEqual(Buffer.from([3, ...Buffer.from('web'), 0]));
});

test('an unknown name or address is forwarded, or REFUSED with no upstream', () => {
  expect(answerQuery(query('example.test', TYPE_A), udp).kind).toBe('forward');
  expect(answerQuery(query('9.9.232.10.in-addr.arpa', 12), udp).kind).toBe('forward');
  const refused = decodeMessage(answer(answerQuery(query('example.test', TYPE_A), { ...udp, recursion: false })));
  expect(refused).toMatchObject({ rcode: 5, ra: false, answers: [] });
});

test('over UDP an answer past 512 bytes is truncated (TC, no answers); over TCP or with EDNS it is whole', () => {
  const truncated = decodeMessage(answer(answerQuery(query('many', TYPE_A), udp)));
  expect(truncated).toMatchObject({ tc: true, answers: [] });
  expect(addressesOf(answer(answerQuery(query('many', TYPE_A), { ...udp, udp: false })))).toHaveLength(40);
  const edns = decodeMessage(answer(answerQuery(query('many', TYPE_A, { ednsSize: 4096 }), udp)));
  expect(edns.tc).toBe(false);
  expect(edns.answers).toHaveLength(40);
  expect(edns.additionals).toEqual([expect.objectContaining({ type: 41, class: 1232 })]);
});

test('responses and short packets are dropped; broken queries get FORMERR, other opcodes NOTIMP', () => {
  const response = query('web', TYPE_A);
  response[2] |= 0x80;
  expect(answerQuery(response, udp).kind).toBe('drop');
  expect(answerQuery(Buffer.alloc(11), udp).kind).toBe('drop');
  const broken = query('web', TYPE_A).subarray(0, 14);
  expect(decodeMessage(answer(answerQuery(broken, udp)))).toMatchObject({ id: 0x1234, qr: true, rcode: 1, questions: [] });
  const two = query('web', TYPE_A);
  two.writeUInt16BE(2, 4);
  expect(decodeMessage(answer(answerQuery(two, udp))).rcode).toBe(1);
  const status = query('web', TYPE_A);
  status[2] = (status[2] & 0x87) | (2 << 3);
  expect(decodeMessage(answer(answerQuery(status, udp))).rcode).toBe(4);
});

test('records that cannot be DNS names or addresses are refused', () => {
  expect(() => indexRecords([{ names: ['a..b'], ipv4: '10.232.0.1' }])).toThrow(/cannot be encoded/);
  expect(() => indexRecords([{ names: ['ok'], ipv4: '10.232.0.300' }])).toThrow(/is not an IPv4 address/);
});
