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
  /** One string per distinct property name. */
  readonly names = new StringInterner();

  constructor(paths: readonly string[], depth: number) {
    this.paths = paths;
    this.depth = depth;
    this.text = new JsonWriter(2);
    this.target = { text: this.text, depth: depth + 2, names: this.names };
  }

  /** Where the property values' text goes: two levels below the data object. */
  readonly target: TextTarget;

  /** True when a source of this owner rank has given the object (even with no properties). */
  hasOwner(objectPath: string, rank: number): boolean {
    const runs = this.#runs.get(objectPath);
    if (!runs) return false;
    for (let i = 0; i < runs.length; i += 3) if (Math.floor(runs[i]! / SOURCES_PER_OWNER) === rank) return true;
    return false;
  }

  /** Where every source's properties go (their text's place kept). */
  readonly #sink: PropertyTextSink = {
    property: (name, start, end) => {
      this.#names.push(name);
      this.#starts.push(start);
      this.#ends.push(end);
    },
  };

  /**
   * Takes the properties of one object from one source, in `order`: what
   * `read` gives the sink. Kept only if `read` returns.
   */
  object(objectPath: string, order: number, read: (sink: PropertyTextSink) => void): void {
    const first = this.#names.length;
    try {
      read(this.#sink);
    } catch (err) {
      this.#names.length = this.#starts.length = this.#ends.length = first;
      throw err;
    }
    let runs = this.#runs.get(objectPath);
    if (!runs) this.#runs.set(objectPath, (runs = []));
    runs.push(order, first, this.#names.length);
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
    writer.ascii('{');
    for (let i = 0; i < this.paths.length; i++) {
      const objectPath = this.paths[i]!;
      if (i > 0) writer.ascii(',');
      writer.newline(depth + 1);
      writer.key(objectPath);
      this.#writeObject(writer, this.#runs.get(objectPath));
      yield;
    }
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
