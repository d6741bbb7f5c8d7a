/**
 * src/dbus/decode-json.ts against dbus-next: for every message, the gateway's
 * own decoder must give exactly what dbus-next's decoder followed by the
 * conversion (convert-out.ts) gives, on every row of the conversion table,
 * on a generated corpus of signatures and values, in both byte orders; and
 * every malformed or truncated body must be refused with DecodeError, never
 * another exception, never a hang.
 */
import test from 'ava';
import { BodyReader, DecodeError, readBody } from '../../src/dbus/decode-json.js';
import { parseSingleType } from '../../src/dbus/signature.js';
import { conversionCases } from './convert.cases.js';
import { bodyRange, encodeBody, exactText, generate, randomSource, replyMessage, viaDbusNext } from '../helpers/wire-samples.js';

function ours(body: Buffer, signature: string, littleEndian = true): unknown[] {
  return readBody(new BodyReader(body, 0, body.length, littleEndian), signature);
}

/** The body of the reply dbus-next marshals, copied to a buffer of its own (offset 0 is 8-aligned). */
function marshalledBody(signature: string, body: readonly unknown[]): Buffer {
  const message = replyMessage(signature, body);
  const { start, end } = bodyRange(message);
  return Buffer.from(message.subarray(start, end));
}

function same(t: import('ava').ExecutionContext, actual: unknown, expected: unknown, what: string): void {
  t.deepEqual(actual, expected, what);
  t.is(exactText(actual), exactText(expected), `${what} (key order and number types)`);
}

for (const row of conversionCases.filter((r) => r.direction !== 'in' && r.signature !== 'h')) {
  test(`decode ${row.signature}: ${row.name} is what dbus-next and toJson give`, (t) => {
    const body = marshalledBody(row.signature, [row.dbus]);
    const expected = viaDbusNext(body, row.signature);
    same(t, ours(body, row.signature), expected, 'little-endian');
    t.is(exactText(expected[0]), exactText(row.json), 'the table row itself');
    // The same values written big-endian give the same JSON. (dbus-next is no oracle there: it
    // reads a big-endian 64-bit integer with its two 32-bit halves swapped.)
    same(t, ours(encodeBody(row.signature, [row.dbus], false), row.signature, false), expected, 'big-endian');
  });
}

test('decode: the test encoder writes the bytes dbus-next writes (so its big-endian output can be trusted)', (t) => {
  const random = randomSource(7);
  for (let i = 0; i < 300; i++) {
    const { signature, body } = generate(random);
    t.is(encodeBody(signature, body, true).toString('hex'), marshalledBody(signature, body).toString('hex'), signature);
  }
});

test('decode: a generated corpus of 3,000 bodies gives exactly what dbus-next and toJson give, in both byte orders', (t) => {
  const random = randomSource(20261204);
  const signatures = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const { signature, body } = generate(random);
    signatures.add(signature);
    const little = marshalledBody(signature, body);
    const expected = viaDbusNext(little, signature);
    const actual = ours(little, signature);
    if (exactText(actual) !== exactText(expected)) {
      t.fail(`case ${i}, signature ${signature}: ${exactText(actual)} !== ${exactText(expected)}`);
      return;
    }
    if (exactText(ours(encodeBody(signature, body, false), signature, false)) !== exactText(expected)) {
      t.fail(`case ${i}, big-endian, signature ${signature}`);
      return;
    }
  }
  // The corpus is varied: hundreds of distinct signatures, with every container kind.
  t.true(signatures.size > 1000, `${signatures.size} signatures`);
  for (const needle of ['a{', '(', 'v', 'ay', 'x', 't', 'd', 'g']) t.true([...signatures].some((s) => s.includes(needle)), needle);
});

test('decode: -0 stays -0, in both byte orders', (t) => {
  // dbus-next marshals -0 as +0, so these bytes come from the test encoder.
  const little = encodeBody('(dv)', [[-0, { signature: 'd', value: -0 }]], true);
  same(t, ours(little, '(dv)'), viaDbusNext(little, '(dv)'), 'little-endian');
  t.true(Object.is((ours(little, '(dv)')[0] as number[])[0], -0));
  same(t, ours(encodeBody('(dv)', [[-0, { signature: 'd', value: -0 }]], false), '(dv)', false), viaDbusNext(little, '(dv)'), 'big-endian');
});

test('decode: a repeated dict key keeps its first place and its last value, as in dbus-next', (t) => {
  // a(ss) has the wire layout of a{ss}: a way to write a dict with a key twice.
  const body = marshalledBody('a(ss)', [[['b', '1'], ['a', '2'], ['b', '3'], ['7', 'n'], ['3', 'm']]]);
  const expected = viaDbusNext(body, 'a{ss}');
  same(t, ours(body, 'a{ss}'), expected, 'a{ss}');
  t.is(exactText(expected[0]), '{"3":"m","7":"n","b":"3","a":"2"}');
});

test('decode: a dict key "__proto__" is an ordinary key (dbus-next loses it and sets the prototype instead)', (t) => {
  const dict = marshalledBody('a(ss)', [[['__proto__', 'x'], ['a', 'y']]]);
  const [value] = ours(dict, 'a{ss}') as [Record<string, unknown>];
  t.deepEqual(Object.keys(value), ['__proto__', 'a']);
  t.is(Object.getPrototypeOf(value), Object.prototype);
  t.is(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, 'x');
  t.deepEqual(Object.keys(viaDbusNext(dict, 'a{ss}')[0] as object), ['a'], 'what dbus-next and toJson give');
});

const MALFORMED: Array<[string, string, Buffer]> = [
  ['a boolean of 2', 'b', Buffer.from([2, 0, 0, 0])],
  ['a string without its NUL', 's', Buffer.from([1, 0, 0, 0, 0x61, 0x62])],
  ['a string longer than the body', 's', Buffer.from([0xff, 0, 0, 0, 0x61, 0])],
  ['an array longer than 64 MiB', 'ai', Buffer.from([0, 0, 0, 8])],
  ['an array longer than the body', 'ai', Buffer.from([8, 0, 0, 0, 1, 0, 0, 0])],
  ['an array element crossing the array end', 'as', Buffer.from([5, 0, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 0, 0, 0, 0])],
  ['a variant with a bad signature', 'v', Buffer.from([2, 0x61, 0x7b, 0])],
  ['a variant with two types', 'v', Buffer.from([2, 0x69, 0x69, 0, 1, 0, 0, 0, 2, 0, 0, 0])],
  ['a variant with no type', 'v', Buffer.from([0, 0])],
  ['a file descriptor', 'h', Buffer.from([0, 0, 0, 0])],
  ['a file descriptor in a variant', 'v', Buffer.from([1, 0x68, 0, 0, 0, 0, 0, 0])],
  ['bytes after the last value', 'y', Buffer.from([1, 2])],
  ['an empty body for a value', 'u', Buffer.alloc(0)],
  ['variants nested 65 deep', 'v', Buffer.concat([...Array.from({ length: 65 }, () => Buffer.from([1, 0x76, 0])), Buffer.from([1, 0x79, 0, 7])])],
  ['a bad body signature', 'a{vs}', Buffer.alloc(8)],
];

for (const [name, signature, body] of MALFORMED) {
  test(`decode refuses ${name} with DecodeError`, (t) => {
    t.throws(() => ours(body, signature), { instanceOf: DecodeError });
  });
}

test('decode: variants nested 64 deep are read (the specification\'s limit)', (t) => {
  const body = Buffer.concat([...Array.from({ length: 63 }, () => Buffer.from([1, 0x76, 0])), Buffer.from([1, 0x79, 0, 7])]);
  t.deepEqual(ours(body, 'v'), [7]);
});

/** Bodies to mutilate: the table and a corpus sample, every container kind. */
function samples(): Array<[string, Buffer]> {
  const list: Array<[string, Buffer]> = conversionCases
    .filter((r) => r.direction !== 'in' && r.signature !== 'h')
    .map((r) => [r.signature, marshalledBody(r.signature, [r.dbus])]);
  const random = randomSource(99);
  for (let i = 0; i < 300; i++) {
    const { signature, body } = generate(random);
    list.push([signature, marshalledBody(signature, body)]);
  }
  return list;
}

test('decode fuzz: every strict prefix of a valid body is refused with DecodeError', (t) => {
  let cases = 0;
  for (const [signature, body] of samples()) {
    for (let length = 0; length < body.length; length++) {
      const error = t.throws(() => ours(body.subarray(0, length), signature), undefined, `${signature} cut at ${length}`);
      if (!(error instanceof DecodeError)) return;
      cases++;
    }
  }
  t.log(`${cases} truncations refused`);
});

test('decode fuzz: corrupted bodies give a value or DecodeError, never another exception or a hang', (t) => {
  const random = randomSource(4242);
  const interesting = [0, 1, 0x7f, 0x80, 0xff, 0x76, 0x61, 0x7b, 0x28, 0x29, 0x68];
  let refused = 0;
  let read = 0;
  for (const [signature, original] of samples()) {
    if (original.length === 0) continue;
    for (let round = 0; round < 40; round++) {
      const body = Buffer.from(original);
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(random() * body.length);
        body[at] = random() < 0.5 ? interesting[Math.floor(random() * interesting.length)]! : Math.floor(random() * 256);
      }
      try {
        ours(body, signature);
        read++;
      } catch (err) {
        if (!(err instanceof DecodeError)) {
          t.fail(`${signature} ${body.toString('hex')}: ${String(err)}`);
          return;
        }
        refused++;
      }
    }
  }
  t.true(refused > 1000, `${refused} refused, ${read} read`);
});

test('decode: a huge declared length is refused at once, without reading or allocating it', (t) => {
  const body = Buffer.from([0xf0, 0xff, 0xff, 0x03, 0, 0, 0, 0]);
  t.throws(() => ours(body, 'as'), { instanceOf: DecodeError, message: /truncated/ });
  t.throws(() => ours(body, 'ay'), { instanceOf: DecodeError });
});

test('decode: the conversion table covers every type code the decoder reads', (t) => {
  const codes = new Set(conversionCases.flatMap((r) => [...r.signature]));
  for (const code of 'ybnqiuxtdsogva({') t.true(codes.has(code), code);
  t.truthy(parseSingleType('a{sv}'));
});
