/**
 * Authorisation follows the account while connections are open, with roles
 * from the simulated user manager over D-Bus (passwords from the test users
 * file). When an account is disabled, demoted, taken out of the served
 * groups, deleted or renamed, its token, cookie and Basic websockets close
 * with 1008 and the reason within a second, its sessions end and its REST
 * requests are refused; a promotion closes nothing.
 *
 * The gateway keeps GetUserInfo answers for a minute (far longer than these
 * tests), so only the user manager's signals can make them pass; the cache
 * itself is also tested with an hour's TTL. And: role lookups on the hot
 * path cost no bus round trip.
 */
import test, { type ExecutionContext } from 'ava';
import { USER_MANAGER_BUS_NAME, UserManagerRoles } from '../../src/auth/user-manager.js';
import { BusMonitor } from '../helpers/bus-monitor.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import type { Credentials } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';
import { type Closed, type Subscriber, bounded, connectSubscriber } from '../helpers/ws-client.js';

const HOST0 = '/xyz/openbmc_project/state/host0';
const USERS = '/xyz/openbmc_project/user';
/** What the issue asks: closed within a second of the change. */
const REVOKE_WITHIN_MS = 1000;

async function harness(t: ExecutionContext, flags: string[] = []): Promise<Harness> {
  const h = await startHarness({ flags: ['--role-source', 'dbus', '--ws-max-connections-per-user', '16', ...flags] });
  t.teardown(() => h.close());
  return h;
}

interface Login {
  readonly token: string;
  readonly cookie: string;
}

async function login(h: Harness, { user, password }: Credentials): Promise<Login> {
  const answer = await h.clientAs(null).request('POST', '/login', { body: { data: [user, password] } });
  if (answer.status !== 200) throw new Error(`login: ${answer.status} ${answer.text}`);
  const cookies = ([] as string[]).concat(answer.headers['set-cookie'] ?? []).map((c) => c.split(';')[0] ?? '');
  return { token: answer.json.token as string, cookie: cookies.join('; ') };
}

const basic = ({ user, password }: Credentials) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A token, a cookie and a Basic websocket of `who`, each with a live filter. */
async function openSockets(t: ExecutionContext, h: Harness, who: Credentials): Promise<{ sockets: Subscriber[]; session: Login }> {
  const session = await login(h, who);
  const sockets: Subscriber[] = [];
  const ways: Array<Record<string, string>> = [{ 'x-auth-token': session.token }, { cookie: session.cookie }, { authorization: basic(who) }];
  for (const headers of ways) {
    const subscriber = await connectSubscriber(h.gateway.url, h.gateway.certificate, { headers });
    t.teardown(() => subscriber.close());
    await subscriber.setFilter({ paths: [HOST0] });
    sockets.push(subscriber);
  }
  return { sockets, session };
}

/** Makes `change` as root and resolves with how each socket closed (or 'open' after the bound). */
async function closesAfter(h: Harness, sockets: Subscriber[], change: () => Promise<{ status: number; text: string }>):
Promise<Array<Closed | 'open'>> {
  const answer = await change();
  if (answer.status !== 200) throw new Error(`the change was refused: ${answer.status} ${answer.text}`);
  return Promise.all(sockets.map((s) => bounded(s.closed, REVOKE_WITHIN_MS, 'close').catch(() => 'open' as const)));
}

const setAttr = (h: Harness, user: string, name: string, value: unknown) => () =>
  h.client.request('PUT', `${USERS}/${user}/attr/${name}`, { body: { data: value } });

test.serial('disabled: token, cookie and Basic websockets close with 1008 "account disabled"; sessions end; requests refused', async (t) => {
  const h = await harness(t);
  const { sockets, session } = await openSockets(t, h, TEST_USERS.readonly);
  const closed = await closesAfter(h, sockets, setAttr(h, 'readonly', 'UserEnabled', false));
  t.deepEqual(closed, sockets.map(() => ({ code: 1008, reason: 'account disabled' })));
  t.is((await h.clientAs(null).get(HOST0, { headers: { 'x-auth-token': session.token } })).status, 401, 'the session ended');
  t.is((await h.clientAs(TEST_USERS.readonly).get(HOST0)).status, 403, 'Basic is refused');
  t.true(h.logLines.some((line) => /account of user 'readonly' changed \(priv-noaccess: account disabled\): ended 1 session\(s\), closed 3 websocket\(s\)/.test(line)));
  // Enabled again: Basic works at once (the cache was dropped again), the ended session stays ended.
  t.is((await setAttr(h, 'readonly', 'UserEnabled', true)()).status, 200);
  t.is((await h.clientAs(TEST_USERS.readonly).get(HOST0)).status, 200);
});

test.serial('demoted: the operator\'s sockets close with "privileges reduced"; its power control is refused, reads are not', async (t) => {
  const h = await harness(t);
  const operator = h.clientAs(TEST_USERS.operator);
  const transition = { body: { data: 'xyz.openbmc_project.State.Host.Transition.On' } };
  t.is((await operator.request('PUT', `${HOST0}/attr/RequestedHostTransition`, transition)).status, 200);
  const { sockets, session } = await openSockets(t, h, TEST_USERS.operator);
  const closed = await closesAfter(h, sockets, setAttr(h, 'operator', 'UserPrivilege', 'priv-user'));
  t.deepEqual(closed, sockets.map(() => ({ code: 1008, reason: 'privileges reduced' })));
  t.is((await h.clientAs(null).get(HOST0, { headers: { 'x-auth-token': session.token } })).status, 401);
  t.is((await operator.request('PUT', `${HOST0}/attr/RequestedHostTransition`, transition)).status, 403);
  t.is((await operator.get(HOST0)).status, 200);
});

test.serial('out of the served groups: closed, and a user whose only group is ipmi cannot power the host', async (t) => {
  const h = await harness(t);
  const { sockets } = await openSockets(t, h, TEST_USERS.operator);
  const closed = await closesAfter(h, sockets, setAttr(h, 'operator', 'UserGroups', ['ipmi']));
  t.deepEqual(closed, sockets.map(() => ({ code: 1008, reason: 'account in none of the groups web, redfish' })));
  const refused = await h.clientAs(TEST_USERS.operator).request('PUT', `${HOST0}/attr/RequestedHostTransition`,
    { body: { data: 'xyz.openbmc_project.State.Host.Transition.On' } });
  t.is(refused.status, 403);
  t.is((await h.clientAs(TEST_USERS.operator).get(HOST0)).status, 403);
});

test.serial('--served-groups: another group list is honoured', async (t) => {
  const h = await harness(t, ['--served-groups', 'ipmi']);
  t.is((await h.clientAs(TEST_USERS.operator).get(HOST0)).status, 200, 'operator is in ipmi');
  t.is((await h.clientAs(TEST_USERS.readonly).get(HOST0)).status, 403, 'readonly is in redfish and web only');
});

test.serial('deleted: closed, sessions end, requests refused', async (t) => {
  const h = await harness(t);
  const { sockets, session } = await openSockets(t, h, TEST_USERS.readonly);
  const closed = await closesAfter(h, sockets, () => h.client.request('DELETE', `${USERS}/readonly`));
  t.deepEqual(closed, sockets.map(() => ({ code: 1008, reason: 'account unknown to the user manager' })));
  t.is((await h.clientAs(null).get(HOST0, { headers: { 'x-auth-token': session.token } })).status, 401);
  t.is((await h.clientAs(TEST_USERS.readonly).get(HOST0)).status, 403);
});

test.serial('renamed: the old name\'s sockets close and its requests are refused', async (t) => {
  const h = await harness(t);
  const { sockets } = await openSockets(t, h, TEST_USERS.readonly);
  const closed = await closesAfter(h, sockets, () =>
    h.client.request('POST', `${USERS}/action/RenameUser`, { body: { data: ['readonly', 'reader'] } }));
  t.deepEqual(closed, sockets.map(() => ({ code: 1008, reason: 'account unknown to the user manager' })));
  t.is((await h.clientAs(TEST_USERS.readonly).get(HOST0)).status, 403);
});

test.serial('promoted: nothing closes, and the new privileges apply at once', async (t) => {
  const h = await harness(t);
  const { sockets, session } = await openSockets(t, h, TEST_USERS.readonly);
  t.is((await setAttr(h, 'readonly', 'UserPrivilege', 'priv-admin')()).status, 200);
  await Promise.all(sockets.map((s) => s.sync()));
  const write = await h.clientAs(null).request('PUT', `${HOST0}/attr/RequestedHostTransition`, {
    headers: { 'x-auth-token': session.token }, body: { data: 'xyz.openbmc_project.State.Host.Transition.On' } });
  t.is(write.status, 200, write.text);
  // Another user's change touches nobody else.
  t.is((await setAttr(h, 'operator', 'UserEnabled', false)()).status, 200);
  await Promise.all(sockets.map((s) => s.sync()));
});

test.serial('a user created after a "no such user" answer gets in at once', async (t) => {
  const h = await harness(t);
  const newbie = h.clientAs(TEST_USERS.newbie);
  t.is((await newbie.get(HOST0)).status, 403, 'unknown to the user manager: no privileges');
  const created = await h.client.request('POST', `${USERS}/action/CreateUser`, { body: { data: ['newbie', ['web'], 'priv-user', true] } });
  t.is(created.status, 200, created.text);
  t.is((await newbie.get(HOST0)).status, 200);
});

test.serial('role lookups on the hot path cost no bus round trip', async (t) => {
  const h = await harness(t);
  const { token } = await login(h, TEST_USERS.readonly);
  const asReadonly = h.clientAs(null);
  t.is((await asReadonly.get(HOST0, { headers: { 'x-auth-token': token } })).status, 200);
  const monitor = await BusMonitor.start(h.bus.address, h.gateway.bus.uniqueName);
  t.teardown(() => monitor.stop());
  for (let i = 0; i < 5; i++) t.is((await asReadonly.get(`${HOST0}/attr/CurrentHostState`, { headers: { 'x-auth-token': token } })).status, 200);
  await monitor.waitFor((m) => m.member === 'Get' && m.type === 'call');
  t.deepEqual(monitor.messages.filter((m) => m.member === 'GetUserInfo'), []);
});

test.serial('the cache: with an hour\'s TTL, only the signals keep it right (change, delete, create, manager restart)', async (t) => {
  const h = await harness(t);
  const roles = new UserManagerRoles(h.gateway.bus, { servedGroups: ['web', 'redfish'], ttlMs: 3_600_000, log: () => undefined });
  await roles.start();
  t.teardown(() => roles.stop());
  const changes: string[] = [];
  roles.onChange((changed) => changes.push(changed === 'all' ? 'all' : [...changed].sort().join(',')));
  const role = async (user: string) => (await roles.account(user)).role;

  t.is(await role('readonly'), 'priv-user');
  t.is(await role('ghost'), 'priv-noaccess');
  t.is(roles.size, 2);
  t.is((await setAttr(h, 'readonly', 'UserPrivilege', 'priv-operator')()).status, 200);
  t.is(await role('readonly'), 'priv-operator');
  t.is((await h.client.request('POST', `${USERS}/action/CreateUser`, { body: { data: ['ghost', ['redfish'], 'priv-admin', true] } })).status, 200);
  t.is(await role('ghost'), 'priv-admin');
  t.is((await h.client.request('DELETE', `${USERS}/ghost`)).status, 200);
  t.is(await role('ghost'), 'priv-noaccess');
  t.true(changes.includes('readonly') && changes.includes('ghost'), changes.join(' / '));

  await h.sim.stopService(USER_MANAGER_BUS_NAME);
  await t.throwsAsync(roles.account('readonly'), { message: /ServiceUnknown|NameHasNoOwner|not provided/ });
  await h.sim.startService(USER_MANAGER_BUS_NAME);
  // The restarted manager starts from its initial users: readonly is priv-user again.
  t.is(await role('readonly'), 'priv-user');
  t.true(changes.includes('all'));
});
