/**
 * What may be sent at all (src/dbus/message-check.ts): a call that breaks a
 * D-Bus rule makes dbus-daemon drop the sender's connection, so it is
 * refused before either encoder (wire.ts, dbus-next) runs. Rows of calls
 * that pass and of calls that must be refused, with the words of the refusal.
 */
import test from 'ava';
import dbus from 'dbus-next';
import { type CheckedCall, methodCallProblem } from '../../src/dbus/message-check.js';
import { isBusName } from '../../src/dbus/names.js';

const V = (signature: string, value: unknown) => new dbus.Variant(signature, value);
const base: CheckedCall = {
  busName: 'xyz.openbmc_project.Test',
  objectPath: '/xyz/openbmc_project/test/values',
  interfaceName: 'org.freedesktop.DBus.Properties',
  member: 'Get',
  signature: 'ss',
  body: ['xyz.openbmc_project.Test.Values', 'String'],
};

const passing: Array<[string, CheckedCall]> = [
  ['Properties.Get', base],
  ['a unique name as destination', { ...base, busName: ':1.42' }],
  ['a well-known name with digits and hyphens after the first character', { ...base, busName: 'org.example-1.x_2' }],
  ['the root path, no interface, no body', { busName: 'org.freedesktop.DBus', objectPath: '/', member: 'Hello' }],
  ['member names with digits and underscores', { ...base, member: '_Get_2', signature: '', body: [] }],
  ['object paths and signatures in the body', { ...base, signature: 'aoga{og}', body: [['/a', '/'], 'a{sv}', { '/b': '(ii)' }] }],
  ['variants holding an object path and a signature', { ...base, signature: 'v', body: [V('a{sv}', { p: V('o', '/ok'), g: V('g', 'as') })] }],
  ['a byte array as a Buffer', { ...base, signature: 'ay', body: [Buffer.from([1, 2])] }],
  ['a struct with an object path', { ...base, signature: '(os)', body: [['/a/b', 'x']] }],
  ['the longest interface name (255)', { ...base, interfaceName: `a.${'b'.repeat(253)}` }],
];
for (const [name, call] of passing) {
  test(`passes: ${name}`, (t) => {
    t.is(methodCallProblem(call), undefined);
  });
}

const refused: Array<[string, CheckedCall, string]> = [
  ['an interface without a dot', { ...base, interfaceName: 'nodots' }, 'invalid interface name "nodots"'],
  ['an interface element starting with a digit', { ...base, interfaceName: 'xyz.1openbmc' }, 'invalid interface name'],
  ['an interface with a hyphen', { ...base, interfaceName: 'xyz.open-bmc' }, 'invalid interface name'],
  ['an interface of 256 characters', { ...base, interfaceName: `a.${'b'.repeat(254)}` }, 'invalid interface name'],
  ['an empty interface', { ...base, interfaceName: '' }, 'invalid interface name ""'],
  ['a bus name with an empty element', { ...base, busName: 'bad..name' }, 'invalid bus name "bad..name"'],
  ['a bus name without a dot', { ...base, busName: 'nodots' }, 'invalid bus name'],
  ['a well-known bus name element starting with a digit', { ...base, busName: 'org.1example' }, 'invalid bus name'],
  ['an empty bus name', { ...base, busName: '' }, 'invalid bus name'],
  ['a unique name with an empty element', { ...base, busName: ':1..42' }, 'invalid bus name ":1..42"'],
  ['a unique name of one element', { ...base, busName: ':42' }, 'invalid bus name'],
  ['a bare colon', { ...base, busName: ':' }, 'invalid bus name'],
  ['a unique name with a space', { ...base, busName: ':1. 2' }, 'invalid bus name'],
  ['a member with a hyphen (dbus-next lets it through)', { ...base, member: 'bad-member' }, 'invalid member name "bad-member"'],
  ['a member with a dot', { ...base, member: 'Get.All' }, 'invalid member name'],
  ['a member starting with a digit', { ...base, member: '1Get' }, 'invalid member name'],
  ['an empty member', { ...base, member: '' }, 'invalid member name'],
  ['a member of 256 characters', { ...base, member: 'M'.repeat(256) }, 'invalid member name'],
  ['a member with NUL', { ...base, member: 'G\0et' }, 'invalid member name'],
  ['a path with a trailing slash', { ...base, objectPath: '/xyz/' }, 'invalid object path "/xyz/"'],
  ['a path with an empty element', { ...base, objectPath: '/a//b' }, 'invalid object path'],
  ['a relative path', { ...base, objectPath: 'xyz/a' }, 'invalid object path'],
  ['a path with a hyphen', { ...base, objectPath: '/a-b' }, 'invalid object path'],
  ['a body signature with an unclosed dict', { ...base, signature: 'a{sv', body: [{}] }, 'invalid body signature "a{sv"'],
  ['a body signature with a variant key', { ...base, signature: 'a{vs}', body: [{}] }, 'invalid body signature'],
  ['a signature value with an unclosed dict', { ...base, signature: 'g', body: ['a{sv'] }, 'argument 1: invalid signature "a{sv"'],
  ['a signature value with an unknown code', { ...base, signature: 'sg', body: ['x', 'z'] }, 'argument 2: invalid signature "z"'],
  ['an object path value', { ...base, signature: 'o', body: ['not/a/path'] }, 'argument 1: invalid object path "not/a/path"'],
  ['an object path in an array', { ...base, signature: 'ao', body: [['/ok', '/bad/']] }, 'invalid object path "/bad/"'],
  ['an object path as a dict key', { ...base, signature: 'a{os}', body: [{ '/ok': 'a', bad: 'b' }] }, 'invalid object path "bad"'],
  ['a signature as a dict value', { ...base, signature: 'a{sg}', body: [{ k: '((' }] }, 'invalid signature "(("'],
  ['an object path in a struct', { ...base, signature: '(so)', body: [['x', '']] }, 'invalid object path ""'],
  ['a variant whose signature is invalid', { ...base, signature: 'v', body: [V('a{', {})] }, 'invalid variant signature "a{"'],
  ['an object path inside nested variants', { ...base, signature: 'a{sv}', body: [{ k: V('v', V('ao', ['/a', 'b'])) }] }, 'invalid object path "b"'],
  ['a long bad name is quoted short', { ...base, interfaceName: 'x'.repeat(300) }, `invalid interface name "${'x'.repeat(80)}…"`],
];
for (const [name, call, problem] of refused) {
  test(`refuses: ${name}`, (t) => {
    const found = methodCallProblem(call);
    t.truthy(found, 'refused');
    t.true(found?.includes(problem), `${found} should say ${problem}`);
  });
}

test('refuses variants nested past the D-Bus container depth', (t) => {
  let value: dbus.Variant = V('o', '/ok');
  for (let i = 0; i < 70; i++) value = V('v', value);
  t.is(methodCallProblem({ ...base, signature: 'v', body: [value] }), 'argument 1: variants nested too deep');
});

test("isBusName: dbus-next's check for well-known names, a stricter one for unique names", (t) => {
  for (const good of ['org.freedesktop.DBus', ':1.0', ':1.42.7', 'a.b', '_a.-b']) t.true(isBusName(good), good);
  for (const bad of ['', '.a.b', 'a.b.', 'a', ':', ':1', ':1.', ':.1', ':1.4 2', `a.${'b'.repeat(254)}`, `:1.${'2'.repeat(253)}`]) {
    t.false(isBusName(bad), JSON.stringify(bad));
  }
});
