/**
 * One string per distinct byte sequence read from messages, made without
 * decoding the bytes again once seen: an enumerate reads the same few
 * property names tens of thousands of times. Pure: no I/O.
 */
export class StringInterner {
  /** Hash of the bytes → the byte sequences seen with that hash, and their strings. */
  readonly #table = new Map<number, Array<[Buffer, string]>>();

  /** The string of the UTF-8 bytes `start` to `end` of `bytes`. */
  get(bytes: Buffer, start: number, end: number): string {
    const hash = fnv1a(bytes, start, end);
    const bucket = this.#table.get(hash);
    if (bucket) {
      for (const [known, text] of bucket) if (sameBytes(known, bytes, start, end)) return text;
    }
    const text = bytes.toString('utf8', start, end);
    const entry: [Buffer, string] = [Buffer.from(bytes.subarray(start, end)), text];
    if (bucket) bucket.push(entry);
    else this.#table.set(hash, [entry]);
    return text;
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
