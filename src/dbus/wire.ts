/**
 * The D-Bus wire format of the method calls the gateway makes most, written
 * directly into one Buffer. Pure: no I/O, no dbus-next.
 *
 * Why: dbus-next builds every message through a generic marshaller that
 * re-parses the signature, wraps each header field in a variant and grows a
 * chain of small buffers (@nornagon/put). For an attribute read that was 12 %
 * of the gateway's CPU and half of everything it allocated (docs/PERFORMANCE.md).
 * The calls on the hot paths (Properties.Get/GetAll, the mapper's look-ups,
 * Introspect, GetManagedObjects, AddMatch) have bodies of basic types and
 * string arrays only; those are encoded here. Anything else (variants,
 * structs, dicts, values of an unexpected JS type) answers `undefined` and
 * goes through dbus-next as before; the unit tests check that both produce
 * the same bytes. Neither encoder checks every D-Bus rule (this one checks
 * names only for NUL, dbus-next skips member names and body object paths):
 * message-check.ts refuses a call that breaks them before either runs.
 *
 * Layout (D-Bus specification, "Message Format"), little-endian:
 *   yyyyuu a(yv)   endianness 'l', type, flags, version 1, body length, serial,
 *                  header fields PATH(o) INTERFACE(s) MEMBER(s) DESTINATION(s)
 *                  SIGNATURE(g), in dbus-next's order, each 8-aligned
 *   padding to 8, then the body (alignment counts from the message start).
 */
import { isSignature } from './signature.js';

export interface WireMethodCall {
  readonly serial: number;
  readonly destination: string;
  readonly objectPath: string;
  readonly interfaceName?: string;
  readonly member: string;
  readonly signature?: string;
  readonly body?: readonly unknown[];
  readonly flags?: number;
}

const LITTLE_ENDIAN = 0x6c; // 'l'
const METHOD_CALL = 1;
const PROTOCOL_VERSION = 1;
const FIELD = { path: 1, interface: 2, member: 3, destination: 6, signature: 8 } as const;
const BASIC = new Set(['s', 'o', 'g', 'y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd']);
const OBJECT_PATH = /^\/$|^(\/[A-Za-z0-9_]+)+$/;

/**
 * The message bytes, or `undefined` when the call is not one this encoder
 * handles (the caller then uses dbus-next's marshaller).
 */
export function encodeMethodCall(call: WireMethodCall): Buffer | undefined {
  const signature = call.signature ?? '';
  const body = call.body ?? [];
  const types = bodyTypes(signature);
  if (!types || types.length !== body.length) return undefined;
  if (!OBJECT_PATH.test(call.objectPath) || !isText(call.destination) || !isText(call.member)) return undefined;
  if (call.interfaceName !== undefined && !isText(call.interfaceName)) return undefined;
  if (signature.length > 255) return undefined;

  // Big enough for a Properties.Get or a mapper look-up; the writer grows for anything longer.
  const w = new Writer(256);
  w.u8(LITTLE_ENDIAN);
  w.u8(METHOD_CALL);
  w.u8(call.flags ?? 0);
  w.u8(PROTOCOL_VERSION);
  w.u32(0); // body length, filled in below
  w.u32(call.serial);
  w.u32(0); // header fields length, filled in below
  const fieldsStart = w.offset;
  w.field(FIELD.path, 'o', call.objectPath);
  if (call.interfaceName) w.field(FIELD.interface, 's', call.interfaceName);
  w.field(FIELD.member, 's', call.member);
  w.field(FIELD.destination, 's', call.destination);
  if (signature !== '') w.field(FIELD.signature, 'g', signature);
  const fieldsLength = w.offset - fieldsStart;
  w.pad(8);
  const bodyStart = w.offset;
  for (let i = 0; i < types.length; i++) {
    if (!w.value(types[i]!, body[i])) return undefined;
  }
  const buffer = w.finish();
  buffer.writeUInt32LE(w.offset - bodyStart, 4);
  buffer.writeUInt32LE(fieldsLength, 12);
  return buffer;
}

/** The complete types of a body signature if all are basic or arrays of s/o; else undefined. */
function bodyTypes(signature: string): string[] | undefined {
  const types: string[] = [];
  for (let i = 0; i < signature.length; i++) {
    const c = signature[i]!;
    if (BASIC.has(c)) {
      types.push(c);
    } else if (c === 'a' && (signature[i + 1] === 's' || signature[i + 1] === 'o')) {
      types.push(signature.slice(i, i + 2));
      i++;
    } else {
      return undefined;
    }
  }
  return types;
}

/** A string dbus-next would marshal as `s`: no NUL. */
function isText(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('\0');
}

function isInteger(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function int64(value: unknown, signed: boolean): bigint | undefined {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
  else return undefined;
  const [min, max] = signed ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
  return big >= min && big <= max ? big : undefined;
}

/** A growing buffer with D-Bus alignment; padding is always zero bytes. */
class Writer {
  #buffer: Buffer;
  offset = 0;

  constructor(size: number) {
    this.#buffer = Buffer.allocUnsafe(size);
  }

  #room(bytes: number): void {
    if (this.offset + bytes <= this.#buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.offset + bytes));
    this.#buffer.copy(bigger, 0, 0, this.offset);
    this.#buffer = bigger;
  }

  pad(alignment: number): void {
    const pad = (alignment - (this.offset % alignment)) % alignment;
    this.#room(pad);
    this.#buffer.fill(0, this.offset, this.offset + pad);
    this.offset += pad;
  }

  u8(value: number): void {
    this.#room(1);
    this.#buffer[this.offset++] = value;
  }

  u32(value: number): void {
    this.pad(4);
    this.#room(4);
    this.offset = this.#buffer.writeUInt32LE(value, this.offset);
  }

  /** `s` and `o`: length, UTF-8 bytes, NUL. */
  string(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.u32(length);
    this.#room(length + 1);
    this.offset += this.#buffer.write(value, this.offset, 'utf8');
    this.#buffer[this.offset++] = 0;
  }

  /** `g`: one length byte, the characters, NUL. */
  signature(value: string): void {
    this.u8(value.length);
    this.#room(value.length + 1);
    this.offset += this.#buffer.write(value, this.offset, 'ascii');
    this.#buffer[this.offset++] = 0;
  }

  /** One header field: struct (byte code, variant). */
  field(code: number, type: 'o' | 's' | 'g', value: string): void {
    this.pad(8);
    this.u8(code);
    this.signature(type);
    if (type === 'g') this.signature(value);
    else this.string(value);
  }

  /** Writes one body value of a type bodyTypes() accepted; false when the JS value does not fit. */
  value(type: string, value: unknown): boolean {
    switch (type) {
      case 's':
        if (!isText(value)) return false;
        this.string(value);
        return true;
      case 'o':
        if (typeof value !== 'string' || !OBJECT_PATH.test(value)) return false;
        this.string(value);
        return true;
      case 'g':
        if (typeof value !== 'string' || !isSignature(value)) return false;
        this.signature(value);
        return true;
      case 'y':
        if (!isInteger(value, 0, 0xff)) return false;
        this.u8(value);
        return true;
      case 'b':
        if (typeof value !== 'boolean') return false;
        this.u32(value ? 1 : 0);
        return true;
      case 'n':
      case 'q': {
        if (!isInteger(value, type === 'n' ? -0x8000 : 0, type === 'n' ? 0x7fff : 0xffff)) return false;
        this.pad(2);
        this.#room(2);
        this.offset = type === 'n' ? this.#buffer.writeInt16LE(value, this.offset) : this.#buffer.writeUInt16LE(value, this.offset);
        return true;
      }
      case 'i':
        if (!isInteger(value, -0x80000000, 0x7fffffff)) return false;
        this.pad(4);
        this.#room(4);
        this.offset = this.#buffer.writeInt32LE(value, this.offset);
        return true;
      case 'u':
        if (!isInteger(value, 0, 0xffffffff)) return false;
        this.u32(value);
        return true;
      case 'x':
      case 't': {
        const big = int64(value, type === 'x');
        if (big === undefined) return false;
        this.pad(8);
        this.#room(8);
        this.offset = type === 'x' ? this.#buffer.writeBigInt64LE(big, this.offset) : this.#buffer.writeBigUInt64LE(big, this.offset);
        return true;
      }
      case 'd':
        if (typeof value !== 'number') return false;
        this.pad(8);
        this.#room(8);
        this.offset = this.#buffer.writeDoubleLE(value, this.offset);
        return true;
      default:
        return this.#array(type.slice(1), value);
    }
  }

  /** `as` / `ao`: byte length (without the padding before the first element), then the elements. */
  #array(element: string, value: unknown): boolean {
    if (!Array.isArray(value)) return false;
    this.u32(0);
    const lengthAt = this.offset - 4;
    const start = this.offset;
    for (const item of value) {
      if (!this.value(element, item)) return false;
    }
    this.#buffer.writeUInt32LE(this.offset - start, lengthAt);
    return true;
  }

  finish(): Buffer {
    return this.#buffer.subarray(0, this.offset);
  }
}
