/**
 * The bytes received from a socket and not yet read, as the chunks they
 * came in. Reading n bytes that lie in one chunk gives a view of it; bytes
 * that span chunks are copied together once. Pure: no I/O.
 */
export class ByteQueue {
  readonly #chunks: Buffer[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The next `bytes` bytes, left in the queue. */
  peek(bytes: number): Buffer {
    return this.#read(bytes, false);
  }

  /** The next `bytes` bytes, taken out of the queue. */
  take(bytes: number): Buffer {
    return this.#read(bytes, true);
  }

  /** The byte at `offset` from the start, left in the queue. */
  byteAt(offset: number): number {
    if (offset >= this.#length) throw new RangeError(`no byte ${offset} in ${this.#length}`);
    for (const chunk of this.#chunks) {
      if (offset < chunk.length) return chunk[offset]!;
      offset -= chunk.length;
    }
    return 0;
  }

  /** The uint32 at `offset` from the start, left in the queue. */
  uint32At(offset: number, littleEndian: boolean): number {
    const a = this.byteAt(offset);
    const b = this.byteAt(offset + 1);
    const c = this.byteAt(offset + 2);
    const d = this.byteAt(offset + 3);
    return (littleEndian ? (d << 24) | (c << 16) | (b << 8) | a : (a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  }

  /** Drops the next `bytes` bytes. */
  skip(bytes: number): void {
    if (bytes > this.#length) throw new RangeError(`cannot skip ${bytes} of ${this.#length} bytes`);
    this.#length -= bytes;
    while (bytes > 0) {
      const first = this.#chunks[0]!;
      if (first.length > bytes) {
        this.#chunks[0] = first.subarray(bytes);
        return;
      }
      bytes -= first.length;
      this.#chunks.shift();
    }
  }

  clear(): void {
    this.#chunks.length = 0;
    this.#length = 0;
  }

  #read(bytes: number, consume: boolean): Buffer {
    if (bytes > this.#length) throw new RangeError(`cannot read ${bytes} of ${this.#length} bytes`);
    const first = this.#chunks[0];
    if (first === undefined || bytes === 0) return Buffer.alloc(0);
    let out: Buffer;
    if (first.length >= bytes) {
      out = first.subarray(0, bytes);
    } else {
      out = Buffer.allocUnsafe(bytes);
      let at = 0;
      for (const chunk of this.#chunks) {
        const part = Math.min(chunk.length, bytes - at);
        chunk.copy(out, at, 0, part);
        at += part;
        if (at === bytes) break;
      }
    }
    if (consume) this.skip(bytes);
    return out;
  }
}
