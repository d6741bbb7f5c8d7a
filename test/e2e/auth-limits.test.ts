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
import { connectSubscriber } from '../helpers/ws-client.js';

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

/** The shipped throttling defaults (the harness raises them for the other test files). */
const DEFAULT_LIMITS = ['--login-limit-per-address', '5', '--login-limit-per-user', '3'];

test('the right password is never refused: 12 concurrent Basic requests and 40 parallel Basic websockets from one address', async (t) => {
  await withHarness([...DEFAULT_LIMITS, '--ws-max-connections', '64', '--ws-max-connections-per-user', '64'], async (harness) => {
    const statuses = await Promise.all(Array.from({ length: 12 }, () => harness.client.get(HOST0).then((r) => r.status)));
    t.deepEqual(statuses, Array.from({ length: 12 }, () => 200));
    const basic = `Basic ${Buffer.from(`${TEST_USERS.root.user}:${TEST_USERS.root.password}`).toString('base64')}`;
    const sockets = await Promise.allSettled(Array.from({ length: 40 }, () =>
      connectSubscriber(harness.gateway.url, harness.gateway.certificate ?? '', { headers: { authorization: basic } })));
    t.is(sockets.filter((s) => s.status === 'fulfilled').length, 40, 'every upgrade opened');
    for (const s of sockets) if (s.status === 'fulfilled') s.value.ws.terminate();
    t.false(harness.logLines.some((line) => /^<5>audit .* status=(401|429)$/.test(line)), 'no refused login in the audit log');
  });
});

test('strangers cannot lock root out: 10 wrong passwords from two addresses, then the right one from a third gets in', async (t) => {
  await withHarness([...DEFAULT_LIMITS, '--login-delay-max-ms', '400'], async (harness) => {
    const from = (address: string) => harness.clientAs(null).from(address);
    const attempt = (address: string, password: string) =>
      from(address).request('POST', '/login', { body: { data: ['root', password] } }).then((r) => r.status);
    for (const address of ['127.0.0.2', '127.0.0.3']) {
      for (let i = 0; i < 5; i++) t.is(await attempt(address, `guess-${i}`), 401, `${address} guess ${i}`);
    }
    // Both guessing addresses are refused now, even with the right password.
    t.is(await attempt('127.0.0.2', TEST_USERS.root.password), 429);
    t.is(await attempt('127.0.0.3', TEST_USERS.root.password), 429);
    // root's checks are slowed down, never refused: the right password from elsewhere gets in, by /login and by Basic.
    t.is(await attempt('127.0.0.4', TEST_USERS.root.password), 200);
    t.is((await harness.client.from('127.0.0.5').get(HOST0)).status, 200);
    t.true(harness.logLines.some((line) => /audit .* user=root address=127\.0\.0\.4 verb=POST path=\/login status=200$/.test(line)));
  });
});

test('wrong passwords from one address: that address gets 429 with Retry-After, Basic included; another address does not', async (t) => {
  await withHarness(DEFAULT_LIMITS, async (harness) => {
    const guesser = harness.clientAs(null).from('127.0.0.2');
    const token = await loginToken(harness, TEST_USERS.root);
    const attempt = (user: string, password: string) => guesser.request('POST', '/login', { body: { data: [user, password] } });
    for (const user of ['root', 'operator', 'mallory', 'readonly', 'root']) t.is((await attempt(user, 'guess')).status, 401);
    const throttled = await attempt('readonly', 'guess');
    t.is(throttled.status, 429);
    t.deepEqual(throttled.json, {
      data: { description: 'Too many failed login attempts from this address; try again later' },
      message: '429 Too Many Requests', status: 'error' });
    const retryAfter = Number(throttled.headers['retry-after']);
    t.true(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
    // While refused, the right password does not get through from there either (nothing to learn from the answer).
    t.is((await attempt('operator', TEST_USERS.operator.password)).status, 429);
    const basic = await guesser.get(HOST0, { credentials: TEST_USERS.root });
    t.is(basic.status, 429);
    t.truthy(basic.headers['retry-after']);
    // Another address is not affected, and sessions made before keep working.
    t.is((await harness.clientAs(TEST_USERS.operator).from('127.0.0.3').get(HOST0)).status, 200);
    t.is((await harness.clientAs(null).get(HOST0, { headers: { 'x-auth-token': token } })).status, 200);
    t.true(harness.logLines.some((line) => /audit .* address=127\.0\.0\.2 verb=POST path=\/login status=429$/.test(line)));
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
