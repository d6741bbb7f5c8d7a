/**
 * Messages for the decoder tests, made and read by dbus-next (the oracle):
 * reply messages marshalled by dbus-next's own marshaller (with the gateway's
 * marshal fixes, as at run time), dbus-next's reading of a body followed by
 * convert-out.ts's toJson (what the gateway did before it had its own
 * decoder), a generated corpus of signatures and values, and an encoder of
 * bodies in either byte order (dbus-next only writes little-endian, and it
 * reads big-endian 64-bit integers with their two halves swapped) that is
 * checked against dbus-next's bytes before it is trusted for big-endian ones.
 */
import { createRequire } from 'node:module';
import dbus from 'dbus-next';
import { type Json, toJson } from '../../src/dbus/convert.js';
import { installMarshalFixes } from '../../src/dbus/marshal-fixes.js';
import { type TypeNode, formatSignature, parseSignature } from '../../src/dbus/signature.js';

installMarshalFixes();
const require = createRequire(import.meta.url);
const compat = require('dbus-next/lib/marshall-compat.js') as {
  marshallMessage(msg: object): [Buffer, unknown[]];
  messageToJsFmt(msg: { signature: string; body: unknown[] }): { body: unknown[] };
};
const DBusBuffer = require('dbus-next/lib/dbus-buffer.js') as new (buffer: Buffer, start: number, endian: number, fds: null, options: object) => {
  read(signature: string): unknown[];
  pos: number;
};

/** A METHOD_RETURN with this body, as dbus-next writes it. */
export function replyMessage(signature: string, body: readonly unknown[], serial = 2, replySerial = 1): Buffer {
  return compat.marshallMessage({ type: 2, serial, replySerial, destination: ':1.7', sender: ':1.3', signature, body: [...body] })[0];
}

/** Where the body of a little-endian message starts and ends. */
export function bodyRange(message: Buffer): { start: number; end: number } {
  const fieldsLength = message.readUInt32LE(12);
  const start = 16 + ((fieldsLength + 7) & ~7);
  return { start, end: start + message.readUInt32LE(4) };
}

/**
 * What the gateway got before its own decoder: dbus-next's reading of a body
 * (starting at an 8-aligned offset), then toJson of each value.
 */
export function viaDbusNext(body: Buffer, signature: string, littleEndian = true): Json[] {
  const reader = new DBusBuffer(body, 0, littleEndian ? 0x6c : 0x42, null, {});
  const values = compat.messageToJsFmt({ signature, body: reader.read(signature) }).body;
  return parseSignature(signature).map((node, i) => toJson(node, values[i]));
}

/**
 * An order-sensitive, type-exact rendering of a JSON value (key order as
 * Object.keys gives it, bigint marked), for comparisons that deepEqual might
 * let pass with keys in another order.
 */
export function exactText(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(exactText).join(',')}]`;
  return `{${Object.keys(value).map((key) => `${JSON.stringify(key)}:${exactText((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

/** A small deterministic PRNG (mulberry32), so a failing corpus case can be reproduced. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASIC = ['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 's', 'o', 'g'];
const STRINGS = ['', 'a', 'Value', 'Grüße', '温度 🌡', 'say "hi" \\ \n\t', 'x'.repeat(300), 'a\uD800b', 'xyz.openbmc_project.Sensor.Value'];
const PATHS = ['/', '/a', '/xyz/openbmc_project/sensors/temperature/t_1'];
const SIGNATURES = ['', 'a{sv}', 'ssa{sv}', '(ii)', 'h', 'v'];
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n - 1n), -(2n ** 53n), -(2n ** 53n + 1n), 2n ** 32n, -(2n ** 32n)];
const UINT64 = [0n, 1n, 2n ** 64n - 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 32n, 2n ** 63n];
// No -0: dbus-next marshals it as +0 (the decoder's -0 is covered by test/unit/decode-json.test.ts).
const DOUBLES = [0, 1.5, -1e300, 5e-324, 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 42.5];

export interface Generated {
  readonly signature: string;
  readonly body: unknown[];
}

/** A body of 1–3 random complete types (no `h`) and values for them in the form dbus-next sends. */
export function generate(random: () => number): Generated {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));

  function signature(depth: number): string {
    const roll = random();
    if (depth <= 0 || roll < 0.45) return pick(BASIC);
    if (roll < 0.6) return 'v';
    if (roll < 0.72) return `a${signature(depth - 1)}`;
    if (roll < 0.85) return `a{${pick(BASIC)}${signature(depth - 1)}}`;
    return `(${Array.from({ length: int(1, 3) }, () => signature(depth - 1)).join('')})`;
  }

  function key(code: string): string {
    switch (code) {
      case 's': {
        const text = pick(STRINGS);
        return text === '__proto__' ? 'proto' : text;
      }
      case 'o':
        return pick(PATHS);
      case 'g':
        return pick(SIGNATURES);
      case 'b':
        return String(random() < 0.5);
      case 'x':
        return String(pick(INT64));
      case 't':
        return String(pick(UINT64));
      case 'd':
        return String(pick(DOUBLES.filter(Number.isFinite)));
      default:
        return String(value(parseSignature(code)[0]!, 0));
    }
  }

  function value(node: TypeNode, depth: number): unknown {
    switch (node.code) {
      case 'y': return int(0, 255);
      case 'b': return random() < 0.5;
      case 'n': return pick([-32768, 32767, 0, int(-32768, 32767)]);
      case 'q': return pick([0, 65535, int(0, 65535)]);
      case 'i': return pick([-(2 ** 31), 2 ** 31 - 1, -1, int(-(2 ** 31), 2 ** 31 - 1)]);
      case 'u': return pick([0, 2 ** 32 - 1, int(0, 2 ** 32 - 1)]);
      case 'x': return random() < 0.7 ? pick(INT64) : BigInt(int(-(2 ** 31), 2 ** 31)) * BigInt(int(0, 2 ** 31));
      case 't': return random() < 0.7 ? pick(UINT64) : BigInt(int(0, 2 ** 31)) * BigInt(int(0, 2 ** 31));
      case 'd': return random() < 0.6 ? pick(DOUBLES) : (random() - 0.5) * 10 ** int(-10, 10);
      case 's': return pick(STRINGS);
      case 'o': return pick(PATHS);
      case 'g': return pick(SIGNATURES);
      case 'v': {
        const inner = signature(Math.min(depth, 2));
        return new dbus.Variant(inner, value(parseSignature(inner)[0]!, depth - 1));
      }
      case '(': return node.children.map((member) => value(member, depth - 1));
      case 'a': {
        const element = node.children[0]!;
        const length = int(0, 3);
        if (element.code === 'y') return Buffer.from(Array.from({ length }, () => int(0, 255)));
        if (element.code === '{') {
          const dict: Record<string, unknown> = {};
          for (let i = 0; i < length; i++) dict[key(element.children[0]!.code)] = value(element.children[1]!, depth - 1);
          return dict;
        }
        return Array.from({ length }, () => value(element, depth - 1));
      }
      default:
        throw new Error(`no generator for ${node.code}`);
    }
  }

  const types = Array.from({ length: int(1, 3) }, () => signature(3));
  const body = types.map((type) => value(parseSignature(type)[0]!, 3));
  return { signature: types.join(''), body };
}

const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, s: 4, o: 4, g: 1, v: 1, a: 4, '(': 8, '{': 8 };

/**
 * Encodes a body (values in the form dbus-next sends) in either byte order,
 * starting at an 8-aligned offset. Independent of the decoder under test.
 */
export function encodeBody(signature: string, body: readonly unknown[], littleEndian: boolean): Buffer {
  const out: number[] = [];
  const pad = (n: number) => {
    while (out.length % n !== 0) out.push(0);
  };
  const scalar = (bytes: number, write: (b: Buffer) => void) => {
    pad(bytes);
    const b = Buffer.alloc(bytes);
    write(b);
    out.push(...b);
  };
  const u32 = (v: number) => scalar(4, (b) => (littleEndian ? b.writeUInt32LE(v) : b.writeUInt32BE(v)));
  const text = (s: string, lengthBytes: 1 | 4) => {
    const bytes = Buffer.from(s, 'utf8');
    if (lengthBytes === 1) out.push(bytes.length);
    else u32(bytes.length);
    out.push(...bytes, 0);
  };
  const keyValue = (code: string, key: string): unknown => {
    if (code === 'x' || code === 't') return BigInt(key);
    if (code === 'b') return key === 'true';
    if ('ynqiud'.includes(code)) return Number(key);
    return key;
  };
  const write = (node: TypeNode, value: unknown): void => {
    switch (node.code) {
      case 'y': out.push(value as number); return;
      case 'b': u32(value ? 1 : 0); return;
      case 'n': scalar(2, (b) => (littleEndian ? b.writeInt16LE(value as number) : b.writeInt16BE(value as number))); return;
      case 'q': scalar(2, (b) => (littleEndian ? b.writeUInt16LE(value as number) : b.writeUInt16BE(value as number))); return;
      case 'i': scalar(4, (b) => (littleEndian ? b.writeInt32LE(value as number) : b.writeInt32BE(value as number))); return;
      case 'u': u32(value as number); return;
      case 'x': scalar(8, (b) => (littleEndian ? b.writeBigInt64LE(BigInt(value as bigint)) : b.writeBigInt64BE(BigInt(value as bigint)))); return;
      case 't': scalar(8, (b) => (littleEndian ? b.writeBigUInt64LE(BigInt(value as bigint)) : b.writeBigUInt64BE(BigInt(value as bigint)))); return;
      case 'd': scalar(8, (b) => (littleEndian ? b.writeDoubleLE(value as number) : b.writeDoubleBE(value as number))); return;
      case 's': case 'o': text(value as string, 4); return;
      case 'g': text(value as string, 1); return;
      case 'v': {
        const variant = value as dbus.Variant;
        text(variant.signature, 1);
        write(parseSignature(variant.signature)[0]!, variant.value);
        return;
      }
      case '(':
        pad(8);
        node.children.forEach((member, i) => write(member, (value as unknown[])[i]));
        return;
      case 'a': {
        const element = node.children[0]!;
        u32(0);
        const lengthAt = out.length - 4;
        pad(ALIGN[element.code] ?? 1);
        const start = out.length;
        if (element.code === 'y') out.push(...(value as Buffer));
        else if (element.code === '{') {
          const [keyType, valueType] = element.children as [TypeNode, TypeNode];
          for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
            pad(8);
            write(keyType, keyValue(keyType.code, key));
            write(valueType, item);
          }
        } else for (const item of value as unknown[]) write(element, item);
        const length = Buffer.alloc(4);
        if (littleEndian) length.writeUInt32LE(out.length - start);
        else length.writeUInt32BE(out.length - start);
        out.splice(lengthAt, 4, ...length);
        return;
      }
      default:
        throw new Error(`cannot encode ${formatSignature(node)}`);
    }
  };
  parseSignature(signature).forEach((node, i) => write(node, body[i]));
  return Buffer.from(out);
}

/** A whole message as the socket reader splits it: the fixed header, the header fields (padded), the body. */
export function splitMessage(message: Buffer): [Buffer, Buffer, Buffer] {
  const fields = 16 + ((message.readUInt32LE(12) + 7) & ~7);
  return [message.subarray(0, 16), message.subarray(16, fields), Buffer.from(message.subarray(fields))];
}

export interface SignalFields {
  readonly path: string;
  readonly interfaceName: string;
  readonly member: string;
  readonly sender?: string;
}

/** A SIGNAL message as dbus-next writes it. */
export function signalMessage(fields: SignalFields, signature: string, body: readonly unknown[]): Buffer {
  return compat.marshallMessage({
    type: 4, serial: 9, path: fields.path, interface: fields.interfaceName, member: fields.member,
    sender: fields.sender ?? ':1.7', signature, body: [...body],
  })[0];
}
