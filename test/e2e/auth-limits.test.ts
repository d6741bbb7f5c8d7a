/**
 * Limits over the wire: idle expiry, the per-user session cap, brute-force
 * throttling (429 + Retry-After), and curl as scripts use it (credentials
 * in the URL, a cookie jar). Each limit gets its own gateway with small
 * numbers, so the tests never wait for time to pass.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { startHarness, type Harness } from '../helpers/harness.js';
import { TEST_USERS } from '../helpers/users.js';

const HOST0 = '/xyz/openbmc_project/state/host0';
const run = promisify(execFile);

async function withHarness(flags: string[], body: (harness: Harness) => Promise<void>): Promise<void> {
  const harness = await startHarness({ flags });
  try {
    await body(harness);
  } finally {
    await harness.close();
  }
}

async function loginToken(harness: Harness, user: { user: string; password: string }): Promise<string> {
  const response = await harness.clientAs(null).request('POST', '/login', { body: { data: [user.user, user.password] } });
  return String(response.json?.token);
}

test('a session unused for the idle timeout is dead', async (t) => {
  // 1 ms: any later request (a new TLS connection) comes after the timeout.
  await withHarness(['--session-idle-timeout-ms', '1'], async (harness) => {
    const token = await loginToken(harness, TEST_USERS.root);
    t.regex(token, /^[A-Za-z0-9]{32}$/);
    const response = await harness.clientAs(null).get(HOST0, { headers: { 'x-auth-token': token } });
    t.is(response.status, 401);
    t.is(response.json.data.description, 'Login required');
    t.true(harness.logLines.some((line) => line.includes("session of user 'root' ended (idle)")));
    // Basic does not depend on sessions.
    t.is((await harness.client.get(HOST0)).status, 200);
  });
});

test('a user over the session cap loses their least recently used session', async (t) => {
  await withHarness(['--max-sessions-per-user', '2'], async (harness) => {
    const first = await loginToken(harness, TEST_USERS.root);
    const second = await loginToken(harness, TEST_USERS.root);
    const other = await loginToken(harness, TEST_USERS.readonly);
    const third = await loginToken(harness, TEST_USERS.root);
    const status = async (token: string) => (await harness.clientAs(null).get(HOST0, { headers: { 'x-auth-token': token } })).status;
    t.deepEqual([await status(first), await status(second), await status(third), await status(other)], [401, 200, 200, 200]);
  });
});

test('brute force: failures per address are throttled with 429 and Retry-After, Basic included', async (t) => {
  await withHarness(['--login-limit-per-address', '3', '--login-limit-per-user', '100'], async (harness) => {
    const anonymous = harness.clientAs(null);
    const attempt = (user: string, password: string) => anonymous.request('POST', '/login', { body: { data: [user, password] } });
    const token = await loginToken(harness, TEST_USERS.root); // a success refunds its own attempt
    for (const user of ['root', 'operator', 'mallory']) t.is((await attempt(user, 'guess')).status, 401);
    const throttled = await attempt('readonly', 'guess');
    t.is(throttled.status, 429);
    t.deepEqual(throttled.json, {
      data: { description: 'Too many failed login attempts; try again later' }, message: '429 Too Many Requests', status: 'error' });
    const retryAfter = Number(throttled.headers['retry-after']);
    t.true(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
    // While throttled, the right password does not get through either (nothing to learn from the answer).
    t.is((await attempt('root', '0penBmc')).status, 429);
    const basic = await anonymous.get(HOST0, { credentials: TEST_USERS.root });
    t.is(basic.status, 429);
    t.truthy(basic.headers['retry-after']);
    // Sessions made before keep working: throttling is about password checks.
    t.is((await anonymous.get(HOST0, { headers: { 'x-auth-token': token } })).status, 200);
    t.true(harness.logLines.some((line) => /audit .* verb=POST path=\/login status=429$/.test(line)));
  });
});

test('brute force: failures per user name are throttled whatever the address', async (t) => {
  await withHarness(['--login-limit-per-user', '2', '--login-limit-per-address', '100'], async (harness) => {
    const anonymous = harness.clientAs(null);
    const attempt = (user: string, password: string) => anonymous.request('POST', '/login', { body: { data: [user, password] } });
    t.is((await attempt('operator', 'guess1')).status, 401);
    t.is((await attempt('operator', 'guess2')).status, 401);
    t.is((await attempt('operator', TEST_USERS.operator.password)).status, 429);
    t.is((await attempt('root', '0penBmc')).status, 200, 'other users are not affected');
  });
});

test('roles from D-Bus with the user manager gone: 503, not a guess', async (t) => {
  await withHarness(['--role-source', 'dbus'], async (harness) => {
    t.is((await harness.client.get(HOST0)).status, 200);
    await harness.sim.stopService('xyz.openbmc_project.User.Manager');
    const response = await harness.client.get(HOST0);
    t.is(response.status, 503);
    t.regex(response.json.data.description, /ServiceUnknown|NameHasNoOwner/);
    t.is((await harness.clientAs(null).get(HOST0)).status, 401, 'no credentials is still a 401');
  });
});

test('curl: credentials in the URL, and a cookie jar without Origin', async (t) => {
  await withHarness([], async (harness) => {
    const dir = await mkdtemp(join(tmpdir(), 'curl-jar-'));
    try {
      const ca = join(dir, 'ca.pem');
      await writeFile(ca, harness.gateway.certificate ?? '');
      const url = new URL(harness.gateway.url);
      const base = `https://localhost:${url.port}`;
      const curl = async (...args: string[]) => {
        const { stdout } = await run('curl', ['-s', '--cacert', ca, '--resolve', `localhost:${url.port}:127.0.0.1`,
          '-o', '-', '-w', '\n%{http_code}', ...args]);
        const lines = stdout.split('\n');
        return { status: Number(lines.pop()), body: lines.join('\n') };
      };
      const withUrlCredentials = await curl(`https://root:0penBmc@localhost:${url.port}${HOST0}/attr/CurrentHostState`);
      t.is(withUrlCredentials.status, 200);
      t.is((await curl(`https://root:wrong@localhost:${url.port}${HOST0}`)).status, 401);
      const jar = join(dir, 'jar.txt');
      const login = await curl('-c', jar, '-H', 'Content-Type: application/json', '-d', '{"data": ["operator", "op3rator-pw"]}', `${base}/login`);
      t.is(login.status, 200);
      const write = await curl('-b', jar, '-X', 'PUT', '-H', 'Content-Type: application/json',
        '-d', '{"data": "xyz.openbmc_project.State.Host.Transition.Off"}', `${base}${HOST0}/attr/RequestedHostTransition`);
      t.is(write.status, 200, write.body);
      const logout = await curl('-b', jar, '-c', jar, '-X', 'POST', `${base}/logout`);
      t.is(logout.status, 200);
      t.is((await curl('-b', jar, `${base}${HOST0}`)).status, 401);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
