/**
 * A service whose introspection declares names that break the D-Bus rules
 * (fixtures: /xyz/openbmc_project/test/bogus with an interface `nodots` and a
 * method `bad-member`). A call naming them would make dbus-daemon drop the
 * gateway's connection, and the daemon exits on a lost bus: one bad service
 * would restart the gateway. The gateway refuses to send such a call (500
 * for that request) and keeps serving everything else on the same connection.
 * (The other rules, bus names, paths and `o`/`g` values, are unit table rows:
 * test/unit/message-check.test.ts.)
 */
import test from 'ava';
import { BOGUS_INTERFACE, BOGUS_MEMBER, TEST_BOGUS_PATH } from '../../fixtures/services/test-service.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const HOST0 = '/xyz/openbmc_project/state/host0/attr/CurrentHostState';
let harness: Harness;
test.before(async () => {
  harness = await startHarness();
});
test.after.always(() => harness?.close());

/** The gateway still has its bus: a read through the mapper and a service answers. */
async function stillServing(t: import('ava').ExecutionContext, after: string): Promise<void> {
  const res = await harness.client.get(HOST0);
  t.is(res.status, 200, `after ${after}: ${res.text}`);
}

test.serial('a method of an interface named against the rules: 500 for the call; the bus connection survives', async (t) => {
  const lost: Error[] = [];
  harness.gateway.bus.onClose((reason) => lost.push(reason));
  const res = await harness.client.request('POST', `${TEST_BOGUS_PATH}/action/Ping`, { body: { data: [] } });
  t.is(res.status, 500, res.text);
  t.is(res.json.message, '500 Internal Server Error');
  t.is(res.json.data.description,
    `org.freedesktop.DBus.Error.Failed: not sent, it breaks the D-Bus rules: invalid interface name "${BOGUS_INTERFACE}"`);
  await stillServing(t, 'the call');
  // The object reads as usual (the bad name only travels as a GetAll argument, which is legal).
  const object = await harness.client.get(TEST_BOGUS_PATH);
  t.deepEqual(object.json, { data: { Note: 'one method name here is invalid' }, message: '200 OK', status: 'ok' });
  t.deepEqual(lost, [], 'the gateway never lost its bus');
});

test.serial('a method named against the rules: 500 for the call; the valid method of the same interface works', async (t) => {
  const res = await harness.client.request('POST', `${TEST_BOGUS_PATH}/action/${BOGUS_MEMBER}`, { body: { data: ['x'] } });
  t.is(res.status, 500, res.text);
  t.regex(res.json.data.description, new RegExp(`invalid member name "${BOGUS_MEMBER}"$`));
  await stillServing(t, 'the call');
  const fine = await harness.client.request('POST', `${TEST_BOGUS_PATH}/action/Fine`, { body: { data: [] } });
  t.deepEqual(fine.json, { data: 'fine', message: '200 OK', status: 'ok' });
  t.true(harness.logLines.some((line) => line.includes(`invalid member name "${BOGUS_MEMBER}"`)), 'the refusal is in the log');
});
