/**
 * Passwords through the real PAM stack, with a throwaway local account that
 * .ci/run creates (and removes): its name, password and the PAM service
 * come in BMC_GATEWAY_TEST_PAM_USER, _PASSWORD and _SERVICE.
 *
 * In CI (CI=true, or BMC_GATEWAY_TEST_PAM_REQUIRED=1 as .ci/run sets) a
 * missing account or binding FAILS the test: a PAM backend that was never
 * exercised must not look green. Elsewhere the tests are skipped, saying why.
 *
 * The gateway runs as the real CLI in a child process: the binding only
 * works on a main thread, and ava runs test files in worker threads. Each
 * wrong password costs 2-4 s (pam_faildelay), so there are few.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { startSimulatedBmc } from '../../fixtures/bmc.js';
import { startPrivateBus } from '../../fixtures/dbus-daemon.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { startCli } from '../helpers/cli.js';
import { HttpClient } from '../helpers/http-client.js';

const env = process.env;
const user = env.BMC_GATEWAY_TEST_PAM_USER ?? '';
const password = env.BMC_GATEWAY_TEST_PAM_PASSWORD ?? '';
const service = env.BMC_GATEWAY_TEST_PAM_SERVICE ?? '';
const required = env.CI === 'true' || env.BMC_GATEWAY_TEST_PAM_REQUIRED === '1';
const configured = user !== '' && password !== '' && service !== '';
const HOST0 = '/xyz/openbmc_project/state/host0';

/** A private bus with the simulated BMC, and the CLI gateway on it with PAM and these flags. */
async function pamGateway(t: ExecutionContext, flags: readonly string[]): Promise<HttpClient> {
  const bus = await startPrivateBus();
  t.teardown(() => bus.stop());
  const sim = await startSimulatedBmc({ busAddress: bus.address, transitionMs: 50 });
  t.teardown(() => sim.stop());
  const dir = await mkdtemp(join(tmpdir(), 'pam-gateway-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cli = startCli(['--host', '127.0.0.1', '--port', '0', '--bus-address', bus.address,
    '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'),
    '--auth-backend', 'pam', '--pam-service', service, ...flags]);
  t.teardown(async () => {
    await cli.stop();
  });
  const url = await cli.listening;
  t.regex(cli.stderr(), new RegExp(`authentication: passwords pam:${service}`));
  return new HttpClient(url, await readFile(join(dir, 'cert.pem'), 'utf8'));
}

if (!configured && !required) {
  test.skip('PAM: skipped, no test account (set BMC_GATEWAY_TEST_PAM_USER/_PASSWORD/_SERVICE, as .ci/run does, to run it)', () => {});
} else {
  test('PAM: the test account is configured and the binding is built', (t) => {
    t.true(configured, 'CI must exercise PAM: BMC_GATEWAY_TEST_PAM_USER/_PASSWORD/_SERVICE are not set (see .ci/run)');
    // Resolving (not loading: that needs the main thread) proves the package is installed.
    t.notThrows(() => createRequire(import.meta.url).resolve('authenticate-pam'),
      'CI must exercise PAM: the authenticate-pam binding is not installed (.ci/install-pam-binding.sh)');
  });

  if (configured) {
    test('PAM through the gateway: login, Basic, wrong password, unknown user; roles from a users file', async (t) => {
      // Roles for the PAM account from a users file (its hash is never used: PAM checks the password).
      const dir = await mkdtemp(join(tmpdir(), 'pam-roles-'));
      t.teardown(() => rm(dir, { recursive: true, force: true }));
      const roles = join(dir, 'roles.json');
      const unused = await hashPassword('unused', { N: 1024, r: 8, p: 1 });
      await writeFile(roles, JSON.stringify({ users: { [user]: { password: unused, role: 'priv-user' } } }));
      const client = await pamGateway(t, ['--role-source', 'users-file', '--users-file', roles]);
      const anonymous = client.as(null);
      const login = await anonymous.request('POST', '/login', { body: { username: user, password } });
      t.is(login.status, 200, login.text);
      t.is(login.json.data, `User '${user}' logged in`);
      t.is((await anonymous.get(HOST0, { headers: { 'x-auth-token': login.json.token } })).status, 200);
      const asUser = client.as({ user, password });
      t.is((await asUser.get(HOST0)).status, 200);
      t.is((await asUser.request('PUT', `${HOST0}/attr/RetryAttempts`, { body: { data: 3 } })).status, 403);
      const [wrong, unknown, tooLong] = await Promise.all([
        anonymous.request('POST', '/login', { body: { data: [user, password + 'x'] } }),
        anonymous.request('POST', '/login', { body: { data: ['no-such-user-bmcgw', password] } }),
        // Longer than the binding's buffer: refused before PAM (its prefix must not be enough).
        anonymous.request('POST', '/login', { body: { data: [user, password + 'y'.repeat(200)] } }),
      ]);
      t.deepEqual([wrong.status, unknown.status, tooLong.status], [401, 401, 401]);
    });

    test('PAM with roles from D-Bus: an account the user manager does not know has no access', async (t) => {
      const client = await pamGateway(t, ['--role-source', 'dbus']);
      t.is((await client.as({ user, password }).get(HOST0)).status, 403);
      const login = await client.as(null).request('POST', '/login', { body: { username: user, password } });
      t.is(login.status, 200, 'logging in needs no privilege');
    });
  }
}
