import test from 'ava';
import { writeJson } from '../../src/http/json-text.js';

const cases: Array<[string, any, string]> = [
  ['null', null, 'null'],
  ['true/false', [true, false], '[\n  true,\n  false\n]'],
  ['uint64 max exact', 18446744073709551615n, '18446744073709551615'],
  ['int64 min exact', -9223372036854775808n, '-9223372036854775808'],
  ['2^53+1 exact', 9007199254740993n, '9007199254740993'],
  ['NaN', Number.NaN, 'null'],
  ['Infinity', [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], '[\n  null,\n  null\n]'],
  ['shortest double', 0.1, '0.1'],
  ['empty object', {}, '{}'],
  ['empty array', [], '[]'],
  ['sorted keys', { b: 1, a: 2, B: 3 }, '{\n  "B": 3,\n  "a": 2,\n  "b": 1\n}'],
  ['nested', { data: { x: [1] } }, '{\n  "data": {\n    "x": [\n      1\n    ]\n  }\n}'],
  ['non-ASCII escaped', 'é€', '"\\u00e9\\u20ac"'],
  ['quotes and control characters', 'a"b\n', '"a\\"b\\n"'],
];

for (const [name, value, expected] of cases) {
  test(name, (t) => t.is(writeJson(value), expected));
}

test('non-ASCII escaping is stable across calls (no regex lastIndex state)', (t) => {
  for (let i = 0; i < 5; i++) t.is(writeJson(['é', 'é']), '[\n  "\\u00e9",\n  "\\u00e9"\n]');
});

test('output is valid JSON equal to JSON.stringify for safe values', (t) => {
  const value = { z: [1, 'two', { three: 3.5 }], a: null, m: false };
  t.deepEqual(JSON.parse(writeJson(value)), value);
  t.is(writeJson(value, 0), JSON.stringify({ a: null, m: false, z: [1, 'two', { three: 3.5 }] }));
});
