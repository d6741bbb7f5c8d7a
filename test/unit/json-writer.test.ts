/**
 * src/dbus/json-writer.ts against an independent oracle: JSON.stringify of
 * the value with its keys sorted, non-ASCII escaped afterwards, on random
 * values big enough to cross many chunk boundaries (keys never look like
 * array indices, which JSON.stringify would put first); and copy() of arbitrary
 * ranges of one writer's text into another.
 */
import test from 'ava';
import { JsonWriter } from '../../src/dbus/json-writer.js';
import { randomSource } from '../helpers/wire-samples.js';

type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

function sorted(value: Value): Value {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Value } = {};
  for (const key of Object.keys(value).sort()) out[key] = sorted(value[key]!);
  return out;
}

function oracle(value: Value, indent: number): string {
  return JSON.stringify(sorted(value), null, indent)
    .replace(/[\u007f-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

const STRINGS = ['', 'a', 'Value', 'é€', '温度 🌡', 'say "hi" \\ \n\t\u0001\u001f\u007f', 'x'.repeat(70), 'a\uD800b', '/xyz/openbmc_project/sensors/t'];
const NUMBERS = [0, -0, 1, -1.5, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY, 42.5];

function randomValue(random: () => number, depth: number): Value {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const roll = random();
  if (depth <= 0 || roll < 0.5) {
    const kind = Math.floor(random() * 4);
    return kind === 0 ? null : kind === 1 ? random() < 0.5 : kind === 2 ? pick(NUMBERS) : pick(STRINGS);
  }
  const length = Math.floor(random() * 6);
  if (roll < 0.75) return Array.from({ length }, () => randomValue(random, depth - 1));
  const out: { [key: string]: Value } = {};
  for (let i = 0; i < length; i++) out[pick(STRINGS) + pick(['', 'b', 'A', '_1', 'é'])] = randomValue(random, depth - 1);
  return out;
}

test('json-writer: random values are JSON.stringify\'s sorted text with non-ASCII escaped (indent 2 and 0)', (t) => {
  const random = randomSource(5);
  for (let i = 0; i < 500; i++) {
    const value = randomValue(random, 4);
    for (const indent of [2, 0]) {
      const writer = new JsonWriter(indent);
      writer.value(value, 0);
      const expected = oracle(value, indent);
      if (writer.toString() !== expected) {
        t.is(writer.toString(), expected);
        return;
      }
    }
  }
  t.pass();
});

test('json-writer: a text of several megabytes, in chunks, is the oracle\'s text', (t) => {
  const random = randomSource(6);
  const value = Array.from({ length: 3000 }, () => randomValue(random, 5));
  const writer = new JsonWriter(2);
  writer.value(value, 0);
  const chunks = writer.chunks();
  t.true(chunks.length > 10, `${chunks.length} chunks`);
  t.is(Buffer.concat(chunks).toString('latin1'), oracle(value, 2));
  t.is(writer.length, writer.toBuffer().length);
});

test('json-writer: copy() of any range of another writer\'s text', (t) => {
  const random = randomSource(8);
  const source = new JsonWriter(2);
  source.value(Array.from({ length: 2000 }, () => randomValue(random, 4)), 0);
  const whole = source.toString();
  for (let i = 0; i < 200; i++) {
    const start = Math.floor(random() * whole.length);
    const end = start + Math.floor(random() * Math.min(200_000, whole.length - start));
    const target = new JsonWriter(2);
    target.ascii('>');
    target.copy(source, start, end);
    t.is(target.toString(), '>' + whole.slice(start, end));
  }
  t.throws(() => new JsonWriter().copy(source, 0, whole.length + 1), { instanceOf: RangeError });
});

test('json-writer: bigints are exact digits, values nested at a depth are indented from it', (t) => {
  const writer = new JsonWriter(2);
  writer.value({ a: [18446744073709551615n, -9223372036854775808n] }, 2);
  t.is(writer.toString(), '{\n      "a": [\n        18446744073709551615,\n        -9223372036854775808\n      ]\n    }');
});
