/**
 * The read API end to end: the real gateway over HTTPS on a private bus with
 * the simulated BMC (one harness for the file, --call-timeout-ms 1000).
 *
 * Expected answers are written out in full where the contract fixes them
 * (envelopes, historical 404 texts, Allow lists, exact 64-bit digits), and
 * otherwise compared with what the bus itself says: an independent "oracle"
 * asks the mapper and calls Properties.GetAll from its own connection.
 *
 * Serial tests (run by AVA before the concurrent ones) are those that change
 * the bus: property values set directly on the bus, services and the mapper
 * stopped and started. Each puts back what it changed in a teardown.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import test, { type ExecutionContext } from 'ava';
import dbus from 'dbus-next';
import { connect } from '../../fixtures/dbus-daemon.js';
import { callMethod, setProperty, unwrapVariants, waitForConnect } from '../../fixtures/lib/bus-call.js';
import { MAPPER_BUS_NAME, MAPPER_INTERFACE, MAPPER_PATH } from '../../fixtures/mapper/service.js';
import { HOST_BUS_NAME } from '../../fixtures/services/state-host.js';
import { ROUTE_WORDS, TEST_BUS_NAME, TEST_HUNG_PATH, TEST_NAMES_PATH } from '../../fixtures/services/test-service.js';
import { TEST_VALUES_INTERFACE, TEST_VALUES_PATH } from '../../fixtures/services/test-values.js';
import { watchCalls } from '../helpers/bus-monitor.js';
import { startCli } from '../helpers/cli.js';
import { cliAuthFlags } from '../helpers/cli-auth.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { HttpClient, type Response } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';

const HOST = '/xyz/openbmc_project/state/host0';
const SENSORS = '/xyz/openbmc_project/sensors';
const TIME_BMC = '/xyz/openbmc_project/time/bmc';
const CALL_TIMEOUT_MS = 1000; // what the harness passes as --call-timeout-ms
const STANDARD_INTERFACES = new Set([
  'org.freedesktop.DBus.Introspectable',
  'org.freedesktop.DBus.Peer',
  'org.freedesktop.DBus.Properties',
  'org.freedesktop.DBus.ObjectManager',
]);
const NO_PROPERTY_ERRORS = new Set([
  'org.freedesktop.DBus.Error.UnknownInterface',
  'org.freedesktop.DBus.Error.UnknownMethod',
]);

/** host0 as the simulated host daemon starts, byte for byte (2-space indent, sorted keys, no trailing newline). */
const HOST0_TEXT = `{
  "data": {
    "AllowedHostTransitions": [
      "xyz.openbmc_project.State.Host.Transition.Off",
      "xyz.openbmc_project.State.Host.Transition.On",
      "xyz.openbmc_project.State.Host.Transition.Reboot",
      "xyz.openbmc_project.State.Host.Transition.GracefulWarmReboot",
      "xyz.openbmc_project.State.Host.Transition.ForceWarmReboot"
    ],
    "AttemptsLeft": 3,
    "BootProgress": "xyz.openbmc_project.State.Boot.Progress.ProgressStages.Unspecified",
    "BootProgressLastUpdate": 0,
    "CurrentHostState": "xyz.openbmc_project.State.Host.HostState.Off",
    "OperatingSystemState": "xyz.openbmc_project.State.OperatingSystem.Status.OSStatus.Inactive",
    "RequestedHostTransition": "xyz.openbmc_project.State.Host.Transition.Off",
    "RestartCause": "xyz.openbmc_project.State.Host.RestartCause.Unknown",
    "RetryAttempts": 3
  },
  "message": "200 OK",
  "status": "ok"
}`;

/**
 * /xyz/openbmc_project/test/values with the fixture's defaults: every D-Bus
 * type once. 64-bit values are exact digits (JSON.parse would round them),
 * NaN is null, non-ASCII is \u-escaped, variants are unwrapped, ay is numbers.
 */
const VALUES_TEXT = `{
  "data": {
    "Bool": true,
    "Byte": 255,
    "ByteArray": [
      0,
      1,
      127,
      128,
      255
    ],
    "Double": 3.141592653589793,
    "Int16": -32768,
    "Int32": -2147483648,
    "Int64": -9223372036854775807,
    "IntArray": [
      1,
      -2,
      2147483647
    ],
    "NaNValue": null,
    "NestedDict": {
      "outer": {
        "deep": {
          "d": 0.5
        },
        "inner": 1
      }
    },
    "ObjectPath": "/xyz/openbmc_project/test/echo",
    "ReadOnly": "cannot be written",
    "Signature": "a{sv}",
    "String": "Hello, \\u00e9\\u4e16 \\"quoted\\" \\\\ back",
    "StringArray": [
      "alpha",
      "beta",
      ""
    ],
    "StringDict": {
      "empty": "",
      "key": "value"
    },
    "Struct": [
      42,
      "answer"
    ],
    "StructArray": [
      [
        "fwd",
        "rev",
        "/xyz/openbmc_project/test/echo"
      ],
      [
        "a",
        "b",
        "/"
      ]
    ],
    "UInt16": 65535,
    "UInt32": 4294967295,
    "UInt64": 18446744073709551615,
    "Variant": "inside a variant",
    "VariantDict": {
      "as": [
        "x",
        "y"
      ],
      "b": true,
      "i": -7,
      "s": "text"
    }
  },
  "message": "200 OK",
  "status": "ok"
}`;

const ok = (data: unknown) => ({ data, message: '200 OK', status: 'ok' });
const failure = (status: string, description: string) => ({ data: { description }, message: status, status: 'error' });
const notFound = (objectPath: string) =>
  failure('404 Not Found', `org.freedesktop.DBus.Error.FileNotFound: path or object not found: ${objectPath}`);
const noProperty = (name: string) => failure('404 Not Found', `The specified property cannot be found: '${name}'`);
const NOT_ALLOWED = failure('405 Method Not Allowed', 'Method not allowed.');

const ALLOW = {
  object: 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS',
  attr: 'GET, HEAD, PUT, OPTIONS',
  action: 'POST, OPTIONS',
  listing: 'GET, HEAD, OPTIONS',
};

/** A number as its JSON text: 64-bit values must not pass through a double on their way to canonical(). */
class NumberText {
  constructor(readonly text: string) {}
}

/** JSON.parse that keeps every number as its text (NumberText), so canonical() can write it back unchanged. */
function parseKeepingNumbers(text: string): unknown {
  let at = 0;
  const space = () => {
    while (/\s/.test(text[at] ?? '')) at++;
  };
  const value = (): unknown => {
    space();
    const ch = text[at];
    if (ch === '{') {
      at++;
      const out: Record<string, unknown> = {};
      space();
      if (text[at] === '}') return at++, out;
      for (;;) {
        space();
        const key = value() as string;
        space();
        if (text[at++] !== ':') throw new SyntaxError(`expected : at ${at}`);
        out[key] = value();
        space();
        if (text[at] === ',') at++;
        else if (text[at++] === '}') return out;
        else throw new SyntaxError(`expected , or } at ${at}`);
      }
    }
    if (ch === '[') {
      at++;
      const out: unknown[] = [];
      space();
      if (text[at] === ']') return at++, out;
      for (;;) {
        out.push(value());
        space();
        if (text[at] === ',') at++;
        else if (text[at++] === ']') return out;
        else throw new SyntaxError(`expected , or ] at ${at}`);
      }
    }
    const token = /^(?:"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)/.exec(text.slice(at))?.[0];
    if (token === undefined) throw new SyntaxError(`unexpected ${ch} at ${at}`);
    at += token.length;
    return /^[-\d]/.test(token) ? new NumberText(token) : JSON.parse(token);
  };
  const result = value();
  space();
  if (at !== text.length) throw new SyntaxError(`trailing text at ${at}`);
  return result;
}

/**
 * The JSON text DESIGN section 3 asks for, built independently of the
 * gateway's writer: 2-space indent, object keys sorted at every level,
 * non-ASCII as \uXXXX, numbers exactly as given.
 */
function canonical(value: unknown, depth = 0): string {
  const pad = '  '.repeat(depth + 1);
  const end = '  '.repeat(depth);
  if (value instanceof NumberText) return value.text;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => pad + canonical(item, depth + 1)).join(',\n')}\n${end}]`;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return '{}';
    const items = keys.map((key) => `${pad}${canonical(key)}: ${canonical((value as Record<string, unknown>)[key], depth + 1)}`);
    return `{\n${items.join(',\n')}\n${end}}`;
  }
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** True when `text` is exactly the canonical JSON text of what it says. */
function isCanonical(text: string): boolean {
  try {
    return canonical(parseKeepingNumbers(text)) === text;
  } catch {
    return false;
  }
}

/** Status, JSON content type, canonical text, never a stack trace; then the whole envelope. */
function expectJson(t: ExecutionContext, response: Response, status: number, envelope: unknown, label = ''): void {
  const where = `${label} ${response.text.slice(0, 300)}`;
  t.is(response.status, status, where);
  t.regex(String(response.headers['content-type']), /^application\/json(; charset=utf-8)?$/, where);
  t.not(response.json, undefined, `not JSON: ${where}`);
  t.true(isCanonical(response.text), `not canonical JSON text: ${where}`);
  t.notRegex(response.text, /\n\s+at /, `stack trace in the body: ${where}`);
  t.deepEqual(response.json, envelope, where);
}

// ---------------------------------------------------------------------------
// The oracle: what the bus says, asked from a connection of the test's own.

type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

/** dbus-next values as the gateway's JSON would parse: Buffers as numbers, BigInt as Number, NaN as null. */
function plain(value: unknown): Plain {
  if (Buffer.isBuffer(value)) return [...value];
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
  }
  throw new Error(`unexpected value ${String(value)}`);
}

class Oracle {
  constructor(readonly bus: dbus.MessageBus) {}

  mapper(member: string, signature: string, body: unknown[]): Promise<unknown[]> {
    return callMethod(this.bus, { destination: MAPPER_BUS_NAME, objectPath: MAPPER_PATH, interfaceName: MAPPER_INTERFACE, member, signature, body, timeoutMs: 10_000 });
  }

  /** Every path below `objectPath` at any depth, sorted (what /list must answer). */
  async list(objectPath: string): Promise<string[]> {
    const [tree] = await this.mapper('GetSubTree', 'sias', [objectPath, 0, []]);
    return Object.keys(tree as object).filter((path) => path !== objectPath).sort();
  }

  async children(objectPath: string): Promise<string[]> {
    const [paths] = await this.mapper('GetSubTreePaths', 'sias', [objectPath, 1, []]);
    return (paths as string[]).filter((path) => path !== objectPath).sort();
  }

  /** Properties.GetAll of every non-standard interface of every owner, merged (owners in name order). */
  async object(objectPath: string): Promise<Record<string, Plain>> {
    const [owners] = await this.mapper('GetObject', 'sas', [objectPath, []]);
    const merged: Record<string, Plain> = {};
    for (const busName of Object.keys(owners as object).sort()) {
      for (const interfaceName of (owners as Record<string, string[]>)[busName] ?? []) {
        if (STANDARD_INTERFACES.has(interfaceName)) continue;
        try {
          const [values] = await callMethod(this.bus, {
            destination: busName, objectPath, interfaceName: 'org.freedesktop.DBus.Properties',
            member: 'GetAll', signature: 's', body: [interfaceName], timeoutMs: 10_000,
          });
          Object.assign(merged, plain(unwrapVariants(values)));
        } catch (err) {
          if (!(err instanceof dbus.DBusError && NO_PROPERTY_ERRORS.has(err.type))) throw err;
        }
      }
    }
    return merged;
  }

  /** What /enumerate must answer, except for paths in `skip` (asked elsewhere). */
  async enumerate(objectPath: string, skip: ReadonlySet<string> = new Set()): Promise<Record<string, Record<string, Plain>>> {
    const paths = (await this.list(objectPath)).filter((path) => !skip.has(path));
    const objects = await Promise.all(paths.map((path) => this.object(path)));
    return Object.fromEntries(paths.map((path, index) => [path, objects[index]!]));
  }
}

// ---------------------------------------------------------------------------

let h: Harness;
let oracle: Oracle;

test.before(async () => {
  h = await startHarness();
  const bus = connect(h.bus.address);
  bus.on('error', () => undefined);
  await waitForConnect(bus);
  oracle = new Oracle(bus);
});

test.after.always(async () => {
  await h?.close();
  oracle?.bus.disconnect();
});

const get = (path: string, options?: Parameters<HttpClient['get']>[1]) => h.client.get(path, options);

/** Sends one request line (and headers) as raw bytes over TLS: for what Node's client refuses to send. */
function rawRequest(requestLine: Buffer, headers: readonly string[] = []): Promise<{ status: number; head: string; body: string }> {
  const url = new URL(h.gateway.url);
  const { user, password } = TEST_USERS.root;
  const lines = ['Host: localhost', `Authorization: Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'Connection: close', ...headers];
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ca: h.gateway.certificate, servername: 'localhost' }, () => {
      socket.write(Buffer.concat([requestLine, Buffer.from(`\r\n${lines.join('\r\n')}\r\n\r\n`)]));
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: split === -1 ? '' : text.slice(split + 4) });
    });
  });
}

// ===========================================================================
// Serial: these change the bus.

test.serial('64-bit values past 2^53 are exact digits in the JSON text; false is false', async (t) => {
  t.teardown(() => callMethod(oracle.bus, { destination: TEST_BUS_NAME, objectPath: TEST_VALUES_PATH, interfaceName: TEST_VALUES_INTERFACE, member: 'Reset' }));
  const twoTo53Plus1 = 9007199254740993n;
  await setProperty(oracle.bus, TEST_BUS_NAME, TEST_VALUES_PATH, TEST_VALUES_INTERFACE, 'UInt64', 't', twoTo53Plus1);
  await setProperty(oracle.bus, TEST_BUS_NAME, TEST_VALUES_PATH, TEST_VALUES_INTERFACE, 'Int64', 'x', -twoTo53Plus1);
  await setProperty(oracle.bus, TEST_BUS_NAME, TEST_VALUES_PATH, TEST_VALUES_INTERFACE, 'Bool', 'b', false);

  const uint64 = await get(`${TEST_VALUES_PATH}/attr/UInt64`);
  t.is(uint64.status, 200);
  // The exact text; JSON.parse would make this 9007199254740992.
  t.is(uint64.text, '{\n  "data": 9007199254740993,\n  "message": "200 OK",\n  "status": "ok"\n}');
  t.is((await get(`${TEST_VALUES_PATH}/attr/Int64`)).text, '{\n  "data": -9007199254740993,\n  "message": "200 OK",\n  "status": "ok"\n}');
  t.is((await get(`${TEST_VALUES_PATH}/attr/Bool`)).text, '{\n  "data": false,\n  "message": "200 OK",\n  "status": "ok"\n}');

  const object = await get(TEST_VALUES_PATH);
  t.is(object.status, 200);
  t.true(object.text.includes('\n    "UInt64": 9007199254740993,\n'), object.text);
  t.true(object.text.includes('\n    "Int64": -9007199254740993,\n'), object.text);
  t.true(object.text.includes('\n    "Bool": false,\n'), object.text);
  const enumerated = await get('/xyz/openbmc_project/test/enumerate');
  t.true(enumerated.text.includes('\n      "UInt64": 9007199254740993,\n'), enumerated.text);
});

test.serial('a service that stops: reads meanwhile answer 200, 404 or 503 (never 500); then the 404 text; after a restart, 200 again', async (t) => {
  t.teardown(() => h.sim.startService(HOST_BUS_NAME)); // a no-op when it runs
  const before = await get(HOST);
  t.is(before.text, HOST0_TEXT);

  let stopping = true;
  const stopped = h.sim.stopService(HOST_BUS_NAME).finally(() => {
    stopping = false;
  });
  const during: Response[] = [];
  do {
    during.push(...await Promise.all([get(HOST), get(`${HOST}/attr/CurrentHostState`), get('/xyz/openbmc_project/state/enumerate')]));
  } while (stopping);
  await stopped;
  for (const response of during) {
    t.true([200, 404, 503].includes(response.status), `${response.status} ${response.text}`);
    t.true(isCanonical(response.text), response.text);
    t.notRegex(response.text, /\n\s+at /);
    if (response.status !== 200) t.regex(response.json.data.description, /^org\.freedesktop\.DBus\.Error\.\w+: /);
  }

  expectJson(t, await get(HOST), 404, notFound(HOST));
  expectJson(t, await get(`${HOST}/attr/CurrentHostState`), 404, notFound(HOST));
  expectJson(t, await get(`${HOST}/`), 404, notFound(HOST));
  expectJson(t, await get(`${HOST}/list`), 404, notFound(HOST));
  expectJson(t, await get(`${HOST}/enumerate`), 404, notFound(HOST));
  expectJson(t, await get('/xyz/openbmc_project/state/'), 200,
    ok(['/xyz/openbmc_project/state/bmc0', '/xyz/openbmc_project/state/chassis0']));
  const state = await get('/xyz/openbmc_project/state/enumerate');
  t.is(state.status, 200);
  t.deepEqual(Object.keys(state.json.data), ['/xyz/openbmc_project/state/bmc0', '/xyz/openbmc_project/state/chassis0']);

  await h.sim.startService(HOST_BUS_NAME);
  t.is((await get(HOST)).text, HOST0_TEXT, 'a restarted host daemon reads as it did before');
  expectJson(t, await get(`${HOST}/attr/CurrentHostState`), 200, ok('xyz.openbmc_project.State.Host.HostState.Off'));
});

test.serial('a second owner of an object that stops: its properties leave the merged object, and come back with it', async (t) => {
  const second = 'xyz.openbmc_project.Test.Second';
  const shared = '/xyz/openbmc_project/test/shared';
  t.teardown(() => h.sim.startService(second));
  expectJson(t, await get(shared), 200, ok({ A1: 'part a', B1: 7 }));
  await h.sim.stopService(second);
  expectJson(t, await get(shared), 200, ok({ A1: 'part a' }));
  expectJson(t, await get(`${shared}/attr/B1`), 404, noProperty('B1'));
  await h.sim.startService(second);
  expectJson(t, await get(shared), 200, ok({ A1: 'part a', B1: 7 }));
  expectJson(t, await get(`${shared}/attr/B1`), 200, ok(7));
});

test.serial('mapper gone: 503 ServiceUnknown, never 500; started again or restarted: every read recovers', async (t) => {
  t.teardown(() => h.sim.startService(MAPPER_BUS_NAME));
  const list = await get('/list');
  const sensors = await get(`${SENSORS}/enumerate`);
  t.is(list.status, 200);
  t.is(sensors.status, 200);

  await h.sim.stopService(MAPPER_BUS_NAME);
  // Routes that always ask the mapper (object and attr reads may use owners cached for a second).
  for (const path of ['/list', `${SENSORS}/enumerate`, '/xyz/openbmc_project/state/', '/']) {
    const response = await get(path);
    t.is(response.status, 503, `${path}: ${response.text}`);
    t.is(response.json?.message, '503 Service Unavailable');
    t.true(isCanonical(response.text), response.text);
    t.true(String(response.json?.data?.description).startsWith(`org.freedesktop.DBus.Error.ServiceUnknown: `), response.text);
    t.true(String(response.json?.data?.description).includes(MAPPER_BUS_NAME), response.text);
  }

  await h.sim.startService(MAPPER_BUS_NAME);
  t.is((await get('/list')).text, list.text);
  t.is((await get(HOST)).text, HOST0_TEXT);

  await h.sim.restartMapper();
  t.is((await get('/list')).text, list.text);
  t.is((await get(`${SENSORS}/enumerate`)).text, sensors.text);
  expectJson(t, await get(`${HOST}/attr/CurrentHostState`), 200, ok('xyz.openbmc_project.State.Host.HostState.Off'));
  t.is((await get(HOST)).text, HOST0_TEXT);
});

// ===========================================================================
// Concurrent: reads only.

test('the canonical-text check used here tells sorted, indented JSON from anything else', (t) => {
  t.true(isCanonical('{\n  "a": [\n    18446744073709551615,\n    "\\u00e9"\n  ],\n  "b": {}\n}'));
  t.false(isCanonical('{\n  "b": 1,\n  "a": 2\n}'), 'unsorted keys');
  t.false(isCanonical('{"a": 1}'), 'not indented');
  t.false(isCanonical('{\n    "a": 1\n}'), 'four spaces');
  t.false(isCanonical('{\n  "a": 1\n}\n'), 'trailing newline');
  t.false(isCanonical('{\n  "a": "\u00e9"\n}'), 'raw non-ASCII');
  t.false(isCanonical('{\n  "a": NaN\n}'), 'NaN is not JSON');
});

test('GET <object>: every property of every interface, merged, as the bus has them', async (t) => {
  const response = await get(HOST);
  t.is(response.text, HOST0_TEXT);
  expectJson(t, response, 200, ok(await oracle.object(HOST)));
  // An object of two owners (xyz.openbmc_project.Test and .Test.Second).
  expectJson(t, await get('/xyz/openbmc_project/test/shared'), 200, ok({ A1: 'part a', B1: 7 }));
  // Objects with nothing readable: {}.
  for (const path of ['/xyz', '/xyz/openbmc_project', '/xyz/openbmc_project/test/echo']) {
    expectJson(t, await get(path), 200, ok({}), path);
  }
  const inlet = `${SENSORS}/temperature/inlet`;
  expectJson(t, await get(inlet), 200, ok({
    Associations: [['chassis', 'all_sensors', '/xyz/openbmc_project/inventory/system/chassis']],
    Available: true,
    CriticalAlarmHigh: false,
    CriticalAlarmLow: false,
    CriticalHigh: 45,
    CriticalLow: null, // NaN on the bus
    Functional: true,
    MaxValue: 127,
    MinValue: -128,
    Unit: 'xyz.openbmc_project.Sensor.Value.Unit.DegreesC',
    Value: 24.5,
    WarningAlarmHigh: false,
    WarningAlarmLow: false,
    WarningHigh: 40,
    WarningLow: null,
  }));
});

test('GET of the value of every D-Bus type: the object, byte for byte', async (t) => {
  const response = await get(TEST_VALUES_PATH);
  t.is(response.status, 200);
  t.is(response.text, VALUES_TEXT);
});

test('GET <path>/attr/<name>: each value alone, in the same JSON as inside the object', async (t) => {
  const attr = (name: string) => get(`${TEST_VALUES_PATH}/attr/${name}`);
  const attrText = (json: string) => `{\n  "data": ${json},\n  "message": "200 OK",\n  "status": "ok"\n}`;
  t.is((await attr('UInt64')).text, attrText('18446744073709551615'));
  t.is((await attr('Int64')).text, attrText('-9223372036854775807'));
  t.is((await attr('Bool')).text, attrText('true'), 'a boolean alone is true, not 1 (openbmc/openbmc#3154)');
  t.is((await attr('NaNValue')).text, attrText('null'));
  t.is((await attr('Double')).text, attrText('3.141592653589793'));
  t.is((await attr('String')).text, attrText('"Hello, \\u00e9\\u4e16 \\"quoted\\" \\\\ back"'));
  expectJson(t, await attr('Byte'), 200, ok(255));
  expectJson(t, await attr('ByteArray'), 200, ok([0, 1, 127, 128, 255]));
  expectJson(t, await attr('Variant'), 200, ok('inside a variant'));
  expectJson(t, await attr('VariantDict'), 200, ok({ as: ['x', 'y'], b: true, i: -7, s: 'text' }));
  expectJson(t, await attr('NestedDict'), 200, ok({ outer: { deep: { d: 0.5 }, inner: 1 } }));
  expectJson(t, await attr('Struct'), 200, ok([42, 'answer']));
  expectJson(t, await attr('StructArray'), 200, ok([['fwd', 'rev', '/xyz/openbmc_project/test/echo'], ['a', 'b', '/']]));
  expectJson(t, await attr('StringDict'), 200, ok({ empty: '', key: 'value' }));
  expectJson(t, await attr('ReadOnly'), 200, ok('cannot be written'));
  // Every property of the object, read alone, equals its value in the object.
  const object = (await get(TEST_VALUES_PATH)).json.data as Record<string, unknown>;
  for (const [name, value] of Object.entries(object)) expectJson(t, await attr(name), 200, ok(value), name);
  // Names: exact first, then case-insensitive.
  expectJson(t, await get(`${HOST}/attr/CurrentHostState`), 200, ok('xyz.openbmc_project.State.Host.HostState.Off'));
  expectJson(t, await get(`${HOST}/attr/currenthoststate`), 200, ok('xyz.openbmc_project.State.Host.HostState.Off'));
  // A property of the second owner of a shared object.
  expectJson(t, await get('/xyz/openbmc_project/test/shared/attr/B1'), 200, ok(7));
});

test('GET <path>/schema: the interfaces of every owner, with methods, signals and properties', async (t) => {
  const shared = await get('/xyz/openbmc_project/test/shared/schema');
  t.is(shared.status, 200);
  t.true(isCanonical(shared.text));
  t.deepEqual(Object.keys(shared.json.data), [
    'org.freedesktop.DBus.Introspectable', 'org.freedesktop.DBus.Peer', 'org.freedesktop.DBus.Properties',
    'xyz.openbmc_project.Test.PartA', 'xyz.openbmc_project.Test.PartB',
  ]);
  t.deepEqual(shared.json.data['xyz.openbmc_project.Test.PartA'], { method: {}, property: { A1: { access: 'readwrite', type: 's' } }, signal: {} });
  t.deepEqual(shared.json.data['xyz.openbmc_project.Test.PartB'], { method: {}, property: { B1: { access: 'readwrite', type: 'u' } }, signal: {} });
  const values = (await get(`${TEST_VALUES_PATH}/schema`)).json.data[TEST_VALUES_INTERFACE];
  t.deepEqual(values.property.ReadOnly, { access: 'read', type: 's' });
  t.deepEqual(values.property.UInt64, { access: 'readwrite', type: 't' });
  // Introspection of the hung object is answered (only its other calls hang).
  const hung = await get(`${TEST_HUNG_PATH}/schema`);
  t.is(hung.status, 200);
  t.deepEqual(hung.json.data['xyz.openbmc_project.Test.Hung'].method, { Ping: [{ direction: 'out', type: 's' }] });
  // Argument names as the daemon introspects them (sdbusplus daemons name them).
  const logging = (await get('/xyz/openbmc_project/logging/schema')).json.data['xyz.openbmc_project.Logging.Create'];
  t.deepEqual(logging.method.Create, [
    { direction: 'in', name: 'message', type: 's' },
    { direction: 'in', name: 'severity', type: 's' },
    { direction: 'in', name: 'additionalData', type: 'a{ss}' },
    { direction: 'out', name: 'entry', type: 'o' },
  ]);
  const users = (await get('/xyz/openbmc_project/user/schema')).json.data['xyz.openbmc_project.User.Manager'];
  t.deepEqual(users.signal.UserRenamed, [{ name: 'userName', type: 's' }, { name: 'newUserName', type: 's' }]);
});

test('unknown property: 404 with the historical text; unknown object: the mapper text', async (t) => {
  expectJson(t, await get(`${HOST}/attr/Nope`), 404, noProperty('Nope'));
  expectJson(t, await get('/xyz/openbmc_project/test/echo/attr/Anything'), 404, noProperty('Anything'));
  const missing = '/xyz/openbmc_project/nothing/here';
  for (const suffix of ['', '/', '/list', '/enumerate', '/attr/Value', '/schema']) {
    expectJson(t, await get(missing + suffix), 404, notFound(missing), suffix);
  }
});

test('GET <path>/: direct children, sorted; the root and /xyz/ too', async (t) => {
  expectJson(t, await get('/'), 200, ok(['/xyz']));
  expectJson(t, await get('/xyz/'), 200, ok(['/xyz/openbmc_project']));
  const children = await get('/xyz/openbmc_project/');
  expectJson(t, children, 200, ok(await oracle.children('/xyz/openbmc_project')));
  t.true(children.json.data.includes('/xyz/openbmc_project/state'));
  t.true(children.json.data.includes('/xyz/openbmc_project/sensors'));
  expectJson(t, await get(`${SENSORS}/`), 200, ok([
    `${SENSORS}/current`, `${SENSORS}/fan_tach`, `${SENSORS}/power`, `${SENSORS}/temperature`, `${SENSORS}/voltage`,
  ]));
  expectJson(t, await get(`${SENSORS}/temperature/`), 200, ok(await oracle.children(`${SENSORS}/temperature`)));
  // A leaf: an empty list.
  expectJson(t, await get(`${HOST}/`), 200, ok([]));
});

test('/list and <path>/list: every path below, sorted, as the mapper has them', async (t) => {
  const all = await get('/list');
  expectJson(t, all, 200, ok(await oracle.list('/')));
  t.false(all.json.data.includes('/'), 'the root itself is not listed');
  t.true(all.json.data.includes(HOST));
  t.deepEqual(all.json.data, [...all.json.data].sort());
  const sensors = await get(`${SENSORS}/list`);
  expectJson(t, sensors, 200, ok(await oracle.list(SENSORS)));
  t.true(sensors.json.data.includes(`${SENSORS}/temperature/inlet`));
  t.false(sensors.json.data.includes(SENSORS));
  expectJson(t, await get(`${HOST}/list`), 200, ok([]));
});

test('<path>/enumerate: every object below with its properties, as the bus has them', async (t) => {
  const response = await get(`${SENSORS}/enumerate`);
  expectJson(t, response, 200, ok(await oracle.enumerate(SENSORS)));
  t.deepEqual(Object.keys(response.json.data), (await get(`${SENSORS}/list`)).json.data);
  t.is(response.json.data[`${SENSORS}/temperature/inlet`].Value, 24.5);
  // A leaf has nothing below it.
  expectJson(t, await get(`${HOST}/enumerate`), 200, ok({}));
});

test('/enumerate of the root: every object on the BMC, as the bus has them', async (t) => {
  const earliest = BigInt(Date.now()) * 1000n;
  const response = await get('/enumerate');
  const latest = BigInt(Date.now()) * 1000n;
  t.is(response.status, 200);
  t.true(isCanonical(response.text), response.text);
  const data = response.json.data as Record<string, Record<string, unknown>>;
  t.deepEqual(Object.keys(data), (await get('/list')).json.data);

  // The clock is read at each Get; check it lies within the request.
  const elapsed = data[TIME_BMC]?.Elapsed;
  t.is(typeof elapsed, 'number');
  t.true(BigInt(elapsed as number) >= earliest && BigInt(elapsed as number) <= latest, `Elapsed ${String(elapsed)}`);
  // The hung object: its ObjectManager answers for it (GetAll on it would never return).
  t.deepEqual(data[TEST_HUNG_PATH], { Value: 'never read' });
  // 64-bit exact digits inside the enumeration too.
  t.true(response.text.includes('\n      "UInt64": 18446744073709551615,\n'));

  const expected = await oracle.enumerate('/', new Set([TEST_HUNG_PATH]));
  const actual = { ...data };
  delete actual[TEST_HUNG_PATH];
  actual[TIME_BMC] = { ...actual[TIME_BMC], Elapsed: 0 };
  expected[TIME_BMC] = { ...expected[TIME_BMC], Elapsed: 0 };
  t.deepEqual(actual, expected);
});

test('objects named like route words: list, enumerate, attr, action, schema', async (t) => {
  const names = TEST_NAMES_PATH;
  const paths = ROUTE_WORDS.map((word) => `${names}/${word}`);
  // The last one or two segments decide, as in the original: `list`, `enumerate` and `schema` at
  // the end are routes of the parent; `attr` and `action` at the end are objects.
  expectJson(t, await get(`${names}/list`), 200, ok(paths));
  expectJson(t, await get(`${names}/`), 200, ok(paths));
  expectJson(t, await get(`${names}/enumerate`), 200, ok(Object.fromEntries(paths.map((path, i) => [path, { Word: ROUTE_WORDS[i] }]))));
  expectJson(t, await get(`${names}/attr`), 200, ok({ Word: 'attr' }));
  expectJson(t, await get(`${names}/action`), 200, ok({ Word: 'action' }));
  // The schema of the parent: a node of the service's tree with only the standard interfaces.
  t.deepEqual(Object.keys((await get(`${names}/schema`)).json.data),
    ['org.freedesktop.DBus.Introspectable', 'org.freedesktop.DBus.Peer', 'org.freedesktop.DBus.Properties']);
  // Every one of them is reachable through its attr route, and lists its (no) children.
  for (const word of ROUTE_WORDS) {
    expectJson(t, await get(`${names}/${word}/attr/Word`), 200, ok(word), word);
    expectJson(t, await get(`${names}/${word}/list`), 200, ok([]), `${word}/list`);
    expectJson(t, await get(`${names}/${word}/enumerate`), 200, ok({}), `${word}/enumerate`);
  }
  // `<path>/attr/` is <path>'s property listing (names has no data interfaces), not the children of
  // the object named attr (docs/DECISIONS.md): those are in `<path>/attr/list`, above.
  expectJson(t, await get(`${names}/attr/`), 200, ok({}), 'the property listing of names');
  // `<path>/attr/attr` is the property named attr of <path> (there is none), not the object.
  expectJson(t, await get(`${names}/attr/attr`), 404, noProperty('attr'));
  t.is((await get(`${names}/list/schema`)).json.data['xyz.openbmc_project.Test.Named'].property.Word.access, 'readwrite');
});

test('repeated slashes collapse; a trailing slash lists children', async (t) => {
  t.is((await get('//xyz//openbmc_project//state//host0')).text, HOST0_TEXT);
  t.is((await get('/xyz/openbmc_project/state///host0')).text, HOST0_TEXT);
  expectJson(t, await get('//xyz//openbmc_project//state//host0//attr//CurrentHostState'), 200, ok('xyz.openbmc_project.State.Host.HostState.Off'));
  expectJson(t, await get('//'), 200, ok(['/xyz']));
  expectJson(t, await get('/xyz//'), 200, ok(['/xyz/openbmc_project']));
  expectJson(t, await get(`${HOST}//`), 200, ok([]));
  expectJson(t, await get('//list'), 200, ok(await oracle.list('/')));
  // A trailing slash after a route word makes it part of the object path (as the original).
  expectJson(t, await get('/list/'), 404, notFound('/list'));
  expectJson(t, await get('/enumerate/'), 404, notFound('/enumerate'));
  // Except `<path>/attr/`: the property listing of <path> (docs/API.md).
  t.true('xyz.openbmc_project.State.Host' in (await get(`${HOST}/attr/`)).json.data);
  expectJson(t, await get(`${HOST}/attr/CurrentHostState/`), 404, notFound(`${HOST}/attr/CurrentHostState`));
  expectJson(t, await get(`${HOST}/schema/`), 404, notFound(`${HOST}/schema`));
});

test('odd paths: the mapper 404 text for what cannot be an object path, never a 500 or a stack', async (t) => {
  const cases: Array<[string, string]> = [
    ['/xyz/openbmc_project/state/../state/host0', '/xyz/openbmc_project/state/../state/host0'],
    ['/xyz/openbmc_project/state/%2e%2e/host0', '/xyz/openbmc_project/state/../host0'],
    ['/xyz/openbmc_project/state/%2E%2E', '/xyz/openbmc_project/state/..'],
    ['/xyz/./openbmc_project', '/xyz/./openbmc_project'],
    ['/xyz/openbmc_project/state/host-0', '/xyz/openbmc_project/state/host-0'],
    ['/xyz/openbmc_project/state/host%200', '/xyz/openbmc_project/state/host 0'],
    ['/xyz/openbmc_project/state/host0%00', '/xyz/openbmc_project/state/host0\u0000'],
    ['/xyz/openbmc_project/st%C3%A4te', '/xyz/openbmc_project/st\u00e4te'],
    ['/xyz/openbmc_project/%E2%82%AC/', '/xyz/openbmc_project/\u20ac'],
    ['/xyz/%ZZ', '/xyz/%ZZ'], // a malformed escape is left as it came
    ['/xyz/openbmc_project/%', '/xyz/openbmc_project/%'],
    ['/xyz/openbmc_project/nothing%2Fhere', '/xyz/openbmc_project/nothing/here'],
  ];
  for (const [path, objectPath] of cases) expectJson(t, await get(path), 404, notFound(objectPath), path);
  // Non-ASCII in a description is escaped like any other string.
  t.true((await get('/xyz/openbmc_project/st%C3%A4te')).text.includes('/xyz/openbmc_project/st\\u00e4te"'));
});

test('encoded slashes are slashes (the path is decoded before it is parsed, as WSGI did)', async (t) => {
  t.is((await get('/xyz%2Fopenbmc_project%2Fstate%2Fhost0')).text, HOST0_TEXT);
  expectJson(t, await get(`${HOST}%2Fattr%2FCurrentHostState`), 200, ok('xyz.openbmc_project.State.Host.HostState.Off'));
});

test('query strings are ignored (no JSONP)', async (t) => {
  t.is((await get(`${HOST}?callback=steal&x=1`)).text, HOST0_TEXT);
  t.is((await get(`${HOST}?`)).text, HOST0_TEXT);
  expectJson(t, await get(`${HOST}/attr/CurrentHostState?format=xml`), 200, ok('xyz.openbmc_project.State.Host.HostState.Off'));
  expectJson(t, await get('/xyz/openbmc_project/nothing?x=/xyz'), 404, notFound('/xyz/openbmc_project/nothing'));
});

test('very long paths: 404 envelopes while they fit the request line limit', async (t) => {
  const deep = '/a'.repeat(4000); // a valid object path of 8,000 characters
  expectJson(t, await get(deep), 404, notFound(deep));
  expectJson(t, await get(`${deep}/`), 404, notFound(deep));
  const name = 'x'.repeat(5000);
  expectJson(t, await get(`${HOST}/attr/${name}`), 404, noProperty(name));
  const segment = '/' + 'b'.repeat(12_000);
  expectJson(t, await get(segment), 404, notFound(segment));
});

test('a request line past the header size limit: 431 in the error envelope', async (t) => {
  // Refused by Node's HTTP parser before Koa sees it (src/http/client-error.ts answers).
  const response = await get('/' + 'c'.repeat(20_000));
  t.is(response.status, 431);
  t.is(response.json?.message, '431 Request Header Fields Too Large');
  t.is(response.json?.status, 'error');
  t.is(typeof response.json?.data?.description, 'string');
  t.notRegex(response.text, /\n\s+at /);
});

test('a raw non-ASCII byte in the request line: 400 in the error envelope', async (t) => {
  const response = await rawRequest(Buffer.concat([Buffer.from('GET /xyz/openbmc_project/st'), Buffer.from([0xc3, 0xa4]), Buffer.from('te HTTP/1.1')]));
  t.is(response.status, 400, response.head);
  const json = JSON.parse(response.body);
  t.is(json.message, '400 Bad Request');
  t.is(json.status, 'error');
  t.is(typeof json.data?.description, 'string');
  t.notRegex(response.body, /\n\s+at /);
});

test('absolute-form request targets and fragments are read as their path', async (t) => {
  const absolute = await rawRequest(Buffer.from(`GET https://localhost${HOST} HTTP/1.1`));
  t.is(absolute.status, 200, absolute.head);
  t.is(absolute.body, HOST0_TEXT);
});

test('headers: JSON content type, exact length, no caching of BMC data', async (t) => {
  const response = await get(HOST);
  t.regex(String(response.headers['content-type']), /^application\/json(; charset=utf-8)?$/);
  t.is(Number(response.headers['content-length']), Buffer.byteLength(response.text));
  t.is(response.headers['cache-control'], 'no-store');
  t.is(response.headers['x-content-type-options'], 'nosniff');
  const error = await get('/xyz/openbmc_project/nothing');
  t.regex(String(error.headers['content-type']), /^application\/json(; charset=utf-8)?$/);
  t.is(Number(error.headers['content-length']), Buffer.byteLength(error.text));
  t.false(error.text.endsWith('\n'), 'no trailing newline');
});

test('a JSON body on GET is ignored, even a broken one', async (t) => {
  t.is((await get(HOST, { body: '{"data": ', headers: { 'content-type': 'application/json' } })).text, HOST0_TEXT);
  t.is((await get(HOST, { body: 'not json', headers: { 'content-type': 'text/plain' } })).text, HOST0_TEXT);
});

test('a user with the read-only role reads what an administrator reads', async (t) => {
  const reader = h.clientAs(TEST_USERS.readonly);
  t.is((await reader.get(HOST)).text, HOST0_TEXT);
  t.is((await reader.get('/xyz/openbmc_project/state/')).text, (await get('/xyz/openbmc_project/state/')).text);
  t.is((await reader.get(`${SENSORS}/enumerate`)).text, (await get(`${SENSORS}/enumerate`)).text);
});

test('HEAD: the status and headers of GET, no body', async (t) => {
  for (const path of [HOST, `${HOST}/attr/CurrentHostState`, '/xyz/openbmc_project/', `${SENSORS}/list`, `${SENSORS}/enumerate`, '/xyz/openbmc_project/nothing']) {
    const [full, head] = [await get(path), await h.client.request('HEAD', path)];
    t.is(head.status, full.status, path);
    t.is(head.text, '', path);
    t.is(head.headers['content-length'], full.headers['content-length'], path);
    t.is(head.headers['content-type'], full.headers['content-type'], path);
  }
});

test('OPTIONS: 200, empty body, Allow for the route, also for paths that do not exist', async (t) => {
  const cases: Array<[string, string]> = [
    [HOST, ALLOW.object],
    ['/xyz/openbmc_project/nothing', ALLOW.object],
    [`${HOST}/attr/CurrentHostState`, ALLOW.attr],
    ['/xyz/openbmc_project/test/echo/action/Void', ALLOW.action],
    ['/xyz/openbmc_project/', ALLOW.listing],
    ['/', ALLOW.listing],
    ['/list', ALLOW.listing],
    [`${SENSORS}/enumerate`, ALLOW.listing],
    [`${HOST}/schema`, ALLOW.listing],
  ];
  for (const [path, allow] of cases) {
    const response = await h.client.request('OPTIONS', path);
    t.is(response.status, 200, path);
    t.is(response.headers.allow, allow, path);
    t.is(response.text, '', path);
  }
});

test('verbs a route does not take: 405 with Allow, before any look-up', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['POST', HOST, ALLOW.object],
    ['POST', '/xyz/openbmc_project/nothing', ALLOW.object], // 405, not 404: the verb is checked first
    ['POST', `${HOST}/attr/CurrentHostState`, ALLOW.attr],
    ['PATCH', `${HOST}/attr/CurrentHostState`, ALLOW.attr],
    ['DELETE', `${HOST}/attr/CurrentHostState`, ALLOW.attr],
    ['GET', '/xyz/openbmc_project/test/echo/action/Void', ALLOW.action],
    ['HEAD', '/xyz/openbmc_project/test/echo/action/Void', ALLOW.action],
    ['PUT', '/list', ALLOW.listing],
    ['POST', `${SENSORS}/enumerate`, ALLOW.listing],
    ['PATCH', '/xyz/openbmc_project/', ALLOW.listing],
    ['DELETE', '/xyz/openbmc_project/', ALLOW.listing],
    ['DELETE', `${HOST}/schema`, ALLOW.listing],
  ];
  for (const [method, path, allow] of cases) {
    const response = await h.client.request(method, path);
    t.is(response.status, 405, `${method} ${path}`);
    t.is(response.headers.allow, allow, `${method} ${path}`);
    if (method === 'HEAD') t.is(response.text, '');
    else expectJson(t, response, 405, NOT_ALLOWED, `${method} ${path}`);
  }
});

test('a verb no route has (TRACE): 405 with Allow once authenticated, 401 before', async (t) => {
  // No policy rule names TRACE; the guard lets an authenticated caller through to the routes' 405.
  const response = await h.client.request('TRACE', HOST);
  t.is(response.status, 405, response.text);
  t.is(response.headers.allow, ALLOW.object);
  const anonymous = await h.clientAs(null).request('TRACE', HOST);
  t.is(anonymous.status, 401, anonymous.text);
});

// Serial although it changes nothing: the other reads must finish within the 1 s deadline of the
// hung ones, which the rest of this file running at the same time (the CLI start, /enumerate
// of everything) could otherwise take on a loaded 2-core machine.
test.serial('a hung service: its reads get 504 at the deadline, other reads are answered meanwhile', async (t) => {
  // In flight means: the gateway's calls to the hung object are on the bus (a monitor sees them).
  const monitor = await watchCalls(h.bus.address, ['GetAll', 'Get'], TEST_HUNG_PATH);
  t.teardown(() => monitor.stop());
  const started = performance.now();
  let hungAnswered = false;
  const timed = (path: string) => get(path).then((response) => {
    hungAnswered = true;
    return { response, ms: performance.now() - started };
  });
  const hung = [timed(TEST_HUNG_PATH), timed(`${TEST_HUNG_PATH}/attr/Value`)];
  await monitor.seen;
  t.false(hungAnswered);

  // Other objects, also of the hung object's own service, while both hung calls wait.
  const others = await Promise.all([
    get(`${HOST}/attr/CurrentHostState`),
    get(`${TEST_VALUES_PATH}/attr/UInt32`),
    get('/xyz/openbmc_project/test/'),
    get(HOST),
  ]);
  t.false(hungAnswered, 'the other reads were answered while the hung ones still waited');
  t.deepEqual(others.map((response) => response.status), [200, 200, 200, 200]);
  t.is(others[1]?.json.data, 4294967295);
  t.true(others[2]?.json.data.includes(TEST_HUNG_PATH));

  const [object, attr] = await Promise.all(hung);
  const noReply = (member: string) => failure('504 Gateway Timeout',
    `org.freedesktop.DBus.Error.NoReply: ${TEST_BUS_NAME} did not answer org.freedesktop.DBus.Properties.${member} on ${TEST_HUNG_PATH} within ${CALL_TIMEOUT_MS} ms`);
  expectJson(t, object!.response, 504, noReply('GetAll'));
  expectJson(t, attr!.response, 504, noReply('Get'));
  for (const { ms } of [object!, attr!]) {
    t.true(ms >= CALL_TIMEOUT_MS - 50, `answered after ${ms} ms, before the deadline`);
    t.true(ms <= CALL_TIMEOUT_MS + 3000, `answered after ${ms} ms`);
  }
  // Listing it needs only the mapper; enumerating its parent only its ObjectManager.
  expectJson(t, await get(`${TEST_HUNG_PATH}/`), 200, ok([]));
  const parent = await get('/xyz/openbmc_project/test/enumerate');
  t.is(parent.status, 200);
  t.deepEqual(parent.json.data[TEST_HUNG_PATH], { Value: 'never read' });
});

test('the built CLI (node build/src/main.js) on the same bus answers as the harness gateway', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'read-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cli = startCli([
    '--bus-address', h.bus.address,
    '--host', '127.0.0.1', '--port', '0',
    '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'),
    '--image-dir', join(dir, 'images'),
    ...(await cliAuthFlags(dir)),
  ]);
  t.teardown(() => cli.stop());
  const url = await cli.listening;
  const client = new HttpClient(url, await readFile(join(dir, 'cert.pem'), 'utf8'), TEST_USERS.root);
  t.is((await client.get(HOST)).text, HOST0_TEXT);
  t.is((await client.get(`${TEST_VALUES_PATH}`)).text, VALUES_TEXT);
  expectJson(t, await client.get('/xyz/openbmc_project/nothing'), 404, notFound('/xyz/openbmc_project/nothing'));
  t.is((await client.as(null).get(HOST)).status, 401);
  t.deepEqual(await cli.stop(), { code: 0, signal: null }, cli.stderr());
});
