/**
 * The objects of one enumerate, kept as little as possible: every property
 * value as its final JSON text (decode-text.ts, written once into one
 * growing text), and per property only its name (one string per distinct
 * name) and where its text lies. Nothing of the D-Bus replies is kept, and
 * no JS value is made for a property.
 *
 * Properties reach an object from several sources: a manager's
 * GetManagedObjects, or GetAll per interface. They are merged as `GET <path>`
 * merges them: owners in bus-name order, interfaces in the order their
 * source gives them, a later value of a name replacing an earlier one.
 *
 * `write` produces the data object (paths and names sorted) and lets go of
 * each object once it is written.
 */
import { type PropertyTextSink } from '../dbus/decode-text.js';
import { compareKeys, JsonWriter } from '../dbus/json-writer.js';

/** Orders of sources of one owner: an owner's rank times this, plus the interface's index. */
export const SOURCES_PER_OWNER = 4096;

/** Where the properties of one object from one source are: [order, first entry, end entry]. */
type Runs = number[];

export class EnumeratedObjects {
  /** Sorted: the order of the answer. */
  readonly paths: readonly string[];
  /** Nesting level at which the data object will be written (values are two levels deeper). */
  readonly depth: number;
  /** Every value's JSON text, one after another. */
  readonly text: JsonWriter;
  readonly #names: string[] = [];
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  readonly #runs = new Map<string, Runs>();
  /** One string per distinct property name, and its `"name": ` text. */
  readonly #keys = new Map<string, string>();

  constructor(paths: readonly string[], depth: number) {
    this.paths = paths;
    this.depth = depth;
    this.text = new JsonWriter(2);
  }

  /** Nesting level of the property values. */
  get valueDepth(): number {
    return this.depth + 2;
  }

  /** True when a source of this owner rank has given the object (even with no properties). */
  hasOwner(objectPath: string, rank: number): boolean {
    const runs = this.#runs.get(objectPath);
    if (!runs) return false;
    for (let i = 0; i < runs.length; i += 3) if (Math.floor(runs[i]! / SOURCES_PER_OWNER) === rank) return true;
    return false;
  }

  /** Where every source's properties go (their names interned, their text's place kept). */
  readonly #sink: PropertyTextSink = {
    property: (name, start, end) => {
      let known = this.#keys.get(name);
      if (known === undefined) this.#keys.set(name, (known = name));
      this.#names.push(known);
      this.#starts.push(start);
      this.#ends.push(end);
    },
  };

  /**
   * Takes what one reply gives (GetManagedObjects): `read` gets
   * `open(objectPath, order)`, the sink for that object's properties from
   * this source. Nothing of the reply is kept unless `read` returns (a reply
   * that turns out malformed half-way leaves no trace but unused text).
   */
  collect(read: (open: (objectPath: string, order: number) => PropertyTextSink) => void): void {
    const mark = this.#names.length;
    const opened: Array<[string, number, number]> = [];
    try {
      read((objectPath, order) => {
        opened.push([objectPath, order, this.#names.length]);
        return this.#sink;
      });
    } catch (err) {
      this.#truncate(mark);
      throw err;
    }
    opened.forEach(([objectPath, order, first], i) => {
      this.#addRun(objectPath, order, first, i + 1 < opened.length ? opened[i + 1]![2] : this.#names.length);
    });
  }

  /** Takes the properties of one object from one source (GetAll), kept only if `read` returns. */
  collectObject(objectPath: string, order: number, read: (sink: PropertyTextSink) => void): void {
    const mark = this.#names.length;
    try {
      read(this.#sink);
    } catch (err) {
      this.#truncate(mark);
      throw err;
    }
    this.#addRun(objectPath, order, mark, this.#names.length);
  }

  #truncate(entries: number): void {
    this.#names.length = this.#starts.length = this.#ends.length = entries;
  }

  #addRun(objectPath: string, order: number, first: number, end: number): void {
    let runs = this.#runs.get(objectPath);
    if (!runs) this.#runs.set(objectPath, (runs = []));
    runs.push(order, first, end);
  }

  /** The data object: `{"<path>": {"<name>": value, ...}, ...}`, sorted, at `depth`. */
  write(writer: JsonWriter): void {
    const depth = this.depth;
    if (this.paths.length === 0) {
      writer.ascii('{}');
      return;
    }
    writer.ascii('{');
    this.paths.forEach((objectPath, i) => {
      if (i > 0) writer.ascii(',');
      writer.newline(depth + 1);
      writer.key(objectPath);
      this.#writeObject(writer, this.#runs.get(objectPath));
      this.#runs.delete(objectPath);
    });
    writer.newline(depth);
    writer.ascii('}');
  }

  #writeObject(writer: JsonWriter, runs: Runs | undefined): void {
    const entries = runs ? this.#merged(runs) : [];
    if (entries.length === 0) {
      writer.ascii('{}');
      return;
    }
    const names = this.#names;
    writer.ascii('{');
    let first = true;
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k]!;
      // Equal names are adjacent in merge order: the last one is the merged value.
      if (k + 1 < entries.length && names[entries[k + 1]!] === names[entry]) continue;
      if (!first) writer.ascii(',');
      first = false;
      writer.newline(this.depth + 2);
      writer.key(names[entry]!);
      writer.copy(this.text, this.#starts[entry]!, this.#ends[entry]!);
    }
    writer.newline(this.depth + 1);
    writer.ascii('}');
  }

  /** The object's entries in merge order, then sorted by name (stable: equal names keep merge order). */
  #merged(runs: Runs): number[] {
    const order: number[] = [];
    for (let i = 0; i < runs.length; i += 3) order.push(i);
    if (order.length > 1) order.sort((a, b) => runs[a]! - runs[b]!);
    const entries: number[] = [];
    for (const i of order) for (let e = runs[i + 1]!; e < runs[i + 2]!; e++) entries.push(e);
    const names = this.#names;
    return entries.sort((a, b) => compareKeys(names[a]!, names[b]!));
  }
}
