/**
 * Received D-Bus values straight to the JSON the REST API answers with, in
 * one pass over the message bytes. Pure: no I/O, no dbus-next.
 *
 * Why: dbus-next decodes a reply in two passes (a generic tree of arrays,
 * then Variant objects and plain objects), and convert-out.ts then makes a
 * third copy as JSON. For a 1,000-sensor GetManagedObjects that was most of
 * the gateway's CPU and garbage (docs/PERFORMANCE.md). Here a signature is
 * compiled once into a tree of small reader functions, and each value is
 * produced in its final form: integers as numbers (64-bit ones beyond 2^53
 * as bigint), NaN and ±Infinity as null, booleans as true/false, `ay` as an
 * array of numbers, variants unwrapped, structs as arrays, dicts as objects
 * whose keys are the key's decimal or text form. That is exactly what
 * dbus-next's decoder followed by convert-out.ts's toJson gives, which
 * test/unit/decode-json.test.ts checks on the conversion table and a
 * generated corpus; the one difference is a dict key "__proto__", which
 * dbus-next loses and this decoder keeps as an ordinary key.
 *
 * Malformed or truncated bodies throw DecodeError (body-reader.ts), as do
 * unix file descriptors (`h`), which the gateway never receives.
 */
import { BodyReader, DecodeError } from './body-reader.js';
import type { Json } from './convert-out.js';
import { fnv1a } from './string-interner.js';
import { type TypeNode, parseSignature, parseSingleType } from './signature.js';

export { BodyReader, DecodeError } from './body-reader.js';

/** Reads one value of a compiled type at the reader's position. */
export type ReadJson = (reader: BodyReader) => Json;
type ReadKey = (reader: BodyReader) => string;

/** Alignment of each type code's values on the wire. */
const ALIGNMENT: Readonly<Record<string, number>> = {
  y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, h: 4, s: 4, o: 4, g: 1, v: 1, a: 4, '(': 8, '{': 8,
};
/** Variants inside variants: the specification's bound on nesting (64), so a crafted message cannot recurse without end. */
const MAX_VARIANT_DEPTH = 64;

/** Parsed signatures are frozen and shared (signature.ts), so a compiled reader can hang off its node. */
const compiled = new WeakMap<TypeNode, ReadJson>();

export function alignmentOf(node: TypeNode): number {
  return ALIGNMENT[node.code] ?? 1;
}

/** The reader of one complete type (compiled on first use). */
export function jsonReader(node: TypeNode): ReadJson {
  let read = compiled.get(node);
  if (read === undefined) {
    read = compile(node);
    compiled.set(node, read);
  }
  return read;
}

/**
 * Every value of a message body of `signature`, which must end exactly at
 * the reader's end.
 * @throws DecodeError for a bad signature or a body that does not fit it.
 */
export function readBody(reader: BodyReader, signature: string): Json[] {
  const values = readerTypes(signature).map((node) => jsonReader(node)(reader));
  if (reader.pos !== reader.end) throw new DecodeError(`${reader.end - reader.pos} bytes after the last value of '${signature}'`);
  return values;
}

function readerTypes(signature: string): TypeNode[] {
  try {
    return parseSignature(signature);
  } catch (err) {
    throw new DecodeError(err instanceof Error ? err.message : String(err));
  }
}

/** The basic types by their code's byte: a variant of one of them (most properties) needs no signature string. */
const BASIC_TYPES: ReadonlyArray<TypeNode | undefined> = (() => {
  const table: Array<TypeNode | undefined> = [];
  for (const code of 'ybnqiuxtdsogv') table[code.charCodeAt(0)] = parseSingleType(code);
  return table;
})();

/**
 * A variant's type: its signature, which must be one complete type.
 * Variants are entered one level deeper (see MAX_VARIANT_DEPTH); the caller
 * leaves with `reader.variantDepth--` after the value.
 */
export function variantType(reader: BodyReader): TypeNode {
  if (++reader.variantDepth > MAX_VARIANT_DEPTH) throw new DecodeError(`variants nested deeper than ${MAX_VARIANT_DEPTH}`);
  const at = reader.pos;
  const bytes = reader.buffer;
  if (at + 3 <= reader.end && bytes[at] === 1 && bytes[at + 2] === 0) {
    const basic = BASIC_TYPES[bytes[at + 1]!];
    if (basic !== undefined) {
      reader.pos = at + 3;
      return basic;
    }
  }
  const signature = reader.signature();
  try {
    return parseSingleType(signature);
  } catch (err) {
    throw new DecodeError(`variant: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A variant's value: its own signature (one complete type), then the value. */
export function readVariant(reader: BodyReader): Json {
  const value = jsonReader(variantType(reader))(reader);
  reader.variantDepth--;
  return value;
}

/**
 * A dict of `a{?…}` read into a plain object: keys in the order JS gives
 * them (as dbus-next's objects), a repeated key keeps its first place and
 * its last value, and "__proto__" is an own key, not the prototype.
 */
function readDict(reader: BodyReader, readKey: ReadKey, readValue: ReadJson): { [key: string]: Json } {
  const end = reader.beginArray(8);
  const out: { [key: string]: Json } = {};
  while (reader.pos < end) {
    reader.align(8);
    const key = readKey(reader);
    const value = readValue(reader);
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  reader.endArray(end);
  return out;
}

/**
 * Reads the entries of a string-keyed dict whose values are dicts
 * (`a{sa{…}}`) into `out`, so that values with the same bytes become one
 * shared, frozen object. The mapper's GetSubTree lists thousands of objects
 * whose owners and interfaces are the same few combinations (every sensor of
 * a daemon): they are decoded once and kept once. The entries come one by
 * one (entry-stream.ts), so the reader keeps the values it has seen.
 */
export function sharedDictEntries(out: { [key: string]: Json }, valueNode: TypeNode): (reader: BodyReader) => void {
  if (valueNode.code !== 'a' || valueNode.children[0]?.code !== '{') throw new TypeError('the values must be dicts');
  const readValue = jsonReader(valueNode);
  /** Hash of a value's bytes → the values seen with that hash, with a copy of their bytes. */
  const seen = new Map<number, Array<[Buffer, Json]>>();
  return (r) => {
    const key = r.string();
    const start = r.pos;
    // A dict's entries start 8-aligned, so equal entries are equal bytes wherever the dict is.
    const end = r.beginArray(8);
    const contentStart = r.pos;
    const hash = fnv1a(r.buffer, contentStart, end);
    const candidates = seen.get(hash);
    let value = candidates?.find(([bytes]) => r.buffer.compare(bytes, 0, bytes.length, contentStart, end) === 0)?.[1];
    if (value === undefined) {
      r.pos = start;
      value = deepFreeze(readValue(r));
      const entry: [Buffer, Json] = [Buffer.from(r.buffer.subarray(contentStart, end)), value];
      if (candidates) candidates.push(entry);
      else seen.set(hash, [entry]);
    } else {
      r.pos = end;
    }
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  };
}

function deepFreeze(value: Json): Json {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item as Json);
    Object.freeze(value);
  }
  return value;
}

function compile(node: TypeNode): ReadJson {
  switch (node.code) {
    case 'y':
      return (r) => r.byte();
    case 'b':
      return (r) => r.boolean();
    case 'n':
      return (r) => r.int16();
    case 'q':
      return (r) => r.uint16();
    case 'i':
      return (r) => r.int32();
    case 'u':
      return (r) => r.uint32();
    case 'x':
      return (r) => r.int64(true);
    case 't':
      return (r) => r.int64(false);
    case 'd':
      return (r) => {
        const value = r.double();
        // JSON has no NaN or Infinity; null is what clients of the old server saw.
        return Number.isFinite(value) ? value : null;
      };
    case 's':
    case 'o':
      return (r) => r.string();
    case 'g':
      return (r) => r.signature();
    case 'h':
      return () => {
        throw new DecodeError('unix file descriptors (h) are not accepted');
      };
    case 'v':
      return readVariant;
    case '(':
      return compileStruct(node.children.map(jsonReader));
    case 'a':
      return compileArray(node);
    case '{':
      // Dict entries only exist as array elements (compileArray).
      throw new DecodeError('dict entry outside an array');
  }
}

function compileStruct(members: readonly ReadJson[]): ReadJson {
  return (r) => {
    r.align(8);
    const out: Json[] = [];
    for (const member of members) out.push(member(r));
    return out;
  };
}

function compileArray(node: TypeNode): ReadJson {
  const element = node.children[0]!;
  if (element.code === 'y') return (r) => r.bytes();
  if (element.code === '{') {
    const readKey = keyReader(element.children[0]!);
    const readValue = jsonReader(element.children[1]!);
    return (r) => readDict(r, readKey, readValue);
  }
  const readElement = jsonReader(element);
  const alignment = alignmentOf(element);
  return (r) => {
    const end = r.beginArray(alignment);
    const out: Json[] = [];
    while (r.pos < end) out.push(readElement(r));
    r.endArray(end);
    return out;
  };
}

/**
 * A dict key as the object key dbus-next would make of it: numbers and
 * bigints in decimal, booleans as "true"/"false", doubles as JS prints them
 * ("NaN" included, since a key is never null).
 */
function keyReader(node: TypeNode): ReadKey {
  switch (node.code) {
    case 's':
    case 'o':
      return (r) => r.string();
    case 'g':
      return (r) => r.signature();
    case 'b':
      return (r) => (r.boolean() ? 'true' : 'false');
    case 'd':
      return (r) => String(r.double());
    case 'h':
      return () => {
        throw new DecodeError('unix file descriptors (h) are not accepted');
      };
    default: {
      const read = jsonReader(node);
      return (r) => String(read(r));
    }
  }
}
