/**
 * --request-log: one info line per request with named fields only; off by
 * default (audit lines are written either way).
 */
import test from 'ava';
import { startHarness, type Harness } from '../helpers/harness.js';

let on: Harness;
let off: Harness;

test.before(async () => {
  [on, off] = await Promise.all([startHarness({ flags: ['--request-log'] }), startHarness()]);
});
test.after.always(async () => {
  await Promise.all([on?.close(), off?.close()]);
});

const requestLines = (h: Harness) => h.logLines.filter((line) => line.startsWith('<6>request '));

test.serial('a read gets one line with verb, path, status, time, size, user and address', async (t) => {
  const before = requestLines(on).length;
  const res = await on.client.get('/xyz/openbmc_project/state/host0');
  t.is(res.status, 200);
  const lines = requestLines(on).slice(before);
  t.is(lines.length, 1);
  t.regex(lines[0] ?? '', /^<6>request verb=GET path=\/xyz\/openbmc_project\/state\/host0 status=200 ms=\d+\.\d bytes=\d+ user=root address=127\.0\.0\.1$/);
});

test.serial('a refused request is logged without a user, and never with its query string or credentials', async (t) => {
  const before = requestLines(on).length;
  const res = await on.clientAs({ user: 'root', password: 'not-the-password' }).get('/xyz/openbmc_project/state/host0?token=s3cret');
  t.is(res.status, 401);
  const lines = requestLines(on).slice(before);
  t.is(lines.length, 1);
  t.regex(lines[0] ?? '', /^<6>request verb=GET path=\/xyz\/openbmc_project\/state\/host0 status=401 .* user=- address=127\.0\.0\.1$/);
  t.false(on.logLines.some((line) => line.includes('s3cret') || line.includes('not-the-password')));
});

test.serial('a client-chosen path cannot forge fields or lines', async (t) => {
  const before = requestLines(on).length;
  const res = await on.client.get('/xyz/a%20status=200%0auser=admin');
  t.is(res.status, 404);
  const lines = requestLines(on).slice(before);
  t.is(lines.length, 1);
  // Quoted as one JSON string: the fake fields stay inside the path value.
  t.true((lines[0] ?? '').startsWith('<6>request verb=GET path="/xyz/a%20status=200%0auser=admin" status=404 '));
});

test('without --request-log there are no request lines, but writes are still audited', async (t) => {
  await off.client.get('/xyz/openbmc_project/state/host0');
  const res = await off.client.request('POST', '/xyz/openbmc_project/state/host0', { body: { data: [] } });
  t.is(res.status, 405);
  t.deepEqual(requestLines(off), []);
  t.true(off.logLines.some((line) => /audit .* verb=POST path=\/xyz\/openbmc_project\/state\/host0 status=405/.test(line)));
});
