/**
 * The JSON text of the values the gateway answers with, written as bytes:
 * 2-space indent (or none), object keys sorted (phosphor-rest-server used
 * `json.dumps(indent=2, sort_keys=True)`), 64-bit integers as exact digits
 * (Node 20 has no `JSON.rawJSON`, and `JSON.stringify` throws on BigInt), NaN
 * and ±Infinity as `null` (the original's bare `NaN` token was invalid JSON),
 * everything from U+007F up escaped as `\uXXXX` like Python's `ensure_ascii`.
 * The text is therefore ASCII, one byte per character. Pure: no I/O.
 *
 * Why bytes in chunks rather than a string: an enumerate answer runs to
 * megabytes; it is written once into buffers that go to the socket as they
 * are (and to every client of a shared enumerate), instead of as a list of
 * small strings joined into one string and encoded again. Chunks start small
 * (an error envelope fits the first) and grow to 64 KiB.
 */
import type { Json } from './convert-out.js';

const FIRST_CHUNK = 1024;
const MAX_CHUNK = 64 * 1024;
/** Below this length a string is copied byte by byte (faster than Buffer#write for short text). */
const SHORT = 48;
/** What must be escaped in a JSON string here: quote, backslash, controls, and U+007F up. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;
const NON_ASCII = /[\u007f-\uffff]/g;

export class JsonWriter {
  readonly indent: number;
  /** Finished chunks, and where each starts in the whole text. */
  readonly #chunks: Buffer[] = [];
  readonly #starts: number[] = [];
  #chunk: Buffer;
  #at = 0;
  #done = 0;
  /** '\n' plus the indentation of each depth, made once per writer. */
  readonly #newlines: string[] = [];

  constructor(indent = 2) {
    this.indent = indent;
    this.#chunk = Buffer.allocUnsafe(FIRST_CHUNK);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#done + this.#at;
  }

  #room(bytes: number): void {
    if (this.#at + bytes <= this.#chunk.length) return;
    if (this.#at > 0) {
      this.#chunks.push(this.#chunk.subarray(0, this.#at));
      this.#starts.push(this.#done);
      this.#done += this.#at;
    }
    this.#chunk = Buffer.allocUnsafe(Math.max(bytes, Math.min(MAX_CHUNK, this.#chunk.length * 4)));
    this.#at = 0;
  }

  /** Text the caller knows is ASCII and needs no escaping (punctuation, numbers, escaped strings). */
  ascii(text: string): void {
    const n = text.length;
    this.#room(n);
    const chunk = this.#chunk;
    let at = this.#at;
    if (n < SHORT) {
      for (let i = 0; i < n; i++) chunk[at++] = text.charCodeAt(i);
    } else {
      at += chunk.write(text, at, 'latin1');
    }
    this.#at = at;
  }

  /** Bytes the caller knows are ASCII text needing no escaping. */
  bytes(source: Buffer, start: number, end: number): void {
    const n = end - start;
    this.#room(n);
    if (n < SHORT) {
      const chunk = this.#chunk;
      let at = this.#at;
      for (let i = start; i < end; i++) chunk[at++] = source[i]!;
      this.#at = at;
    } else {
      this.#at += source.copy(this.#chunk, this.#at, start, end);
    }
  }

  /** '\n' and the indentation of `depth` (nothing without indentation). */
  newline(depth: number): void {
    if (this.indent === 0) return;
    this.ascii((this.#newlines[depth] ??= '\n' + ' '.repeat(depth * this.indent)));
  }

  /** A JSON string. */
  string(text: string): void {
    if (!NEEDS_ESCAPE.test(text)) {
      this.#room(text.length + 2);
      this.#chunk[this.#at++] = 0x22;
      this.ascii(text);
      this.#chunk[this.#at++] = 0x22;
      return;
    }
    this.ascii(JSON.stringify(text).replace(NON_ASCII, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0')));
  }

  /** A number (finite: as JS prints it; otherwise null) or a bigint (exact digits). */
  number(value: number | bigint): void {
    this.ascii(typeof value === 'bigint' || Number.isFinite(value) ? String(value) : 'null');
  }

  /** `"key": ` (`"key":` without indentation), after the separator the caller wrote. */
  key(name: string): void {
    this.string(name);
    this.ascii(this.indent > 0 ? ': ' : ':');
  }

  /** Any JSON value at `depth` (nesting level of its first line's container). */
  value(value: Json, depth: number): void {
    switch (typeof value) {
      case 'string':
        this.string(value);
        return;
      case 'number':
      case 'bigint':
        this.number(value);
        return;
      case 'boolean':
        this.ascii(value ? 'true' : 'false');
        return;
    }
    if (value === null) {
      this.ascii('null');
      return;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) {
        this.ascii('[]');
        return;
      }
      this.ascii('[');
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.ascii(',');
        this.newline(depth + 1);
        this.value(value[i] as Json, depth + 1);
      }
      this.newline(depth);
      this.ascii(']');
      return;
    }
    const keys = Object.keys(value).sort(compareKeys);
    if (keys.length === 0) {
      this.ascii('{}');
      return;
    }
    this.ascii('{');
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (i > 0) this.ascii(',');
      this.newline(depth + 1);
      this.key(key);
      this.value(value[key] as Json, depth + 1);
    }
    this.newline(depth);
    this.ascii('}');
  }

  /** Copies bytes `start` to `end` (positions in `source`'s whole text) of another writer's text. */
  copy(source: JsonWriter, start: number, end: number): void {
    if (start < 0 || end > source.length || start > end) throw new RangeError(`no bytes ${start}..${end} in a text of ${source.length}`);
    let index = source.#chunkAt(start);
    let at = start;
    while (at < end) {
      const [chunk, chunkStart] = index < source.#chunks.length
        ? [source.#chunks[index]!, source.#starts[index]!]
        : [source.#chunk.subarray(0, source.#at), source.#done];
      const from = at - chunkStart;
      const to = Math.min(chunk.length, end - chunkStart);
      this.#room(to - from);
      chunk.copy(this.#chunk, this.#at, from, to);
      this.#at += to - from;
      at = chunkStart + to;
      index++;
    }
  }

  /** The chunk that holds position `position` (the current one is index #chunks.length). */
  #chunkAt(position: number): number {
    let low = 0;
    let high = this.#chunks.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (this.#starts[mid]! + this.#chunks[mid]!.length <= position) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The text so far as chunks (no copy), and the writer empty again: for text sent as it is written. */
  drain(): Buffer[] {
    const chunks = this.chunks();
    this.#chunks.length = 0;
    this.#starts.length = 0;
    this.#done = 0;
    this.#chunk = this.#chunk.subarray(this.#at);
    this.#at = 0;
    return chunks;
  }

  /** The text so far, as the list of chunks it is kept in (no copy). */
  chunks(): Buffer[] {
    return this.#at > 0 ? [...this.#chunks, this.#chunk.subarray(0, this.#at)] : [...this.#chunks];
  }

  toBuffer(): Buffer {
    const chunks = this.chunks();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.length);
  }

  toString(): string {
    return this.toBuffer().toString('latin1');
  }
}

/** Code-unit order, as Python sorts str keys for ASCII names. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
