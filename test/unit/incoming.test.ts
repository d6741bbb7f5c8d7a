/**
 * src/dbus/incoming.ts: the gateway's reader of the bus socket. Fed through a
 * stream as the socket would be (messages split into arbitrary chunks), it
 * must frame and read headers exactly as dbus-next does, give each message to
 * the interceptor first, hand the rest to dbus-next in dbus-next's own shape,
 * drop a message whose header fields are broken without losing the next one,
 * and end the stream with an error (never an exception out of the handler)
 * when the framing itself is broken; a big body the interceptor reads entry
 * by entry is read so as it arrives, exactly as it reads whole.
 */
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import test from 'ava';
import dbus from 'dbus-next';
import { BodyReader, DecodeError, jsonReader } from '../../src/dbus/decode-json.js';
import { readEntries } from '../../src/dbus/entry-stream.js';
import { type IncomingMessage, interceptMessages, parseMessage } from '../../src/dbus/incoming.js';
import { parseSingleType } from '../../src/dbus/signature.js';
import { bodyRange, randomSource, replyMessage, signalMessage } from '../helpers/wire-samples.js';

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
    interceptMessages(run.stream, {
      take: (message) => {
        run.taken.push(message);
        return take(message);
      },
      entries: () => undefined,
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
  const message = parseMessage(fixed, fields, body);
  t.like(message, { type: 2, flags: 1, serial: 3, replySerial: 7, signature: 's', littleEndian: false });
  t.is(message.body, body);
});

// --- Big bodies read entry by entry (entry-stream.ts) ---------------------------------------

/** A GetManagedObjects-like reply far over 64 KiB. */
function bigManagedObjects(objects: number, serial = 30, replySerial = 12): Buffer {
  const body: Record<string, Record<string, Record<string, unknown>>> = {};
  for (let i = 0; i < objects; i++) {
    body[`/xyz/openbmc_project/sensors/temperature/t${i}`] = {
      'xyz.openbmc_project.Sensor.Value': { Value: V('d', i + 0.5), Unit: V('s', 'xyz.openbmc_project.Sensor.Value.Unit.DegreesC'), MaxValue: V('x', BigInt(i) * 2n ** 40n) },
      'xyz.openbmc_project.Association.Definitions': { Associations: V('a(sss)', [['chassis', 'all_sensors', `/c${i % 7}`]]) },
    };
  }
  return replyMessage('a{oa{sa{sv}}}', [body], serial, replySerial);
}

/** Each entry as `path: <JSON of its value>` (key, then the a{sa{sv}} read as JSON). */
function entryText(reader: import('../../src/dbus/body-reader.js').BodyReader): string {
  const key = reader.string();
  return `${key}: ${JSON.stringify(jsonReader(parseSingleType('a{sa{sv}}'))(reader), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`;
}

function streamingRun(onEnd: (error?: Error) => void, seen: string[]): Run {
  const run: Run = { taken: [], passed: [], stream: new PassThrough(), errors: [] };
  run.stream.on('error', (err) => run.errors.push(err));
  interceptMessages(run.stream, {
    take: (message) => {
      run.taken.push(message);
      return true;
    },
    entries: (message) => (message.signature === 'a{oa{sa{sv}}}' ? { entry: (reader) => seen.push(entryText(reader)), end: onEnd } : undefined),
  });
  messages.unmarshalMessages(run.stream, (message) => run.passed.push(message), {});
  return run;
}

test('incoming: a big body is read entry by entry as it arrives, exactly as the whole body reads', async (t) => {
  const message = bigManagedObjects(1500);
  t.true(message.length > 200_000, `${message.length} bytes`);
  const { start, end } = bodyRange(message);
  const whole: string[] = [];
  readEntries(new BodyReader(message.subarray(start, end), 0, end - start, true), (reader) => whole.push(entryText(reader)));
  for (const seed of [1, 2, 3]) {
    const seen: string[] = [];
    const ends: Array<Error | undefined> = [];
    const after = replyMessage('s', ['after'], 31, 13);
    const run = streamingRun((error) => ends.push(error), seen);
    await feed(run.stream, Buffer.concat([message, after]), seed);
    t.deepEqual(ends, [undefined], 'ended once, without error');
    t.is(seen.length, 1500);
    t.deepEqual(seen, whole);
    t.deepEqual(run.taken.map((m) => m.serial), [31], 'the streamed reply is not delivered whole; the next message is');
  }
});

test('incoming: a big body that breaks the format half-way ends its consumer with the error, and framing goes on', async (t) => {
  const message = Buffer.from(bigManagedObjects(800));
  const { start, end } = bodyRange(message);
  // The 400th entry's path length is made to run past the body.
  const whole: number[] = [];
  const reader = new BodyReader(message.subarray(start, end), 0, end - start, true);
  readEntries(reader, (r) => {
    whole.push(start + r.pos);
    r.string();
    r.skipArray(8);
  });
  message.writeUInt32LE(0x7fffff, whole[400]!);
  const seen: string[] = [];
  const ends: Array<Error | undefined> = [];
  const run = streamingRun((error) => ends.push(error), seen);
  await feed(run.stream, Buffer.concat([message, replyMessage('s', ['after'], 31, 13)]), 9);
  t.is(ends.length, 1);
  t.true(ends[0] instanceof DecodeError, String(ends[0]));
  t.is(seen.length, 400, 'the entries before the broken one were read');
  t.deepEqual(run.taken.map((m) => m.serial), [31]);
  t.deepEqual(run.errors, []);
});

test('incoming: a big body of a call that does not read entries is delivered whole', async (t) => {
  const message = bigManagedObjects(600);
  const run = reader(true, () => true);
  await feed(run.stream, message, 4);
  t.is(run.taken.length, 1);
  const { start, end } = bodyRange(message);
  t.true(run.taken[0]!.body.equals(message.subarray(start, end)));
});

test('incoming fuzz: corrupted big bodies read entry by entry never throw out of the reader, and end their consumer at most once', async (t) => {
  const random = randomSource(2718);
  const original = bigManagedObjects(300);
  for (let round = 0; round < 60; round++) {
    const bytes = Buffer.from(original);
    for (let f = 0; f < 1 + Math.floor(random() * 4); f++) bytes[16 + Math.floor(random() * (bytes.length - 16))] = Math.floor(random() * 256);
    const ends: Array<Error | undefined> = [];
    const run = streamingRun((error) => ends.push(error), []);
    await feed(run.stream, Buffer.concat([bytes, replyMessage('s', ['after'], 31, 13)]), round);
    t.true(ends.length <= 1, `ended ${ends.length} times`);
    t.true(ends.every((e) => e === undefined || e instanceof DecodeError));
  }
});
