/**
 * D-Bus → JSON ("values out", DESIGN section 3): turns what dbus-next hands
 * us for a given signature into the JSON the REST API answers with. Pure.
 *
 * A value that does not fit its signature here is a bug (in the gateway or
 * in dbus-next), not a client error, so this module throws plain Errors.
 */
import { type TypeNode, describeType, parseSingleType } from './signature.js';

/**
 * A JSON value as the gateway writes it. `bigint` only appears for 64-bit
 * integers that are not safe JS integers; the response serializer writes
 * it as exact digits.
 */
export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

/**
 * Converts a D-Bus value, as dbus-next delivers it for `node`, to JSON:
 * integers → numbers (64-bit ones beyond 2^53 stay bigint), NaN/±Infinity → null,
 * booleans stay booleans, `ay` → array of numbers, variants unwrapped,
 * structs → arrays, dicts → objects with string keys.
 * @throws Error when the value does not fit the signature.
 */
export function toJson(node: TypeNode, value: unknown): Json {
  switch (node.code) {
    case 'y':
    case 'n':
    case 'q':
    case 'i':
    case 'u':
    case 'h':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      return mismatch(node, value);
    case 'x':
    case 't':
      // dbus-next always delivers BigInt; a number can come from our own code or tests.
      if (typeof value === 'bigint') {
        const asNumber = Number(value);
        return Number.isSafeInteger(asNumber) ? asNumber : value;
      }
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      return mismatch(node, value);
    case 'd':
      if (typeof value !== 'number') return mismatch(node, value);
      // JSON has no NaN or Infinity; null is what clients of the old server saw.
      return Number.isFinite(value) ? value : null;
    case 'b':
      if (typeof value === 'boolean') return value;
      // Never leak the wire's 0/1 into JSON.
      if (value === 0 || value === 1) return value === 1;
      return mismatch(node, value);
    case 's':
    case 'o':
    case 'g':
      if (typeof value === 'string') return value;
      return mismatch(node, value);
    case 'v':
      return variantToJson(node, value);
    case 'a':
      return arrayToJson(node, value);
    case '(':
      return structToJson(node, value);
    case '{':
      // Dict entries only exist inside 'a'; arrayToJson handles them.
      return mismatch(node, value);
  }
}

/** Variants stay wrapped in dbus-next (also nested ones); unwrap with their own signature. */
function variantToJson(node: TypeNode, value: unknown): Json {
  if (typeof value === 'object' && value !== null && 'signature' in value && 'value' in value) {
    const { signature } = value;
    if (typeof signature === 'string') return toJson(parseSingleType(signature), value.value);
  }
  return mismatch(node, value);
}

function arrayToJson(node: TypeNode, value: unknown): Json {
  const element = node.children[0];
  if (element === undefined) return mismatch(node, value);
  if (element.code === '{') return dictToJson(node, element, value);
  if (element.code === 'y' && value instanceof Uint8Array) {
    // dbus-next delivers `ay` as a Buffer.
    return Array.from(value);
  }
  if (!Array.isArray(value)) return mismatch(node, value);
  return value.map((item: unknown) => toJson(element, item));
}

/**
 * dbus-next delivers a dict as a plain object whose keys JS has already turned
 * into strings (1 → '1', 5n → '5', true → 'true').
 */
function dictToJson(node: TypeNode, entry: TypeNode, value: unknown): Json {
  const valueType = entry.children[1];
  if (valueType === undefined || typeof value !== 'object' || value === null || Array.isArray(value)) {
    return mismatch(node, value);
  }
  const result: { [key: string]: Json } = {};
  if (value instanceof Uint8Array || value instanceof Map) return mismatch(node, value);
  for (const [key, item] of Object.entries(value)) setOwn(result, key, toJson(valueType, item));
  return result;
}

function structToJson(node: TypeNode, value: unknown): Json {
  if (!Array.isArray(value) || value.length !== node.children.length) return mismatch(node, value);
  return node.children.map((member, index) => toJson(member, value[index]));
}

/**
 * Sets a key without triggering the `__proto__` setter: a D-Bus key named
 * "__proto__" must become an ordinary own property, not change the prototype.
 */
export function setOwn<T>(target: { [key: string]: T }, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function mismatch(node: TypeNode, value: unknown): never {
  const kind = value === null ? 'null' : Array.isArray(value) ? `array of ${value.length}` : typeof value;
  throw new Error(`cannot convert D-Bus value to JSON: expected ${describeType(node)}, got ${kind}`);
}
