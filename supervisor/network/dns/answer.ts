/**
 * What the embedded DNS server says to one query (pure): the A records of the containers' names
 * on the network, no data for their other types, PTR for their addresses, and for anything else
 * "forward it" (or REFUSED when there is nowhere to forward to). Responses over UDP that do not
 * fit the client's size (512 bytes, or its EDNS size) are truncated (TC) for a retry over TCP.
 */
import {
  CLASS_ANY,
  CLASS_IN,
  decodeHeader,
  decodeMessage,
  DnsFormatError,
  encodeHeaderOnly,
  encodeMessage,
  encodeName,
  Message,
  nameKey,
  nameLabels,
  OPCODE_QUERY,
  Question,
  RCODE_FORMERR,
  RCODE_NOERROR,
  RCODE_NOTIMP,
  RCODE_REFUSED,
  ResourceRecord,
  TYPE_A,
  TYPE_ANY,
  TYPE_OPT,
  TYPE_PTR,
} from './message';

/** Docker's embedded server gives its answers this TTL (seconds). */
const ANSWER_TTL = 600;
/** RFC 1035's UDP limit without EDNS, and the most this server offers with it (RFC 6891, DNS flag day 2020). */
const UDP_PLAIN_MAX = 512;
const UDP_EDNS_MAX = 1232;

export interface DnsRecord {
  /** Names the address answers to (a container's name, aliases); any case, trailing dot or not. */
  names: string[];
  ipv4: string;
}

/** A network's names and addresses, indexed for answering. */
export interface RecordIndex {
  /** nameKey → addresses, in the order given. */
  byName: Map<string, string[]>;
  /** address → the labels of the first name given for it (its PTR answer). */
  byAddress: Map<string, string[]>;
}

/** @throws DnsFormatError for a name that cannot be a DNS name or an address that is not IPv4. */
export function indexRecords(records: DnsRecord[]): RecordIndex {
  const index: RecordIndex = { byName: new Map(), byAddress: new Map() };
  for (const r of records) {
    if (!/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(r.ipv4) || r.ipv4.split('.').some((o) => Number(o) > 255)) {
      throw new DnsFormatError(`${JSON.stringify(r.ipv4)} is not an IPv4 address`);
    }
    for (const name of r.names) {
      const labels = nameLabels(name);
      const key = nameKey(labels);
      const addresses = index.byName.get(key) ?? [];
      if (!addresses.includes(r.ipv4)) addresses.push(r.ipv4);
      index.byName.set(key, addresses);
      if (!index.byAddress.has(r.ipv4)) index.byAddress.set(r.ipv4, labels);
    }
  }
  return index;
}

export type Reply =
  | { kind: 'answer'; response: Buffer }
  /** Not a name of the network: ask the upstreams; `query` for the SERVFAIL when they fail. */
  | { kind: 'forward'; query: Message }
  /** Not a query, or too broken to answer. */
  | { kind: 'drop' };

export interface AnswerContext {
  records: RecordIndex;
  /** Whether there are upstreams to forward to (recursion available). */
  recursion: boolean;
  /** The query came over UDP (so the answer must fit its size). */
  udp: boolean;
}

/** The address of a reverse name ("5.0.232.10.in-addr.arpa" → "10.232.0.5"), else null. */
function reverseAddress(key: string): string | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(key);
  if (!m) return null;
  const octets = m.slice(1, 5).reverse();
  if (octets.some((o) => Number(o) > 255 || (o.length > 1 && o.startsWith('0')))) return null;
  return octets.join('.');
}

function localAnswers(q: Question, records: RecordIndex): ResourceRecord[] | null {
  const key = nameKey(q.labels);
  const addresses = records.byName.get(key);
  if (addresses) {
    if (q.type !== TYPE_A && q.type !== TYPE_ANY) return [];
    return addresses.map((a) => ({ labels: q.labels, type: TYPE_A, class: CLASS_IN, ttl: ANSWER_TTL, data: Buffer.from(a.split('.').map(Number)) }));
  }
  const reversed = reverseAddress(key);
  const owner = reversed === null ? undefined : records.byAddress.get(reversed);
  if (!owner) return null;
  if (q.type !== TYPE_PTR && q.type !== TYPE_ANY) return [];
  return [{ labels: q.labels, type: TYPE_PTR, class: CLASS_IN, ttl: ANSWER_TTL, data: encodeName(owner) }];
}

/** The most a UDP answer to `query` may take: 512, or its EDNS size up to this server's. */
function udpLimit(query: Message): number {
  const opt = query.additionals.find((r) => r.type === TYPE_OPT);
  return opt ? Math.max(UDP_PLAIN_MAX, Math.min(opt.class, UDP_EDNS_MAX)) : UDP_PLAIN_MAX;
}

/** The response to `query` with `rcode` and `answers`, truncated when it does not fit over UDP. */
export function respond(query: Message, rcode: number, answers: ResourceRecord[], o: { authoritative: boolean; recursion: boolean; udp: boolean }): Buffer {
  const edns = query.additionals.some((r) => r.type === TYPE_OPT);
  const response: Message = {
    id: query.id,
    qr: true,
    opcode: query.opcode,
    aa: o.authoritative,
    tc: false,
    rd: query.rd,
    ra: o.recursion,
    rcode,
    questions: query.questions,
    answers,
    authorities: [],
    // RFC 6891 6.1.1: a query with OPT gets one back, saying what this server takes.
    additionals: edns ? [{ labels: [], type: TYPE_OPT, class: UDP_EDNS_MAX, ttl: 0, data: Buffer.alloc(0) }] : [],
  };
  const bytes = encodeMessage(response);
  if (!o.udp || bytes.length <= udpLimit(query)) return bytes;
  // RFC 2181 9: no partial RRset; the client asks again over TCP.
  return encodeMessage({ ...response, tc: true, answers: [] });
}

export function answerQuery(packet: Buffer, ctx: AnswerContext): Reply {
  const header = decodeHeader(packet);
  if (!header || header.qr) return { kind: 'drop' };
  const errorOnly = (rcode: number): Reply => ({
    kind: 'answer',
    response: encodeHeaderOnly({ ...header, qr: true, aa: false, tc: false, ra: ctx.recursion, rcode }),
  });
  if (header.opcode !== OPCODE_QUERY) return errorOnly(RCODE_NOTIMP);
  let query: Message;
  try {
    query = decodeMessage(packet);
  } catch (err) {
    if (err instanceof DnsFormatError) return errorOnly(RCODE_FORMERR);
    throw err;
  }
  if (query.questions.length !== 1 || query.answers.length > 0 || query.authorities.length > 0) return errorOnly(RCODE_FORMERR);
  const q = query.questions[0];
  const answers = q.class === CLASS_IN || q.class === CLASS_ANY ? localAnswers(q, ctx.records) : null;
  if (answers) return { kind: 'answer', response: respond(query, RCODE_NOERROR, answers, { authoritative: true, recursion: ctx.recursion, udp: ctx.udp }) };
  if (!ctx.recursion) return { kind: 'answer', response: respond(query, RCODE_REFUSED, [], { authoritative: false, recursion: false, udp: ctx.udp }) };
  return { kind: 'forward', query };
}
