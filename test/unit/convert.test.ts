import { createRequire } from 'node:module';
import test from 'ava';
import dbus from 'dbus-next';
import { ConversionError, type Json, atKey, fromJson, renderGot, toJson } from '../../src/dbus/convert.js';
import { parseSingleType } from '../../src/dbus/signature.js';
import { conversionCases, conversionRejects as rejects } from './convert.cases.js';

/** dbus-next's own marshaller and unmarshaller, to prove the table's `dbus` values without a bus. */
const require = createRequire(import.meta.url);
const compat = require('dbus-next/lib/marshall-compat.js') as {
  marshallMessage(msg: object): [Buffer, unknown[]];
  messageToJsFmt(msg: object): { body: unknown[] };
};
const wire = require('dbus-next/lib/message.js') as { unmarshall(buf: Buffer): object };

function throughDBusNext(signature: string, value: unknown): unknown {
  const msg = { type: 1, serial: 1, path: '/t', member: 'Echo', destination: 'test.Echo', signature, body: [value] };
  const [bytes] = compat.marshallMessage(msg);
  return compat.messageToJsFmt(wire.unmarshall(bytes)).body[0];
}

/** What a client would send back after reading `json`: bigints as decimal strings. */
function asRequest(json: Json): unknown {
  return JSON.parse(JSON.stringify(json, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
}

for (const row of conversionCases) {
  const direction = row.direction ?? 'both';
  const node = parseSingleType(row.signature);
  if (direction !== 'in') {
    test(`toJson ${row.signature}: ${row.name}`, (t) => {
      t.deepEqual(toJson(node, row.dbus), row.json);
    });
  }
  if (direction !== 'out') {
    test(`fromJson ${row.signature}: ${row.name}`, (t) => {
      t.deepEqual(fromJson(node, row.jsonIn ?? row.json), row.dbus);
    });
  }
  if (direction === 'both') {
    test(`round trip ${row.signature}: ${row.name}`, (t) => {
      t.deepEqual(toJson(node, fromJson(node, row.jsonIn ?? row.json)), row.json);
      // Re-sending a response must write the same value, except through variants, which are re-inferred.
      if (!row.signature.includes('v')) t.deepEqual(fromJson(node, asRequest(row.json)), row.dbus);
    });
  }
  if (row.knownIssue === undefined) {
    test(`dbus-next marshals ${row.signature}: ${row.name}`, (t) => {
      t.deepEqual(throughDBusNext(row.signature, row.dbus), row.dbus);
    });
  } else if (direction !== 'out') {
    // Pins the dbus-next limitation: if an upgrade fixes it, this fails and the table should drop knownIssue.
    test(`dbus-next still cannot marshal ${row.signature}: ${row.name}`, (t) => {
      t.throws(() => throughDBusNext(row.signature, row.dbus));
    });
  }
}

for (const [index, row] of rejects.entries()) {
  test(`rejects #${index} ${row.signature} ← ${renderGot(row.json)}`, (t) => {
    const error = t.throws(() => fromJson(parseSingleType(row.signature), row.json), { instanceOf: ConversionError });
    t.is(error?.at, row.at);
    t.true(error?.message.startsWith(`${row.at}: expected `), error?.message);
    t.true(error?.message.includes(row.expectedFragment), error?.message);
  });
}

test('at least 40 rejected rows', (t) => {
  t.true(rejects.length >= 40);
});

test('ConversionError message shape', (t) => {
  const error = new ConversionError('$.Foo[1]', 'uint32', '-1');
  t.is(error.message, '$.Foo[1]: expected uint32, got -1');
  t.is(error.name, 'ConversionError');
  t.true(error instanceof Error);
  t.deepEqual([error.at, error.expected, error.got], ['$.Foo[1]', 'uint32', '-1']);
});

test('ConversionError messages stay on one line and short', (t) => {
  const long = 'x\n'.repeat(200);
  const cases: Array<[string, unknown]> = [
    ['a{ss}', { 'bad\nkey\u2028': true }],
    ['s', { text: long }],
    ['u', long],
    ['a{is}', { [long]: 'a' }],
  ];
  for (const [signature, json] of cases) {
    const error = t.throws(() => fromJson(parseSingleType(signature), json), { instanceOf: ConversionError });
    t.false(/[\n\r\u2028\u2029]/.test(error?.message ?? '\n'), error?.message);
    t.true((error?.got.length ?? 999) <= 61, error?.got);
  }
});

test('at notation: identifiers with a dot, other keys JSON-quoted, long keys cut', (t) => {
  t.is(atKey('$', 'Foo_1'), '$.Foo_1');
  t.is(atKey('$', '1abc'), '$["1abc"]');
  t.is(atKey('$.a', 'with space'), '$.a["with space"]');
  t.is(atKey('$', 'a"b'), '$["a\\"b"]');
  t.is(atKey('$', 'k'.repeat(100)), `$["${'k'.repeat(60)}…"]`);
  t.is(renderGot('y'.repeat(100)), `"${'y'.repeat(59)}…`);
  t.is(renderGot(undefined), 'nothing');
});

test('fromJson gives dbus-next types: Buffer, BigInt, Variant', (t) => {
  t.true(Buffer.isBuffer(fromJson(parseSingleType('ay'), [1])));
  t.is(typeof fromJson(parseSingleType('x'), 1), 'bigint');
  t.true(fromJson(parseSingleType('v'), 1) instanceof dbus.Variant);
  t.is(Object.getPrototypeOf(fromJson(parseSingleType('a{ss}'), {})), Object.prototype);
  t.is(Object.is(fromJson(parseSingleType('i'), -0), 0), true);
});

test("bmcweb's dict form merges in order, a later key winning", (t) => {
  const node = parseSingleType('a{ss}');
  t.deepEqual(fromJson(node, [{ a: '1' }, { a: '2', b: '3' }]), { a: '2', b: '3' });
  t.deepEqual(fromJson(node, []), {});
});

test('a "__proto__" key is kept as an own property both ways', (t) => {
  const input = JSON.parse('{"__proto__": "x", "b": "y"}') as unknown;
  const value = fromJson(parseSingleType('a{ss}'), input) as Record<string, unknown>;
  t.deepEqual(Object.keys(value), ['__proto__', 'b']);
  t.is(Object.getPrototypeOf(value), Object.prototype);
  const out = toJson(parseSingleType('a{ss}'), value) as Record<string, Json>;
  t.deepEqual(Object.keys(out), ['__proto__', 'b']);
  t.is(Object.getPrototypeOf(out), Object.prototype);
});

test('toJson also takes numbers for x/t, number arrays for ay, 0/1 for b, and duck-typed variants', (t) => {
  t.is(toJson(parseSingleType('t'), 5), 5);
  t.deepEqual(toJson(parseSingleType('ay'), [1, 2]), [1, 2]);
  t.is(toJson(parseSingleType('b'), 1), true);
  t.is(toJson(parseSingleType('b'), 0), false);
  t.is(toJson(parseSingleType('v'), { signature: 'u', value: 7 }), 7);
  t.deepEqual(toJson(parseSingleType('a{sv}'), { a: new dbus.Variant('v', new dbus.Variant('d', Number.NaN)) }), { a: null });
});

test('toJson throws a plain Error (a bug, not a client error) on mismatched values', (t) => {
  const cases: Array<[string, unknown]> = [
    ['s', 5], ['i', 1.5], ['i', '1'], ['x', 'big'], ['d', '1'], ['b', 2], ['v', 5], ['v', { signature: 5, value: 1 }],
    ['ai', 'x'], ['(is)', [1]], ['a{sv}', [1]], ['a{sv}', null], ['ay', 'abc'], ['o', null],
    // dbus-next hands dicts over as plain objects; a Map would be a decoder's bug.
    ['a{ts}', new Map([[1, 'a']])],
  ];
  for (const [signature, value] of cases) {
    const error = t.throws(() => toJson(parseSingleType(signature), value));
    t.false(error instanceof ConversionError, signature);
    t.true(error?.message.startsWith('cannot convert D-Bus value to JSON'), error?.message);
  }
});
