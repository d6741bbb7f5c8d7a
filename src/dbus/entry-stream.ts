/**
 * A big reply read entry by entry while its bytes arrive, so that it is
 * never held whole. The replies worth it are dicts of a string or object
 * path to an array: GetSubTree (`a{sa{sas}}`, 4.7 MB for 10,000 objects)
 * and GetManagedObjects (`a{oa{sa{sv}}}`, megabytes per sensor daemon).
 * Each entry's size can be told from its first bytes (the key's length, then
 * the value array's length), so each is handed over as soon as it is
 * complete, in a reader of its own bytes (alignment kept: entries start on 8
 * bytes). Pure: no I/O.
 */
import { BodyReader, DecodeError, MAX_ARRAY_BYTES } from './body-reader.js';
import type { ByteQueue } from './byte-queue.js';

/** Reads one dict entry at the reader's position (key and value), and nothing more. */
export type EntryReader = (reader: BodyReader) => void;

/** Where the entries of one reply go, and how it ends. */
export interface EntryConsumer {
  readonly entry: EntryReader;
  /** Called once, after the last byte of the body: with the error if the body was malformed. */
  end(error?: DecodeError): void;
}

/** Reads every entry of a whole body (the same readers as when streamed). */
export function readEntries(reader: BodyReader, entry: EntryReader): void {
  const end = reader.beginArray(8);
  while (reader.pos < end) {
    reader.align(8);
    entry(reader);
  }
  reader.endArray(end);
}

const align = (offset: number, n: number) => (offset + n - 1) & -n;

export class EntryStream {
  readonly #consumer: EntryConsumer;
  readonly #bodyLength: number;
  readonly #littleEndian: boolean;
  /** Body bytes consumed so far. */
  #offset = 0;
  /** Where the entries end (known after the array's length). */
  #arrayEnd = -1;
  #failed = false;

  constructor(consumer: EntryConsumer, bodyLength: number, littleEndian: boolean) {
    this.#consumer = consumer;
    this.#bodyLength = bodyLength;
    this.#littleEndian = littleEndian;
  }

  #u32(bytes: Buffer, at: number): number {
    return this.#littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at);
  }

  /**
   * Reads what the queue holds of the body (never past its end); true once
   * the whole body is read and the consumer told.
   */
  advance(queue: ByteQueue): boolean {
    for (;;) {
      if (this.#failed) {
        const skip = Math.min(queue.length, this.#bodyLength - this.#offset);
        queue.skip(skip);
        this.#offset += skip;
        return this.#offset === this.#bodyLength;
      }
      if (this.#arrayEnd < 0) {
        // The array's length, then the padding to its first entry (8).
        if (this.#bodyLength < 8) {
          this.#fail('message truncated');
          continue;
        }
        if (queue.length < 8) return false;
        const length = this.#u32(queue.take(8), 0);
        this.#offset = 8;
        if (length > MAX_ARRAY_BYTES || 8 + length !== this.#bodyLength) this.#fail(`a dict of ${length} bytes in a body of ${this.#bodyLength}`);
        else this.#arrayEnd = 8 + length;
        continue;
      }
      if (this.#offset === this.#arrayEnd) {
        this.#consumer.end();
        return true;
      }
      const start = align(this.#offset, 8);
      // Up to the key's length: padding, u32.
      if (start + 4 > this.#arrayEnd) {
        this.#fail('dict entry crosses the end of its array');
        continue;
      }
      if (queue.length < start + 4 - this.#offset) return false;
      const keyLength = queue.uint32At(start - this.#offset, this.#littleEndian);
      // Then the key, its NUL, padding, and the value array's length.
      const lengthAt = align(start + 4 + keyLength + 1, 4);
      if (lengthAt + 4 > this.#arrayEnd) {
        this.#fail('dict entry crosses the end of its array');
        continue;
      }
      if (queue.length < lengthAt + 4 - this.#offset) return false;
      const valueLength = queue.uint32At(lengthAt - this.#offset, this.#littleEndian);
      const end = align(lengthAt + 4, 8) + valueLength;
      if (valueLength > MAX_ARRAY_BYTES || end > this.#arrayEnd) {
        this.#fail('dict entry crosses the end of its array');
        continue;
      }
      if (queue.length < end - this.#offset) return false;
      const bytes = queue.take(end - this.#offset).subarray(start - this.#offset);
      this.#offset = end;
      try {
        const reader = new BodyReader(bytes, 0, bytes.length, this.#littleEndian);
        this.#consumer.entry(reader);
        if (reader.pos !== reader.end) throw new DecodeError('dict entry longer than its value');
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        this.#fail(err);
      }
    }
  }

  /** Malformed: the consumer is told now; what is left of the body is skipped. */
  #fail(reason: string | DecodeError): void {
    this.#failed = true;
    this.#consumer.end(typeof reason === 'string' ? new DecodeError(reason) : reason);
  }
}
