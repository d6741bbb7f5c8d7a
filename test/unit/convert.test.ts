import { createRequire } from 'node:module';
import test from 'ava';
import dbus from 'dbus-next';
import { ConversionError, type Json, atKey, fromJson, renderGot, toJson } from '../../src/dbus/convert.js';
import { parseSingleType } from '../../src/dbus/signature.js';
import { conversionCases } from './convert.cases.js';

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

interface Reject {
  signature: string;
  json: unknown;
  at: string;
  expectedFragment: string;
}

const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

const rejects: Reject[] = [
  { signature: 'b', json: 'false', at: '$', expectedFragment: 'expected boolean, got "false"' },
  { signature: 'b', json: 'true', at: '$', expectedFragment: 'expected boolean, got "true"' },
  { signature: 'b', json: 2, at: '$', expectedFragment: 'expected boolean, got 2' },
  { signature: 'b', json: null, at: '$', expectedFragment: 'got null' },
  { signature: 's', json: null, at: '$', expectedFragment: 'expected string, got null' },
  { signature: 'i', json: null, at: '$', expectedFragment: 'got null' },
  { signature: 'v', json: null, at: '$', expectedFragment: 'expected variant, got null' },
  { signature: 'a{sv}', json: null, at: '$', expectedFragment: 'got null' },
  { signature: 'as', json: ['a', null], at: '$[1]', expectedFragment: 'expected string, got null' },
  { signature: 'u', json: -1, at: '$', expectedFragment: 'expected uint32, got -1' },
  { signature: 'u', json: 4294967296, at: '$', expectedFragment: 'expected uint32, got 4294967296' },
  { signature: 'i', json: 1.5, at: '$', expectedFragment: 'expected int32, got 1.5' },
  { signature: 'i', json: 2 ** 31, at: '$', expectedFragment: 'expected int32, got 2147483648' },
  { signature: 'i', json: -(2 ** 31) - 1, at: '$', expectedFragment: 'got -2147483649' },
  { signature: 'y', json: 256, at: '$', expectedFragment: 'expected byte, got 256' },
  { signature: 'y', json: -1, at: '$', expectedFragment: 'expected byte' },
  { signature: 'n', json: 32768, at: '$', expectedFragment: 'expected int16' },
  { signature: 'n', json: -32769, at: '$', expectedFragment: 'expected int16' },
  { signature: 'q', json: 65536, at: '$', expectedFragment: 'expected uint16' },
  { signature: 't', json: '18446744073709551616', at: '$', expectedFragment: 'expected uint64, got "18446744073709551616"' },
  { signature: 't', json: -1, at: '$', expectedFragment: 'expected uint64, got -1' },
  { signature: 't', json: '-1', at: '$', expectedFragment: 'expected uint64' },
  { signature: 'x', json: 9007199254740993, at: '$', expectedFragment: 'expected int64 as a decimal string' },
  { signature: 't', json: 9007199254740993, at: '$', expectedFragment: 'expected uint64 as a decimal string' },
  { signature: 'x', json: '9223372036854775808', at: '$', expectedFragment: 'expected int64' },
  { signature: 'x', json: '-9223372036854775809', at: '$', expectedFragment: 'expected int64' },
  { signature: 'u', json: '1e3', at: '$', expectedFragment: 'expected uint32, got "1e3"' },
  { signature: 'u', json: ' 12', at: '$', expectedFragment: 'got " 12"' },
  { signature: 'u', json: '0x10', at: '$', expectedFragment: 'got "0x10"' },
  { signature: 'i', json: 'abc', at: '$', expectedFragment: 'expected int32, got "abc"' },
  { signature: 'i', json: '', at: '$', expectedFragment: 'got ""' },
  { signature: 'i', json: '+5', at: '$', expectedFragment: 'got "+5"' },
  { signature: 'i', json: true, at: '$', expectedFragment: 'expected int32, got true' },
  { signature: 'd', json: '1.5', at: '$', expectedFragment: 'expected double, got "1.5"' },
  { signature: 'd', json: true, at: '$', expectedFragment: 'expected double' },
  { signature: 'd', json: Number.POSITIVE_INFINITY, at: '$', expectedFragment: 'got Infinity' },
  { signature: 's', json: 5, at: '$', expectedFragment: 'expected string, got 5' },
  { signature: 's', json: 'a\0b', at: '$', expectedFragment: 'without NUL characters' },
  { signature: 's', json: 'x\uD800', at: '$', expectedFragment: 'unpaired surrogates' },
  { signature: 'o', json: 'not/a/path', at: '$', expectedFragment: 'expected object path, got "not/a/path"' },
  { signature: 'o', json: '/trailing/', at: '$', expectedFragment: 'expected object path' },
  { signature: 'o', json: '//', at: '$', expectedFragment: 'expected object path' },
  { signature: 'o', json: '/a b', at: '$', expectedFragment: 'expected object path' },
  { signature: 'o', json: '', at: '$', expectedFragment: 'expected object path' },
  { signature: 'o', json: 5, at: '$', expectedFragment: 'expected object path' },
  { signature: 'g', json: 'a{', at: '$', expectedFragment: 'expected signature, got "a{"' },
  { signature: 'g', json: 'z', at: '$', expectedFragment: 'expected signature' },
  { signature: 'g', json: `${'a'.repeat(33)}y`, at: '$', expectedFragment: 'expected signature' },
  { signature: 'h', json: 3, at: '$', expectedFragment: 'cannot be passed over REST' },
  { signature: 'h', json: 'fd', at: '$', expectedFragment: 'cannot be passed over REST' },
  { signature: 'as', json: 'abc', at: '$', expectedFragment: 'expected array of string, got "abc"' },
  { signature: 'ai', json: [1, 'x'], at: '$[1]', expectedFragment: 'expected int32, got "x"' },
  { signature: 'aay', json: [[1], 'x'], at: '$[1]', expectedFragment: 'expected array of bytes' },
  { signature: '(is)', json: [1], at: '$', expectedFragment: 'expected struct (is) of 2 elements, got [1]' },
  { signature: '(is)', json: [1, 'a', 3], at: '$', expectedFragment: 'expected struct (is) of 2 elements' },
  { signature: '(is)', json: 5, at: '$', expectedFragment: 'expected struct (is) of 2 elements, got 5' },
  { signature: '(is)', json: ['a', 'a'], at: '$[0]', expectedFragment: 'expected int32' },
  { signature: 'a{sa{sv}}', json: { outer: { inner: null } }, at: '$.outer.inner', expectedFragment: 'expected variant, got null' },
  { signature: 'a{sa{sv}}', json: { 'outer key': { inner: { signature: 'u', value: -1 } } }, at: '$["outer key"].inner.value', expectedFragment: 'expected uint32, got -1' },
  { signature: 'ay', json: [256], at: '$[0]', expectedFragment: 'expected byte, got 256' },
  { signature: 'ay', json: [-1], at: '$[0]', expectedFragment: 'expected byte' },
  { signature: 'ay', json: 'abc', at: '$', expectedFragment: 'expected array of bytes' },
  { signature: 'a{sv}', json: 'str', at: '$', expectedFragment: 'expected dict of string to variant, got "str"' },
  { signature: 'a{sv}', json: 5, at: '$', expectedFragment: 'expected dict of string to variant' },
  { signature: 'a{is}', json: { x: 'a' }, at: '$.x', expectedFragment: 'expected int32 key, got "x"' },
  { signature: 'a{is}', json: { '1.5': 'a' }, at: '$["1.5"]', expectedFragment: 'expected int32 key' },
  { signature: 'a{bs}', json: { yes: 'a' }, at: '$.yes', expectedFragment: 'expected boolean key, got "yes"' },
  { signature: 'a{ys}', json: { 256: 'a' }, at: '$["256"]', expectedFragment: 'expected byte key' },
  { signature: 'a{ds}', json: { abc: 'a' }, at: '$.abc', expectedFragment: 'expected double key' },
  { signature: 'a{ds}', json: { '1e400': 'a' }, at: '$["1e400"]', expectedFragment: 'expected double key' },
  { signature: 'a{os}', json: { bad: 'a' }, at: '$.bad', expectedFragment: 'expected object path key' },
  { signature: 'a{hs}', json: { 1: 'a' }, at: '$["1"]', expectedFragment: 'cannot be passed over REST' },
  { signature: 'a{ss}', json: [{}], at: '$[0]', expectedFragment: 'object with one or more entries' },
  { signature: 'a{ss}', json: [5], at: '$[0]', expectedFragment: 'object with one or more entries' },
  { signature: 'a{ss}', json: [['a', 'b']], at: '$[0]', expectedFragment: 'got ["a","b"]' },
  { signature: 'a{ss}', json: [{ a: 'b' }, { c: 5 }], at: '$[1].c', expectedFragment: 'expected string, got 5' },
  { signature: 'v', json: { signature: 'zz', value: 1 }, at: '$.signature', expectedFragment: 'a signature of one complete type' },
  { signature: 'v', json: { signature: 'ss', value: 1 }, at: '$.signature', expectedFragment: 'a signature of one complete type' },
  { signature: 'v', json: { signature: 'u', value: -1 }, at: '$.value', expectedFragment: 'expected uint32, got -1' },
  { signature: 'v', json: { signature: 'h', value: 0 }, at: '$.value', expectedFragment: 'cannot be passed over REST' },
  { signature: 'a{sv}', json: { a: { signature: 'y', value: 300 } }, at: '$.a.value', expectedFragment: 'expected byte, got 300' },
  { signature: 'av', json: [1, null], at: '$[1]', expectedFragment: 'expected variant, got null' },
  { signature: 'v', json: nested(40), at: `$${'[0]'.repeat(32)}`, expectedFragment: 'at most 32 nested variants' },
  { signature: '(ia{s(yv)})', json: [1, { k: [256, 1] }], at: '$[1].k[0]', expectedFragment: 'expected byte, got 256' },
];

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
    ['a{ss}', { 'bad\nkey\u2028': 5 }],
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

test('toJson also takes numbers for x/t, number arrays for ay, 0/1 for b, Maps and duck-typed variants', (t) => {
  t.is(toJson(parseSingleType('t'), 5), 5);
  t.deepEqual(toJson(parseSingleType('ay'), [1, 2]), [1, 2]);
  t.is(toJson(parseSingleType('b'), 1), true);
  t.is(toJson(parseSingleType('b'), 0), false);
  const map = new Map<unknown, unknown>([[1, 'a'], [2n, 'b'], [true, 'c']]);
  t.deepEqual(toJson(parseSingleType('a{ts}'), map), { 1: 'a', 2: 'b', true: 'c' });
  t.is(toJson(parseSingleType('v'), { signature: 'u', value: 7 }), 7);
  t.deepEqual(toJson(parseSingleType('a{sv}'), { a: new dbus.Variant('v', new dbus.Variant('d', Number.NaN)) }), { a: null });
});

test('toJson throws a plain Error (a bug, not a client error) on mismatched values', (t) => {
  const cases: Array<[string, unknown]> = [
    ['s', 5], ['i', 1.5], ['i', '1'], ['x', 'big'], ['d', '1'], ['b', 2], ['v', 5], ['v', { signature: 5, value: 1 }],
    ['ai', 'x'], ['(is)', [1]], ['a{sv}', [1]], ['a{sv}', null], ['ay', 'abc'], ['o', null],
  ];
  for (const [signature, value] of cases) {
    const error = t.throws(() => toJson(parseSingleType(signature), value));
    t.false(error instanceof ConversionError, signature);
    t.true(error?.message.startsWith('cannot convert D-Bus value to JSON'), error?.message);
  }
});
