/** DNS queries and response readers for the tests of supervisor/network/dns. */
import { CLASS_IN, decodeMessage, encodeMessage, Message, TYPE_OPT } from '../../../../supervisor/network/dns/message';

/** A standard query (RD set) for `name` of `type`; `ednsSize`: with an OPT record offering it. */
export function query(name: string, type: number, o: { id?: number; ednsSize?: number } = {}): Buffer {
  const m: Message = {
    id: o.id ?? 0x1234,
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: true,
    ra: false,
    rcode: 0,
    questions: [{ labels: name === '' ? [] : name.split('.'), type, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: o.ednsSize ? [{ labels: [], type: TYPE_OPT, class: o.ednsSize, ttl: 0, data: Buffer.alloc(0) }] : [],
  };
  return encodeMessage(m);
}

/** The IPv4 addresses of a response's A answers. */
export function addressesOf(response: Buffer): string[] {
  return decodeMessage(response)
    .answers.filter((r) => r.type === 1)
    .map((r) => [...r.data].join('.'));
}
