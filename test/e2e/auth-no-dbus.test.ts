/**
 * Requests that fail authentication, CSRF or the path-level policy cause no
 * D-Bus traffic at all: not a mapper look-up, not a role look-up. Roles come
 * from D-Bus here (GetUserInfo), so even the role look-up would show.
 */
import test from 'ava';
import { BusMonitor } from '../helpers/bus-monitor.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import type { RequestOptions } from '../helpers/http-client.js';

let harness: Harness;
test.before(async () => {
  harness = await startHarness({ flags: ['--role-source', 'dbus'] });
});
test.after.always(() => harness?.close());

const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

const REFUSED: ReadonlyArray<readonly [string, string, string, RequestOptions, number]> = [
  ['no credentials', 'GET', '/xyz/openbmc_project/state/host0', {}, 401],
  ['no credentials, enumerate', 'GET', '/xyz/openbmc_project/enumerate', {}, 401],
  ['no credentials, write', 'PUT', '/xyz/openbmc_project/state/host0/attr/RequestedHostTransition', { body: { data: 'x' } }, 401],
  ['no credentials, action', 'POST', '/xyz/openbmc_project/logging/action/DeleteAll', { body: { data: [] } }, 401],
  ['no credentials, upload', 'POST', '/upload/image', { body: Buffer.from('x'), headers: { 'content-type': 'application/octet-stream' } }, 401],
  ['wrong password', 'GET', '/xyz/openbmc_project/state/host0', { headers: { authorization: basic('root', 'nope') } }, 401],
  ['unknown token', 'DELETE', '/xyz/openbmc_project/logging/entry/1', { headers: { 'x-auth-token': 'Z'.repeat(32) } }, 401],
  ['unknown cookie', 'GET', '/list', { headers: { cookie: '__Host-BMCGW-SESSION=nope' } }, 401],
];

test.serial('refused requests make no D-Bus message; an accepted one does', async (t) => {
  const gatewayName = harness.gateway.bus.uniqueName;
  const monitor = await BusMonitor.start(harness.bus.address, gatewayName);
  t.teardown(() => monitor.stop());
  const client = harness.clientAs(null);
  for (const [name, method, path, options, status] of REFUSED) {
    const response = await client.request(method, path, options);
    t.is(response.status, status, `${name}: ${response.text}`);
  }
  // The marker: an authenticated request for a unique path makes the gateway ask the mapper about it.
  const marker = `/xyz/openbmc_project/marker_${Date.now()}`;
  t.is((await harness.client.get(marker)).status, 404);
  const index = await monitor.waitFor((m) => m.type === 'call' && m.sender === gatewayName && m.body[0] === marker);
  const before = monitor.messages.slice(0, index).filter((m) => m.sender === gatewayName);
  // Only the marker request's own role look-up (unless its answer is cached) may come before its mapper call.
  t.deepEqual(before.map((m) => `${m.interfaceName}.${m.member}(${String(m.body[0])})`)
    .filter((call) => call !== 'xyz.openbmc_project.User.Manager.GetUserInfo(root)'), [], JSON.stringify(before));
});

test.serial('a cross-site cookie write and a path-level policy refusal make no D-Bus message either', async (t) => {
  const gatewayName = harness.gateway.bus.uniqueName;
  const login = await harness.clientAs(null).request('POST', '/login', { body: { data: ['root', '0penBmc'] } });
  const token = String(login.json.token);
  const monitor = await BusMonitor.start(harness.bus.address, gatewayName);
  t.teardown(() => monitor.stop());
  const csrf = await harness.clientAs(null).request('PUT', '/xyz/openbmc_project/state/host0/attr/RequestedHostTransition', {
    body: { data: 'xyz.openbmc_project.State.Host.Transition.On' },
    headers: { cookie: `__Host-BMCGW-SESSION=${token}`, origin: 'https://evil.example' },
  });
  t.is(csrf.status, 403);
  // Refused on the path alone: only the role look-up (after authentication) may be seen.
  const readonly = await harness.clientAs({ user: 'readonly', password: 'read0nly-pw' })
    .request('POST', '/xyz/openbmc_project/logging/action/DeleteAll', { body: { data: [] } });
  t.is(readonly.status, 403);
  const marker = `/xyz/openbmc_project/marker_${Date.now()}`;
  t.is((await harness.client.get(marker)).status, 404);
  const index = await monitor.waitFor((m) => m.type === 'call' && m.sender === gatewayName && m.body[0] === marker);
  const before = monitor.messages.slice(0, index).filter((m) => m.sender === gatewayName);
  // Role look-ups (root's answer may be cached from the test before) and nothing else.
  t.deepEqual(before.map((m) => `${m.member}(${String(m.body[0])})`).filter((call) => call !== 'GetUserInfo(root)'),
    ['GetUserInfo(readonly)']);
});
