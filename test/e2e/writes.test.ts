/**
 * Writes end to end (DESIGN section 3): PUT/PATCH/DELETE on objects, PUT on
 * attributes, POST on actions, the body rules, and the simulated BMC reacting
 * to writes, through the real gateway over HTTPS on a private bus.
 *
 * One harness for the file and every test serial: they share the test
 * service's objects (/test/values is put back with its Reset() method).
 * Every rejected request is checked twice: the status and description the
 * contract gives, and that nothing changed (the whole /test/values object is
 * read before and after, as exact text). Waits on the simulated BMC poll with
 * a bound; the one plain wait lets a late reply arrive after its 504.
 */
import { connect as tlsConnect } from 'node:tls';
import test, { type ExecutionContext } from 'ava';
import { TEST_ECHO_PATH } from '../../fixtures/services/test-echo.js';
import { TEST_DELETABLE_PATH, TEST_HUNG_PATH, TEST_NAMES_PATH, TEST_SHARED_PATH } from '../../fixtures/services/test-service.js';
import { TEST_VALUES_PATH } from '../../fixtures/services/test-values.js';
import { type ExactJson, parseExact, requestText } from '../helpers/exact-json.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import type { Response } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';

const VALUES = TEST_VALUES_PATH;
const ECHO = TEST_ECHO_PATH;
const HOST = '/xyz/openbmc_project/state/host0';
const CHASSIS = '/xyz/openbmc_project/state/chassis0';
const LOGGING = '/xyz/openbmc_project/logging';
const IDENTIFY_GROUP = '/xyz/openbmc_project/led/groups/enclosure_identify';
const IDENTIFY_LED = '/xyz/openbmc_project/led/physical/front_id';
const OBJECT_ALLOW = 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS';
const LIMIT = 100 * 1024;
/** The harness runs the gateway with --call-timeout-ms 1000. */
const DEADLINE_MS = 1000;

let h: Harness;

test.before(async () => {
  h = await startHarness();
});

test.after.always(async () => {
  await h?.close();
});

// ---------------------------------------------------------------------------------------------
// helpers

type Body = unknown;

interface Sent {
  status: number;
  text: string;
  body: ExactJson;
}

/** Sends `body` (a value, serialized with exact BigInt digits; or raw text) as application/json unless told otherwise. */
async function send(method: string, path: string, body?: Body, headers: Record<string, string> = {}): Promise<Sent> {
  const options = body === undefined ? { headers } : { body: typeof body === 'string' ? body : requestText(body), headers };
  const response: Response = await h.client.request(method, path, options);
  let parsed: ExactJson;
  try {
    parsed = parseExact(response.text);
  } catch (err) {
    throw new Error(`${method} ${path}: ${response.status}, not JSON: ${response.text.slice(0, 200)} (${String(err)})`);
  }
  return { status: response.status, text: response.text, body: parsed };
}

const dataOf = (sent: Sent): ExactJson => (sent.body as { data: ExactJson }).data;

async function get(path: string): Promise<ExactJson> {
  const sent = await send('GET', path);
  if (sent.status !== 200) throw new Error(`GET ${path}: ${sent.status} ${sent.text}`);
  return dataOf(sent);
}

/** The whole /test/values object as the exact response text. */
async function valuesText(): Promise<string> {
  const response = await h.client.get(VALUES);
  if (response.status !== 200) throw new Error(`GET ${VALUES}: ${response.status} ${response.text}`);
  return response.text;
}

function expectOk(t: ExecutionContext, sent: Sent, data: ExactJson = null): void {
  t.is(sent.status, 200, sent.text);
  t.deepEqual(sent.body, { data, message: '200 OK', status: 'ok' }, sent.text);
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** An error envelope with this status and a description equal to `description` (string) or matching it (RegExp). */
function expectError(t: ExecutionContext, sent: Sent, status: number, description: string | RegExp): void {
  t.is(sent.status, status, sent.text);
  const body = sent.body as { data: { description: string }; message: string; status: string };
  t.is(body.status, 'error', sent.text);
  t.is(body.message, `${status} ${REASONS[status]}`);
  t.deepEqual(Object.keys(body).sort(), ['data', 'message', 'status']);
  if (typeof description === 'string') t.is(body.data.description, description);
  else t.regex(body.data.description, description);
}

async function reset(): Promise<void> {
  const sent = await send('POST', `${VALUES}/action/Reset`, { data: [] });
  if (sent.status !== 200) throw new Error(`Reset: ${sent.status} ${sent.text}`);
}

/** Polls `read` until `done` holds; fails after `timeoutMs`. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The HTTP status of a GET, for waiting on objects to appear or go. */
const statusOf = async (path: string): Promise<number> => (await h.client.get(path)).status;

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * A request written byte for byte (HttpClient always adds Content-Length to a
 * body and a Content-Type). `body` undefined: no body and no length header.
 * The head and body are written as given, so a request can be left
 * unfinished: the answer must come anyway.
 */
function rawRequest(head: string, body?: Buffer | string, target: Harness = h): Promise<RawResponse> {
  const url = new URL(target.gateway.url);
  const auth = Buffer.from(`${TEST_USERS.root.user}:${TEST_USERS.root.password}`).toString('base64');
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ca: target.gateway.certificate, servername: 'localhost' }, () => {
      socket.write(`${head}\r\nHost: ${url.host}\r\nAuthorization: Basic ${auth}\r\nConnection: close\r\n\r\n`);
      if (body !== undefined) socket.write(body);
    });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      const all = Buffer.concat(chunks).toString('utf8');
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) return;
      const [statusLine = '', ...headerLines] = all.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      }));
      const length = Number(headers['content-length']);
      const text = all.slice(split + 4);
      if (!Number.isFinite(length) || Buffer.byteLength(text) < length) return;
      settled = true;
      socket.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text: text.slice(0, length) });
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      finish();
    });
    socket.on('end', () => {
      finish();
      if (!settled) reject(new Error(`connection closed before a complete response: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`));
    });
    socket.on('error', (err) => {
      if (!settled) reject(err);
    });
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
  });
}

const rawSent = (raw: RawResponse): Sent => ({ status: raw.status, text: raw.text, body: parseExact(raw.text) });

// ---------------------------------------------------------------------------------------------
// PUT <path>/attr/<name>

test.serial('PUT attr: success, then GET shows the new value', async (t) => {
  expectOk(t, await send('PUT', `${VALUES}/attr/String`, { data: 'written over REST' }));
  t.is(await get(`${VALUES}/attr/String`), 'written over REST');
  expectOk(t, await send('PUT', `${VALUES}/attr/UInt64`, { data: '9007199254740993' }));
  t.is(await get(`${VALUES}/attr/UInt64`), 9007199254740993n);
  expectOk(t, await send('PUT', `${VALUES}/attr/Int32`, { data: -7 }));
  t.is(await get(`${VALUES}/attr/Int32`), -7);
  expectOk(t, await send('PUT', `${VALUES}/attr/Bool`, { data: 0 }));
  t.is(await get(`${VALUES}/attr/Bool`), false);
  expectOk(t, await send('PUT', `${VALUES}/attr/StringDict`, { data: [{ a: '1' }, { b: '2' }] }));
  t.deepEqual(await get(`${VALUES}/attr/StringDict`), { a: '1', b: '2' });
  // A `v` property takes any value, inferred or explicitly typed.
  expectOk(t, await send('PUT', `${VALUES}/attr/Variant`, { data: { signature: 't', value: '18446744073709551615' } }));
  t.is(await get(`${VALUES}/attr/Variant`), 18446744073709551615n);
  expectOk(t, await send('PUT', `${VALUES}/attr/Variant`, { data: [1, 'a'] }));
  t.deepEqual(await get(`${VALUES}/attr/Variant`), [1, 'a']);
  await reset();
  t.is(await get(`${VALUES}/attr/String`), 'Hello, \u00e9\u4e16 "quoted" \\ back');
});

test.serial("phosphor-rest's conversions: a number to a string (its decimal text), a decimal string to a double", async (t) => {
  expectOk(t, await send('PUT', `${VALUES}/attr/String`, { data: 5 }));
  t.is(await get(`${VALUES}/attr/String`), '5');
  expectOk(t, await send('PATCH', VALUES, { data: { String: 2.25, Double: '1.5' } }));
  t.is(await get(`${VALUES}/attr/String`), '2.25');
  t.is(await get(`${VALUES}/attr/Double`), 1.5);
  expectOk(t, await send('PUT', `${VALUES}/attr/Double`, { data: '-2e3' }));
  t.is(await get(`${VALUES}/attr/Double`), -2000);
  // Method arguments too: Echo2(s text, i number).
  expectOk(t, await send('POST', `${ECHO}/action/Echo2`, { data: [42, '7'] }), ['42', 7]);
  await reset();
});

test.serial('PUT attr: exact name, then case-insensitive name', async (t) => {
  expectOk(t, await send('PUT', `${VALUES}/attr/UInt16`, { data: 1 }));
  t.is(await get(`${VALUES}/attr/UInt16`), 1);
  expectOk(t, await send('PUT', `${VALUES}/attr/uint16`, { data: 2 }));
  t.is(await get(`${VALUES}/attr/UInt16`), 2);
  expectOk(t, await send('PUT', `${VALUES}/attr/OBJECTPATH`, { data: '/a/b' }));
  t.is(await get(`${VALUES}/attr/ObjectPath`), '/a/b');
  await reset();
});

test.serial('PUT attr on an object with two owners sets each property on its owner', async (t) => {
  t.deepEqual(await get(TEST_SHARED_PATH), { A1: 'part a', B1: 7 });
  expectOk(t, await send('PUT', `${TEST_SHARED_PATH}/attr/B1`, { data: 8 }));
  expectOk(t, await send('PUT', `${TEST_SHARED_PATH}/attr/a1`, { data: 'changed a' }));
  t.deepEqual(await get(TEST_SHARED_PATH), { A1: 'changed a', B1: 8 });
  // B1 is a uint32 of the second owner: its type is checked too.
  const sent = await send('PUT', `${TEST_SHARED_PATH}/attr/B1`, { data: -1 });
  expectError(t, sent, 400, "property 'B1' ($): expected uint32, got -1");
  // PATCH across both owners at once, PUT with both.
  expectOk(t, await send('PATCH', TEST_SHARED_PATH, { data: { A1: 'patched', B1: 9 } }));
  t.deepEqual(await get(TEST_SHARED_PATH), { A1: 'patched', B1: 9 });
  expectOk(t, await send('PUT', TEST_SHARED_PATH, { data: { A1: 'part a', B1: 7 } }));
  t.deepEqual(await get(TEST_SHARED_PATH), { A1: 'part a', B1: 7 });
});

test.serial('PUT attr: read-only 403, unknown property 403, unknown object 403, conversion failure 400', async (t) => {
  const before = await valuesText();
  expectError(t, await send('PUT', `${VALUES}/attr/ReadOnly`, { data: 'x' }), 403,
    "org.freedesktop.DBus.Error.PropertyReadOnly: Property 'ReadOnly' is not writable.");
  expectError(t, await send('PUT', `${VALUES}/attr/NoSuchProperty`, { data: 'x' }), 403,
    "The specified property cannot be created: 'NoSuchProperty'");
  expectError(t, await send('PUT', '/xyz/openbmc_project/test/no_such_object/attr/String', { data: 'x' }), 403,
    "The specified resource cannot be created: '/xyz/openbmc_project/test/no_such_object'");
  expectError(t, await send('PUT', `${VALUES}/attr/UInt32`, { data: -1 }), 400, "property 'UInt32' ($): expected uint32, got -1");
  expectError(t, await send('PUT', `${VALUES}/attr/IntArray`, { data: [1, 2, 'three'] }), 400,
    "property 'IntArray' ($[2]): expected int32, got \"three\"");
  t.is(await valuesText(), before);
});

// ---------------------------------------------------------------------------------------------
// Rejected inputs, per route: status, description, and nothing changed.

interface Rejection {
  name: string;
  method: string;
  path: string;
  body?: Body;
  status: number;
  description: string | RegExp;
}

const attr = (name: string, data: unknown, status: number, description: string | RegExp, body: Body = { data }): Rejection =>
  ({ name: `PUT attr ${name} ← ${requestText(body)}`, method: 'PUT', path: `${VALUES}/attr/${name}`, body, status, description });

const rejections: Rejection[] = [
  attr('Bool', 'false', 400, "property 'Bool' ($): expected boolean, got \"false\""),
  attr('Bool', 'true', 400, "property 'Bool' ($): expected boolean, got \"true\""),
  attr('Bool', 2, 400, "property 'Bool' ($): expected boolean, got 2"),
  attr('UInt32', -1, 400, "property 'UInt32' ($): expected uint32, got -1"),
  attr('UInt32', 4294967296, 400, "property 'UInt32' ($): expected uint32, got 4294967296"),
  attr('UInt32', 1.5, 400, "property 'UInt32' ($): expected uint32, got 1.5"),
  attr('UInt32', '0x10', 400, "property 'UInt32' ($): expected uint32, got \"0x10\""),
  attr('Byte', 256, 400, "property 'Byte' ($): expected byte, got 256"),
  attr('Int16', 32768, 400, "property 'Int16' ($): expected int16, got 32768"),
  attr('UInt64', '18446744073709551616', 400, "property 'UInt64' ($): expected uint64, got \"18446744073709551616\""),
  // 2^64 as a JSON number: the exact digits are sent; the gateway must not round them into range or accept them.
  attr('UInt64', 18446744073709551616n, 400, /^property 'UInt64' \(\$\): expected uint64 as a decimal string .*, got 18446744073709552000$/),
  attr('UInt64', -1, 400, "property 'UInt64' ($): expected uint64, got -1"),
  attr('Int64', '9223372036854775808', 400, "property 'Int64' ($): expected int64, got \"9223372036854775808\""),
  attr('Int64', 9007199254740993n, 400, /^property 'Int64' \(\$\): expected int64 as a decimal string/),
  attr('Double', '1.5x', 400, "property 'Double' ($): expected double, got \"1.5x\""),
  attr('Double', 'NaN', 400, "property 'Double' ($): expected double, got \"NaN\""),
  attr('String', true, 400, "property 'String' ($): expected string, got true"),
  attr('String', 9007199254740993n, 400, /^property 'String' \(\$\): expected string \(JSON numbers beyond 2\^53 lose precision/),
  attr('String', null, 400, "property 'String' ($): expected string, got null"),
  attr('String', 'a\u0000b', 400, /^property 'String' \(\$\): expected string without NUL characters/),
  attr('Int32', null, 400, "property 'Int32' ($): expected int32, got null"),
  attr('Variant', null, 400, "property 'Variant' ($): expected variant, got null"),
  attr('ObjectPath', 'not/a/path', 400, "property 'ObjectPath' ($): expected object path, got \"not/a/path\""),
  attr('ObjectPath', '/trailing/', 400, "property 'ObjectPath' ($): expected object path, got \"/trailing/\""),
  attr('Signature', 'a{', 400, "property 'Signature' ($): expected signature, got \"a{\""),
  attr('Struct', [1], 400, "property 'Struct' ($): expected struct (is) of 2 elements, got [1]"),
  attr('Struct', [1, 'a', 3], 400, "property 'Struct' ($): expected struct (is) of 2 elements, got [1,\"a\",3]"),
  attr('Struct', ['a', 'a'], 400, "property 'Struct' ($[0]): expected int32, got \"a\""),
  attr('StructArray', [['a', 'b']], 400, /^property 'StructArray' \(\$\[0\]\): expected struct \(sss\) of 3 elements/),
  attr('IntArray', [1, 'x'], 400, "property 'IntArray' ($[1]): expected int32, got \"x\""),
  attr('StringArray', ['a', false], 400, "property 'StringArray' ($[1]): expected string, got false"),
  attr('StringArray', 'abc', 400, "property 'StringArray' ($): expected array of string, got \"abc\""),
  attr('ByteArray', [1, 256], 400, "property 'ByteArray' ($[1]): expected byte, got 256"),
  attr('ByteArray', 'abc', 400, /^property 'ByteArray' \(\$\): expected array of bytes/),
  attr('StringDict', [{}], 400, /^property 'StringDict' \(\$\[0\]\): expected .*object with one or more entries/),
  attr('StringDict', { a: null }, 400, "property 'StringDict' ($.a): expected string, got null"),
  attr('VariantDict', { ok: 1, bad: null }, 400, "property 'VariantDict' ($.bad): expected variant, got null"),
  attr('VariantDict', 'str', 400, /^property 'VariantDict' \(\$\): expected dict of string to variant, got "str"/),
  attr('NestedDict', { 'outer key': { inner: { signature: 'u', value: -1 } } }, 400,
    "property 'NestedDict' ($[\"outer key\"].inner.value): expected uint32, got -1"),
  attr('ReadOnly', 'x', 403, "org.freedesktop.DBus.Error.PropertyReadOnly: Property 'ReadOnly' is not writable."),
  attr('Nope', 'x', 403, "The specified property cannot be created: 'Nope'"),
  attr('String', undefined, 400, "Expecting request format { 'data': <value> }, got '{\"value\":\"x\"}'", { value: 'x' }),
  attr('String', undefined, 400, "Expecting request format { 'data': <value> }, got '[\"x\"]'", ['x']),
  {
    name: 'PUT attr of an unknown object', method: 'PUT', path: '/xyz/openbmc_project/test/values/nope/attr/String', body: { data: 'x' },
    status: 403, description: "The specified resource cannot be created: '/xyz/openbmc_project/test/values/nope'",
  },
  // PATCH: one bad value anywhere stops every write of the request.
  {
    name: 'PATCH with a bad value after good ones', method: 'PATCH', path: VALUES,
    body: { data: { String: 'changed', Byte: 1, UInt32: -1 } }, status: 400, description: "property 'UInt32' ($): expected uint32, got -1",
  },
  {
    name: 'PATCH with a bad value first', method: 'PATCH', path: VALUES,
    body: { data: { Bool: 'false', String: 'changed' } }, status: 400, description: "property 'Bool' ($): expected boolean, got \"false\"",
  },
  {
    name: 'PATCH with a deep bad value', method: 'PATCH', path: VALUES,
    body: { data: { String: 'changed', NestedDict: { o: { i: null } } } }, status: 400, description: "property 'NestedDict' ($.o.i): expected variant, got null",
  },
  {
    name: 'PATCH with an unknown property', method: 'PATCH', path: VALUES,
    body: { data: { String: 'changed', Nope: 1 } }, status: 400, description: "The specified property cannot be created: 'Nope'",
  },
  {
    name: 'PATCH with a read-only property', method: 'PATCH', path: VALUES, body: { data: { String: 'changed', ReadOnly: 'x' } },
    status: 403, description: "org.freedesktop.DBus.Error.PropertyReadOnly: Property 'ReadOnly' is not writable.",
  },
  {
    name: 'PATCH with data an array', method: 'PATCH', path: VALUES, body: { data: [{ String: 'changed' }] },
    status: 400, description: "Expecting 'data' to be an object of property names to values, got an array",
  },
  {
    name: 'PATCH with data null', method: 'PATCH', path: VALUES, body: { data: null },
    status: 400, description: "Expecting 'data' to be an object of property names to values, got null",
  },
  {
    name: 'PATCH without data', method: 'PATCH', path: VALUES, body: { String: 'changed' },
    status: 400, description: "Expecting request format { 'data': {<property>: <value>, ...} }, got '{\"String\":\"changed\"}'",
  },
  {
    name: 'PATCH of an unknown object', method: 'PATCH', path: `${VALUES}/nope`, body: { data: { String: 'x' } },
    status: 403, description: `The specified resource cannot be created: '${VALUES}/nope'`,
  },
  // PUT <path>: every writable property, all valid, or nothing is written.
  {
    name: 'PUT object with one bad value among all', method: 'PUT', path: VALUES, body: { data: { ...replacement(), UInt64: '18446744073709551616' } },
    status: 400, description: "property 'UInt64' ($): expected uint64, got \"18446744073709551616\"",
  },
  {
    name: 'PUT object with a missing property', method: 'PUT', path: VALUES, body: { data: withoutKey(replacement(), 'StructArray') },
    status: 400, description: "PUT replaces the whole object: missing writable properties 'StructArray' (use PATCH to set some)",
  },
  {
    name: 'PUT object with an extra property', method: 'PUT', path: VALUES, body: { data: { ...replacement(), Extra: 1 } },
    status: 400, description: "The specified property cannot be created: 'Extra'",
  },
  {
    name: 'PUT object with the read-only property', method: 'PUT', path: VALUES, body: { data: { ...replacement(), ReadOnly: 'x' } },
    status: 403, description: "org.freedesktop.DBus.Error.PropertyReadOnly: Property 'ReadOnly' is not writable.",
  },
  {
    name: 'PUT object with data a string', method: 'PUT', path: VALUES, body: { data: 'x' },
    status: 400, description: "Expecting 'data' to be an object of property names to values, got a string",
  },
  {
    name: 'PUT of an unknown object', method: 'PUT', path: `${VALUES}/nope`, body: { data: {} },
    status: 403, description: `The specified resource cannot be created: '${VALUES}/nope'`,
  },
  // Actions: Reset would visibly change /test/values (a sentinel is written first), so a refused Reset proves nothing ran.
  {
    name: 'Reset with too many arguments', method: 'POST', path: `${VALUES}/action/Reset`, body: { data: [1] },
    status: 400, description: "Invalid number of args: Reset takes 0 (signature ''), got 1",
  },
  {
    name: 'Reset with data not an array', method: 'POST', path: `${VALUES}/action/Reset`, body: { data: {} },
    status: 400, description: "Expecting 'data' to be an array of method arguments, got an object",
  },
  {
    name: 'Reset with data null', method: 'POST', path: `${VALUES}/action/Reset`, body: { data: null },
    status: 400, description: "Expecting 'data' to be an array of method arguments, got null",
  },
  {
    name: 'Reset with a body without data', method: 'POST', path: `${VALUES}/action/Reset`, body: {},
    status: 400, description: "Expecting request format { 'data': [<arg>, ...] }, got '{}'",
  },
  {
    name: 'Properties.Set is not an action', method: 'POST', path: `${VALUES}/action/Set`,
    body: { data: ['xyz.openbmc_project.Test.Values', 'ReadOnly', { signature: 's', value: 'x' }] },
    status: 404, description: "The specified method cannot be found: 'Set'",
  },
  {
    name: 'unknown method', method: 'POST', path: `${VALUES}/action/NoSuchMethod`, body: { data: [] },
    status: 404, description: "The specified method cannot be found: 'NoSuchMethod'",
  },
  {
    name: 'Add with too many arguments', method: 'POST', path: `${ECHO}/action/Add`, body: { data: [1, 2, 3] },
    status: 400, description: "Invalid number of args: Add takes 2 (signature 'ii'), got 3",
  },
  {
    name: 'Add with too few arguments', method: 'POST', path: `${ECHO}/action/Add`, body: { data: [1] },
    status: 400, description: "Invalid number of args: Add takes 2 (signature 'ii'), got 1",
  },
  {
    name: 'Add with a string', method: 'POST', path: `${ECHO}/action/Add`, body: { data: [1, 'x'] },
    status: 400, description: 'argument 2 \'b\' ($): expected int32, got "x"',
  },
  {
    name: 'Add past int32', method: 'POST', path: `${ECHO}/action/Add`, body: { data: [2147483648, 1] },
    status: 400, description: 'argument 1 \'a\' ($): expected int32, got 2147483648',
  },
  {
    name: 'Echo2 with arguments swapped', method: 'POST', path: `${ECHO}/action/Echo2`, body: { data: [1, 'a'] },
    status: 400, description: 'argument 2 \'number\' ($): expected int32, got "a"',
  },
  {
    name: 'EchoStructInt32StringEnd of the wrong arity', method: 'POST', path: `${ECHO}/action/EchoStructInt32StringEnd`, body: { data: [[1]] },
    status: 400, description: 'argument 1 ($): expected struct (is) of 2 elements, got [1]',
  },
  {
    name: 'EchoArrayString given a string', method: 'POST', path: `${ECHO}/action/EchoArrayString`, body: { data: ['abc'] },
    status: 400, description: 'argument 1 ($): expected array of string, got "abc"',
  },
  {
    name: 'EchoArrayInt32 given a mixed array', method: 'POST', path: `${ECHO}/action/EchoArrayInt32`, body: { data: [[1, true]] },
    status: 400, description: 'argument 1 ($[1]): expected int32, got true',
  },
  {
    name: 'action on an unknown object', method: 'POST', path: `${VALUES}/nope/action/Reset`, body: { data: [] },
    status: 404, description: `org.freedesktop.DBus.Error.FileNotFound: path or object not found: ${VALUES}/nope`,
  },
  // DELETE of an object without Object.Delete.
  {
    name: 'DELETE without Object.Delete', method: 'DELETE', path: VALUES,
    status: 403, description: `The specified resource cannot be removed: '${VALUES}'`,
  },
  // Body rules on a write that would otherwise succeed.
  {
    name: 'malformed JSON', method: 'PUT', path: `${VALUES}/attr/String`, body: '{"data": "x"',
    status: 400, description: /^Invalid JSON in the request body: /,
  },
  {
    name: 'JSON that is not an object', method: 'PUT', path: `${VALUES}/attr/String`, body: '"x"',
    status: 400, description: "Expecting request format { 'data': <value> }, got '\"x\"'",
  },
];

/** Every writable property of /test/values with a new value (request forms). */
function replacement(): Record<string, unknown> {
  return {
    Byte: 7, Bool: false, Int16: -5, UInt16: 5, Int32: 123, UInt32: 456, Int64: '-9007199254740993', UInt64: '9007199254740993',
    Double: 2.5, NaNValue: 1.25, String: 'replaced', ObjectPath: '/a/b', Signature: 'as', Variant: { signature: 'u', value: 9 },
    ByteArray: [9, 8], StringArray: ['z'], IntArray: [3], StringDict: { k: 'v' }, VariantDict: { n: 1 }, NestedDict: { o: { i: 'x' } },
    Struct: [1, 'one'], StructArray: [['a', 'b', '/c']],
  };
}

/** What GET answers after `replacement()` was written. */
function replaced(): ExactJson {
  return {
    Byte: 7, Bool: false, Int16: -5, UInt16: 5, Int32: 123, UInt32: 456, Int64: -9007199254740993n, UInt64: 9007199254740993n,
    Double: 2.5, NaNValue: 1.25, String: 'replaced', ObjectPath: '/a/b', Signature: 'as', Variant: 9,
    ByteArray: [9, 8], StringArray: ['z'], IntArray: [3], StringDict: { k: 'v' }, VariantDict: { n: 1 }, NestedDict: { o: { i: 'x' } },
    Struct: [1, 'one'], StructArray: [['a', 'b', '/c']], ReadOnly: 'cannot be written',
  };
}

function withoutKey(record: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _dropped, ...rest } = record;
  return rest;
}

for (const row of rejections) {
  test.serial(`rejected: ${row.name}`, async (t) => {
    // A sentinel, so that a Reset that wrongly ran would show.
    expectOk(t, await send('PATCH', VALUES, { data: { String: 'sentinel' } }));
    const before = await valuesText();
    expectError(t, await send(row.method, row.path, row.body), row.status, row.description);
    t.is(await valuesText(), before, 'nothing may change');
  });
}

test.serial('rejected: the table covers every write route', (t) => {
  const routes = new Set(rejections.map((row) => `${row.method} ${/\/attr\//.test(row.path) ? 'attr' : /\/action\//.test(row.path) ? 'action' : 'object'}`));
  t.deepEqual([...routes].sort(), ['DELETE object', 'PATCH object', 'POST action', 'PUT attr', 'PUT object']);
});

// ---------------------------------------------------------------------------------------------
// PUT and PATCH <path>

test.serial('PUT object replaces every writable property', async (t) => {
  await reset();
  expectOk(t, await send('PUT', VALUES, { data: replacement() }));
  t.deepEqual(await get(VALUES), replaced());
  await reset();
  const after = (await get(VALUES)) as Record<string, ExactJson>;
  t.is(after.UInt64, 18446744073709551615n);
  t.is(after.NaNValue, null);
});

test.serial('PUT object takes names case-insensitively', async (t) => {
  await reset();
  const body = Object.fromEntries(Object.entries(replacement()).map(([key, value]) => [key.toLowerCase(), value]));
  expectOk(t, await send('PUT', VALUES, { data: body }));
  t.deepEqual(await get(VALUES), replaced());
  await reset();
});

test.serial('PATCH sets only the given properties', async (t) => {
  await reset();
  const before = (await get(VALUES)) as Record<string, ExactJson>;
  expectOk(t, await send('PATCH', VALUES, { data: { Byte: 1, string: 'patched', UInt64: '18446744073709551614', StringArray: [] } }));
  t.deepEqual(await get(VALUES), { ...before, Byte: 1, String: 'patched', UInt64: 18446744073709551614n, StringArray: [] });
  expectOk(t, await send('PATCH', VALUES, { data: {} }));
  t.deepEqual(await get(VALUES), { ...before, Byte: 1, String: 'patched', UInt64: 18446744073709551614n, StringArray: [] });
  await reset();
  t.deepEqual(await get(VALUES), before);
});

test.serial('writes to objects named like route words go through their attr route and PATCH', async (t) => {
  const names = TEST_NAMES_PATH;
  for (const word of ['attr', 'action']) {
    expectOk(t, await send('PUT', `${names}/${word}/attr/Word`, { data: `${word} written` }));
    t.deepEqual(await get(`${names}/${word}`), { Word: `${word} written` });
    // PATCH and PUT on the object path itself: these two names are objects, not routes.
    expectOk(t, await send('PATCH', `${names}/${word}`, { data: { Word: `${word} patched` } }));
    t.is(await get(`${names}/${word}/attr/Word`), `${word} patched`);
    expectOk(t, await send('PUT', `${names}/${word}`, { data: { Word: word } }));
    t.is(await get(`${names}/${word}/attr/Word`), word);
  }
  // `list` at the end is the parent's listing: no write route there.
  const refused = await send('PUT', `${names}/list`, { data: { Word: 'x' } });
  t.is(refused.status, 405);
  expectOk(t, await send('PUT', `${names}/list/attr/Word`, { data: 'list' }));
});

// ---------------------------------------------------------------------------------------------
// POST <path>/action/<method>

test.serial('POST action: null, a single value, an array of out-args', async (t) => {
  expectOk(t, await send('POST', `${ECHO}/action/Void`, { data: [] }), null);
  expectOk(t, await send('POST', `${ECHO}/action/Add`, { data: [2, 3] }), 5);
  expectOk(t, await send('POST', `${ECHO}/action/Add`, { data: ['-2', 2147483647] }), 2147483645);
  expectOk(t, await send('POST', `${ECHO}/action/MultiOut`, { data: [] }), ['multi', 42, true]);
  expectOk(t, await send('POST', `${ECHO}/action/Echo2`, { data: ['a', 1] }), ['a', 1]);
  expectOk(t, await send('POST', `${ECHO}/action/Slow`, { data: [10] }), 10);
});

test.serial('POST action: method names exact first, then case-insensitive', async (t) => {
  expectOk(t, await send('POST', `${ECHO}/action/add`, { data: [20, 22] }), 42);
  expectOk(t, await send('POST', `${ECHO}/action/MULTIOUT`, { data: [] }), ['multi', 42, true]);
  expectOk(t, await send('POST', `${ECHO}/action/echouint64`, { data: ['18446744073709551615'] }), 18446744073709551615n);
  expectOk(t, await send('PATCH', VALUES, { data: { String: 'before reset' } }));
  expectOk(t, await send('POST', `${VALUES}/action/reset`, { data: [] }));
  t.is(await get(`${VALUES}/attr/String`), 'Hello, \u00e9\u4e16 "quoted" \\ back');
});

test.serial("POST action: the method's own D-Bus error is mapped, described as '<name>: <text>'", async (t) => {
  const cases: Array<[string, number]> = [
    ['xyz.openbmc_project.Common.Error.InternalFailure', 500],
    ['xyz.openbmc_project.Common.Error.NotAllowed', 403],
    ['xyz.openbmc_project.Common.Error.InvalidArgument', 400],
    ['xyz.openbmc_project.Common.Error.Unavailable', 503],
    ['org.freedesktop.DBus.Error.UnknownObject', 404],
    ['org.freedesktop.DBus.Error.AccessDenied', 403],
    ['com.example.Custom.Error', 500],
  ];
  for (const [name, status] of cases) {
    const text = `failing on purpose with ${name.split('.').pop()}`;
    expectError(t, await send('POST', `${ECHO}/action/Fail`, { data: [name, text] }), status, `${name}: ${text}`);
  }
});

test.serial('POST action: Hang answers 504 at the deadline while other requests are served', async (t) => {
  const started = Date.now();
  let hangDone = false;
  const hang = send('POST', `${ECHO}/action/Hang`, { data: [] }).then((sent) => {
    hangDone = true;
    return { sent, elapsed: Date.now() - started };
  });
  // Meanwhile: reads, calls and a short Slow all complete while the hung call is still waiting.
  const others = await Promise.all([
    get(`${VALUES}/attr/UInt64`),
    send('POST', `${ECHO}/action/Slow`, { data: [100] }),
    send('POST', `${ECHO}/action/Add`, { data: [1, 1] }),
    get(TEST_SHARED_PATH),
  ]);
  const othersElapsed = Date.now() - started;
  t.is(others[0], 18446744073709551615n);
  expectOk(t, others[1], 100);
  expectOk(t, others[2], 2);
  t.false(hangDone, `other requests took ${othersElapsed} ms, the hung call answered first`);
  const { sent, elapsed } = await hang;
  t.true(othersElapsed < elapsed, `others ${othersElapsed} ms, hung call ${elapsed} ms`);
  expectError(t, sent, 504,
    `org.freedesktop.DBus.Error.NoReply: xyz.openbmc_project.Test did not answer xyz.openbmc_project.Test.Echo.Hang on ${ECHO} within ${DEADLINE_MS} ms`);
  t.true(elapsed >= DEADLINE_MS - 20, `answered after ${elapsed} ms`);
  t.true(elapsed < DEADLINE_MS + 2000, `answered after ${elapsed} ms`);
  // The gateway is still fine afterwards.
  expectOk(t, await send('POST', `${ECHO}/action/Void`, { data: [] }));
});

test.serial('POST action: Slow past the deadline is 504, below it answers', async (t) => {
  expectOk(t, await send('POST', `${ECHO}/action/Slow`, { data: [300] }), 300);
  const started = Date.now();
  const sent = await send('POST', `${ECHO}/action/Slow`, { data: [DEADLINE_MS + 1000] });
  const elapsed = Date.now() - started;
  expectError(t, sent, 504, /^org\.freedesktop\.DBus\.Error\.NoReply: .*Slow.* within 1000 ms$/);
  t.true(elapsed < DEADLINE_MS + 800, `answered after ${elapsed} ms`);
  // The late reply (2 s after the call) must not confuse later calls: wait until it has come and gone.
  await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS + 1000 - elapsed + 100));
  expectOk(t, await send('POST', `${ECHO}/action/Slow`, { data: [1] }), 1);
  expectOk(t, await send('POST', `${ECHO}/action/Add`, { data: [3, 4] }), 7);
});

test.serial('writes to an object whose service never answers are 504 at the deadline', async (t) => {
  const started = Date.now();
  const [set, ping] = await Promise.all([
    send('PUT', `${TEST_HUNG_PATH}/attr/Value`, { data: 'x' }),
    send('POST', `${TEST_HUNG_PATH}/action/Ping`, { data: [] }),
  ]);
  const elapsed = Date.now() - started;
  expectError(t, set, 504,
    `org.freedesktop.DBus.Error.NoReply: xyz.openbmc_project.Test did not answer org.freedesktop.DBus.Properties.Set on ${TEST_HUNG_PATH} within ${DEADLINE_MS} ms`);
  expectError(t, ping, 504,
    `org.freedesktop.DBus.Error.NoReply: xyz.openbmc_project.Test did not answer xyz.openbmc_project.Test.Hung.Ping on ${TEST_HUNG_PATH} within ${DEADLINE_MS} ms`);
  // Both deadlines ran at the same time, not one after the other.
  t.true(elapsed < 2 * DEADLINE_MS, `answered after ${elapsed} ms`);
});

// ---------------------------------------------------------------------------------------------
// DELETE and POST on objects

test.serial('DELETE removes an object with Object.Delete; then 404', async (t) => {
  t.deepEqual(await get(TEST_DELETABLE_PATH), { Name: 'delete me' });
  expectOk(t, await send('DELETE', TEST_DELETABLE_PATH));
  await until(() => statusOf(TEST_DELETABLE_PATH), (status) => status === 404, 'the deleted object to go');
  const gone = await send('GET', TEST_DELETABLE_PATH);
  expectError(t, gone, 404, `org.freedesktop.DBus.Error.FileNotFound: path or object not found: ${TEST_DELETABLE_PATH}`);
  expectError(t, await send('DELETE', TEST_DELETABLE_PATH), 404,
    `org.freedesktop.DBus.Error.FileNotFound: path or object not found: ${TEST_DELETABLE_PATH}`);
});

test.serial('DELETE of an object without Object.Delete is 403', async (t) => {
  const before = await valuesText();
  expectError(t, await send('DELETE', VALUES), 403, `The specified resource cannot be removed: '${VALUES}'`);
  expectError(t, await send('DELETE', TEST_SHARED_PATH), 403, `The specified resource cannot be removed: '${TEST_SHARED_PATH}'`);
  t.is(await valuesText(), before);
  t.deepEqual(await get(TEST_SHARED_PATH), { A1: 'part a', B1: 7 });
});

test.serial('POST to a plain object path is 405 with Allow', async (t) => {
  const before = await valuesText();
  const response = await h.client.request('POST', VALUES, { body: { data: [] } });
  t.is(response.status, 405, response.text);
  t.is(response.headers.allow, OBJECT_ALLOW);
  t.deepEqual(response.json, { data: { description: 'Method not allowed.' }, message: '405 Method Not Allowed', status: 'error' });
  const attrPost = await h.client.request('POST', `${VALUES}/attr/String`, { body: { data: 'x' } });
  t.is(attrPost.status, 405, attrPost.text);
  t.is(attrPost.headers.allow, 'GET, HEAD, PUT, OPTIONS');
  const actionPut = await h.client.request('PUT', `${ECHO}/action/Void`, { body: { data: [] } });
  t.is(actionPut.status, 405, actionPut.text);
  t.is(actionPut.headers.allow, 'POST, OPTIONS');
  t.is(await valuesText(), before);
});

// ---------------------------------------------------------------------------------------------
// Body rules

test.serial('content type: application/json with and without charset; others 415 and nothing written', async (t) => {
  const accepted = ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"', 'application/json; charset=utf8'];
  for (const [index, contentType] of accepted.entries()) {
    expectOk(t, await send('PUT', `${VALUES}/attr/String`, { data: `ct ${index}` }, { 'content-type': contentType }));
    t.is(await get(`${VALUES}/attr/String`), `ct ${index}`);
  }
  const before = await valuesText();
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=iso-8859-1', 'application/jsonp']) {
    expectError(t, await send('PUT', `${VALUES}/attr/String`, { data: 'refused' }, { 'content-type': contentType }), 415,
      `Expecting content type 'application/json', got '${contentType}'`);
    expectError(t, await send('POST', `${VALUES}/action/Reset`, { data: [] }, { 'content-type': contentType }), 415,
      `Expecting content type 'application/json', got '${contentType}'`);
  }
  // A body without any Content-Type.
  const untyped = '{"data":"no type"}';
  const raw = rawSent(await rawRequest(`PUT ${VALUES}/attr/String HTTP/1.1\r\nContent-Length: ${untyped.length}`, untyped));
  expectError(t, raw, 415, "Expecting content type 'application/json', got ''");
  t.is(await valuesText(), before);
  await reset();
});

test.serial('body of exactly 100 KiB is taken; one byte more is 413 and nothing written', async (t) => {
  const fill = (size: number): string => {
    const prefix = '{"data":"';
    const suffix = '"}';
    return prefix + 'x'.repeat(size - prefix.length - suffix.length) + suffix;
  };
  const exact = fill(LIMIT);
  t.is(Buffer.byteLength(exact), LIMIT);
  expectOk(t, await send('PUT', `${VALUES}/attr/String`, exact));
  t.is(((await get(`${VALUES}/attr/String`)) as string).length, LIMIT - 11);
  expectOk(t, await send('PATCH', VALUES, { data: { String: 'small again' } }));
  const before = await valuesText();
  // Content-Length over the limit: refused before the body is read (only the head is sent here).
  const head = rawSent(await rawRequest(`PUT ${VALUES}/attr/String HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${LIMIT + 1}`));
  expectError(t, head, 413, `Request body larger than ${LIMIT} bytes`);
  // A chunked body that passes the limit while it is read: one chunk of limit + 1 bytes, the request left unfinished.
  const big = fill(LIMIT + 1);
  const chunked = rawSent(await rawRequest(`PUT ${VALUES}/attr/String HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`,
    `${(LIMIT + 1).toString(16)}\r\n${big}\r\n`));
  expectError(t, chunked, 413, `Request body larger than ${LIMIT} bytes`);
  t.is(await valuesText(), before);
  await reset();
});

test.serial('a JSON body that does not arrive within --body-timeout-ms is 408; nothing written', async (t) => {
  const slow = await startHarness({ flags: ['--body-timeout-ms', '300'] });
  try {
    const before = await slow.client.get(`${VALUES}/attr/String`);
    const body = '{"data": "never finished"}';
    const raw = await rawRequest(`PUT ${VALUES}/attr/String HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}`,
      body.slice(0, 10), slow);
    t.is(raw.status, 408, raw.text);
    t.deepEqual(JSON.parse(raw.text), {
      data: { description: 'The request body did not arrive within 300 ms' }, message: '408 Request Timeout', status: 'error',
    });
    t.is(raw.headers.connection, 'close');
    t.is((await slow.client.get(`${VALUES}/attr/String`)).text, before.text, 'unchanged');
    t.true(slow.logLines.some((line) => line.includes(`verb=PUT path=${VALUES}/attr/String status=408`)));
  } finally {
    await slow.close();
  }
});

test.serial('a complete chunked JSON body is taken', async (t) => {
  const body = '{"data": "chunked"}';
  const raw = rawSent(await rawRequest(`PUT ${VALUES}/attr/String HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked`,
    `5\r\n${body.slice(0, 5)}\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`));
  expectOk(t, raw);
  t.is(await get(`${VALUES}/attr/String`), 'chunked');
  await reset();
});

test.serial('malformed JSON and missing data answer 400 saying what was expected', async (t) => {
  const before = await valuesText();
  const cases: Array<[string, string, string, string | RegExp]> = [
    ['PUT', `${VALUES}/attr/String`, '{data: "x"}', /^Invalid JSON in the request body: /],
    ['PUT', `${VALUES}/attr/String`, '{"data": "x"} trailing', /^Invalid JSON in the request body: /],
    ['PUT', `${VALUES}/attr/String`, '{}', "Expecting request format { 'data': <value> }, got '{}'"],
    ['PUT', `${VALUES}/attr/String`, 'null', "Expecting request format { 'data': <value> }, got 'null'"],
    ['PUT', VALUES, '{"Data": {}}', "Expecting request format { 'data': {<property>: <value>, ...} }, got '{\"Data\":{}}'"],
    ['PATCH', VALUES, '[]', "Expecting request format { 'data': {<property>: <value>, ...} }, got '[]'"],
    ['POST', `${ECHO}/action/Add`, '{"args": [1, 2]}', "Expecting request format { 'data': [<arg>, ...] }, got '{\"args\":[1,2]}'"],
    ['POST', `${ECHO}/action/Add`, '{"data": [1, 2]', /^Invalid JSON in the request body: /],
    ['POST', `${ECHO}/action/Add`, '{"data": 3}', "Expecting 'data' to be an array of method arguments, got a number"],
  ];
  for (const [method, path, body, description] of cases) {
    expectError(t, await send(method, path, body), 400, description);
  }
  // An empty body with a JSON content type is no body: the attr PUT needs one.
  const empty = rawSent(await rawRequest(`PUT ${VALUES}/attr/String HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 0`));
  expectError(t, empty, 400, "Expecting request format { 'data': <value> }, got 'None'");
  t.is(await valuesText(), before);
});

test.serial('extra top-level keys are ignored; a body on GET is ignored', async (t) => {
  expectOk(t, await send('PUT', `${VALUES}/attr/String`, { data: 'with extra', extra: true }));
  t.is(await get(`${VALUES}/attr/String`), 'with extra');
  const withBody = await h.client.request('GET', `${VALUES}/attr/String`, { body: 'not json at all', headers: { 'content-type': 'text/plain' } });
  t.is(withBody.status, 200, withBody.text);
  t.is(withBody.json.data, 'with extra');
  await reset();
});

test.serial('POST and DELETE without Content-Length and without a body are requests with an empty body', async (t) => {
  const voidCall = await rawRequest(`POST ${ECHO}/action/Void HTTP/1.1`);
  expectOk(t, rawSent(voidCall));
  // Whatever the content type, when there is no body.
  expectOk(t, rawSent(await rawRequest(`POST ${ECHO}/action/MultiOut HTTP/1.1\r\nContent-Type: text/plain`)), ['multi', 42, true]);
  expectOk(t, await send('PATCH', VALUES, { data: { String: 'before a body-less Reset' } }));
  expectOk(t, rawSent(await rawRequest(`POST ${VALUES}/action/Reset HTTP/1.1`)));
  t.is(await get(`${VALUES}/attr/String`), 'Hello, \u00e9\u4e16 "quoted" \\ back');
  // A method with arguments still needs them.
  expectError(t, rawSent(await rawRequest(`POST ${ECHO}/action/Add HTTP/1.1`)), 400, "Invalid number of args: Add takes 2 (signature 'ii'), got 0");
  // A body-less PUT is not a PUT of nothing.
  expectError(t, rawSent(await rawRequest(`PUT ${VALUES}/attr/String HTTP/1.1`)), 400, "Expecting request format { 'data': <value> }, got 'None'");
  // DELETE of a log entry without a length header.
  const created = await send('POST', `${LOGGING}/action/Create`, { data: ['body-less delete', 'xyz.openbmc_project.Logging.Entry.Level.Notice', {}] });
  t.is(created.status, 200, created.text);
  const entry = dataOf(created) as string;
  await until(() => statusOf(entry), (status) => status === 200, 'the new entry');
  expectOk(t, rawSent(await rawRequest(`DELETE ${entry} HTTP/1.1`)));
  await until(() => statusOf(entry), (status) => status === 404, 'the entry to go');
  t.pass();
});

// ---------------------------------------------------------------------------------------------
// The simulated BMC through the API

const HOST_STATE = (state: string) => `xyz.openbmc_project.State.Host.HostState.${state}`;
const POWER_STATE = (state: string) => `xyz.openbmc_project.State.Chassis.PowerState.${state}`;

test.serial('host power on: CurrentHostState reaches Running and the chassis follows; off again', async (t) => {
  t.is(await get(`${HOST}/attr/CurrentHostState`), HOST_STATE('Off'));
  t.is(await get(`${CHASSIS}/attr/CurrentPowerState`), POWER_STATE('Off'));
  // A value the service refuses (not one of its enum strings): its InvalidArgument error, 400, nothing changes.
  const hostBefore = await get(HOST);
  expectError(t, await send('PUT', `${HOST}/attr/RequestedHostTransition`, { data: 'On' }), 400,
    'xyz.openbmc_project.Common.Error.InvalidArgument: Invalid argument was given.');
  t.deepEqual(await get(HOST), hostBefore);
  expectOk(t, await send('PUT', `${HOST}/attr/RequestedHostTransition`, { data: 'xyz.openbmc_project.State.Host.Transition.On' }));
  t.is(await get(`${HOST}/attr/RequestedHostTransition`), 'xyz.openbmc_project.State.Host.Transition.On');
  await until(() => get(`${HOST}/attr/CurrentHostState`), (state) => state === HOST_STATE('Running'), 'host Running');
  t.is(await get(`${CHASSIS}/attr/CurrentPowerState`), POWER_STATE('On'));
  const host = (await get(HOST)) as Record<string, ExactJson>;
  t.is(host.BootProgress, 'xyz.openbmc_project.State.Boot.Progress.ProgressStages.OSRunning');
  t.is(host.OperatingSystemState, 'xyz.openbmc_project.State.OperatingSystem.Status.OSStatus.BootComplete');
  // Read-only state cannot be forced.
  expectError(t, await send('PUT', `${HOST}/attr/CurrentHostState`, { data: HOST_STATE('Off') }), 403,
    "org.freedesktop.DBus.Error.PropertyReadOnly: Property 'CurrentHostState' is not writable.");
  expectOk(t, await send('PUT', `${HOST}/attr/requestedhosttransition`, { data: 'xyz.openbmc_project.State.Host.Transition.Off' }));
  await until(() => get(`${HOST}/attr/CurrentHostState`), (state) => state === HOST_STATE('Off'), 'host Off');
  await until(() => get(`${CHASSIS}/attr/CurrentPowerState`), (state) => state === POWER_STATE('Off'), 'chassis Off');
  t.pass();
});

test.serial('logging: Create makes an entry appear; Delete and DeleteAll remove them', async (t) => {
  const entries = async (): Promise<string[]> =>
    ((await get(`${LOGGING}/list`)) as string[]).filter((path) => /^\/xyz\/openbmc_project\/logging\/entry\/\d+$/.test(path));
  const initial = await entries();
  t.true(initial.length >= 1, JSON.stringify(initial));
  const created = await send('POST', `${LOGGING}/action/Create`, {
    data: ['xyz.openbmc_project.Common.Error.InternalFailure', 'xyz.openbmc_project.Logging.Entry.Level.Error', { FROM: 'writes.test' }],
  });
  t.is(created.status, 200, created.text);
  const entry = dataOf(created) as string;
  t.regex(entry, /^\/xyz\/openbmc_project\/logging\/entry\/\d+$/);
  await until(entries, (list) => list.includes(entry), 'the new entry in /list');
  const props = (await get(entry)) as Record<string, ExactJson>;
  t.is(props.Message, 'xyz.openbmc_project.Common.Error.InternalFailure');
  t.is(props.Severity, 'xyz.openbmc_project.Logging.Entry.Level.Error');
  t.deepEqual(props.AdditionalData, { FROM: 'writes.test' });
  t.is(props.Resolved, false);
  // A writable property of the entry.
  expectOk(t, await send('PUT', `${entry}/attr/Resolved`, { data: true }));
  t.is(await get(`${entry}/attr/Resolved`), true);
  // A bad severity is the service's own refusal (Common.Error.InvalidArgument), mapped to 400, and creates nothing.
  const countBefore = (await entries()).length;
  expectError(t, await send('POST', `${LOGGING}/action/Create`, { data: ['m', 'Bogus', {}] }), 400,
    'xyz.openbmc_project.Common.Error.InvalidArgument: Invalid argument was given.');
  t.is((await entries()).length, countBefore);
  // Delete one.
  expectOk(t, await send('DELETE', entry));
  await until(entries, (list) => !list.includes(entry), 'the deleted entry to leave /list');
  await until(() => statusOf(entry), (status) => status === 404, 'the deleted entry to answer 404');
  // DeleteAll.
  const second = dataOf(await send('POST', `${LOGGING}/action/Create`, { data: ['another', 'xyz.openbmc_project.Logging.Entry.Level.Warning', {}] })) as string;
  await until(entries, (list) => list.includes(second), 'the second entry');
  t.true((await entries()).length >= 2);
  expectOk(t, await send('POST', `${LOGGING}/action/DeleteAll`, { data: [] }));
  await until(entries, (list) => list.length === 0, 'every entry to go');
  t.deepEqual(await entries(), []);
});

test.serial('identify LED: Asserted can be set and the physical LED follows', async (t) => {
  const state = (s: string) => `xyz.openbmc_project.Led.Physical.Action.${s}`;
  t.is(await get(`${IDENTIFY_GROUP}/attr/Asserted`), false);
  // "true" (a string) is not a boolean.
  expectError(t, await send('PUT', `${IDENTIFY_GROUP}/attr/Asserted`, { data: 'true' }), 400,
    "property 'Asserted' ($): expected boolean, got \"true\"");
  t.is(await get(`${IDENTIFY_GROUP}/attr/Asserted`), false);
  expectOk(t, await send('PUT', `${IDENTIFY_GROUP}/attr/Asserted`, { data: true }));
  t.is(await get(`${IDENTIFY_GROUP}/attr/Asserted`), true);
  await until(() => get(`${IDENTIFY_LED}/attr/State`), (value) => value === state('On'), 'identify LED On');
  expectOk(t, await send('PUT', `${IDENTIFY_GROUP}/attr/Asserted`, { data: 0 }));
  t.is(await get(`${IDENTIFY_GROUP}/attr/Asserted`), false);
  await until(() => get(`${IDENTIFY_LED}/attr/State`), (value) => value === state('Off'), 'identify LED Off');
  t.pass();
});
