/**
 * One string per distinct byte sequence read from messages, numbered in the
 * order first seen, made without decoding the bytes again once seen: an
 * enumerate reads the same few property names tens of thousands of times.
 * Pure: no I/O.
 */
export class StringInterner {
  /** Hash of the bytes → ids of the byte sequences seen with that hash. */
  readonly #table = new Map<number, number[]>();
  readonly #bytes: Buffer[] = [];
  readonly #texts: string[] = [];

  /** Distinct strings so far (ids are 0 to size - 1). */
  get size(): number {
    return this.#texts.length;
  }

  /** The id of the UTF-8 bytes `start` to `end` of `bytes`. */
  id(bytes: Buffer, start: number, end: number): number {
    const hash = fnv1a(bytes, start, end);
    const bucket = this.#table.get(hash);
    if (bucket) {
      for (const id of bucket) if (sameBytes(this.#bytes[id]!, bytes, start, end)) return id;
    }
    const id = this.#texts.length;
    this.#bytes.push(Buffer.from(bytes.subarray(start, end)));
    this.#texts.push(bytes.toString('utf8', start, end));
    if (bucket) bucket.push(id);
    else this.#table.set(hash, [id]);
    return id;
  }

  text(id: number): string {
    return this.#texts[id]!;
  }
}

/** 32-bit FNV-1a of some bytes. */
export function fnv1a(bytes: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
  return hash >>> 0;
}

/** Byte comparison in JS: for the short sequences here, cheaper than a call into Buffer#compare. */
function sameBytes(known: Buffer, bytes: Buffer, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let i = 0; i < known.length; i++) if (known[i] !== bytes[start + i]) return false;
  return true;
}
