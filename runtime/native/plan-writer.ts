/**
 * The wire primitives of the plan format (the comment at the top of native/src/exec/plan.c) with
 * the checks of the contract: a value the format or the table's bounds cannot carry is refused
 * with the path of the offending field, never truncated or wrapped. The generated encoder
 * (runtime/native/generated/plan-encoder.ts) calls these with the bounds of
 * runtime/plan/contract/steps.json; the C decoder checks the same bounds.
 */
const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

/** The first buffer's size: a container's plan without a seccomp program fits. */
const INITIAL_BYTES = 16 * 1024;

export class PlanWriter {
  // One buffer that doubles when full: a plan has thousands of fields (a seccomp program four per
  // instruction), and a Buffer for each, concatenated at the end, cost more than the encoding.
  private buf = Buffer.allocUnsafe(INITIAL_BYTES);
  private length = 0;

  /** Room for `n` more bytes at `this.length`. */
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  /** Throws the encoder's error for the field at `where`. */
  refuse(where: string, message: string): never {
    throw new RangeError(`${where}: ${message}`);
  }

  header(magic: string, version: number): void {
    const n = Buffer.byteLength(magic, 'latin1');
    this.reserve(n);
    this.length += this.buf.write(magic, this.length, n, 'latin1');
    this.u32(version, 'version');
  }

  private integer(value: number, where: string, min: number, max: number): void {
    if (!Number.isInteger(value) || value < min || value > max) this.refuse(where, `expected an integer in [${min}, ${max}], got ${value}`);
  }

  u8(value: number, where: string, min = 0, max = 0xff): void {
    this.integer(value, where, min, max);
    this.reserve(1);
    this.buf[this.length++] = value;
  }

  u32(value: number, where: string, min = 0, max = U32_MAX): void {
    this.integer(value, where, min, max);
    this.reserve(4);
    this.length = this.buf.writeUInt32LE(value, this.length);
  }

  /** A signed value, as two's complement (C reads it back as an int32_t). */
  i32(value: number, where: string, min: number, max: number): void {
    this.integer(value, where, min, max);
    this.reserve(4);
    this.length = this.buf.writeInt32LE(value, this.length);
  }

  /** A decimal string of the plan types (capability masks, rlimits) as a u64. */
  u64(decimal: string, where: string): void {
    if (typeof decimal !== 'string' || !/^[0-9]+$/.test(decimal) || BigInt(decimal) > U64_MAX) {
      this.refuse(where, `expected a decimal string of an unsigned 64-bit integer, got ${JSON.stringify(decimal)}`);
    }
    this.reserve(8);
    this.length = this.buf.writeBigUInt64LE(BigInt(decimal), this.length);
  }

  bool(value: boolean, where: string): void {
    if (typeof value !== 'boolean') throw new TypeError(`${where}: expected a boolean, got ${JSON.stringify(value)}`);
    this.reserve(1);
    this.buf[this.length++] = value ? 1 : 0;
  }

  /** A path or name: no NUL byte (C could not carry it), `length` bytes when given. */
  str(value: string, where: string, length?: { min: number; max: number; what: string }): void {
    if (typeof value !== 'string') throw new TypeError(`${where}: expected a string, got ${JSON.stringify(value)}`);
    if (value.includes('\0')) this.refuse(where, 'must not contain a NUL character');
    const bytes = Buffer.byteLength(value, 'utf8');
    if (length && (bytes < length.min || bytes > length.max)) {
      this.refuse(where, `${length.what} must be ${length.min} to ${length.max} bytes, got ${bytes}`);
    }
    this.bytes(value, where);
  }

  /** File contents: any string. */
  bytes(value: string, where: string): void {
    if (typeof value !== 'string') throw new TypeError(`${where}: expected a string, got ${JSON.stringify(value)}`);
    const n = Buffer.byteLength(value, 'utf8');
    this.u32(n, where);
    this.reserve(n);
    this.length += this.buf.write(value, this.length, n, 'utf8');
  }

  optstr(value: string | null, where: string): void {
    this.bool(value !== null, where);
    if (value !== null) this.str(value, where);
  }

  /** The count of a list, within the contract's bounds. */
  count(list: readonly unknown[], where: string, minItems: number, maxItems: number, what: string): void {
    if (!Array.isArray(list)) throw new TypeError(`${where}: expected a list, got ${JSON.stringify(list)}`);
    if (list.length < minItems) this.refuse(where, minItems === 1 ? `${what} is empty` : `${what} holds fewer than ${minItems}`);
    if (list.length > maxItems) this.refuse(where, `at most ${maxItems} items, got ${list.length}`);
    this.u32(list.length, where);
  }

  /** The wire value of an enumerated string. */
  oneOf(table: Record<string, number>, value: string, where: string): number {
    if (!Object.prototype.hasOwnProperty.call(table, value)) {
      this.refuse(where, `expected one of ${Object.keys(table).join(', ')}, got ${JSON.stringify(value)}`);
    }
    return table[value];
  }

  /** The plan's bytes: a view of the writer's buffer, which nothing writes to after this. */
  finish(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
