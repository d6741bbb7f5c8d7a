/**
 * The shared conversion table: one row per D-Bus type and edge case.
 * Used by the unit tests (toJson, fromJson, round trips, dbus-next's own
 * marshaller) and meant for the end-to-end Echo test, which sends every row
 * through a real bus. So `dbus` is exactly what dbus-next produces when it
 * RECEIVES the type: Buffer for `ay`, BigInt for x/t, Variant for v (also
 * nested), plain objects with string keys for dicts ('7', 'true', '-1').
 */
import dbus from 'dbus-next';
import type { Json } from '../../src/dbus/convert.js';

export interface ConversionCase {
  name: string;
  /** One complete type. */
  signature: string;
  /** The response form (toJson's output); a bigint is written as exact digits. */
  json: Json;
  /** The request form, when it differs from `json` (e.g. a decimal string for 2^53+1). */
  jsonIn?: unknown;
  /** The dbus-next value, as received from the bus and as fromJson must produce it. */
  dbus: unknown;
  /** 'out': toJson only; 'in': fromJson only; default 'both'. */
  direction?: 'both' | 'out' | 'in';
  /** A known limitation of dbus-next 0.10.2 that stops this row crossing a real bus. */
  knownIssue?: string;
}

const V = (signature: string, value: unknown): dbus.Variant => new dbus.Variant(signature, value);
const INT_KEYS = 'dbus-next 0.10.2 cannot marshal dicts with y/n/q/i/u/b/d keys (Object.keys gives strings, its number/boolean marshallers refuse them); src/dbus/marshal-fixes.ts works around it';
const INT64_MIN = 'dbus-next 0.10.2 cannot marshal INT64_MIN (its MIN_INT64 constant is -2^63+1); src/dbus/marshal-fixes.ts works around it';
const NON_FINITE = 'dbus-next refuses to marshal NaN and ±Infinity; only another service can send them';
const FD = 'file descriptors need fd passing; receiving one without fds fails in dbus-next';

export const conversionCases: ConversionCase[] = [
  // Integers: the limits of every width, and decimal strings on the way in.
  { name: 'byte min', signature: 'y', json: 0, dbus: 0 },
  { name: 'byte max', signature: 'y', json: 255, dbus: 255 },
  { name: 'byte from decimal string', signature: 'y', json: 255, jsonIn: '255', dbus: 255 },
  { name: 'int16 min', signature: 'n', json: -32768, dbus: -32768 },
  { name: 'int16 max', signature: 'n', json: 32767, dbus: 32767 },
  { name: 'uint16 min', signature: 'q', json: 0, dbus: 0 },
  { name: 'uint16 max', signature: 'q', json: 65535, dbus: 65535 },
  { name: 'int32 min', signature: 'i', json: -2147483648, dbus: -2147483648 },
  { name: 'int32 max', signature: 'i', json: 2147483647, dbus: 2147483647 },
  { name: 'int32 zero', signature: 'i', json: 0, dbus: 0 },
  { name: 'int32 from negative decimal string', signature: 'i', json: -42, jsonIn: '-42', dbus: -42 },
  { name: 'uint32 min', signature: 'u', json: 0, dbus: 0 },
  { name: 'uint32 max', signature: 'u', json: 4294967295, dbus: 4294967295 },
  { name: 'uint32 from string with leading zeros', signature: 'u', json: 7, jsonIn: '007', dbus: 7 },
  { name: 'int64 zero', signature: 'x', json: 0, dbus: 0n },
  { name: 'int64 -1', signature: 'x', json: -1, dbus: -1n },
  { name: 'int64 from safe number', signature: 'x', json: 42, dbus: 42n },
  { name: 'int64 2^53-1 stays a number', signature: 'x', json: 9007199254740991, dbus: 9007199254740991n },
  { name: 'int64 2^53+1', signature: 'x', json: 9007199254740993n, jsonIn: '9007199254740993', dbus: 9007199254740993n },
  { name: 'int64 -(2^53+1)', signature: 'x', json: -9007199254740993n, jsonIn: '-9007199254740993', dbus: -9007199254740993n },
  { name: 'int64 max', signature: 'x', json: 9223372036854775807n, jsonIn: '9223372036854775807', dbus: 9223372036854775807n },
  { name: 'int64 min', signature: 'x', json: -9223372036854775808n, jsonIn: '-9223372036854775808', dbus: -9223372036854775808n, knownIssue: INT64_MIN },
  { name: 'int64 min+1', signature: 'x', json: -9223372036854775807n, jsonIn: '-9223372036854775807', dbus: -9223372036854775807n },
  { name: 'uint64 zero', signature: 't', json: 0, dbus: 0n },
  { name: 'uint64 from decimal string', signature: 't', json: 42, jsonIn: '42', dbus: 42n },
  { name: 'uint64 2^53+1', signature: 't', json: 9007199254740993n, jsonIn: '9007199254740993', dbus: 9007199254740993n },
  { name: 'uint64 max', signature: 't', json: 18446744073709551615n, jsonIn: '18446744073709551615', dbus: 18446744073709551615n },
  { name: 'file descriptor out', signature: 'h', json: 3, dbus: 3, direction: 'out', knownIssue: FD },

  // Doubles: non-finite values have no JSON form and become null.
  { name: 'double 0.5', signature: 'd', json: 0.5, dbus: 0.5 },
  { name: 'double -1e300', signature: 'd', json: -1e300, dbus: -1e300 },
  { name: 'double 1e-5', signature: 'd', json: 1e-5, dbus: 1e-5 },
  { name: 'double from integer', signature: 'd', json: 3, dbus: 3 },
  // Decimal strings, as phosphor-rest-server took them (scripts send "1.5").
  { name: 'double from a decimal string', signature: 'd', json: 1.5, jsonIn: '1.5', dbus: 1.5 },
  { name: 'double from a negative string with an exponent', signature: 'd', json: -2000, jsonIn: '-2e3', dbus: -2000 },
  { name: 'double from an integer string', signature: 'd', json: 42, jsonIn: '42', dbus: 42 },
  { name: 'double from a string with a small exponent', signature: 'd', json: 1.5e-7, jsonIn: '15E-8', dbus: 1.5e-7 },
  { name: 'double NaN', signature: 'd', json: null, dbus: Number.NaN, direction: 'out', knownIssue: NON_FINITE },
  { name: 'double +Infinity', signature: 'd', json: null, dbus: Number.POSITIVE_INFINITY, direction: 'out', knownIssue: NON_FINITE },
  { name: 'double -Infinity', signature: 'd', json: null, dbus: Number.NEGATIVE_INFINITY, direction: 'out', knownIssue: NON_FINITE },

  // Booleans: always true/false out; 0/1 accepted in.
  { name: 'boolean true', signature: 'b', json: true, dbus: true },
  { name: 'boolean false', signature: 'b', json: false, dbus: false },
  { name: 'boolean from 1', signature: 'b', json: true, jsonIn: 1, dbus: true },
  { name: 'boolean from 0', signature: 'b', json: false, jsonIn: 0, dbus: false },

  // Strings, object paths, signatures.
  { name: 'string', signature: 's', json: 'hello', dbus: 'hello' },
  { name: 'empty string', signature: 's', json: '', dbus: '' },
  { name: 'string with unicode', signature: 's', json: 'Grüße, 温度 🌡', dbus: 'Grüße, 温度 🌡' },
  // JSON numbers, as their canonical decimal text (phosphor-rest stored "5" for 5).
  { name: 'string from a JSON integer', signature: 's', json: '5', jsonIn: 5, dbus: '5' },
  { name: 'string from a negative JSON integer', signature: 's', json: '-42', jsonIn: -42, dbus: '-42' },
  { name: 'string from a JSON fraction', signature: 's', json: '1.5', jsonIn: 1.5, dbus: '1.5' },
  { name: 'string from 0.1 (shortest text that reads back the same)', signature: 's', json: '0.1', jsonIn: 0.1, dbus: '0.1' },
  { name: 'string from a small double', signature: 's', json: '1.5e-7', jsonIn: 15e-8, dbus: '1.5e-7' },
  { name: 'string from 2^53-1', signature: 's', json: '9007199254740991', jsonIn: 9007199254740991, dbus: '9007199254740991' },
  { name: 'string array with a number', signature: 'as', json: ['a', '1'], jsonIn: ['a', 1], dbus: ['a', '1'] },
  { name: 'string with quotes and escapes', signature: 's', json: 'say "hi" \\ \n\t', dbus: 'say "hi" \\ \n\t' },
  { name: 'object path root', signature: 'o', json: '/', dbus: '/' },
  { name: 'object path /a/b_c', signature: 'o', json: '/a/b_c', dbus: '/a/b_c' },
  { name: 'object path of a sensor', signature: 'o', json: '/xyz/openbmc_project/sensors/temperature/CPU_0', dbus: '/xyz/openbmc_project/sensors/temperature/CPU_0' },
  { name: 'empty signature', signature: 'g', json: '', dbus: '' },
  { name: 'signature a{sv}', signature: 'g', json: 'a{sv}', dbus: 'a{sv}' },
  { name: 'signature of several types', signature: 'g', json: 'ssa{sv}', dbus: 'ssa{sv}' },

  // Arrays.
  { name: 'empty byte array', signature: 'ay', json: [], dbus: Buffer.alloc(0) },
  { name: 'byte array 0 and 255', signature: 'ay', json: [0, 255], dbus: Buffer.from([0, 255]) },
  { name: 'byte array from decimal strings', signature: 'ay', json: [1, 2], jsonIn: ['1', '2'], dbus: Buffer.from([1, 2]) },
  { name: 'array of byte arrays', signature: 'aay', json: [[1], [2, 3]], dbus: [Buffer.from([1]), Buffer.from([2, 3])] },
  { name: 'empty string array', signature: 'as', json: [], dbus: [] },
  { name: 'string array', signature: 'as', json: ['a', 'b'], dbus: ['a', 'b'] },
  { name: 'int32 array', signature: 'ai', json: [1, -2], dbus: [1, -2] },
  { name: 'boolean array', signature: 'ab', json: [true, false], dbus: [true, false] },
  { name: 'int64 array', signature: 'ax', json: [1, 9007199254740993n], jsonIn: [1, '9007199254740993'], dbus: [1n, 9007199254740993n] },
  { name: 'double array', signature: 'ad', json: [0.5, -2], dbus: [0.5, -2] },
  { name: 'object path array', signature: 'ao', json: ['/', '/a'], dbus: ['/', '/a'] },
  { name: 'array of string arrays', signature: 'aas', json: [['a'], []], dbus: [['a'], []] },
  { name: 'array of structs', signature: 'a(sss)', json: [['a', 'b', 'c']], dbus: [['a', 'b', 'c']] },

  // Dicts with string-like keys.
  { name: 'empty dict', signature: 'a{ss}', json: {}, dbus: {} },
  { name: 'dict of strings', signature: 'a{ss}', json: { a: 'b', 'key with spaces': 'x' }, dbus: { a: 'b', 'key with spaces': 'x' } },
  { name: "dict in bmcweb's form", signature: 'a{ss}', json: { a: 'b', c: 'd' }, jsonIn: [{ a: 'b' }, { c: 'd' }], dbus: { a: 'b', c: 'd' } },
  {
    name: 'dict of inferred variants',
    signature: 'a{sv}',
    json: { b: true, i: 1, x: 1099511627776, d: 0.5, s: 'str', as: ['a'], av: [1, 'a'], obj: { k: 1 }, empty: [] },
    dbus: {
      b: V('b', true), i: V('i', 1), x: V('x', 1099511627776n), d: V('d', 0.5), s: V('s', 'str'), as: V('as', ['a']),
      av: V('av', [V('i', 1), V('s', 'a')]), obj: V('a{sv}', { k: V('i', 1) }), empty: V('as', []),
    },
  },
  {
    name: 'dict of explicitly typed variants',
    signature: 'a{sv}',
    json: { Max: 18446744073709551615n, Bytes: [1, 2], Path: '/a', U: 5, Y: 7, Pair: [1, 'a'] },
    jsonIn: {
      Max: { signature: 't', value: '18446744073709551615' }, Bytes: { signature: 'ay', value: [1, 2] },
      Path: { signature: 'o', value: '/a' }, U: { signature: 'u', value: 5 }, Y: { signature: 'y', value: '7' },
      Pair: { signature: '(is)', value: [1, 'a'] },
    },
    dbus: { Max: V('t', 18446744073709551615n), Bytes: V('ay', Buffer.from([1, 2])), Path: V('o', '/a'), U: V('u', 5), Y: V('y', 7), Pair: V('(is)', [1, 'a']) },
  },
  {
    name: 'nested dict a{sa{sv}}',
    signature: 'a{sa{sv}}',
    json: { 'xyz.openbmc_project.Sensor.Value': { Value: 42.5, Unit: 'xyz.openbmc_project.Sensor.Value.Unit.DegreesC' } },
    dbus: { 'xyz.openbmc_project.Sensor.Value': { Value: V('d', 42.5), Unit: V('s', 'xyz.openbmc_project.Sensor.Value.Unit.DegreesC') } },
  },
  {
    name: 'managed objects a{oa{sa{sv}}}',
    signature: 'a{oa{sa{sv}}}',
    json: { '/xyz/openbmc_project/state/host0': { 'xyz.openbmc_project.State.Host': { CurrentHostState: 'Off', Count: 3 } } },
    dbus: { '/xyz/openbmc_project/state/host0': { 'xyz.openbmc_project.State.Host': { CurrentHostState: V('s', 'Off'), Count: V('i', 3) } } },
  },
  { name: 'dict with int64 keys', signature: 'a{xs}', json: { '-9007199254740993': 'a', '9223372036854775807': 'b' }, dbus: { '-9007199254740993': 'a', '9223372036854775807': 'b' } },
  { name: 'dict with uint64 keys', signature: 'a{ts}', json: { '18446744073709551615': 'max' }, dbus: { '18446744073709551615': 'max' } },
  { name: 'dict with object path keys', signature: 'a{os}', json: { '/a/b': 'x' }, dbus: { '/a/b': 'x' } },
  { name: 'dict with signature keys', signature: 'a{gs}', json: { 'a{sv}': 'dict' }, dbus: { 'a{sv}': 'dict' } },

  // Dicts with number or boolean keys: string keys in the canonical form dbus-next receives.
  { name: 'dict with byte keys', signature: 'a{ys}', json: { 0: 'zero', 255: 'max' }, dbus: { 0: 'zero', 255: 'max' }, knownIssue: INT_KEYS },
  { name: 'dict key canonicalized', signature: 'a{ys}', json: { 7: 'x' }, jsonIn: { '007': 'x' }, dbus: { 7: 'x' }, knownIssue: INT_KEYS },
  { name: 'dict with int32 keys', signature: 'a{is}', json: { '-1': 'a', 2147483647: 'b' }, dbus: { '-1': 'a', 2147483647: 'b' }, knownIssue: INT_KEYS },
  { name: 'dict with boolean keys', signature: 'a{bs}', json: { true: 'yes', false: 'no' }, dbus: { true: 'yes', false: 'no' }, knownIssue: INT_KEYS },
  { name: 'dict with boolean keys from 1/0', signature: 'a{bs}', json: { true: 'yes', false: 'no' }, jsonIn: { 1: 'yes', 0: 'no' }, dbus: { true: 'yes', false: 'no' }, knownIssue: INT_KEYS },
  { name: 'dict with double keys', signature: 'a{ds}', json: { 0.5: 'half' }, dbus: { 0.5: 'half' }, knownIssue: INT_KEYS },
  {
    name: 'dict a{ia{s(yv)}}',
    signature: 'a{ia{s(yv)}}',
    json: { '-1': { a: [1, 'x'] } },
    dbus: { '-1': { a: [1, V('s', 'x')] } },
    knownIssue: INT_KEYS,
  },

  // Structs.
  { name: 'struct (is)', signature: '(is)', json: [1, 'a'], dbus: [1, 'a'] },
  { name: 'struct (a{sv}as)', signature: '(a{sv}as)', json: [{ a: 1 }, ['x']], dbus: [{ a: V('i', 1) }, ['x']] },
  { name: 'nested struct (i(sb))', signature: '(i(sb))', json: [1, ['a', true]], dbus: [1, ['a', true]] },
  { name: 'struct (ia{s(yv)})', signature: '(ia{s(yv)})', json: [7, { k: [255, [1, 2]] }], dbus: [7, { k: [255, V('av', [V('i', 1), V('i', 2)])] }] },

  // Variants: inference, then the explicit typed form.
  { name: 'variant boolean', signature: 'v', json: true, dbus: V('b', true) },
  { name: 'variant int32', signature: 'v', json: -5, dbus: V('i', -5) },
  { name: 'variant past int32 is int64', signature: 'v', json: 2147483648, dbus: V('x', 2147483648n) },
  { name: 'variant double', signature: 'v', json: 0.25, dbus: V('d', 0.25) },
  { name: 'variant huge integral number is double', signature: 'v', json: 1e300, dbus: V('d', 1e300) },
  { name: 'variant string', signature: 'v', json: 'on', dbus: V('s', 'on') },
  { name: 'variant string array', signature: 'v', json: ['a', 'b'], dbus: V('as', ['a', 'b']) },
  { name: 'variant empty array', signature: 'v', json: [], dbus: V('as', []) },
  { name: 'variant mixed array', signature: 'v', json: [1, 'a', true], dbus: V('av', [V('i', 1), V('s', 'a'), V('b', true)]) },
  { name: 'variant object', signature: 'v', json: { a: { b: 1 } }, dbus: V('a{sv}', { a: V('a{sv}', { b: V('i', 1) }) }) },
  { name: 'variant typed uint64 max', signature: 'v', json: 18446744073709551615n, jsonIn: { signature: 't', value: '18446744073709551615' }, dbus: V('t', 18446744073709551615n) },
  { name: 'variant typed byte', signature: 'v', json: 200, jsonIn: { signature: 'y', value: 200 }, dbus: V('y', 200) },
  { name: 'variant typed int16', signature: 'v', json: -3, jsonIn: { signature: 'n', value: -3 }, dbus: V('n', -3) },
  { name: 'variant typed uint16', signature: 'v', json: 3, jsonIn: { signature: 'q', value: 3 }, dbus: V('q', 3) },
  { name: 'variant typed uint32', signature: 'v', json: 4294967295, jsonIn: { signature: 'u', value: 4294967295 }, dbus: V('u', 4294967295) },
  { name: 'variant typed double from integer', signature: 'v', json: 1, jsonIn: { signature: 'd', value: 1 }, dbus: V('d', 1) },
  { name: 'variant typed object path', signature: 'v', json: '/a', jsonIn: { signature: 'o', value: '/a' }, dbus: V('o', '/a') },
  { name: 'variant typed signature', signature: 'v', json: 'a{sv}', jsonIn: { signature: 'g', value: 'a{sv}' }, dbus: V('g', 'a{sv}') },
  { name: 'variant typed byte array', signature: 'v', json: [1, 2], jsonIn: { signature: 'ay', value: [1, 2] }, dbus: V('ay', Buffer.from([1, 2])) },
  { name: 'variant typed struct', signature: 'v', json: [1, 'a'], jsonIn: { signature: '(is)', value: [1, 'a'] }, dbus: V('(is)', [1, 'a']) },
  { name: 'variant holding a variant', signature: 'v', json: 5, jsonIn: { signature: 'v', value: 5 }, dbus: V('v', V('i', 5)) },
  { name: 'variant array', signature: 'av', json: [1, 'a'], dbus: [V('i', 1), V('s', 'a')] },
];

/** A value fromJson must refuse, with the place (`at`) and a fragment of the expected/got text. */
export interface ConversionReject {
  signature: string;
  json: unknown;
  at: string;
  expectedFragment: string;
}

const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

/** Shared by the unit tests and the end-to-end Echo test (which sends each row through the real gateway). */
export const conversionRejects: ConversionReject[] = [
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
  { signature: 'd', json: true, at: '$', expectedFragment: 'expected double' },
  // What phosphor-rest silently corrupted, or that is no decimal number, stays refused.
  { signature: 'd', json: 'NaN', at: '$', expectedFragment: 'expected double, got "NaN"' },
  { signature: 'd', json: 'Infinity', at: '$', expectedFragment: 'expected double, got "Infinity"' },
  { signature: 'd', json: '1e400', at: '$', expectedFragment: 'expected double, got "1e400"' },
  { signature: 'd', json: ' 1.5', at: '$', expectedFragment: 'expected double, got " 1.5"' },
  { signature: 'd', json: '.5', at: '$', expectedFragment: 'expected double, got ".5"' },
  { signature: 'd', json: '1.', at: '$', expectedFragment: 'expected double, got "1."' },
  { signature: 'd', json: '+1.5', at: '$', expectedFragment: 'expected double, got "+1.5"' },
  { signature: 'd', json: '0x10', at: '$', expectedFragment: 'expected double, got "0x10"' },
  { signature: 'd', json: '1,5', at: '$', expectedFragment: 'expected double, got "1,5"' },
  { signature: 'd', json: '', at: '$', expectedFragment: 'expected double, got ""' },
  { signature: 'y', json: 2.5, at: '$', expectedFragment: 'expected byte, got 2.5' },
  { signature: 'd', json: Number.POSITIVE_INFINITY, at: '$', expectedFragment: 'got Infinity' },
  { signature: 's', json: true, at: '$', expectedFragment: 'expected string, got true' },
  { signature: 's', json: 9007199254740993, at: '$', expectedFragment: 'send the digits as a string' },
  { signature: 's', json: 1e300, at: '$', expectedFragment: 'send the digits as a string' },
  { signature: 's', json: { a: 1 }, at: '$', expectedFragment: 'expected string, got {"a":1}' },
  { signature: 's', json: [5], at: '$', expectedFragment: 'expected string, got [5]' },
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
  { signature: 'a{ss}', json: [{ a: 'b' }, { c: false }], at: '$[1].c', expectedFragment: 'expected string, got false' },
  { signature: 'v', json: { signature: 'zz', value: 1 }, at: '$.signature', expectedFragment: 'a signature of one complete type' },
  { signature: 'v', json: { signature: 'ss', value: 1 }, at: '$.signature', expectedFragment: 'a signature of one complete type' },
  { signature: 'v', json: { signature: 'u', value: -1 }, at: '$.value', expectedFragment: 'expected uint32, got -1' },
  { signature: 'v', json: { signature: 'h', value: 0 }, at: '$.value', expectedFragment: 'cannot be passed over REST' },
  { signature: 'a{sv}', json: { a: { signature: 'y', value: 300 } }, at: '$.a.value', expectedFragment: 'expected byte, got 300' },
  { signature: 'av', json: [1, null], at: '$[1]', expectedFragment: 'expected variant, got null' },
  { signature: 'v', json: nested(40), at: `$${'[0]'.repeat(32)}`, expectedFragment: 'at most 32 nested variants' },
  { signature: '(ia{s(yv)})', json: [1, { k: [256, 1] }], at: '$[1].k[0]', expectedFragment: 'expected byte, got 256' },
];
