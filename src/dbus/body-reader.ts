/**
 * A cursor over the bytes of one received D-Bus message: the basic values of
 * the wire format (D-Bus specification, "Marshaling"), every read checked
 * against the end of the message. Pure: no I/O, no dbus-next.
 *
 * Offsets count from the start of the message, as alignment does: the
 * buffer handed in must start at a multiple of 8 bytes into the message
 * (the message itself, or what follows its fixed 16-byte header).
 *
 * Anything that does not fit (a read past the end, a bad length, a
 * boolean other than 0 or 1, a string without its NUL) throws DecodeError:
 * a malformed or truncated message is refused, never read as garbage and
 * never a crash.
 */

/** A received message that breaks the wire format. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/** D-Bus limits (specification, "Valid messages"). */
export const MAX_ARRAY_BYTES = 1 << 26;
const TWO_TO_32 = 4294967296;
/** |high word| below 2^21: the 64-bit value is a safe JS integer exactly when that holds and Number.isSafeInteger agrees. */
const SAFE_HIGH = 2097152;

export class BodyReader {
  readonly buffer: Buffer;
  readonly littleEndian: boolean;
  /** One past the last byte this reader may read. */
  readonly end: number;
  pos: number;
  /** Variants currently being read inside each other (bounded, see readVariant users). */
  variantDepth = 0;

  constructor(buffer: Buffer, start: number, end: number, littleEndian: boolean) {
    this.buffer = buffer;
    this.pos = start;
    this.end = end;
    this.littleEndian = littleEndian;
  }

  /** Skips the padding to a multiple of `n` (1, 2, 4 or 8). */
  align(n: number): void {
    const aligned = (this.pos + n - 1) & -n;
    if (aligned > this.end) throw new DecodeError('message truncated (in padding)');
    this.pos = aligned;
  }

  #need(bytes: number): number {
    const at = this.pos;
    if (at + bytes > this.end) throw new DecodeError('message truncated');
    this.pos = at + bytes;
    return at;
  }

  byte(): number {
    return this.buffer[this.#need(1)]!;
  }

  uint16(): number {
    this.align(2);
    const at = this.#need(2);
    return this.littleEndian ? this.buffer.readUInt16LE(at) : this.buffer.readUInt16BE(at);
  }

  int16(): number {
    this.align(2);
    const at = this.#need(2);
    return this.littleEndian ? this.buffer.readInt16LE(at) : this.buffer.readInt16BE(at);
  }

  uint32(): number {
    this.align(4);
    const at = this.#need(4);
    return this.littleEndian ? this.buffer.readUInt32LE(at) : this.buffer.readUInt32BE(at);
  }

  int32(): number {
    this.align(4);
    const at = this.#need(4);
    return this.littleEndian ? this.buffer.readInt32LE(at) : this.buffer.readInt32BE(at);
  }

  /** `b`: a uint32 that must be 0 or 1. */
  boolean(): boolean {
    const value = this.uint32();
    if (value > 1) throw new DecodeError(`boolean of value ${value}`);
    return value === 1;
  }

  /** `x`/`t`: a number when it is a safe integer, else a bigint (what the JSON writer prints exactly). */
  int64(signed: boolean): number | bigint {
    this.align(8);
    const at = this.#need(8);
    const b = this.buffer;
    const low = this.littleEndian ? b.readUInt32LE(at) : b.readUInt32BE(at + 4);
    const high = signed
      ? (this.littleEndian ? b.readInt32LE(at + 4) : b.readInt32BE(at))
      : (this.littleEndian ? b.readUInt32LE(at + 4) : b.readUInt32BE(at));
    if (high > -SAFE_HIGH - 1 && high < SAFE_HIGH + 1) {
      const value = high * TWO_TO_32 + low;
      if (Number.isSafeInteger(value)) return value;
    }
    if (signed) return this.littleEndian ? b.readBigInt64LE(at) : b.readBigInt64BE(at);
    return this.littleEndian ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
  }

  double(): number {
    this.align(8);
    const at = this.#need(8);
    return this.littleEndian ? this.buffer.readDoubleLE(at) : this.buffer.readDoubleBE(at);
  }

  /** `s` and `o`: uint32 length, UTF-8 bytes, NUL (invalid UTF-8 becomes U+FFFD, as in dbus-next). */
  string(): string {
    const length = this.uint32();
    return this.#text(length);
  }

  /** `g`: one length byte, the characters, NUL. */
  signature(): string {
    return this.#text(this.byte());
  }

  #text(length: number): string {
    const at = this.pos;
    if (at + length + 1 > this.end) throw new DecodeError('message truncated (in a string)');
    if (this.buffer[at + length] !== 0) throw new DecodeError('string without its NUL terminator');
    this.pos = at + length + 1;
    return length === 0 ? '' : this.buffer.toString('utf8', at, at + length);
  }

  /** Skips a `s`/`o` value without making a string of it. */
  skipString(): void {
    this.stringBytes();
  }

  /**
   * Reads a `s`/`o` value without making a string of it: answers where its
   * UTF-8 bytes start; they end at `pos - 1` (the NUL).
   */
  stringBytes(): number {
    const length = this.uint32();
    const at = this.pos;
    if (at + length + 1 > this.end) throw new DecodeError('message truncated (in a string)');
    if (this.buffer[at + length] !== 0) throw new DecodeError('string without its NUL terminator');
    this.pos = at + length + 1;
    return at;
  }

  /**
   * Starts an array: reads its byte length and the padding to its first
   * element (present even when the array is empty), and answers the offset
   * where the array ends. The caller reads elements while `pos < end` and
   * then calls `endArray`.
   */
  beginArray(elementAlignment: number): number {
    const length = this.uint32();
    if (length > MAX_ARRAY_BYTES) throw new DecodeError(`array of ${length} bytes (more than the 64 MiB D-Bus allows)`);
    this.align(elementAlignment);
    const end = this.pos + length;
    if (end > this.end) throw new DecodeError('message truncated (in an array)');
    return end;
  }

  /** Checks that the elements ended exactly where the array's length said. */
  endArray(end: number): void {
    if (this.pos !== end) throw new DecodeError('array element crosses the end of its array');
  }

  /** Skips a whole array (whose length is known from its header) without reading its elements. */
  skipArray(elementAlignment: number): void {
    this.pos = this.beginArray(elementAlignment);
  }

  /** The raw bytes of a byte array (`ay`), as numbers. */
  bytes(): number[] {
    const end = this.beginArray(1);
    const out: number[] = [];
    for (let i = this.pos; i < end; i++) out.push(this.buffer[i]!);
    this.pos = end;
    return out;
  }
}
