/**
 * src/dbus/incoming.ts: the gateway's reader of the bus socket. Fed through a
 * stream as the socket would be (messages split into arbitrary chunks), it
 * must frame and read headers exactly as dbus-next does, give each message to
 * the interceptor first, hand the rest to dbus-next in dbus-next's own shape,
 * drop a message whose header fields are broken without losing the next one,
 * and end the stream with an error (never an exception out of the handler)
 * when the framing itself is broken.
 */
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import test from 'ava';
import dbus from 'dbus-next';
import { type IncomingMessage, interceptMessages, parseMessage } from '../../src/dbus/incoming.js';
import { randomSource, replyMessage, signalMessage, splitMessage } from '../helpers/wire-samples.js';

const require = createRequire(import.meta.url);
const messages = require('dbus-next/lib/message.js') as {
  unmarshalMessages(stream: object, onMessage: (message: object) => void, options: object): void;
};

interface Run {
  readonly taken: IncomingMessage[];
  readonly passed: object[];
  readonly stream: PassThrough;
  readonly errors: Error[];
}

/** A stream read by the gateway's reader (intercepted) or by dbus-next's own (not registered). */
function reader(intercepted: boolean, take: (message: IncomingMessage) => boolean = () => false): Run {
  const run: Run = { taken: [], passed: [], stream: new PassThrough(), errors: [] };
  run.stream.on('error', (err) => run.errors.push(err));
  if (intercepted) {
    interceptMessages(run.stream, (message) => {
      run.taken.push(message);
      return take(message);
    });
  }
  messages.unmarshalMessages(run.stream, (message) => run.passed.push(message), {});
  return run;
}

/** Writes the bytes in chunks of random sizes, then lets the readers run. */
async function feed(stream: PassThrough, bytes: Buffer, seed: number): Promise<void> {
  const random = randomSource(seed);
  for (let at = 0; at < bytes.length;) {
    const size = 1 + Math.floor(random() * 64);
    stream.write(bytes.subarray(at, at + size));
    at += size;
    if (random() < 0.3) await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

const V = (signature: string, value: unknown) => new dbus.Variant(signature, value);

function stream(): Buffer {
  return Buffer.concat([
    replyMessage('a{sv}', [{ Value: V('d', 42.5), Unit: V('s', 'xyz.openbmc_project.Sensor.Value.Unit.DegreesC') }], 10, 3),
    signalMessage({ path: '/xyz/openbmc_project/sensors/temperature/t0', interfaceName: 'org.freedesktop.DBus.Properties', member: 'PropertiesChanged' },
      'sa{sv}as', ['xyz.openbmc_project.Sensor.Value', { Value: V('d', 43) }, []]),
    replyMessage('', [], 11, 4),
    replyMessage('v', [V('t', 18446744073709551615n)], 12, 5),
    replyMessage('ay', [Buffer.from([1, 2, 3])], 13, 6),
  ]);
}

test('incoming: what the interceptor leaves reaches dbus-next exactly as dbus-next\'s own reader gives it', async (t) => {
  const bytes = stream();
  const ours = reader(true);
  const theirs = reader(false);
  await feed(ours.stream, bytes, 1);
  await feed(theirs.stream, bytes, 2);
  t.is(theirs.passed.length, 5);
  t.deepEqual(ours.passed, theirs.passed);
  t.is(ours.taken.length, 5, 'every message was offered to the interceptor first');
  t.deepEqual(ours.errors, []);
});

test('incoming: the interceptor gets the header fields, and what it takes never reaches dbus-next', async (t) => {
  const run = reader(true, (message) => message.type !== 4);
  await feed(run.stream, stream(), 3);
  t.deepEqual(run.taken.map((m) => [m.type, m.serial, m.replySerial, m.signature]),
    [[2, 10, 3, 'a{sv}'], [4, 9, undefined, 'sa{sv}as'], [2, 11, 4, ''], [2, 12, 5, 'v'], [2, 13, 6, 'ay']]);
  const signal = run.taken[1]!;
  t.like(signal, {
    path: '/xyz/openbmc_project/sensors/temperature/t0', interfaceName: 'org.freedesktop.DBus.Properties',
    member: 'PropertiesChanged', sender: ':1.7', littleEndian: true,
  });
  t.is(run.passed.length, 1);
  t.like(run.passed[0], { member: 'PropertiesChanged' });
});

test('incoming: a message whose header fields are broken is dropped alone', async (t) => {
  const good = replyMessage('s', ['after'], 20, 8);
  const broken = Buffer.from(replyMessage('s', ['broken'], 21, 9));
  // The first header field's signature byte count (offset 17) is made to overrun the header.
  broken[17] = 200;
  const run = reader(true);
  await feed(run.stream, Buffer.concat([broken, good]), 4);
  t.deepEqual(run.taken.map((m) => m.serial), [20]);
  t.deepEqual(run.errors, []);
});

test('incoming: a broken frame (byte order, version, lengths) ends the stream with an error', async (t) => {
  const cases: Array<[string, (b: Buffer) => void]> = [
    ['byte order mark', (b) => (b[0] = 0x41)],
    ['protocol version', (b) => (b[3] = 2)],
    ['body beyond 128 MiB', (b) => b.writeUInt32LE(2 ** 27, 4)],
    ['header fields beyond 64 MiB', (b) => b.writeUInt32LE(2 ** 26 + 1, 12)],
    ['no header fields', (b) => b.writeUInt32LE(0, 12)],
  ];
  for (const [name, corrupt] of cases) {
    const bytes = Buffer.from(replyMessage('s', ['x']));
    corrupt(bytes);
    const run = reader(true);
    await feed(run.stream, bytes, 5);
    t.is(run.errors.length, 1, name);
    t.regex(run.errors[0]?.message ?? '', /D-Bus protocol error/, name);
    t.true(run.stream.destroyed, name);
  }
});

test('incoming fuzz: corrupted streams never throw out of the reader', async (t) => {
  const random = randomSource(31337);
  const original = stream();
  let destroyed = 0;
  for (let round = 0; round < 300; round++) {
    const bytes = Buffer.from(original);
    for (let f = 0; f < 1 + Math.floor(random() * 4); f++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    const run = reader(true);
    // An exception out of the 'readable' handler would fail this test as an uncaught exception.
    await feed(run.stream, bytes, round);
    if (run.stream.destroyed) destroyed++;
  }
  t.log(`${destroyed} of 300 corrupted streams ended with a protocol error`);
  t.pass();
});

test('incoming: parseMessage reads a big-endian header', (t) => {
  // A big-endian METHOD_RETURN with REPLY_SERIAL 7 and SIGNATURE 's', body "hi".
  const fields = Buffer.from([
    5, 1, 0x75, 0, 0, 0, 0, 7, // (5, <u> 7)
    8, 1, 0x67, 0, 1, 0x73, 0, 0, // (8, <g> "s")
  ]);
  const body = Buffer.from([0, 0, 0, 2, 0x68, 0x69, 0]);
  // The fields' length leaves out the padding after the last one.
  const fixed = Buffer.from([0x42, 2, 1, 1, 0, 0, 0, body.length, 0, 0, 0, 3, 0, 0, 0, fields.length - 1]);
  const [header, rest] = splitMessage(Buffer.concat([fixed, fields, body]));
  const message = parseMessage(header, rest);
  t.like(message, { type: 2, flags: 1, serial: 3, replySerial: 7, signature: 's', littleEndian: false, bodyStart: 16 });
});
