/**
 * src/dbus/decode-text.ts: D-Bus values straight to JSON text. For every
 * value of the conversion table and the generated corpus, at every depth and
 * without indentation, the text must be exactly what the JSON writer writes
 * for the value dbus-next's decoder plus toJson gives; the property readers
 * of enumerate must report every property with its value's text; malformed
 * bodies are refused with DecodeError.
 */
import test from 'ava';
import dbus from 'dbus-next';
import { BodyReader, DecodeError } from '../../src/dbus/decode-json.js';
import { readManagedObjectText, readPropertyTexts, textWriter } from '../../src/dbus/decode-text.js';
import { readEntries } from '../../src/dbus/entry-stream.js';
import { JsonWriter } from '../../src/dbus/json-writer.js';
import { parseSignature } from '../../src/dbus/signature.js';
import { StringInterner } from '../../src/dbus/string-interner.js';
import { conversionCases } from './convert.cases.js';
import { bodyRange, encodeBody, generate, randomSource, replyMessage, viaDbusNext } from '../helpers/wire-samples.js';

function marshalledBody(signature: string, body: readonly unknown[]): Buffer {
  const message = replyMessage(signature, body);
  const { start, end } = bodyRange(message);
  return Buffer.from(message.subarray(start, end));
}

/** Every value of the body as text (ours), and as the writer writes dbus-next's values (theirs). */
function both(body: Buffer, signature: string, depth: number, indent: number, littleEndian = true): [string[], string[]] {
  const reader = new BodyReader(body, 0, body.length, littleEndian);
  const ours = parseSignature(signature).map((node) => {
    const writer = new JsonWriter(indent);
    textWriter(node)(reader, writer, depth);
    return writer.toString();
  });
  const theirs = viaDbusNext(body, signature, littleEndian).map((value) => {
    const writer = new JsonWriter(indent);
    writer.value(value, depth);
    return writer.toString();
  });
  return [ours, theirs];
}

for (const row of conversionCases.filter((r) => r.direction !== 'in' && r.signature !== 'h')) {
  test(`text ${row.signature}: ${row.name} is the writer's text of dbus-next's value`, (t) => {
    const body = marshalledBody(row.signature, [row.dbus]);
    for (const depth of [0, 1, 3]) {
      for (const indent of [2, 0]) {
        const [ours, theirs] = both(body, row.signature, depth, indent);
        t.deepEqual(ours, theirs, `depth ${depth}, indent ${indent}`);
      }
    }
  });
}

test('text: a generated corpus of 2,000 bodies gives the writer\'s text of dbus-next\'s values, at depths 0 and 3', (t) => {
  const random = randomSource(1204);
  for (let i = 0; i < 2000; i++) {
    const { signature, body } = generate(random);
    const bytes = marshalledBody(signature, body);
    for (const depth of [0, 3]) {
      const [ours, theirs] = both(bytes, signature, depth, 2);
      if (ours.join('\u0000') !== theirs.join('\u0000')) {
        t.fail(`case ${i}, ${signature} at depth ${depth}:\n${ours.join('\n')}\n!==\n${theirs.join('\n')}`);
        return;
      }
    }
  }
  t.pass();
});

test('text: big-endian bodies give the same text', (t) => {
  const random = randomSource(77);
  for (let i = 0; i < 300; i++) {
    const { signature, body } = generate(random);
    const little = both(marshalledBody(signature, body), signature, 2, 2)[1];
    const big = encodeBody(signature, body, false);
    const reader = new BodyReader(big, 0, big.length, false);
    const ours = parseSignature(signature).map((node) => {
      const writer = new JsonWriter(2);
      textWriter(node)(reader, writer, 2);
      return writer.toString();
    });
    t.deepEqual(ours, little, signature);
  }
});

const V = (signature: string, value: unknown) => new dbus.Variant(signature, value);

test('readPropertyTexts: every property in message order, each value\'s text at its depth', (t) => {
  const body = marshalledBody('a{sv}', [{ Value: V('d', 42.5), Associations: V('a(sss)', [['a', 'b', '/c']]), Unit: V('s', 'x.y.Unit.DegreesC'), Nan: V('d', Number.NaN) }]);
  const text = new JsonWriter(2);
  text.ascii('prefix');
  const names = new StringInterner();
  const seen: Array<[string, string]> = [];
  readPropertyTexts(new BodyReader(body, 0, body.length, true), { text, depth: 3, names }, {
    property: (name, start, end) => seen.push([names.text(name), text.toBuffer().toString('latin1', start, end)]),
  });
  t.deepEqual(seen, [
    ['Value', '42.5'],
    ['Associations', '[\n        [\n          "a",\n          "b",\n          "/c"\n        ]\n      ]'],
    ['Unit', '"x.y.Unit.DegreesC"'],
    ['Nan', 'null'],
  ]);
});

test('readManagedObjectText: taken objects report their properties over all interfaces, others are skipped', (t) => {
  const body = marshalledBody('a{oa{sa{sv}}}', [{
    '/a': { 'x.One': { A: V('i', 1) }, 'x.Two': { B: V('b', true), A: V('i', 2) } },
    '/skipped': { 'x.One': { A: V('s', 'never read') } },
    '/b': {},
  }]);
  const text = new JsonWriter(2);
  const names = new StringInterner();
  const seen: string[] = [];
  readEntries(new BodyReader(body, 0, body.length, true), (reader) => readManagedObjectText(reader, { text, depth: 3, names }, (path, readProperties) => {
    if (path === '/skipped') return;
    readProperties({ property: (name, start, end) => seen.push(`${path} ${names.text(name)}=${text.toBuffer().toString('latin1', start, end)}`) });
  }));
  t.deepEqual(seen, ['/a A=1', '/a B=true', '/a A=2']);
  t.false(text.toString().includes('never read'));
});

test('text: malformed values are refused with DecodeError', (t) => {
  const write = (signature: string, bytes: number[]) => {
    const body = Buffer.from(bytes);
    textWriter(parseSignature(signature)[0]!)(new BodyReader(body, 0, body.length, true), new JsonWriter(2), 0);
  };
  t.throws(() => write('b', [2, 0, 0, 0]), { instanceOf: DecodeError });
  t.throws(() => write('s', [3, 0, 0, 0, 0x61, 0x62]), { instanceOf: DecodeError });
  t.throws(() => write('v', [1, 0x68, 0, 0, 0, 0, 0, 0]), { instanceOf: DecodeError });
  t.throws(() => write('ai', [8, 0, 0, 0, 1, 0, 0, 0]), { instanceOf: DecodeError });
  t.throws(() => write('a{sv}', [0xff, 0, 0, 0]), { instanceOf: DecodeError });
});

test('StringInterner: one id and string per distinct bytes, wherever they are', (t) => {
  const names = new StringInterner();
  const bytes = Buffer.from('Value|Value|Unit|Grüße|Valu|Grüße');
  const value = names.id(bytes, 0, 5);
  t.is(names.text(value), 'Value');
  t.is(names.id(bytes, 6, 11), value);
  t.is(names.text(names.id(bytes, 12, 16)), 'Unit');
  const grusse = names.id(bytes, 17, 24);
  t.is(names.text(grusse), 'Grüße');
  t.is(names.text(names.id(bytes, 25, 29)), 'Valu');
  t.is(names.id(bytes, 30, 37), grusse);
  t.is(names.text(names.id(bytes, 0, 0)), '');
  t.is(names.size, 5);
});
