/**
 * The objects of one enumerate, kept as little as possible: every property
 * value as its final JSON text (decode-text.ts, written once into one
 * growing text), and per property three numbers: its name (an id, one
 * string per distinct name) and where its text lies. Nothing of the D-Bus
 * replies is kept, and no JS value is made for a property.
 *
 * Properties reach an object from several sources: a manager's
 * GetManagedObjects, or GetAll per interface. They are merged as `GET <path>`
 * merges them: owners in bus-name order, interfaces in the order their
 * source gives them, a later value of a name replacing an earlier one.
 *
 * `write` produces the data object (paths and names sorted), piece by
 * piece, as often as asked (once per client of a shared enumerate).
 */
import type { PropertyTextSink, TextTarget } from '../dbus/decode-text.js';
import { compareKeys, JsonWriter } from '../dbus/json-writer.js';
import { StringInterner } from '../dbus/string-interner.js';

/** Orders of sources of one owner: an owner's rank times this, plus the interface's index. */
export const SOURCES_PER_OWNER = 4096;

/** Where the properties of one object from one source are: [order, first entry, end entry]. */
type Runs = number[];

/** Growable columns of uint32 (outside the JS heap: no garbage-collection work, 4 bytes each). */
class Column {
  #values = new Uint32Array(1024);

  get(index: number): number {
    return this.#values[index]!;
  }

  set(index: number, value: number): void {
    if (index >= this.#values.length) {
      const bigger = new Uint32Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[index] = value;
  }
}

export class EnumeratedObjects {
  /** Sorted: the order of the answer. */
  readonly paths: readonly string[];
  /** Nesting level at which the data object will be written (values are two levels deeper). */
  readonly depth: number;
  /** Every value's JSON text, one after another. */
  readonly text: JsonWriter;
  /** One string per distinct property name. */
  readonly names = new StringInterner();
  /** Where the property values' text goes: two levels below the data object. */
  readonly target: TextTarget;
  /** Per property entry: name id, start and end of its value's text. */
  readonly #name = new Column();
  readonly #start = new Column();
  readonly #end = new Column();
  #entries = 0;
  readonly #runs = new Map<string, Runs>();

  constructor(paths: readonly string[], depth: number) {
    this.paths = paths;
    this.depth = depth;
    this.text = new JsonWriter(2);
    this.target = { text: this.text, depth: depth + 2, names: this.names };
  }

  /** True when a source of this owner rank has given the object (even with no properties). */
  hasOwner(objectPath: string, rank: number): boolean {
    const runs = this.#runs.get(objectPath);
    if (!runs) return false;
    for (let i = 0; i < runs.length; i += 3) if (Math.floor(runs[i]! / SOURCES_PER_OWNER) === rank) return true;
    return false;
  }

  /** Where every source's properties go. */
  readonly #sink: PropertyTextSink = {
    property: (name, start, end) => {
      const entry = this.#entries++;
      this.#name.set(entry, name);
      this.#start.set(entry, start);
      this.#end.set(entry, end);
    },
  };

  /**
   * Takes the properties of one object from one source, in `order`: what
   * `read` gives the sink. Kept only if `read` returns.
   */
  object(objectPath: string, order: number, read: (sink: PropertyTextSink) => void): void {
    const first = this.#entries;
    try {
      read(this.#sink);
    } catch (err) {
      this.#entries = first;
      throw err;
    }
    let runs = this.#runs.get(objectPath);
    if (!runs) this.#runs.set(objectPath, (runs = []));
    runs.push(order, first, this.#entries);
  }

  /**
   * Forgets what a source gave (a reply that turned out malformed half-way,
   * after some of its objects were taken): its text stays, unused.
   */
  forget(order: number, objectPaths: Iterable<string>): void {
    for (const objectPath of objectPaths) {
      const runs = this.#runs.get(objectPath);
      if (!runs) continue;
      for (let i = runs.length - 3; i >= 0; i -= 3) if (runs[i] === order) runs.splice(i, 3);
    }
  }

  /**
   * Writes the data object, `{"<path>": {"<name>": value, ...}, ...}`
   * (sorted, at `depth`), a piece at a time: it yields after each object, so
   * that the text can be sent as it is written and several clients can each
   * be sent it at their own pace. The objects stay as they are.
   */
  *write(writer: JsonWriter): Generator<void, void, undefined> {
    const depth = this.depth;
    if (this.paths.length === 0) {
      writer.ascii('{}');
      return;
    }
    const order = this.#nameOrder();
    writer.ascii('{');
    for (let i = 0; i < this.paths.length; i++) {
      const objectPath = this.paths[i]!;
      if (i > 0) writer.ascii(',');
      writer.newline(depth + 1);
      writer.key(objectPath);
      this.#writeObject(writer, this.#runs.get(objectPath), order);
      yield;
    }
    writer.newline(depth);
    writer.ascii('}');
  }

  /** Each name id's place in the sorted names (comparing numbers, not strings, per object). */
  #nameOrder(): Uint32Array {
    const ids = Array.from({ length: this.names.size }, (_, id) => id);
    ids.sort((a, b) => compareKeys(this.names.text(a), this.names.text(b)));
    const order = new Uint32Array(ids.length);
    ids.forEach((id, place) => (order[id] = place));
    return order;
  }

  #writeObject(writer: JsonWriter, runs: Runs | undefined, order: Uint32Array): void {
    const entries = runs ? this.#merged(runs, order) : [];
    if (entries.length === 0) {
      writer.ascii('{}');
      return;
    }
    writer.ascii('{');
    let first = true;
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k]!;
      const name = this.#name.get(entry);
      // Equal names are adjacent in merge order: the last one is the merged value.
      if (k + 1 < entries.length && this.#name.get(entries[k + 1]!) === name) continue;
      if (!first) writer.ascii(',');
      first = false;
      writer.newline(this.depth + 2);
      writer.key(this.names.text(name));
      writer.copy(this.text, this.#start.get(entry), this.#end.get(entry));
    }
    writer.newline(this.depth + 1);
    writer.ascii('}');
  }

  /** The object's entries in merge order, then sorted by name (stable: equal names keep merge order). */
  #merged(runs: Runs, order: Uint32Array): number[] {
    const sources: number[] = [];
    for (let i = 0; i < runs.length; i += 3) sources.push(i);
    if (sources.length > 1) sources.sort((a, b) => runs[a]! - runs[b]!);
    const entries: number[] = [];
    for (const i of sources) for (let e = runs[i + 1]!; e < runs[i + 2]!; e++) entries.push(e);
    return entries.sort((a, b) => order[this.#name.get(a)]! - order[this.#name.get(b)]!);
  }
}
