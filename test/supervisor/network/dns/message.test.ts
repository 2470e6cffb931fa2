/** DNS messages to and from bytes (supervisor/network/dns/message.ts), hostile ones included. */
import { decodeMessage, DnsFormatError, encodeMessage, nameLabels, TYPE_A } from '../../../../supervisor/network/dns/message';
import { query } from './queries';

/** A header with these counts, then `body`. */
function packet(counts: [number, number, number, number], ...body: number[]): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0xbeef, 0);
  counts.forEach((c, i) => h.writeUInt16BE(c, 4 + 2 * i));
  return Buffer.concat([h, Buffer.from(body)]);
}

test('a query survives encode and decode, labels byte for byte', () => {
  const m = decodeMessage(query('Web.net1', TYPE_A, { id: 7 }));
  expect(m).toMatchObject({ id: 7, qr: false, rd: true, questions: [{ labels: ['Web', 'net1'], type: TYPE_A, class: 1 }] });
  expect(encodeMessage(m)).toEqual(query('Web.net1', TYPE_A, { id: 7 }));
});

test('compressed names are followed (a pointer back to the question)', () => {
  // Question "web" at 12; an answer whose name is a pointer to it, A 10.232.0.5.
  const p = packet([1, 1, 0, 0], 3, 0x77, 0x65, 0x62, 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 232, 0, 5);
  const m = decodeMessage(p);
  expect(m.answers).toEqual([{ labels: ['web'], type: 1, class: 1, ttl: 60, data: Buffer.from([10, 232, 0, 5]) }]);
});

test.each([
  ['a pointer to itself', packet([1, 0, 0, 0], 0xc0, 12, 0, 1, 0, 1), /pointer to 12 does not point back/],
  ['a pointer forward', packet([1, 0, 0, 0], 0xc0, 14, 0, 0, 1, 0, 1), /does not point back/],
  // "a" at 12, then a pointer at 14 back to 12: read naively, a loop.
  ['a loop through a label', packet([2, 0, 0, 0], 1, 0x61, 0, 0, 1, 0, 1, 1, 0x61, 0xc0, 19, 0, 1, 0, 1), /does not point back/],
  ['a label past the end', packet([1, 0, 0, 0], 40, 0x61, 0, 0, 0), /label runs past the end/],
  ['a pointer cut short', packet([2, 0, 0, 0], 5, ...Buffer.from('aaaaa'), 0, 0, 1, 0, 1, 0xc0), /pointer runs past the end/],
  ['a question cut short', packet([2, 0, 0, 0], 1, 0x61, 0, 0, 1, 0, 1, 0, 0, 0), /question at 20 runs past the end/],
  ['record data past the end', packet([0, 1, 0, 0], 0, 0, 1, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 1), /record data at 23 runs past the end/],
  ['huge counts', packet([0xffff, 0xffff, 0xffff, 0xffff], 0, 0, 1, 0, 1), /counts 65535\/65535\/65535\/65535 do not fit/],
  ['an extended label type', packet([1, 0, 0, 0], 0x41, 0, 0, 1, 0, 1), /label type 1 is not supported/],
  ['a name over 255 bytes', packet([1, 0, 0, 0], ...Array(5).fill([63, ...Array(63).fill(0x61)]).flat(), 0, 0, 1, 0, 1), /longer than 255 bytes/],
  ['less than a header', Buffer.from([1, 2, 3]), /shorter than a header/],
])('%s is a format error', (_what, bytes, message) => {
  expect(() => decodeMessage(bytes)).toThrow(DnsFormatError);
  expect(() => decodeMessage(bytes)).toThrow(message);
});

test('nameLabels: trailing dot or not, the root, and names that cannot be encoded', () => {
  expect(nameLabels('web.net1.')).toEqual(['web', 'net1']);
  expect(nameLabels('web')).toEqual(['web']);
  expect(nameLabels('.')).toEqual([]);
  expect(() => nameLabels('a..b')).toThrow(DnsFormatError);
  expect(() => nameLabels('x'.repeat(64))).toThrow(DnsFormatError);
  expect(() => nameLabels(Array(130).fill('ab').join('.'))).toThrow(/longer than 255 bytes/);
  expect(() => nameLabels('snow☃man')).toThrow(DnsFormatError);
});
