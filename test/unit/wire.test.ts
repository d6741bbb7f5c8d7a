/**
 * src/dbus/wire.ts against dbus-next: for every call it encodes, the bytes
 * must be exactly those dbus-next's marshaller writes for the same message
 * (with the gateway's marshal fixes installed, as at run time); for every
 * call it does not take, it must say so (undefined) rather than guess.
 */
import { createRequire } from 'node:module';
import test from 'ava';
import dbus from 'dbus-next';
import { installMarshalFixes } from '../../src/dbus/marshal-fixes.js';
import { encodeMethodCall, type WireMethodCall } from '../../src/dbus/wire.js';

installMarshalFixes();
const require = createRequire(import.meta.url);
const { marshallMessage } = require('dbus-next/lib/marshall-compat.js') as {
  marshallMessage: (message: dbus.Message) => [Buffer, unknown[]];
};
const { unmarshall } = require('dbus-next/lib/message.js') as { unmarshall: (buffer: Buffer, options: object) => unknown };

function viaDbusNext(call: WireMethodCall): Buffer {
  const message = new dbus.Message({
    serial: call.serial,
    destination: call.destination,
    path: call.objectPath,
    ...(call.interfaceName !== undefined ? { interface: call.interfaceName } : {}),
    member: call.member,
    signature: call.signature ?? '',
    body: [...(call.body ?? [])],
    ...(call.flags !== undefined ? { flags: call.flags } : {}),
  });
  return marshallMessage(message)[0];
}

const PROPS = 'org.freedesktop.DBus.Properties';
const MAPPER = 'xyz.openbmc_project.ObjectMapper';
const base = { serial: 7, destination: 'xyz.openbmc_project.Test', objectPath: '/xyz/openbmc_project/test/values', interfaceName: PROPS };

const encoded: Array<[string, WireMethodCall]> = [
  ['Properties.Get', { ...base, member: 'Get', signature: 'ss', body: ['xyz.openbmc_project.Test.Values', 'UInt64'] }],
  ['Properties.GetAll', { ...base, member: 'GetAll', signature: 's', body: ['xyz.openbmc_project.Sensor.Value'] }],
  ['no body, no signature field', { ...base, interfaceName: 'org.freedesktop.DBus.Introspectable', member: 'Introspect' }],
  ['no interface field', { serial: 1, destination: 'org.freedesktop.DBus', objectPath: '/', member: 'Hello' }],
  ['mapper GetObject with an empty array', { serial: 99, destination: MAPPER, objectPath: '/xyz/openbmc_project/object_mapper', interfaceName: MAPPER,
    member: 'GetObject', signature: 'sas', body: ['/xyz/openbmc_project/state/host0', []] }],
  ['mapper GetSubTree', { serial: 2 ** 32 - 1, destination: MAPPER, objectPath: '/xyz/openbmc_project/object_mapper', interfaceName: MAPPER,
    member: 'GetSubTree', signature: 'sias', body: ['/', 0, ['xyz.openbmc_project.Sensor.Value', 'org.freedesktop.DBus.ObjectManager']] }],
  ['AddMatch', { serial: 3, destination: 'org.freedesktop.DBus', objectPath: '/org/freedesktop/DBus', interfaceName: 'org.freedesktop.DBus',
    member: 'AddMatch', signature: 's', body: ["type='signal',interface='org.freedesktop.DBus.Properties',path_namespace='/xyz'"] }],
  ['the root object path', { ...base, objectPath: '/', member: 'GetManagedObjects', interfaceName: 'org.freedesktop.DBus.ObjectManager' }],
  ['non-ASCII and empty strings', { ...base, member: 'Echo', signature: 'sss', body: ['größe °C ✓ 😀', '', '\u{10FFFF}'] }],
  ['a lone surrogate (UTF-8 replacement, as Buffer.from)', { ...base, member: 'Echo', signature: 's', body: ['a\uD800b'] }],
  ['every basic type, misaligned on purpose', { ...base, member: 'All', signature: 'ybnqiuxtdsog',
    body: [255, true, -32768, 65535, -2147483648, 4294967295, -(2n ** 63n), 2n ** 64n - 1n, -1.5, 's', '/o/p', 'a{sv}(ii)'] }],
  ['bytes between wide values', { ...base, member: 'Pad', signature: 'ytyxyd', body: [1, 2n, 3, -4n, 5, 6.25] }],
  ['64-bit from safe integers', { ...base, member: 'Wide', signature: 'xt', body: [-(2 ** 53) + 1, 2 ** 53 - 1] }],
  ['non-finite doubles', { ...base, member: 'Doubles', signature: 'ddd', body: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] }],
  ['false and zero', { ...base, member: 'Zero', signature: 'byu', body: [false, 0, 0] }],
  ['array of object paths', { ...base, member: 'Paths', signature: 'ao', body: [['/', '/a/b', '/xyz/openbmc_project/sensors/temperature/cpu0']] }],
  ['an array after a byte', { ...base, member: 'After', signature: 'yas', body: [7, ['x', 'yy', 'zzz']] }],
  ['a long path and member', { ...base, objectPath: '/xyz' + '/segment_with_digits_0123456789'.repeat(40), member: 'M'.repeat(200), signature: 's', body: ['x'.repeat(5000)] }],
  ['flags', { ...base, member: 'Get', signature: 'ss', body: ['a', 'b'], flags: 1 }],
];

for (const [name, call] of encoded) {
  test(`wire: ${name} is byte for byte dbus-next's message`, (t) => {
    const ours = encodeMethodCall(call);
    t.truthy(ours, 'encoded');
    t.deepEqual(ours?.toString('hex'), viaDbusNext(call).toString('hex'));
  });
}

/** Numbers and BigInts as decimal text: dbus-next reads every 64-bit value back as a BigInt. */
const sameValues = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' || typeof v === 'number' ? String(v) : v));

test('wire: dbus-next reads the encoded messages back as the calls they were', (t) => {
  // (dbus-next's one-message reader cannot read a message without a body signature; a lone
  // surrogate comes back as U+FFFD, which the byte comparison above already covers.)
  for (const [name, call] of encoded.filter(([n, c]) => c.signature && !n.includes('surrogate'))) {
    const parsed = unmarshall(encodeMethodCall(call)!, {}) as Record<string, unknown>;
    t.is(parsed.serial, call.serial, name);
    t.is(parsed.path, call.objectPath, name);
    t.is(parsed.member, call.member, name);
    t.is(parsed.destination, call.destination, name);
    t.is(parsed.interface, call.interfaceName, name);
    t.is(parsed.signature, call.signature, name);
    t.is(sameValues(parsed.body), sameValues(call.body), name);
  }
});

const declined: Array<[string, WireMethodCall]> = [
  ['a variant argument', { ...base, member: 'Set', signature: 'ssv', body: ['i', 'p', new dbus.Variant('s', 'x')] }],
  ['a dict', { ...base, member: 'Create', signature: 'ssa{ss}', body: ['m', 's', {}] }],
  ['a struct', { ...base, member: 'S', signature: '(ii)', body: [[1, 2]] }],
  ['an array of integers', { ...base, member: 'A', signature: 'ai', body: [[1, 2]] }],
  ['a unix fd', { ...base, member: 'H', signature: 'h', body: [0] }],
  ['too few values', { ...base, member: 'Get', signature: 'ss', body: ['a'] }],
  ['too many values', { ...base, member: 'Get', signature: 's', body: ['a', 'b'] }],
  ['a NUL in a string', { ...base, member: 'Get', signature: 's', body: ['a\0b'] }],
  ['a NUL in the member', { ...base, member: 'G\0et' }],
  ['an invalid object path in the header', { ...base, objectPath: '/xyz/', member: 'Get' }],
  ['an invalid object path value', { ...base, member: 'P', signature: 'o', body: ['not/a/path'] }],
  ['a number for a string', { ...base, member: 'Get', signature: 's', body: [1] }],
  ['a string for an int32', { ...base, member: 'I', signature: 'i', body: ['1'] }],
  ['a fraction for an int32', { ...base, member: 'I', signature: 'i', body: [1.5] }],
  ['an int32 out of range', { ...base, member: 'I', signature: 'i', body: [2 ** 31] }],
  ['a uint32 below zero', { ...base, member: 'U', signature: 'u', body: [-1] }],
  ['a byte of 256', { ...base, member: 'Y', signature: 'y', body: [256] }],
  ['a number for a boolean', { ...base, member: 'B', signature: 'b', body: [1] }],
  ['a uint64 past 2^64-1', { ...base, member: 'T', signature: 't', body: [2n ** 64n] }],
  ['an int64 below -2^63', { ...base, member: 'X', signature: 'x', body: [-(2n ** 63n) - 1n] }],
  ['an unsafe integer for int64', { ...base, member: 'X', signature: 'x', body: [2 ** 53] }],
  ['a string key for a double (the marshal fixes handle it)', { ...base, member: 'D', signature: 'd', body: ['1.5'] }],
  ['a signature value with an unclosed dict', { ...base, member: 'G', signature: 'g', body: ['a{sv'] }],
  ['a signature value with a character no type has', { ...base, member: 'G', signature: 'g', body: ['a!sv'] }],
  ['a signature value with a dict entry outside an array', { ...base, member: 'G', signature: 'g', body: ['{ss}'] }],
  ['an array that is not an array', { ...base, member: 'A', signature: 'as', body: ['abc'] }],
  ['an array with a number', { ...base, member: 'A', signature: 'as', body: [['a', 1]] }],
];

for (const [name, call] of declined) {
  test(`wire: declines ${name}`, (t) => {
    t.is(encodeMethodCall(call), undefined);
  });
}
