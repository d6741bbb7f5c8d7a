/**
 * The conversion table (test/unit/convert.cases.ts) end to end: every row is
 * sent as JSON to the real gateway, converted from the introspected signature,
 * carried over a real dbus-daemon to the test service's Echo<Type> method,
 * echoed back, and converted to JSON again. The answer is read with an exact
 * JSON reader (64-bit integers stay BigInt), so a digit lost anywhere fails.
 *
 * The table's rejected rows must answer 400 naming the argument and the
 * place in it. Rows whose knownIssue is a dbus-next *sending* limitation run
 * too: src/dbus/marshal-fixes.ts exists so that they cross the bus.
 */
import { isDeepStrictEqual } from 'node:util';
import test from 'ava';
import { ECHO_METHODS, TEST_ECHO_PATH } from '../../fixtures/services/test-echo.js';
import { type ExactJson, parseExact } from '../helpers/exact-json.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { type ConversionCase, conversionCases, conversionRejects } from '../unit/convert.cases.js';

let h: Harness;

test.before(async () => {
  h = await startHarness();
});

test.after.always(async () => {
  await h?.close();
});

const echoFor = (signature: string) => ECHO_METHODS.find((m) => m.signature === signature)?.member;

/** Rows that can cross the bus both ways: not 'out'-only (those start on the D-Bus side). */
const roundTrip = conversionCases.filter((row) => (row.direction ?? 'both') === 'both');
const clean = roundTrip.filter((row) => row.knownIssue === undefined);
/**
 * Rows held back by a dbus-next *sending* limitation (int/bool/double dict
 * keys, INT64_MIN) that src/dbus/marshal-fixes.ts claims to fix, so that
 * "every value of the conversion table crosses a real bus" (docs/DECISIONS.md).
 */
const fixedByGateway = roundTrip.filter((row) => row.knownIssue?.includes('cannot marshal'));

interface Answer {
  status: number;
  text: string;
  body: ExactJson;
}

async function echo(signature: string, value: unknown): Promise<Answer> {
  const member = echoFor(signature);
  if (member === undefined) throw new Error(`the test service has no echo method for ${signature}`);
  // JSON.stringify throws on a BigInt: the request forms of the table must be plain JSON.
  const response = await h.client.request('POST', `${TEST_ECHO_PATH}/action/${member}`, { body: JSON.stringify({ data: [value] }) });
  return { status: response.status, text: response.text, body: parseExact(response.text) };
}

function checkRow(row: ConversionCase) {
  return async (t: import('ava').ExecutionContext) => {
    const answer = await echo(row.signature, row.jsonIn ?? row.json);
    t.is(answer.status, 200, answer.text);
    t.deepEqual(answer.body, { data: row.json as ExactJson, message: '200 OK', status: 'ok' }, answer.text);
    // The response form sent again must come back unchanged (through variants it is re-inferred,
    // which the table's `json` already is for these rows).
    if (!row.signature.includes('v') && !containsBigInt(row.json)) {
      const again = await echo(row.signature, row.json);
      t.deepEqual(again.body, answer.body, again.text);
    }
  };
}

function containsBigInt(value: unknown): boolean {
  if (typeof value === 'bigint') return true;
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).some(containsBigInt);
}

test('every signature of the table has an echo method (except h, which REST cannot pass)', (t) => {
  const signatures = new Set([...conversionCases, ...conversionRejects].map((row) => row.signature));
  const missing = [...signatures].filter((signature) => echoFor(signature) === undefined).sort();
  t.deepEqual(missing, ['a{hs}', 'h']);
  t.true(clean.length >= 90, `only ${clean.length} rows`);
});

for (const row of clean) {
  test(`echo ${row.signature}: ${row.name}`, checkRow(row));
}

for (const row of fixedByGateway) {
  test(`echo ${row.signature} (dbus-next limitation fixed by marshal-fixes): ${row.name}`, checkRow(row));
}

test('64-bit values come back as exact digits in the response text', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['t', '18446744073709551615', '18446744073709551615'],
    ['x', '9223372036854775807', '9223372036854775807'],
    ['x', '-9223372036854775807', '-9223372036854775807'],
    ['t', '9007199254740993', '9007199254740993'],
  ];
  for (const [signature, sent, digits] of cases) {
    const answer = await echo(signature, sent);
    t.is(answer.status, 200, answer.text);
    t.is(answer.text, `{\n  "data": ${digits},\n  "message": "200 OK",\n  "status": "ok"\n}`);
  }
});

/** Values JSON can carry unchanged (not Infinity, which JSON.stringify writes as null). */
const sendable = conversionRejects.filter((row) => echoFor(row.signature) !== undefined
  && isDeepStrictEqual(JSON.parse(JSON.stringify(row.json)) as unknown, row.json));

test('rejected rows: only fd rows and non-JSON values are left out', (t) => {
  const left = conversionRejects.filter((row) => !sendable.includes(row));
  t.true(left.every((row) => row.signature.includes('h') || row.json === Number.POSITIVE_INFINITY), JSON.stringify(left));
  t.true(sendable.length >= 70, `only ${sendable.length} rejected rows`);
});

for (const [index, row] of sendable.entries()) {
  const got = JSON.stringify(row.json);
  test(`rejects #${index} ${row.signature} ← ${got.length > 40 ? `${got.slice(0, 40)}…` : got}`, async (t) => {
    const answer = await echo(row.signature, row.json);
    t.is(answer.status, 400, answer.text);
    const body = answer.body as { data: { description: string }; message: string; status: string };
    t.is(body.message, '400 Bad Request');
    t.is(body.status, 'error');
    const description = body.data.description;
    t.true(description.startsWith(`argument 1 (${row.at}): expected `), description);
    t.true(description.includes(row.expectedFragment), description);
  });
}
