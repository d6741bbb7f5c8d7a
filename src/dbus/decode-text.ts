/**
 * Received D-Bus values straight to the JSON text the REST API answers with,
 * in one pass over the message bytes, without making JS values of them.
 * Pure: no I/O, no dbus-next.
 *
 * Why: an enumerate of thousands of sensors is mostly property values that
 * are read once and written once. Turning each into a JS value (a number,
 * a string, arrays for associations) and then into text made most of the
 * enumerate's garbage and CPU time; here a property's value becomes its JSON
 * text directly: numbers and booleans as their text, ASCII strings copied
 * byte for byte between quotes, arrays and structs laid out with the
 * indentation of the depth they will be written at. The text is exactly what
 * json-writer.ts writes for the value that decode-json.ts (and so dbus-next's
 * decoder plus toJson) gives, which test/unit/decode-text.test.ts checks on
 * the conversion table and the generated corpus. Dicts inside values (rare
 * in properties) take that way, since their keys must be sorted.
 *
 * Malformed or truncated values throw DecodeError, as in decode-json.ts.
 */
import type { BodyReader } from './body-reader.js';
import { alignmentOf, DecodeError, jsonReader, variantType } from './decode-json.js';
import type { JsonWriter } from './json-writer.js';
import type { TypeNode } from './signature.js';
import type { StringInterner } from './string-interner.js';

/** Writes one value of a compiled type, read at the reader's position, as JSON text at `depth`. */
export type WriteText = (reader: BodyReader, writer: JsonWriter, depth: number) => void;

const compiled = new WeakMap<TypeNode, WriteText>();

export function textWriter(node: TypeNode): WriteText {
  let write = compiled.get(node);
  if (write === undefined) {
    write = compile(node);
    compiled.set(node, write);
  }
  return write;
}

/** A variant's value as JSON text (the variant itself leaves no trace, as in the JSON values). */
function writeVariantText(reader: BodyReader, writer: JsonWriter, depth: number): void {
  textWriter(variantType(reader))(reader, writer, depth);
  reader.variantDepth--;
}

/** `s`/`o`: printable ASCII without quote or backslash is copied as it is; anything else goes through the string writer. */
function writeString(reader: BodyReader, writer: JsonWriter): void {
  const start = reader.stringBytes();
  const end = reader.pos - 1;
  const bytes = reader.buffer;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c) {
      writer.string(bytes.toString('utf8', start, end));
      return;
    }
  }
  writer.ascii('"');
  writer.bytes(bytes, start, end);
  writer.ascii('"');
}

function compile(node: TypeNode): WriteText {
  switch (node.code) {
    case 'y':
      return (r, w) => w.ascii(String(r.byte()));
    case 'b':
      return (r, w) => w.ascii(r.boolean() ? 'true' : 'false');
    case 'n':
      return (r, w) => w.ascii(String(r.int16()));
    case 'q':
      return (r, w) => w.ascii(String(r.uint16()));
    case 'i':
      return (r, w) => w.ascii(String(r.int32()));
    case 'u':
      return (r, w) => w.ascii(String(r.uint32()));
    case 'x':
      return (r, w) => w.number(r.int64(true));
    case 't':
      return (r, w) => w.number(r.int64(false));
    case 'd':
      return (r, w) => w.number(r.double());
    case 's':
    case 'o':
      return writeString;
    case 'g':
      return (r, w) => w.string(r.signature());
    case 'h':
      return () => {
        throw new DecodeError('unix file descriptors (h) are not accepted');
      };
    case 'v':
      return writeVariantText;
    case '(':
      return compileStruct(node.children.map(textWriter));
    case 'a':
      return compileArray(node);
    case '{':
      throw new DecodeError('dict entry outside an array');
  }
}

function compileStruct(members: readonly WriteText[]): WriteText {
  return (r, w, depth) => {
    r.align(8);
    w.ascii('[');
    for (let i = 0; i < members.length; i++) {
      if (i > 0) w.ascii(',');
      w.newline(depth + 1);
      members[i]!(r, w, depth + 1);
    }
    w.newline(depth);
    w.ascii(']');
  };
}

function compileArray(node: TypeNode): WriteText {
  const element = node.children[0]!;
  if (element.code === '{') {
    // Dict keys must come out sorted: read the dict as a value, then write it.
    const read = jsonReader(node);
    return (r, w, depth) => w.value(read(r), depth);
  }
  const writeElement = textWriter(element);
  const alignment = alignmentOf(element);
  return (r, w, depth) => {
    const end = r.beginArray(alignment);
    if (r.pos === end) {
      w.ascii('[]');
      return;
    }
    w.ascii('[');
    let first = true;
    while (r.pos < end) {
      if (!first) w.ascii(',');
      first = false;
      w.newline(depth + 1);
      writeElement(r, w, depth + 1);
    }
    r.endArray(end);
    w.newline(depth);
    w.ascii(']');
  };
}

/**
 * Receives the properties of one object: the name's id (in the target's
 * `names`), and where its value's JSON text lies in the text written.
 */
export interface PropertyTextSink {
  property(name: number, start: number, end: number): void;
}

/** Where the values' text goes, and the strings of the names seen so far. */
export interface TextTarget {
  readonly text: JsonWriter;
  /** Nesting level of the values. */
  readonly depth: number;
  readonly names: StringInterner;
}

/**
 * A property map (`a{sv}`, GetAll's reply): each value's JSON text at
 * `depth` is appended to `text`, and its name and place go to `sink`, in the
 * order of the message (a repeated name is the caller's to resolve).
 */
export function readPropertyTexts(reader: BodyReader, { text, depth, names }: TextTarget, sink: PropertyTextSink): void {
  const end = reader.beginArray(8);
  while (reader.pos < end) {
    reader.align(8);
    const nameStart = reader.stringBytes();
    const name = names.id(reader.buffer, nameStart, reader.pos - 1);
    const start = text.length;
    writeVariantText(reader, text, depth);
    sink.property(name, start, text.length);
  }
  reader.endArray(end);
}

/**
 * One entry of GetManagedObjects' reply (`a{oa{sa{sv}}}`, read entry by
 * entry, see entry-stream.ts): `take` gets the object's path and the reader
 * of its properties (of all its interfaces, in order); an object whose
 * properties `take` does not read is skipped unread.
 */
export function readManagedObjectText(reader: BodyReader, target: TextTarget,
  take: (objectPath: string, readProperties: (sink: PropertyTextSink) => void) => void): void {
  const objectPath = reader.string();
  const start = reader.pos;
  let read = false;
  take(objectPath, (sink) => {
    read = true;
    const interfacesEnd = reader.beginArray(8);
    while (reader.pos < interfacesEnd) {
      reader.align(8);
      reader.skipString();
      readPropertyTexts(reader, target, sink);
    }
    reader.endArray(interfacesEnd);
  });
  if (!read) {
    reader.pos = start;
    reader.skipArray(8);
  }
}
