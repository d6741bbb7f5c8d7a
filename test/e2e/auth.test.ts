/**
 * The authorisation table: requests × ways of presenting credentials, with
 * the status each combination must get. Run twice: roles from the users
 * file, and roles from the simulated BMC's User.Manager.GetUserInfo.
 */
import test from 'ava';
import { startHarness, type Harness } from '../helpers/harness.js';
import type { HttpClient, RequestOptions } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';

const HOST0 = '/xyz/openbmc_project/state/host0';

/**
 * The columns: a read, the operator's power write, an admin-only write, a missing action, a missing object's
 * delete, the D-Bus object `/jobs/foo` (an escaped slash: the object route, not a job) and a job that does not
 * exist (every role but priv-noaccess may ask to cancel a job; it is not found).
 */
const REQUESTS: ReadonlyArray<readonly [string, string, string, unknown]> = [
  ['read', 'GET', HOST0, undefined],
  ['power', 'PUT', `${HOST0}/attr/RequestedHostTransition`, { data: 'xyz.openbmc_project.State.Host.Transition.Off' }],
  ['admin write', 'PUT', `${HOST0}/attr/RetryAttempts`, { data: 3 }],
  ['missing action', 'POST', `${HOST0}/action/NoSuchMethod`, { data: [] }],
  ['delete missing', 'DELETE', '/xyz/openbmc_project/no/such/object', undefined],
  ['delete object /jobs/foo', 'DELETE', '/jobs%2Ffoo', undefined],
  ['delete unknown job', 'DELETE', '/jobs/no-such-job', undefined],
];

type Creds = (env: Env) => RequestOptions;
interface Env {
  readonly origin: string;
  readonly sessions: Readonly<Record<'root' | 'operator' | 'readonly' | 'loggedOut', { token: string; xsrf: string }>>;
}

const basic = (user: string, password: string) => ({
  authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64'),
});
const cookie = (s: { token: string; xsrf: string }) => `__Host-BMCGW-SESSION=${s.token}; __Host-BMCGW-XSRF-TOKEN=${s.xsrf}`;
const EVIL = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };

/** Rows: how the request proves who it is → expected status per column of REQUESTS. */
const ROWS: ReadonlyArray<readonly [string, Creds, readonly number[]]> = [
  ['no credentials', () => ({}), [401, 401, 401, 401, 401, 401, 401]],
  ['wrong password', () => ({ headers: basic('root', 'wrong') }), [401, 401, 401, 401, 401, 401, 401]],
  ['unknown user', () => ({ headers: basic('mallory', '0penBmc') }), [401, 401, 401, 401, 401, 401, 401]],
  ['another user\'s password', () => ({ headers: basic('root', TEST_USERS.operator.password) }), [401, 401, 401, 401, 401, 401, 401]],
  ['Basic admin', () => ({ headers: basic('root', '0penBmc') }), [200, 200, 200, 404, 404, 404, 404]],
  ['Basic operator', () => ({ headers: basic('operator', TEST_USERS.operator.password) }), [200, 200, 403, 403, 403, 403, 404]],
  ['Basic readonly', () => ({ headers: basic('readonly', TEST_USERS.readonly.password) }), [200, 403, 403, 403, 403, 403, 404]],
  ['Basic noaccess', () => ({ headers: basic('noaccess', TEST_USERS.noaccess.password) }), [403, 403, 403, 403, 403, 403, 403]],
  ['Basic admin from a foreign page', () => ({ headers: { ...basic('root', '0penBmc'), ...EVIL } }), [200, 403, 403, 403, 403, 403, 403]],
  ['X-Auth-Token admin', (e) => ({ headers: { 'x-auth-token': e.sessions.root.token } }), [200, 200, 200, 404, 404, 404, 404]],
  ['X-Auth-Token admin, cross-origin', (e) => ({ headers: { 'x-auth-token': e.sessions.root.token, ...EVIL } }), [200, 200, 200, 404, 404, 404, 404]],
  ['X-Auth-Token operator', (e) => ({ headers: { 'x-auth-token': e.sessions.operator.token } }), [200, 200, 403, 403, 403, 403, 404]],
  ['X-Auth-Token readonly', (e) => ({ headers: { 'x-auth-token': e.sessions.readonly.token } }), [200, 403, 403, 403, 403, 403, 404]],
  ['X-Auth-Token logged out', (e) => ({ headers: { 'x-auth-token': e.sessions.loggedOut.token } }), [401, 401, 401, 401, 401, 401, 401]],
  ['X-Auth-Token made up', () => ({ headers: { 'x-auth-token': 'A'.repeat(32) } }), [401, 401, 401, 401, 401, 401, 401]],
  // A bad token is not rescued by a good cookie: the token decides.
  ['X-Auth-Token made up + good cookie', (e) => ({ headers: { 'x-auth-token': 'nope', cookie: cookie(e.sessions.root) } }),
    [401, 401, 401, 401, 401, 401, 401]],
  // An empty credential header is absent (bmcweb): test clients send `X-Auth-Token:` next to their cookie jar.
  ['empty X-Auth-Token + good cookie', (e) => ({ headers: { 'x-auth-token': '', cookie: cookie(e.sessions.root) } }),
    [200, 200, 200, 404, 404, 404, 404]],
  ['empty Authorization + good cookie', (e) => ({ headers: { authorization: '', cookie: cookie(e.sessions.operator) } }),
    [200, 200, 403, 403, 403, 403, 404]],
  ['Basic with empty user and password + good cookie', (e) => ({ headers: { ...basic('', ''), cookie: cookie(e.sessions.root) } }),
    [200, 200, 200, 404, 404, 404, 404]],
  ['empty X-Auth-Token + Basic admin', () => ({ headers: { 'x-auth-token': '', ...basic('root', '0penBmc') } }),
    [200, 200, 200, 404, 404, 404, 404]],
  ['empty X-Auth-Token alone', () => ({ headers: { 'x-auth-token': '' } }), [401, 401, 401, 401, 401, 401, 401]],
  ['empty X-Auth-Token + empty session cookie', () => ({ headers: { 'x-auth-token': '', cookie: '__Host-BMCGW-SESSION=' } }),
    [401, 401, 401, 401, 401, 401, 401]],
  ['cookie + X-XSRF-TOKEN (web UI)', (e) => ({
    headers: { cookie: cookie(e.sessions.root), 'x-xsrf-token': e.sessions.root.xsrf, origin: e.origin, 'sec-fetch-site': 'same-origin' },
  }), [200, 200, 200, 404, 404, 404, 404]],
  ['cookie jar, no Origin (curl -b)', (e) => ({ headers: { cookie: cookie(e.sessions.root) } }), [200, 200, 200, 404, 404, 404, 404]],
  ['cookie, same origin, no X-XSRF-TOKEN', (e) => ({ headers: { cookie: cookie(e.sessions.root), origin: e.origin } }),
    [200, 200, 200, 404, 404, 404, 404]],
  ['cookie, cross-origin, no X-XSRF-TOKEN', (e) => ({ headers: { cookie: cookie(e.sessions.root), ...EVIL } }), [200, 403, 403, 403, 403, 403, 403]],
  ['cookie, cross-origin, forged X-XSRF-TOKEN', (e) => ({
    headers: { cookie: cookie(e.sessions.root), 'x-xsrf-token': 'B'.repeat(32), ...EVIL },
  }), [200, 403, 403, 403, 403, 403, 403]],
  ['cookie, browser without Origin', (e) => ({ headers: { cookie: cookie(e.sessions.root), 'sec-fetch-site': 'cross-site' } }),
    [200, 403, 403, 403, 403, 403, 403]],
  ['cookie readonly + X-XSRF-TOKEN', (e) => ({ headers: { cookie: cookie(e.sessions.readonly), 'x-xsrf-token': e.sessions.readonly.xsrf } }),
    [200, 403, 403, 403, 403, 403, 404]],
  ['cookie logged out', (e) => ({ headers: { cookie: cookie(e.sessions.loggedOut) } }), [401, 401, 401, 401, 401, 401, 401]],
  ['only the XSRF cookie', (e) => ({ headers: { cookie: `__Host-BMCGW-XSRF-TOKEN=${e.sessions.root.xsrf}` } }), [401, 401, 401, 401, 401, 401, 401]],
  // Exact names: bmcweb's cookie names (a session of ours under them) are not ours by default.
  ['our token under bmcweb\'s cookie names', (e) => ({ headers: { cookie: `BMCWEB-SESSION=${e.sessions.root.token}; SESSION=${e.sessions.root.token}` } }),
    [401, 401, 401, 401, 401, 401, 401]],
];

async function login(client: HttpClient, user: { user: string; password: string }): Promise<{ token: string; xsrf: string }> {
  const response = await client.as(null).request('POST', '/login', { body: { data: [user.user, user.password] } });
  const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
  const xsrf = /^__Host-BMCGW-XSRF-TOKEN=([A-Za-z0-9]+)/m.exec(cookies.join('\n'))?.[1] ?? '';
  return { token: String(response.json?.token), xsrf };
}

for (const roleSource of ['users-file', 'dbus'] as const) {
  let harness: Harness;
  let env: Env;

  test.before(async () => {
    harness = await startHarness({ flags: ['--role-source', roleSource] });
    const { client } = harness;
    const [root, operator, readonly, loggedOut] = await Promise.all([
      login(client, TEST_USERS.root), login(client, TEST_USERS.operator), login(client, TEST_USERS.readonly), login(client, TEST_USERS.root),
    ]);
    const logout = await client.as(null).request('POST', '/logout', { headers: { 'x-auth-token': loggedOut.token } });
    if (logout.json?.data !== "User 'root' logged out") throw new Error(`logout failed: ${logout.text}`);
    env = { origin: harness.gateway.url, sessions: { root, operator, readonly, loggedOut } };
  });
  test.after.always(() => harness?.close());

  for (const [name, creds, expected] of ROWS) {
    test.serial(`roles from ${roleSource}: ${name}`, async (t) => {
      const client = harness.clientAs(null);
      for (const [index, [column, method, path, body]] of REQUESTS.entries()) {
        const options = creds(env);
        const response = await client.request(method, path, { ...options, ...(body !== undefined ? { body } : {}) });
        t.is(response.status, expected[index] ?? 0, `${column}: ${method} ${path} → ${response.text}`);
        if (response.status === 401) t.regex(response.json?.data?.description ?? '', /^(Login required|Invalid username or password)$/);
        if (response.status === 403) t.regex(response.json?.data?.description ?? '', /^(Insufficient privileges|Cross-site request refused)/);
      }
    });
  }
}
