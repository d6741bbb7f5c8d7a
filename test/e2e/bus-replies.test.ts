/**
 * The gateway's bus connection on a real dbus-daemon with the simulated BMC:
 * replies read by its own decoder (callJson) are exactly what dbus-next's
 * decoder plus the conversion module give for the same live replies; a
 * reply of the wrong signature, a deadline, an abandoned call and a service
 * error each reject that one call and leave the connection working; signals
 * arrive with their bodies as JSON.
 */
import test from 'ava';
import { TEST_BUS_NAME, TEST_ROOT } from '../../fixtures/services/test-service.js';
import { TEST_ECHO_INTERFACE, TEST_ECHO_PATH } from '../../fixtures/services/test-echo.js';
import { TEST_VALUES_INTERFACE, TEST_VALUES_PATH } from '../../fixtures/services/test-values.js';
import { BusError, type MethodCall, type SignalMessage } from '../../src/dbus/bus.js';
import { toJson } from '../../src/dbus/convert.js';
import { parseSignature } from '../../src/dbus/signature.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { exactText } from '../helpers/wire-samples.js';

let h: Harness;

test.before(async () => {
  h = await startHarness();
});

test.after.always(async () => {
  await h?.close();
});

const MAPPER = { busName: 'xyz.openbmc_project.ObjectMapper', objectPath: '/xyz/openbmc_project/object_mapper', interfaceName: 'xyz.openbmc_project.ObjectMapper' };

const LIVE: Array<[string, MethodCall, string]> = [
  ['Properties.GetAll of every D-Bus type', { busName: TEST_BUS_NAME, objectPath: TEST_VALUES_PATH, interfaceName: 'org.freedesktop.DBus.Properties', member: 'GetAll', signature: 's', body: [TEST_VALUES_INTERFACE] }, 'a{sv}'],
  ['Properties.Get of a UInt64 max', { busName: TEST_BUS_NAME, objectPath: TEST_VALUES_PATH, interfaceName: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [TEST_VALUES_INTERFACE, 'UInt64'] }, 'v'],
  ['Properties.Get of NaN', { busName: TEST_BUS_NAME, objectPath: TEST_VALUES_PATH, interfaceName: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [TEST_VALUES_INTERFACE, 'NaNValue'] }, 'v'],
  ['GetManagedObjects of the test service', { busName: TEST_BUS_NAME, objectPath: TEST_ROOT, interfaceName: 'org.freedesktop.DBus.ObjectManager', member: 'GetManagedObjects' }, 'a{oa{sa{sv}}}'],
  ['mapper GetSubTree of everything', { ...MAPPER, member: 'GetSubTree', signature: 'sias', body: ['/', 0, []] }, 'a{sa{sas}}'],
  ['mapper GetObject', { ...MAPPER, member: 'GetObject', signature: 'sas', body: [TEST_VALUES_PATH, []] }, 'a{sas}'],
  ['mapper GetAncestors', { ...MAPPER, member: 'GetAncestors', signature: 'sas', body: [TEST_VALUES_PATH, []] }, 'a{sa{sas}}'],
  ['Introspect', { busName: TEST_BUS_NAME, objectPath: TEST_VALUES_PATH, interfaceName: 'org.freedesktop.DBus.Introspectable', member: 'Introspect' }, 's'],
];

for (const [name, call, signature] of LIVE) {
  test(`callJson: ${name} is what dbus-next and toJson give for the same reply`, async (t) => {
    const bus = h.gateway.bus;
    const [ours, theirs] = await Promise.all([bus.callJson(call, signature), bus.call(call)]);
    const expected = parseSignature(signature).map((node, i) => toJson(node, theirs[i]));
    t.deepEqual(ours, expected);
    t.is(exactText(ours), exactText(expected));
  });
}

const echo = (member: string, signature: string, body: unknown[]): MethodCall =>
  ({ busName: TEST_BUS_NAME, objectPath: TEST_ECHO_PATH, interfaceName: TEST_ECHO_INTERFACE, member, signature, body });

async function stillWorks(t: import('ava').ExecutionContext): Promise<void> {
  t.deepEqual(await h.gateway.bus.callJson(echo('Add', 'ii', [2, 3]), 'i'), [5], 'the connection still answers');
}

test('callJson: a reply of another signature rejects with InconsistentMessage', async (t) => {
  const error = await t.throwsAsync(h.gateway.bus.callJson(echo('EchoString', 's', ['text']), 'i'), { instanceOf: BusError });
  t.is(error?.errorName, 'org.freedesktop.DBus.Error.InconsistentMessage');
  t.regex(error?.text ?? '', /signature 's', expected 'i'/);
  await stillWorks(t);
});

test('callJson: a service error is that error, its text up to the first line', async (t) => {
  const error = await t.throwsAsync(h.gateway.bus.callJson(echo('Fail', 'ss', ['xyz.openbmc_project.Common.Error.NotAllowed', 'no\nsecond line']), ''),
    { instanceOf: BusError });
  t.is(error?.errorName, 'xyz.openbmc_project.Common.Error.NotAllowed');
  t.is(error?.text, 'no');
  await stillWorks(t);
});

test('callJson: the deadline rejects with NoReply', async (t) => {
  const error = await t.throwsAsync(h.gateway.bus.callJson({ ...echo('Hang', '', []), timeoutMs: 150 }, ''), { instanceOf: BusError });
  t.is(error?.errorName, 'org.freedesktop.DBus.Error.NoReply');
  await stillWorks(t);
});

test('callJson: an abandoned call rejects with the abort reason, and its late reply is dropped', async (t) => {
  // A call that never gets a reply: only the abort can settle it.
  const controller = new AbortController();
  const hung = h.gateway.bus.callJson({ ...echo('Hang', '', []), timeoutMs: 60_000, signal: controller.signal }, '');
  setTimeout(() => controller.abort(new Error('client left')), 20);
  await t.throwsAsync(hung, { message: 'client left' });
  // A call whose reply comes after the abort: the reply finds nobody and is dropped.
  const late = new AbortController();
  const slow = h.gateway.bus.callJson({ ...echo('Slow', 'u', [100]), signal: late.signal }, 'u');
  late.abort(new Error('gone before the reply'));
  await t.throwsAsync(slow, { message: 'gone before the reply' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await stillWorks(t);
  // A signal aborted before the call: no call at all.
  await t.throwsAsync(h.gateway.bus.callJson({ ...echo('Add', 'ii', [1, 1]), signal: AbortSignal.abort(new Error('gone')) }, 'i'), { message: 'gone' });
});

test('signals arrive with their bodies as JSON values', async (t) => {
  const bus = h.gateway.bus;
  const rule = "type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',path='/xyz/openbmc_project/test/values'";
  await bus.matchRules.acquire(rule);
  const seen: SignalMessage[] = [];
  const stop = bus.onSignal((signal) => {
    if (signal.objectPath === TEST_VALUES_PATH && signal.member === 'PropertiesChanged') seen.push(signal);
  });
  try {
    const put = await h.client.request('PUT', `${TEST_VALUES_PATH}/attr/UInt64`, { body: { data: '18446744073709551614' } });
    t.is(put.status, 200, put.text);
    for (let i = 0; i < 50 && seen.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    t.is(seen.length, 1);
    t.deepEqual(seen[0]?.jsonBody, [TEST_VALUES_INTERFACE, { UInt64: 18446744073709551614n }, []]);
  } finally {
    stop();
    await bus.matchRules.release(rule);
    await h.client.request('POST', `${TEST_VALUES_PATH}/action/Reset`, { body: { data: [] } });
  }
});
