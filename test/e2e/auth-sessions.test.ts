/**
 * /login and /logout over the wire: the three body forms, the answer, the
 * cookies and their attributes, logout, security headers, CORS, and the
 * audit lines (with nothing secret in any log line).
 */
import test from 'ava';
import { startHarness, type Harness } from '../helpers/harness.js';
import type { Response } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';

const HOST0 = '/xyz/openbmc_project/state/host0';
const POWER_OFF = { data: 'xyz.openbmc_project.State.Host.Transition.Off' };
let harness: Harness;
/** Every token and XSRF token handed out here: none may appear in a log line. */
const secrets = new Set<string>();

test.before(async () => {
  harness = await startHarness({ flags: ['--cors-origins', 'https://ui.example'] });
});
test.after.always(() => harness?.close());

function setCookies(response: Response): string[] {
  return ([] as string[]).concat(response.headers['set-cookie'] ?? []);
}

async function login(body: unknown): Promise<Response> {
  const response = await harness.clientAs(null).request('POST', '/login', { body });
  if (typeof response.json?.token === 'string') secrets.add(response.json.token);
  for (const c of setCookies(response)) secrets.add(c.split(';')[0]?.split('=')[1] ?? '');
  return response;
}

for (const [form, body] of [
  ['{"data": [user, password]}', { data: ['root', '0penBmc'] }],
  ['{"username", "password"}', { username: 'root', password: '0penBmc' }],
  ['{"data": {"username", "password"}}', { data: { username: 'root', password: '0penBmc' } }],
] as const) {
  test(`login with ${form}: envelope, token, cookies`, async (t) => {
    const response = await login(body);
    t.is(response.status, 200);
    const token: string = response.json.token;
    t.deepEqual(response.json, { data: "User 'root' logged in", message: '200 OK', status: 'ok', token });
    t.regex(token, /^[A-Za-z0-9]{32,}$/);
    const [session = '', xsrf = ''] = setCookies(response);
    const attributes = (cookie: string) => cookie.split(';').map((part) => part.trim());
    t.is(attributes(session)[0], `__Host-BMCGW-SESSION=${token}`);
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) t.true(attributes(session).includes(attribute), attribute);
    t.regex(attributes(xsrf)[0] ?? '', /^__Host-BMCGW-XSRF-TOKEN=[A-Za-z0-9]{32,}$/);
    for (const attribute of ['Secure', 'SameSite=Strict', 'Path=/']) t.true(attributes(xsrf).includes(attribute), attribute);
    t.false(attributes(xsrf).includes('HttpOnly'), 'the web UI must be able to read it');
    t.is((await harness.clientAs(null).get(HOST0, { headers: { 'x-auth-token': token } })).status, 200);
  });
}

test('login refusals: wrong password, bad bodies, wrong verb, wrong type', async (t) => {
  const wrong = await login({ data: ['root', 'not-the-password'] });
  t.is(wrong.status, 401);
  t.is(wrong.json.data.description, 'Invalid username or password');
  t.deepEqual(setCookies(wrong), []);
  const badBody = await login({ data: ['root'] });
  t.is(badBody.status, 400);
  t.false(badBody.text.includes('0penBmc'));
  const empty = await harness.clientAs(null).request('POST', '/login');
  t.is(empty.status, 400);
  const form = await harness.clientAs(null).request('POST', '/login', {
    body: 'username=root&password=0penBmc', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  t.is(form.status, 415);
  const get = await harness.clientAs(null).get('/login');
  t.is(get.status, 405);
  t.is(get.headers.allow, 'POST, OPTIONS');
});

test('logout ends the session and clears both cookies; the token is dead afterwards', async (t) => {
  const { json } = await login({ data: ['operator', TEST_USERS.operator.password] });
  const token: string = json.token;
  const client = harness.clientAs(null);
  t.is((await client.get(HOST0, { headers: { cookie: `__Host-BMCGW-SESSION=${token}` } })).status, 200);
  const logout = await client.request('POST', '/logout', { headers: { cookie: `__Host-BMCGW-SESSION=${token}` }, body: { data: [] } });
  t.is(logout.status, 200);
  t.is(logout.json.data, "User 'operator' logged out");
  const cleared = setCookies(logout);
  t.true(cleared.some((c) => c.startsWith('__Host-BMCGW-SESSION=;') && c.includes('Max-Age=0')));
  t.true(cleared.some((c) => c.startsWith('__Host-BMCGW-XSRF-TOKEN=;') && c.includes('Max-Age=0')));
  t.is((await client.get(HOST0, { headers: { 'x-auth-token': token } })).status, 401);
  t.is((await client.get(HOST0, { headers: { cookie: `__Host-BMCGW-SESSION=${token}` } })).status, 401);
  const again = await client.request('POST', '/logout', { headers: { 'x-auth-token': token } });
  t.is(again.json.data, 'No user logged in');
});

test('a cross-site logout with the cookie is refused and the session lives on', async (t) => {
  const { json } = await login({ data: ['root', '0penBmc'] });
  const client = harness.clientAs(null);
  const forged = await client.request('POST', '/logout', {
    headers: { cookie: `__Host-BMCGW-SESSION=${json.token}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
  t.is(forged.status, 403);
  t.is((await client.get(HOST0, { headers: { 'x-auth-token': json.token } })).status, 200);
});

// Serial: it checks that host0 was not asked to power on, and nothing else here asks for On.
test.serial('operators: power and log resolution yes, other writes no, and a mixed PATCH writes nothing', async (t) => {
  const operator = harness.clientAs(TEST_USERS.operator);
  t.is((await operator.request('PUT', '/xyz/openbmc_project/logging/entry/2/attr/Resolved', { body: { data: true } })).status, 200);
  t.is((await harness.client.get('/xyz/openbmc_project/logging/entry/2/attr/Resolved')).json.data, true);
  t.is((await operator.request('DELETE', '/xyz/openbmc_project/logging/entry/2')).status, 403);
  t.is((await operator.request('POST', '/xyz/openbmc_project/logging/action/DeleteAll', { body: { data: [] } })).status, 403);
  // Case-insensitive property names resolve before the policy sees them.
  t.is((await operator.request('PUT', `${HOST0}/attr/requestedhosttransition`, { body: POWER_OFF })).status, 200);
  // The allowed property comes first: a check made while writing would already have written it.
  const before = (await harness.client.get(`${HOST0}/attr/RetryAttempts`)).json.data;
  const mixed = await operator.request('PATCH', HOST0,
    { body: { data: { RequestedHostTransition: 'xyz.openbmc_project.State.Host.Transition.On', RetryAttempts: 1 } } });
  t.is(mixed.status, 403);
  t.is(mixed.json.data.description, 'Insufficient privileges');
  t.is((await harness.client.get(`${HOST0}/attr/RetryAttempts`)).json.data, before);
  t.is((await harness.client.get(`${HOST0}/attr/RequestedHostTransition`)).json.data, POWER_OFF.data);
});

test('security headers on every response, errors and unauthenticated ones included', async (t) => {
  const anonymous = harness.clientAs(null);
  const responses = [
    await harness.client.get(HOST0), // 200
    await anonymous.get(HOST0), // 401
    await harness.client.get('/xyz/openbmc_project/nothing/here'), // 404
    await harness.client.request('POST', HOST0), // 405
    await anonymous.get('/redfish/v1'), // 404, no login needed
    await anonymous.request('POST', '/login', { body: { data: ['root', 'x'] } }), // 401
  ];
  t.deepEqual(responses.map((r) => r.status), [200, 401, 404, 405, 404, 401]);
  for (const response of responses) {
    t.regex(String(response.headers['strict-transport-security']), /max-age=\d+/);
    t.is(response.headers['x-content-type-options'], 'nosniff');
    t.is(response.headers['x-frame-options'], 'DENY');
    t.is(response.headers['cache-control'], 'no-store');
    t.regex(String(response.headers['content-security-policy']), /default-src 'none'/);
    t.is(response.headers['referrer-policy'], 'no-referrer');
    t.is(response.headers['access-control-allow-origin'], undefined);
  }
  t.is(responses[4]?.json.data.description, 'Path not found');
});

test('CORS: only the configured origin gets CORS headers and pre-flight answers', async (t) => {
  const anonymous = harness.clientAs(null);
  const preflight = (origin: string) => anonymous.request('OPTIONS', `${HOST0}/attr/RequestedHostTransition`, {
    headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, x-auth-token' } });
  const allowed = await preflight('https://ui.example');
  t.is(allowed.status, 204);
  t.is(allowed.headers['access-control-allow-origin'], 'https://ui.example');
  t.is(allowed.headers['access-control-allow-credentials'], 'true');
  t.regex(String(allowed.headers['access-control-allow-methods']), /PUT/);
  t.regex(String(allowed.headers['access-control-allow-headers']), /X-Auth-Token/);
  const refused = await preflight('https://evil.example');
  t.is(refused.status, 401);
  t.is(refused.headers['access-control-allow-origin'], undefined);
  const { json } = await login({ data: ['root', '0penBmc'] });
  const fromUi = await anonymous.get(HOST0, { headers: { origin: 'https://ui.example', 'x-auth-token': json.token } });
  t.is(fromUi.status, 200);
  t.is(fromUi.headers['access-control-allow-origin'], 'https://ui.example');
  t.regex(String(fromUi.headers.vary), /Origin/);
  const fromEvil = await anonymous.get(HOST0, { headers: { origin: 'https://evil.example', 'x-auth-token': json.token } });
  t.is(fromEvil.headers['access-control-allow-origin'], undefined);
});

test.serial('audit lines for logins, failed logins, writes, refusals and logouts', async (t) => {
  const client = harness.clientAs(null);
  await login({ username: 'readonly', password: 'this-is-wrong' });
  const { json } = await login({ username: 'root', password: '0penBmc' });
  t.is((await client.request('PUT', `${HOST0}/attr/RequestedHostTransition`, { headers: { 'x-auth-token': json.token }, body: POWER_OFF })).status, 200);
  t.is((await harness.clientAs(TEST_USERS.readonly).request('PUT', `${HOST0}/attr/RequestedHostTransition`, { body: POWER_OFF })).status, 403);
  // A cross-site page riding on operator's cookie: refused, and the line names whose session it was.
  const operator = await login({ username: 'operator', password: TEST_USERS.operator.password });
  const crossSite = { cookie: `__Host-BMCGW-SESSION=${operator.json.token}`, origin: 'https://evil.example' };
  t.is((await client.request('PUT', `${HOST0}/attr/RequestedHostTransition`, { headers: crossSite, body: POWER_OFF })).status, 403);
  t.is((await client.request('POST', '/logout', { headers: crossSite })).status, 403);
  await client.request('POST', '/logout', { headers: { 'x-auth-token': json.token } });
  const audit = harness.logLines.filter((line) => line.includes('audit '));
  const has = (pattern: RegExp) => t.true(audit.some((line) => pattern.test(line)), `no audit line like ${pattern}`);
  has(/audit time=\S+ user=readonly address=127\.0\.0\.1 verb=POST path=\/login status=401$/);
  has(/user=root address=127\.0\.0\.1 verb=POST path=\/login status=200$/);
  has(/user=root address=127\.0\.0\.1 verb=PUT path=\/xyz\/openbmc_project\/state\/host0\/attr\/RequestedHostTransition status=200 written="\{\\"xyz\.openbmc_project\.State\.Host\.RequestedHostTransition\\":\\"xyz\.openbmc_project\.State\.Host\.Transition\.Off\\"\}"$/);
  has(/user=readonly address=127\.0\.0\.1 verb=PUT path=\S+RequestedHostTransition status=403$/);
  has(/user=operator address=127\.0\.0\.1 verb=PUT path=\S+RequestedHostTransition status=403$/);
  has(/user=operator address=127\.0\.0\.1 verb=POST path=\/logout status=403$/);
  has(/user=root address=127\.0\.0\.1 verb=POST path=\/logout status=200$/);
  t.false(audit.some((line) => / verb=GET /.test(line)), 'reads are not audited');
});

test.serial('audit lines record the values written and called with, user management arguments redacted', async (t) => {
  const created = await harness.client.request('POST', '/xyz/openbmc_project/user/action/CreateUser',
    { body: { data: ['auditee', ['web'], 'priv-user', true] } });
  t.is(created.status, 200, created.text);
  const logged = await harness.client.request('POST', '/xyz/openbmc_project/logging/action/Create', {
    body: { data: ['xyz.openbmc_project.Common.Error.InternalFailure', 'xyz.openbmc_project.Logging.Entry.Level.Error', { WHO: 'audit-test' }] } });
  t.is(logged.status, 200, logged.text);
  t.is((await harness.client.request('PATCH', '/xyz/openbmc_project/user/auditee', { body: { data: { UserEnabled: false } } })).status, 200);
  const audit = harness.logLines.filter((line) => line.includes('audit '));
  const line = (path: string) => audit.find((l) => l.includes(` path=${path} `)) ?? '';
  t.regex(line('/xyz/openbmc_project/user/action/CreateUser'),
    /status=200 written="\{\\"xyz\.openbmc_project\.User\.Manager\.CreateUser\\":\{\\"userName\\":\\"<redacted>\\",\\"groupNames\\":\\"<redacted>\\",\\"privilege\\":\\"<redacted>\\",\\"enabled\\":\\"<redacted>\\"\}\}"$/);
  t.false(line('/xyz/openbmc_project/user/action/CreateUser').includes('auditee'));
  t.regex(line('/xyz/openbmc_project/logging/action/Create'), /written=.*additionalData\\":\{\\"WHO\\":\\"audit-test\\"\}/);
  t.regex(line('/xyz/openbmc_project/user/auditee'), /verb=PATCH .* written="\{\\"xyz\.openbmc_project\.User\.Attributes\.UserEnabled\\":false\}"$/);
});

// After every test of the file, so that all their log lines are checked.
test.after('no password, token or XSRF token in any log line', (t) => {
  const passwords = [...Object.values(TEST_USERS).map((u) => u.password), 'this-is-wrong', 'not-the-password'];
  t.true(secrets.size >= 10, 'the tests handed out tokens');
  t.true(harness.logLines.length > 20, 'the tests made log lines');
  for (const line of harness.logLines) {
    for (const secret of [...passwords, ...secrets]) {
      if (secret.length >= 6 && line.includes(secret)) t.fail(`a secret in the log: ${line}`);
    }
  }
});
