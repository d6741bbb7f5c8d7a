import test from 'ava';
import {
  SignatureError, type TypeNode, describeType, formatSignature, isBasic, parseSignature, parseSingleType,
} from '../../src/dbus/signature.js';

/** Builds expected trees compactly: n('a', n('y')). */
const n = (code: TypeNode['code'], ...children: TypeNode[]): TypeNode => ({ code, children });

const BASIC = ['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 'h', 's', 'o', 'g'] as const;

const trees: Array<[string, TypeNode]> = [
  ...BASIC.map((code): [string, TypeNode] => [code, n(code)]),
  ['v', n('v')],
  ['ay', n('a', n('y'))],
  ['as', n('a', n('s'))],
  ['aay', n('a', n('a', n('y')))],
  ['a{sv}', n('a', n('{', n('s'), n('v')))],
  ['a{sa{sv}}', n('a', n('{', n('s'), n('a', n('{', n('s'), n('v')))))],
  ['a(sss)', n('a', n('(', n('s'), n('s'), n('s')))],
  ['(ia{s(yv)})', n('(', n('i'), n('a', n('{', n('s'), n('(', n('y'), n('v')))))],
  ['(i(sb))', n('(', n('i'), n('(', n('s'), n('b')))],
  ['a{oa{sa{sv}}}', n('a', n('{', n('o'), n('a', n('{', n('s'), n('a', n('{', n('s'), n('v')))))))],
  ['a{ys}', n('a', n('{', n('y'), n('s')))],
  ['a{ds}', n('a', n('{', n('d'), n('s')))],
  ['a{sas}', n('a', n('{', n('s'), n('a', n('s'))))],
];

for (const [sig, tree] of trees) {
  test(`parses ${sig} and formats it back`, (t) => {
    const node = parseSingleType(sig);
    t.deepEqual(node, tree);
    t.is(formatSignature(node), sig);
    t.deepEqual(parseSignature(sig), [tree]);
  });
}

/** bmcweb's dbusArgSplit cases and friends: a signature holding several complete types. */
const splits: Array<[string, string[]]> = [
  ['', []],
  ['a{si}b', ['a{si}', 'b']],
  ['ssa{sv}', ['s', 's', 'a{sv}']],
  ['sa{sv}as', ['s', 'a{sv}', 'as']],
  ['a{sv}a{sv}', ['a{sv}', 'a{sv}']],
  ['(ss)(ss)', ['(ss)', '(ss)']],
  ['ia(ss)', ['i', 'a(ss)']],
  ['a{s(sv)}s', ['a{s(sv)}', 's']],
  ['ybnqiuxtdhsogv', ['y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 'd', 'h', 's', 'o', 'g', 'v']],
  ['aaya{sa(ii)}(v)', ['aay', 'a{sa(ii)}', '(v)']],
];

for (const [sig, parts] of splits) {
  test(`splits ${JSON.stringify(sig)} into ${parts.length} types`, (t) => {
    t.deepEqual(parseSignature(sig).map(formatSignature), parts);
  });
}

test('the spec limits themselves are valid: 255 chars, 32 arrays, 32 structs', (t) => {
  t.is(parseSignature('s'.repeat(255)).length, 255);
  t.is(formatSignature(parseSingleType(`${'a'.repeat(32)}y`)), `${'a'.repeat(32)}y`);
  t.is(formatSignature(parseSingleType(`${'('.repeat(32)}y${')'.repeat(32)}`)), `${'('.repeat(32)}y${')'.repeat(32)}`);
  // Arrays inside structs inside arrays: each kind counts separately.
  const mixed = `${'a('.repeat(32)}y${')'.repeat(32)}`;
  t.is(formatSignature(parseSingleType(mixed)), mixed);
});

/** Invalid signatures and a fragment of the reason the error must give. */
const invalid: Array<[string, string]> = [
  ['z', 'unknown type code "z"'],
  ['A', 'unknown type code'],
  [' s', 'unknown type code'],
  ['s ', 'unknown type code'],
  ['r', 'unknown type code'],
  ['e', 'unknown type code'],
  ['a', 'array without element type'],
  ['aa', 'array without element type'],
  ['a)', 'array without element type'],
  ['(a)', 'array without element type'],
  ['(', "unbalanced '('"],
  ['(s', "unbalanced '('"],
  ['((s)', "unbalanced '('"],
  [')', "unbalanced ')'"],
  ['s)', "unbalanced ')'"],
  ['(s))', "unbalanced ')'"],
  ['}', "unbalanced '}'"],
  ['(s}', "unbalanced '}'"],
  ['()', 'empty struct'],
  ['a()', 'empty struct'],
  ['{sv}', 'outside an array'],
  ['({sv})', 'outside an array'],
  ['a{sv', "unbalanced '{'"],
  ['a{', "unbalanced '{'"],
  ['a{s)', "unbalanced ')'"],
  ['a{}', 'exactly a key and a value'],
  ['a{s}', 'exactly a key and a value'],
  ['a{svs}', 'exactly a key and a value'],
  ['a{vs}', 'dict key must be a basic type'],
  ['a{(s)s}', 'dict key must be a basic type'],
  ['a{ass}', 'dict key must be a basic type'],
  ['a{a{ss}s}', 'dict key must be a basic type'],
  ['s'.repeat(256), 'longer than 255'],
  [`${'a'.repeat(33)}y`, 'arrays nested deeper than 32'],
  [`${'('.repeat(33)}y${')'.repeat(33)}`, 'structs nested deeper than 32'],
  [`${'a{s'.repeat(33)}y${'}'.repeat(33)}`, 'arrays nested deeper than 32'],
];

for (const [sig, fragment] of invalid) {
  test(`rejects ${JSON.stringify(sig.length > 40 ? `${sig.slice(0, 40)}…` : sig)}: ${fragment}`, (t) => {
    const error = t.throws(() => parseSignature(sig), { instanceOf: SignatureError });
    t.true(error?.message.includes(fragment), error?.message);
    t.true(error?.message.startsWith('invalid D-Bus signature '), error?.message);
    t.true((error?.message.length ?? 999) < 200, 'messages stay short even for long input');
  });
}

test('parseSingleType wants exactly one complete type', (t) => {
  t.throws(() => parseSingleType(''), { instanceOf: SignatureError, message: /got none/ });
  t.throws(() => parseSingleType('ss'), { instanceOf: SignatureError, message: /got 2/ });
  t.throws(() => parseSingleType('a{sv}b'), { instanceOf: SignatureError, message: /got 2/ });
  t.throws(() => parseSingleType('a{'), { instanceOf: SignatureError });
});

test('isBasic: the 13 basic codes, not v or containers', (t) => {
  for (const code of BASIC) t.true(isBasic(code), code);
  for (const code of ['v', 'a', '(', '{', 'z', '']) t.false(isBasic(code), code);
});

test('parsed trees are frozen, cached and shared; the returned array is the caller\'s', (t) => {
  const first = parseSignature('a{sv}s');
  const second = parseSignature('a{sv}s');
  t.not(first, second);
  t.is(first[0], second[0]);
  t.true(Object.isFrozen(first[0]));
  t.true(Object.isFrozen(first[0]?.children));
  first.pop();
  t.is(parseSignature('a{sv}s').length, 2);
  // More distinct signatures than the cache holds still parse correctly.
  for (let index = 0; index < 1100; index++) parseSignature(`(${'s'.repeat(index % 200 + 1)}${index >= 200 ? 'y' : ''})`);
  t.is(formatSignature(parseSingleType('a{sv}')), 'a{sv}');
});

const descriptions: Array<[string, string]> = [
  ['y', 'byte'], ['b', 'boolean'], ['n', 'int16'], ['q', 'uint16'], ['i', 'int32'], ['u', 'uint32'],
  ['x', 'int64'], ['t', 'uint64'], ['d', 'double'], ['h', 'file descriptor'], ['s', 'string'],
  ['o', 'object path'], ['g', 'signature'], ['v', 'variant'],
  ['ay', 'array of bytes'], ['as', 'array of string'], ['aay', 'array of array of bytes'],
  ['a{sv}', 'dict of string to variant'], ['a{sa{sv}}', 'dict of string to dict of string to variant'],
  ['a{ys}', 'dict of byte to string'],
  ['(is)', 'struct (is) of 2 elements'], ['a(sss)', 'array of struct (sss) of 3 elements'],
  ['(ia{s(yv)})', 'struct (ia{s(yv)}) of 2 elements'],
];

for (const [sig, text] of descriptions) {
  test(`describeType ${sig} → ${text}`, (t) => {
    t.is(describeType(parseSingleType(sig)), text);
  });
}
