/**
 * DNS messages (RFC 1035 section 4) to and from bytes. Decoding trusts nothing: every read is
 * bounds-checked, counts must fit the bytes that are left, compression pointers must point
 * before the name part they are found in (so they cannot loop), and names stay within 255
 * bytes. Labels are kept as latin1 text so that any byte survives a decode and encode unchanged.
 * Encoding does not compress.
 */

export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const TYPE_OPT = 41;
export const TYPE_ANY = 255;
export const CLASS_IN = 1;
/** QCLASS * (RFC 1035 3.2.5). */
export const CLASS_ANY = 255;

export const OPCODE_QUERY = 0;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;

export const HEADER_SIZE = 12;
/** A name's wire form at most (RFC 1035 2.3.4), and a label's. */
const NAME_WIRE_MAX = 255;
const LABEL_MAX = 63;

export interface Header {
  id: number;
  /** A response (true) or a query. */
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
}

export interface Question {
  labels: string[];
  type: number;
  class: number;
}

export interface ResourceRecord {
  labels: string[];
  type: number;
  /** For OPT (RFC 6891): the sender's UDP payload size. */
  class: number;
  ttl: number;
  data: Buffer;
}

export interface Message extends Header {
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

/** A message that breaks the format; `message` says where. */
export class DnsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnsFormatError';
  }
}

/** The header of `packet`; null when it is shorter than one. */
export function decodeHeader(packet: Buffer): Header | null {
  if (packet.length < HEADER_SIZE) return null;
  const flags = packet.readUInt16BE(2);
  return {
    id: packet.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
  };
}

/** A name at `offset`: its labels and where what follows it starts. */
function readName(packet: Buffer, offset: number): { labels: string[]; next: number } {
  const labels: string[] = [];
  let pos = offset;
  // Where the part being read began: a pointer must lead before it, so each jump goes further
  // back and the walk ends.
  let partStart = offset;
  let next = -1;
  let wire = 1;
  for (;;) {
    if (pos >= packet.length) throw new DnsFormatError(`name at ${offset} runs past the end`);
    const length = packet[pos];
    if ((length & 0xc0) === 0xc0) {
      if (pos + 1 >= packet.length) throw new DnsFormatError(`name at ${offset}: pointer runs past the end`);
      const target = ((length & 0x3f) << 8) | packet[pos + 1];
      if (target >= partStart) throw new DnsFormatError(`name at ${offset}: pointer to ${target} does not point back`);
      if (next < 0) next = pos + 2;
      partStart = target;
      pos = target;
      continue;
    }
    if ((length & 0xc0) !== 0) throw new DnsFormatError(`name at ${offset}: label type ${length >> 6} is not supported`);
    if (length === 0) break;
    if (pos + 1 + length > packet.length) throw new DnsFormatError(`name at ${offset}: label runs past the end`);
    wire += length + 1;
    if (wire > NAME_WIRE_MAX) throw new DnsFormatError(`name at ${offset} is longer than ${NAME_WIRE_MAX} bytes`);
    labels.push(packet.toString('latin1', pos + 1, pos + 1 + length));
    pos += 1 + length;
  }
  return { labels, next: next >= 0 ? next : pos + 1 };
}

function need(packet: Buffer, pos: number, size: number, what: string): void {
  if (pos + size > packet.length) throw new DnsFormatError(`${what} at ${pos} runs past the end`);
}

function readRecord(packet: Buffer, offset: number): { record: ResourceRecord; next: number } {
  const { labels, next } = readName(packet, offset);
  need(packet, next, 10, 'record');
  const length = packet.readUInt16BE(next + 8);
  need(packet, next + 10, length, 'record data');
  return {
    record: {
      labels,
      type: packet.readUInt16BE(next),
      class: packet.readUInt16BE(next + 2),
      ttl: packet.readUInt32BE(next + 4),
      data: Buffer.from(packet.subarray(next + 10, next + 10 + length)),
    },
    next: next + 10 + length,
  };
}

/** @throws DnsFormatError */
export function decodeMessage(packet: Buffer): Message {
  const header = decodeHeader(packet);
  if (!header) throw new DnsFormatError(`message of ${packet.length} bytes is shorter than a header`);
  const counts = [4, 6, 8, 10].map((at) => packet.readUInt16BE(at));
  // The smallest question is 5 bytes, the smallest record 11: counts beyond that are lies.
  if (counts[0] * 5 + (counts[1] + counts[2] + counts[3]) * 11 > packet.length - HEADER_SIZE) {
    throw new DnsFormatError(`counts ${counts.join('/')} do not fit in ${packet.length} bytes`);
  }
  let pos = HEADER_SIZE;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const { labels, next } = readName(packet, pos);
    need(packet, next, 4, 'question');
    questions.push({ labels, type: packet.readUInt16BE(next), class: packet.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  const sections: ResourceRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const { record, next } = readRecord(packet, pos);
      sections[s].push(record);
      pos = next;
    }
  }
  return { ...header, questions, answers: sections[0], authorities: sections[1], additionals: sections[2] };
}

/**
 * The labels of a name given as text ("web", "web.net1.", "" or "." for the root).
 * @throws DnsFormatError for an empty label, a label over 63 bytes or a name over 255.
 */
export function nameLabels(name: string): string[] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return [];
  const labels = trimmed.split('.');
  let wire = 1;
  for (const label of labels) {
    const size = Buffer.byteLength(label, 'latin1');
    if (size === 0 || size > LABEL_MAX || /[^\x00-\xff]/.test(label)) throw new DnsFormatError(`name ${JSON.stringify(name)}: label ${JSON.stringify(label)} cannot be encoded`);
    wire += size + 1;
  }
  if (wire > NAME_WIRE_MAX) throw new DnsFormatError(`name ${JSON.stringify(name).slice(0, 80)} is longer than ${NAME_WIRE_MAX} bytes`);
  return labels;
}

/** The name for comparing: lower-case, dot-separated, no trailing dot. */
export function nameKey(labels: string[]): string {
  return labels.join('.').toLowerCase();
}

export function encodeName(labels: string[]): Buffer {
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'latin1');
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function encodeHeader(m: Header, counts: number[]): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  b.writeUInt16BE(m.id, 0);
  const flags =
    (m.qr ? 0x8000 : 0) | ((m.opcode & 0xf) << 11) | (m.aa ? 0x0400 : 0) | (m.tc ? 0x0200 : 0) | (m.rd ? 0x0100 : 0) | (m.ra ? 0x0080 : 0) | (m.rcode & 0xf);
  b.writeUInt16BE(flags, 2);
  counts.forEach((c, i) => b.writeUInt16BE(c, 4 + 2 * i));
  return b;
}

function encodeRecord(r: ResourceRecord): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(r.type, 0);
  fixed.writeUInt16BE(r.class, 2);
  fixed.writeUInt32BE(r.ttl >>> 0, 4);
  fixed.writeUInt16BE(r.data.length, 8);
  return Buffer.concat([encodeName(r.labels), fixed, r.data]);
}

export function encodeMessage(m: Message): Buffer {
  const parts = [encodeHeader(m, [m.questions.length, m.answers.length, m.authorities.length, m.additionals.length])];
  for (const q of m.questions) {
    const fixed = Buffer.alloc(4);
    fixed.writeUInt16BE(q.type, 0);
    fixed.writeUInt16BE(q.class, 2);
    parts.push(encodeName(q.labels), fixed);
  }
  for (const r of [...m.answers, ...m.authorities, ...m.additionals]) parts.push(encodeRecord(r));
  return Buffer.concat(parts);
}

/** A header-only answer to `header` (FORMERR for a question that cannot be read). */
export function encodeHeaderOnly(h: Header): Buffer {
  return encodeHeader(h, [0, 0, 0, 0]);
}
