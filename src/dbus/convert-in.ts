/**
 * JSON → D-Bus ("values in", DESIGN section 3): converts a client's JSON
 * into the value dbus-next's marshaller accepts for a known signature, and
 * rejects anything that does not fit with a ConversionError that says where
 * (`at`), what was expected and what arrived. Pure: no I/O.
 *
 * Validation is complete up front, so the marshaller never sees a bad value
 * and a client never gets a 500 (or, worse, a silently coerced write).
 */
import dbus from 'dbus-next';
import { setOwn } from './convert-out.js';
import { isObjectPath } from './names.js';
import { type TypeNode, SignatureError, describeType, isSignature, parseSingleType } from './signature.js';

/**
 * A client value that does not fit the D-Bus type. `message` is
 * `${at}: expected ${expected}, got ${got}` and never holds a newline.
 */
export class ConversionError extends Error {
  constructor(readonly at: string, readonly expected: string, readonly got: string) {
    super(`${at}: expected ${expected}, got ${got}`);
    this.name = 'ConversionError';
  }
}

/** Inclusive integer ranges, compared as BigInt so decimal strings of any length check exactly. */
const RANGES: Readonly<Record<string, readonly [bigint, bigint]>> = {
  y: [0n, 255n], n: [-32768n, 32767n], q: [0n, 65535n], i: [-2147483648n, 2147483647n], u: [0n, 4294967295n],
  x: [-(2n ** 63n), 2n ** 63n - 1n], t: [0n, 2n ** 64n - 1n],
};
const DECIMAL = /^-?[0-9]+$/;
/** A `d` from a string: decimal digits with an optional fraction and exponent (no spaces, signs other than '-', hex, NaN or Infinity). */
const DECIMAL_NUMBER = /^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** JSON number syntax, for `d` dict keys (which arrive as object-key strings). */
const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
/** A lone UTF-16 surrogate cannot be encoded as the UTF-8 that D-Bus strings must be. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** Variants nest without limit in JSON; D-Bus caps a message's total container depth at 64. */
const MAX_VARIANT_DEPTH = 32;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const STRING = parseSingleType('s');
const STRINGS = parseSingleType('as');
const VARIANTS = parseSingleType('av');
const DICT_OF_VARIANTS = parseSingleType('a{sv}');
const VARIANT = parseSingleType('v');

/**
 * Converts client JSON to the dbus-next value for `node`.
 * Integers: JSON numbers or decimal strings, range-checked; x/t become BigInt
 * and a JSON number beyond 2^53 is refused (it already lost precision).
 * `d`: a number or a decimal string. `s`: a string or a number (its
 * canonical decimal text), as phosphor-rest-server took them.
 * `b`: true/false/0/1. `ay`: Buffer. Dicts: a JSON object or bmcweb's
 * `[{"k": v}, ...]`. Structs: arrays of exact arity. `v`: inferred or the
 * explicit `{"signature", "value"}` form, returned as a dbus-next Variant.
 * @param at JSONPath-like location of `json`, used in error messages.
 * @throws ConversionError when the value does not fit.
 */
export function fromJson(node: TypeNode, json: unknown, at = '$'): unknown {
  return convert(node, json, at, 0);
}

/** `at` for an array or struct element: `$[2]`. */
export function atIndex(at: string, index: number): string {
  return `${at}[${index}]`;
}

/** `at` for a dict key: `.Key` for identifiers, else `["JSON-quoted"]` (long keys cut). */
export function atKey(at: string, key: string): string {
  if (key.length <= 60 && IDENTIFIER.test(key)) return `${at}.${key}`;
  return `${at}[${jsonQuote(key.length > 60 ? `${key.slice(0, 60)}…` : key)}]`;
}

/** Renders a client value for `got`: compact JSON, at most 60 characters, one line. */
export function renderGot(json: unknown): string {
  if (json === undefined) return 'nothing';
  // String() keeps bigint exact and shows Infinity (from '1e400') rather than JSON's 'null'.
  if (typeof json === 'bigint' || typeof json === 'number') return String(json);
  let text: string;
  try {
    text = JSON.stringify(json) ?? typeof json;
  } catch {
    text = Array.isArray(json) ? `array of ${json.length} elements` : typeof json;
  }
  // JSON.stringify leaves U+2028/U+2029 raw; they count as line breaks in some readers.
  text = text.replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  if (text.length <= 60) return text;
  // Do not cut a surrogate pair in half.
  const cut = /[\uD800-\uDBFF]/.test(text.charAt(59)) ? 59 : 60;
  return `${text.slice(0, cut)}…`;
}

function convert(node: TypeNode, json: unknown, at: string, variants: number): unknown {
  if (json === null) throw new ConversionError(at, describeType(node), 'null');
  switch (node.code) {
    case 'y':
    case 'n':
    case 'q':
    case 'i':
    case 'u':
      return Number(toInteger(node, json, at));
    case 'x':
    case 't':
      // 64-bit values go to dbus-next as BigInt, the type it hands back when receiving.
      return toInteger(node, json, at);
    case 'd':
      return toDouble(node, json, at);
    case 'b':
      // 0/1 for the old server's clients; strings like "false" are refused, never coerced to true.
      if (typeof json === 'boolean') return json;
      if (json === 0 || json === 1) return json === 1;
      throw fail(node, json, at);
    case 's':
      return toDBusString(node, json, at);
    case 'o':
      if (typeof json === 'string' && isObjectPath(json)) return json;
      throw fail(node, json, at);
    case 'g':
      if (typeof json === 'string' && isSignature(json)) return json;
      throw fail(node, json, at);
    case 'h':
      throw new ConversionError(at, 'a file descriptor, which cannot be passed over REST', renderGot(json));
    case 'v':
      return toVariant(json, at, variants);
    case 'a':
      return toArray(node, json, at, variants);
    case '(':
      if (!Array.isArray(json) || json.length !== node.children.length) throw fail(node, json, at);
      return node.children.map((member, index) => convert(member, json[index], atIndex(at, index), variants));
    case '{':
      // Only reachable through a hand-built tree: the parser keeps '{' inside 'a'.
      throw fail(node, json, at);
  }
}

/** Integral and in range, from a JSON number or a decimal-digit string; returned as BigInt. */
function toInteger(node: TypeNode, json: unknown, at: string): bigint {
  const range = RANGES[node.code];
  let value: bigint;
  if (typeof json === 'number' && Number.isInteger(json)) {
    if ((node.code === 'x' || node.code === 't') && !Number.isSafeInteger(json)) {
      // JSON.parse already rounded it; accepting would write a different number than the client sent.
      throw new ConversionError(at, `${describeType(node)} as a decimal string (JSON numbers beyond 2^53 lose precision)`, renderGot(json));
    }
    value = BigInt(json);
  } else if (typeof json === 'string' && DECIMAL.test(json)) {
    value = BigInt(json);
  } else {
    throw fail(node, json, at);
  }
  if (range === undefined || value < range[0] || value > range[1]) throw fail(node, json, at);
  return value;
}

/** A finite JSON number, or a decimal string ("1.5", "-2e3"; phosphor-rest took them). Never NaN or ±Infinity. */
function toDouble(node: TypeNode, json: unknown, at: string): number {
  if (typeof json === 'number' && Number.isFinite(json)) return json;
  if (typeof json === 'string' && DECIMAL_NUMBER.test(json)) {
    const value = Number(json);
    if (Number.isFinite(value)) return value;
  }
  throw fail(node, json, at);
}

/**
 * A string, or a number as its canonical decimal text (5 → "5", 1.5 → "1.5",
 * as phosphor-rest stored them). An integer beyond 2^53 is refused: JSON.parse
 * already changed its digits, and the string would not be what the client sent.
 */
function toDBusString(node: TypeNode, json: unknown, at: string): string {
  if (typeof json === 'number' && Number.isFinite(json)) {
    if (Number.isInteger(json) && !Number.isSafeInteger(json)) {
      throw new ConversionError(at, `${describeType(node)} (JSON numbers beyond 2^53 lose precision; send the digits as a string)`, renderGot(json));
    }
    return String(json);
  }
  if (typeof json !== 'string') throw fail(node, json, at);
  // D-Bus strings are NUL-free UTF-8; dbus-next would throw (NUL) or silently write U+FFFD (surrogate).
  if (json.includes('\0') || LONE_SURROGATE.test(json)) {
    throw new ConversionError(at, `${describeType(node)} without NUL characters or unpaired surrogates`, renderGot(json));
  }
  return json;
}

function toArray(node: TypeNode, json: unknown, at: string, variants: number): unknown {
  const element = node.children[0];
  if (element === undefined) throw fail(node, json, at);
  if (element.code === '{') return toDict(node, element, json, at, variants);
  if (!Array.isArray(json)) throw fail(node, json, at);
  const items = json.map((item: unknown, index) => convert(element, item, atIndex(at, index), variants));
  // dbus-next marshals a Buffer for `ay` in one piece and hands Buffers back when receiving.
  return element.code === 'y' ? Buffer.from(items as number[]) : items;
}

/**
 * Dicts go to dbus-next as plain objects: its marshaller (marshall-compat.js)
 * refuses anything whose constructor is not Object (a Map included) and
 * iterates `Object.keys`, so keys are always strings. We write keys in the
 * canonical form dbus-next produces when receiving ('7' for 007, 'true' for 1).
 * x/t/s/o/g keys marshal fine that way; dbus-next 0.10.2 cannot marshal y n q
 * i u b d keys at all (its number/boolean marshallers reject the string key),
 * whatever JS value we hand it, so those dicts need a patched marshaller.
 */
function toDict(node: TypeNode, entry: TypeNode, json: unknown, at: string, variants: number): unknown {
  const [keyType, valueType] = entry.children;
  if (keyType === undefined || valueType === undefined || typeof json !== 'object' || json === null) {
    throw fail(node, json, at);
  }
  const result: { [key: string]: unknown } = {};
  const add = (source: object, base: string): void => {
    for (const [key, item] of Object.entries(source)) {
      const where = atKey(base, key);
      setOwn(result, toKey(keyType, key, where), convert(valueType, item, where, variants));
    }
  };
  if (!Array.isArray(json)) {
    add(json, at);
    return result;
  }
  // bmcweb's form: [{"k": v}, {"k2": v2, ...}], merged in order (a later duplicate wins).
  json.forEach((part: unknown, index) => {
    const where = atIndex(at, index);
    if (typeof part !== 'object' || part === null || Array.isArray(part) || Object.keys(part).length === 0) {
      throw new ConversionError(where, `object with one or more entries of a ${describeType(node)}`, renderGot(part));
    }
    add(part, where);
  });
  return result;
}

/** Converts a JSON object key (always a string) to the canonical string of the key type. */
function toKey(keyType: TypeNode, key: string, at: string): string {
  const bad = (): ConversionError => new ConversionError(at, `${describeType(keyType)} key`, renderGot(key));
  switch (keyType.code) {
    case 'b':
      if (key === 'true' || key === '1') return 'true';
      if (key === 'false' || key === '0') return 'false';
      throw bad();
    case 'd': {
      const value = Number(key);
      if (!JSON_NUMBER.test(key) || !Number.isFinite(value)) throw bad();
      return String(value);
    }
    default:
      try {
        return String(convert(keyType, key, at, 0));
      } catch (err) {
        // Keep the file-descriptor explanation; other failures read better as "<type> key".
        if (err instanceof ConversionError && keyType.code !== 'h') throw bad();
        throw err;
      }
  }
}

/**
 * `v` for method arguments. Explicit form: exactly {"signature", "value"} with
 * `signature` a string (it must then be one complete type). Otherwise inferred:
 * boolean → b, integer in int32 range → i, other safe integer → x, other number → d,
 * string → s, object → a{sv}, array of strings (or empty) → as, other array → av.
 */
function toVariant(json: unknown, at: string, variants: number): dbus.Variant {
  if (variants >= MAX_VARIANT_DEPTH) {
    throw new ConversionError(at, `at most ${MAX_VARIANT_DEPTH} nested variants`, 'deeper nesting');
  }
  const depth = variants + 1;
  switch (typeof json) {
    case 'boolean':
      return new dbus.Variant('b', json);
    case 'number':
      if (!Number.isFinite(json)) break;
      // -0 is an integer to JS, but D-Bus integers have no negative zero.
      if (Number.isInteger(json) && json >= INT32_MIN && json <= INT32_MAX) return new dbus.Variant('i', json + 0);
      if (Number.isSafeInteger(json)) return new dbus.Variant('x', BigInt(json));
      return new dbus.Variant('d', json);
    case 'string':
      return new dbus.Variant('s', toDBusString(STRING, json, at));
    case 'object': {
      if (json === null) break;
      if (Array.isArray(json)) {
        const allStrings = json.every((item) => typeof item === 'string');
        return new dbus.Variant(allStrings ? 'as' : 'av', convert(allStrings ? STRINGS : VARIANTS, json, at, depth));
      }
      const keys = Object.keys(json);
      if (keys.length === 2 && 'signature' in json && 'value' in json && typeof json.signature === 'string') {
        return typedVariant(json.signature, json.value, at, depth);
      }
      return new dbus.Variant('a{sv}', convert(DICT_OF_VARIANTS, json, at, depth));
    }
    default:
      break;
  }
  throw fail(VARIANT, json, at);
}

function typedVariant(signature: string, value: unknown, at: string, depth: number): dbus.Variant {
  let type: TypeNode;
  try {
    type = parseSingleType(signature);
  } catch (err) {
    if (!(err instanceof SignatureError)) throw err;
    throw new ConversionError(`${at}.signature`, 'a signature of one complete type', renderGot(signature));
  }
  return new dbus.Variant(signature, convert(type, value, `${at}.value`, depth));
}

function fail(node: TypeNode, json: unknown, at: string): ConversionError {
  return new ConversionError(at, describeType(node), renderGot(json));
}

function jsonQuote(text: string): string {
  return JSON.stringify(text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}
