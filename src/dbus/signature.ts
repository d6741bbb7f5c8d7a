/**
 * D-Bus type signatures: parsing into trees, formatting back, and the
 * human names used in client-facing error messages. Pure: no I/O.
 *
 * Every value conversion in the gateway is driven by these trees, so the
 * parser enforces the whole D-Bus specification (length, nesting limits,
 * dict-entry rules) rather than trusting introspection data blindly.
 */
import { LRUCache } from 'lru-cache';

/** One D-Bus type code; 'a', '(' and '{' are the container openers. */
export type TypeCode =
  | 'y' | 'b' | 'n' | 'q' | 'i' | 'u' | 'x' | 't' | 'd' | 'h' | 's' | 'o' | 'g' | 'v' | 'a' | '(' | '{';

/**
 * A parsed complete type. Array: code 'a' with one child. Dict: code 'a'
 * whose child has code '{' and children [key, value]. Struct: code '('
 * with its members. Nodes returned by the parser are frozen and shared.
 */
export interface TypeNode {
  readonly code: TypeCode;
  readonly children: readonly TypeNode[];
}

/** Thrown for any malformed signature; the message names the signature and the rule. */
export class SignatureError extends Error {
  constructor(readonly signature: string, reason: string) {
    super(`invalid D-Bus signature ${quote(signature)}: ${reason}`);
    this.name = 'SignatureError';
  }
}

const BASIC_CODES = new Set<string>(['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 'h', 's', 'o', 'g']);
/** Spec limits: a signature is at most 255 bytes, with ≤32 nested arrays and ≤32 nested structs. */
const MAX_SIGNATURE_LENGTH = 255;
const MAX_DEPTH = 32;
/** Parsed trees are pure and frozen, so sharing them is safe; the cap bounds memory. */
const cache = new LRUCache<string, readonly TypeNode[]>({ max: 1000 });

const NAMES: Readonly<Record<string, string>> = {
  y: 'byte', b: 'boolean', n: 'int16', q: 'uint16', i: 'int32', u: 'uint32', x: 'int64', t: 'uint64',
  d: 'double', h: 'file descriptor', s: 'string', o: 'object path', g: 'signature', v: 'variant',
};

/** True for the basic (non-container) codes, the only ones allowed as dict keys. */
export function isBasic(code: string): boolean {
  return BASIC_CODES.has(code);
}

/**
 * Parses a signature holding any number of complete types ('' gives []).
 * @throws SignatureError when the signature breaks any rule of the D-Bus spec.
 */
export function parseSignature(sig: string): TypeNode[] {
  // A fresh array so callers may not corrupt the cache; the nodes themselves are frozen.
  return [...parseCached(sig)];
}

/**
 * Parses a signature that must hold exactly one complete type
 * (a property type, a method argument, a variant's signature).
 * @throws SignatureError for '' or for more than one type.
 */
export function parseSingleType(sig: string): TypeNode {
  // Hot path (every variant toJson meets): no copy of the cached array.
  const types = parseCached(sig);
  const [first] = types;
  if (first === undefined) throw new SignatureError(sig, 'expected one complete type, got none');
  if (types.length !== 1) throw new SignatureError(sig, `expected one complete type, got ${types.length}`);
  return first;
}

/** True when `sig` is a valid signature of any number of complete types (the rules of a `g` value). */
export function isSignature(sig: string): boolean {
  try {
    parseCached(sig);
    return true;
  } catch (err) {
    if (err instanceof SignatureError) return false;
    throw err;
  }
}

function parseCached(sig: string): readonly TypeNode[] {
  let types = cache.get(sig);
  if (types === undefined) {
    types = new Parser(sig).parseAll();
    cache.set(sig, types);
  }
  return types;
}

/** Writes a tree back as its signature string (the inverse of parseSingleType). */
export function formatSignature(node: TypeNode): string {
  switch (node.code) {
    case 'a':
      return `a${node.children.map(formatSignature).join('')}`;
    case '(':
      return `(${node.children.map(formatSignature).join('')})`;
    case '{':
      return `{${node.children.map(formatSignature).join('')}}`;
    default:
      return node.code;
  }
}

/**
 * The human name of a type for error messages: 'uint32', 'array of string',
 * 'dict of string to variant', 'struct (is) of 2 elements'.
 */
export function describeType(node: TypeNode): string {
  const [first] = node.children;
  switch (node.code) {
    case 'a':
      if (first?.code === 'y') return 'array of bytes';
      if (first?.code === '{') return `dict of ${describeEntry(first)}`;
      return `array of ${first === undefined ? '?' : describeType(first)}`;
    case '(':
      return `struct ${formatSignature(node)} of ${node.children.length} elements`;
    case '{':
      return `dict entry of ${describeEntry(node)}`;
    default:
      return NAMES[node.code] ?? node.code;
  }

  function describeEntry(entry: TypeNode): string {
    const [key, value] = entry.children;
    return `${key === undefined ? '?' : describeType(key)} to ${value === undefined ? '?' : describeType(value)}`;
  }
}

/** Recursive-descent parser over one signature string; one instance per parse. */
class Parser {
  #pos = 0;
  #arrays = 0;
  #structs = 0;

  constructor(readonly sig: string) {
    if (sig.length > MAX_SIGNATURE_LENGTH) {
      throw new SignatureError(sig, `longer than ${MAX_SIGNATURE_LENGTH} characters (${sig.length})`);
    }
  }

  parseAll(): readonly TypeNode[] {
    const types: TypeNode[] = [];
    while (this.#pos < this.sig.length) types.push(this.#parseOne());
    return Object.freeze(types);
  }

  #fail(reason: string): never {
    throw new SignatureError(this.sig, `${reason} at position ${this.#pos}`);
  }

  #parseOne(): TypeNode {
    const c = this.sig[this.#pos];
    if (c === undefined) this.#fail('incomplete type');
    if (isBasic(c) || c === 'v') {
      this.#pos += 1;
      return node(c as TypeCode, []);
    }
    switch (c) {
      case 'a':
        return this.#parseArray();
      case '(':
        return this.#parseStruct();
      case '{':
        // A dict entry is only legal as the element type of an array (handled there).
        return this.#fail('dict entry {…} outside an array');
      case ')':
      case '}':
        return this.#fail(`unbalanced '${c}'`);
      default:
        return this.#fail(`unknown type code ${JSON.stringify(c)}`);
    }
  }

  #parseArray(): TypeNode {
    if (++this.#arrays > MAX_DEPTH) this.#fail(`arrays nested deeper than ${MAX_DEPTH}`);
    this.#pos += 1;
    const c = this.sig[this.#pos];
    if (c === undefined || c === ')' || c === '}') this.#fail('array without element type');
    const element = c === '{' ? this.#parseDictEntry() : this.#parseOne();
    this.#arrays -= 1;
    return node('a', [element]);
  }

  #parseStruct(): TypeNode {
    if (++this.#structs > MAX_DEPTH) this.#fail(`structs nested deeper than ${MAX_DEPTH}`);
    this.#pos += 1;
    const members: TypeNode[] = [];
    while (this.sig[this.#pos] !== ')') {
      if (this.#pos >= this.sig.length) this.#fail("unbalanced '(' (missing ')')");
      members.push(this.#parseOne());
    }
    if (members.length === 0) this.#fail('empty struct ()');
    this.#pos += 1;
    this.#structs -= 1;
    return node('(', members);
  }

  #parseDictEntry(): TypeNode {
    this.#pos += 1;
    const members: TypeNode[] = [];
    while (this.sig[this.#pos] !== '}') {
      if (this.#pos >= this.sig.length) this.#fail("unbalanced '{' (missing '}')");
      const start = this.#pos;
      const member = this.#parseOne();
      // Checked as each member arrives, so the position in the message points at the culprit.
      if (members.length === 0 && !isBasic(member.code)) {
        this.#pos = start;
        this.#fail(`dict key must be a basic type, got ${JSON.stringify(formatSignature(member))}`);
      }
      members.push(member);
    }
    if (members.length !== 2) this.#fail(`dict entry needs exactly a key and a value type, got ${members.length} types`);
    this.#pos += 1;
    return node('{', members);
  }
}

function node(code: TypeCode, children: TypeNode[]): TypeNode {
  return Object.freeze({ code, children: Object.freeze(children) });
}

/** JSON-quotes a signature for a message, cutting overlong input so messages stay small. */
function quote(sig: string): string {
  return JSON.stringify(sig.length > 64 ? `${sig.slice(0, 64)}…` : sig);
}
