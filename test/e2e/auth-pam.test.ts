/**
 * Passwords through the real PAM stack, with throwaway local accounts that
 * .ci/run creates (and removes): one that may log in (BMC_GATEWAY_TEST_PAM_USER,
 * _PASSWORD), one whose password is right but whom the service's account
 * rule refuses (_REFUSED_USER, _REFUSED_PASSWORD: only pam_acct_mgmt can
 * refuse it), one whom pam_google_authenticator asks "Verification code: "
 * after the password (_MFA_USER, _MFA_PASSWORD, _MFA_SECRET), one whose
 * password has expired (_EXPIRED_USER, _EXPIRED_PASSWORD: chage -d 0), and
 * the PAM service (_SERVICE), whose password stack has pam_pwquality
 * (minlen 12) in front of pam_unix.
 *
 * In CI (CI=true, or BMC_GATEWAY_TEST_PAM_REQUIRED=1 as .ci/run sets) a
 * missing account or binding FAILS the test: a PAM backend that was never
 * exercised must not look green. Elsewhere the tests are skipped, saying why.
 *
 * The gateway runs as the real CLI in a child process, as systemd runs it;
 * the addon itself is also called directly. Each wrong password costs 2-4 s
 * (pam_faildelay), so there are few.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { startSimulatedBmc } from '../../fixtures/bmc.js';
import { connect, startPrivateBus } from '../../fixtures/dbus-daemon.js';
import { callMethod } from '../../fixtures/lib/bus-call.js';
import { USER_BUS_NAME, USER_ROOT } from '../../fixtures/services/users.js';
import { ADDON_PATH, loadPamBinding } from '../../src/auth/pam.js';
import { currentCode } from '../../src/auth/one-time-code.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { type CliProcess, startCli } from '../helpers/cli.js';
import { HttpClient } from '../helpers/http-client.js';

const env = process.env;
const user = env.BMC_GATEWAY_TEST_PAM_USER ?? '';
const password = env.BMC_GATEWAY_TEST_PAM_PASSWORD ?? '';
const refusedUser = env.BMC_GATEWAY_TEST_PAM_REFUSED_USER ?? '';
const refusedPassword = env.BMC_GATEWAY_TEST_PAM_REFUSED_PASSWORD ?? '';
const service = env.BMC_GATEWAY_TEST_PAM_SERVICE ?? '';
const mfaUser = env.BMC_GATEWAY_TEST_PAM_MFA_USER ?? '';
const mfaPassword = env.BMC_GATEWAY_TEST_PAM_MFA_PASSWORD ?? '';
const mfaSecret = env.BMC_GATEWAY_TEST_PAM_MFA_SECRET ?? '';
const expiredUser = env.BMC_GATEWAY_TEST_PAM_EXPIRED_USER ?? '';
const expiredPassword = env.BMC_GATEWAY_TEST_PAM_EXPIRED_PASSWORD ?? '';
const required = env.CI === 'true' || env.BMC_GATEWAY_TEST_PAM_REQUIRED === '1';
const configured = [user, password, refusedUser, refusedPassword, service, mfaUser, mfaPassword, mfaSecret, expiredUser, expiredPassword]
  .every((value) => value !== '');
const HOST0 = '/xyz/openbmc_project/state/host0';

/** A private bus with the simulated BMC, and the CLI gateway on it with PAM and these flags. */
async function pamGateway(t: ExecutionContext, flags: readonly string[], simUsers: readonly string[] = []): Promise<HttpClient> {
  return (await pamGatewayWithLog(t, flags, simUsers)).client;
}

/** `simUsers`: Unix accounts the simulated user manager is also to know (CreateUser), as SetPassword requires. */
async function pamGatewayWithLog(t: ExecutionContext, flags: readonly string[], simUsers: readonly string[] = []): Promise<{ client: HttpClient; cli: CliProcess }> {
  const bus = await startPrivateBus();
  t.teardown(() => bus.stop());
  const sim = await startSimulatedBmc({ busAddress: bus.address, transitionMs: 50 });
  t.teardown(() => sim.stop());
  if (simUsers.length > 0) {
    const connection = connect(bus.address);
    try {
      for (const name of simUsers) {
        await callMethod(connection, { destination: USER_BUS_NAME, objectPath: USER_ROOT, interfaceName: USER_BUS_NAME, member: 'CreateUser',
          signature: 'sassb', body: [name, ['web'], 'priv-user', true] });
      }
    } finally {
      connection.disconnect();
    }
  }
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
  return { client: new HttpClient(url, await readFile(join(dir, 'cert.pem'), 'utf8')), cli };
}

if (!configured && !required) {
  test.skip('PAM: skipped, no test account (set BMC_GATEWAY_TEST_PAM_USER/_PASSWORD/_SERVICE, as .ci/run does, to run it)', () => {});
} else {
  test('PAM: the test accounts are configured and the addon is built', (t) => {
    t.true(configured, 'CI must exercise PAM: BMC_GATEWAY_TEST_PAM_USER/_PASSWORD/_REFUSED_USER/_REFUSED_PASSWORD/_MFA_USER/_MFA_PASSWORD/'
      + '_MFA_SECRET/_EXPIRED_USER/_EXPIRED_PASSWORD/_SERVICE are not set (see .ci/run)');
    t.true(existsSync(ADDON_PATH), `CI must exercise PAM: the addon is not built at ${ADDON_PATH} (npm run build:pam)`);
  });

  if (configured) {
    /** Roles for PAM accounts from a users file (its hashes are never used: PAM checks the passwords). */
    const rolesFile = async (t: ExecutionContext, roles: Record<string, string>): Promise<string> => {
      const dir = await mkdtemp(join(tmpdir(), 'pam-roles-'));
      t.teardown(() => rm(dir, { recursive: true, force: true }));
      const unused = await hashPassword('unused', { N: 1024, r: 8, p: 1 });
      const path = join(dir, 'roles.json');
      await writeFile(path, JSON.stringify({ users: Object.fromEntries(Object.entries(roles).map(([name, role]) => [name, { password: unused, role }])) }));
      return path;
    };

    test('the addon: authenticate then acct_mgmt; the code by name and the step that refused', async (t) => {
      const binding = loadPamBinding();
      const run = (name: string, answers: Array<{ prompt: string; value: string }>) =>
        binding.transaction({ service, user: name, remoteHost: '127.0.0.1', answers, steps: ['authenticate', 'acct_mgmt'] });
      const [allowed, refused, wrong, unanswered] = await Promise.all([
        run(user, [{ prompt: 'Password', value: password }]),
        run(refusedUser, [{ prompt: 'Password', value: refusedPassword }]),
        run(user, [{ prompt: 'Password', value: `${password}-wrong` }]),
        // Only an answer for another prompt: the password prompt is not answered, and says so.
        run(user, [{ prompt: 'Verification code', value: password }]),
      ]);
      t.like(allowed, { ok: true, code: 'PAM_SUCCESS', step: null });
      t.like(refused, { ok: false, step: 'acct_mgmt' }, 'the password is right: only the account step refuses');
      t.regex(refused.code, /^PAM_(AUTH_ERR|PERM_DENIED)$/);
      t.like(wrong, { ok: false, code: 'PAM_AUTH_ERR', step: 'authenticate' });
      t.like(unanswered, { ok: false, step: 'authenticate', unansweredPrompt: 'Password: ' });
      t.deepEqual(allowed.messages, []);
      t.throws(() => binding.transaction({ service, user: 'a\u0000b', remoteHost: '', answers: [], steps: ['authenticate'] }),
        { instanceOf: TypeError, message: 'user must not contain NUL' });
    });

    test('PAM through the gateway: the account step refuses a right password of an account its rules exclude', async (t) => {
      const roles = await rolesFile(t, { [refusedUser]: 'priv-admin' });
      const { client, cli } = await pamGatewayWithLog(t, ['--role-source', 'users-file', '--users-file', roles]);
      const login = await client.as(null).request('POST', '/login', { body: { username: refusedUser, password: refusedPassword } });
      t.is(login.status, 401, login.text);
      t.is(login.json.data.description, 'Invalid username or password', 'the answer does not tell that the password was right');
      t.is((await client.as({ user: refusedUser, password: refusedPassword }).get(HOST0)).status, 401);
      t.regex(cli.stderr(), new RegExp(`the account step refused '${refusedUser}'`));
    });

    test('PAM through the gateway: SetPassword by an administrator on a Unix account the user manager does not know is 404, its password unchanged', async (t) => {
      const roles = await rolesFile(t, { [user]: 'priv-admin' });
      // `refusedUser` is a Unix account (as `daemon` or `sshd` on a BMC) with no object on the user manager.
      const client = await pamGateway(t, ['--role-source', 'users-file', '--users-file', roles]);
      const response = await client.as({ user, password }).request('POST', `/xyz/openbmc_project/user/${refusedUser}/action/SetPassword`,
        { body: { data: ['Another-l0ng-password'] } });
      t.is(response.status, 404, response.text);
      t.is(response.json.data.description, `org.freedesktop.DBus.Error.FileNotFound: path or object not found: /xyz/openbmc_project/user/${refusedUser}`);
      const still = await loadPamBinding().transaction({
        service, user: refusedUser, remoteHost: '127.0.0.1', answers: [{ prompt: 'Password', value: refusedPassword }], steps: ['authenticate'],
      });
      t.like(still, { ok: true }, 'the old password still authenticates');
    });

    test('PAM through the gateway: login, Basic, wrong password, unknown user; roles from a users file', async (t) => {
      const roles = await rolesFile(t, { [user]: 'priv-user' });
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
        // A long password whose prefix is the right one: refused.
        anonymous.request('POST', '/login', { body: { data: [user, password + 'y'.repeat(200)] } }),
      ]);
      t.deepEqual([wrong.status, unknown.status, tooLong.status], [401, 401, 401]);
    });

    test('the addon, a second question: "Verification code: " gets the code and nothing else; without one it is the unanswered prompt', async (t) => {
      const binding = loadPamBinding();
      const run = (answers: Array<{ prompt: string; value: string }>, name = mfaUser) =>
        binding.transaction({ service, user: name, remoteHost: '127.0.0.1', answers, steps: ['authenticate', 'acct_mgmt'] });
      const code = await currentCode(mfaSecret);
      const withCode = await run([{ prompt: 'Password', value: mfaPassword }, { prompt: 'Verification code', value: code }]);
      t.like(withCode, { ok: true, code: 'PAM_SUCCESS' });
      const without = await run([{ prompt: 'Password', value: mfaPassword }]);
      t.like(without, { ok: false, step: 'authenticate', unansweredPrompt: 'Verification code: ' });
      // Password answers only "Password" prompts: the code prompt never sees the password.
      const passwordTwice = await run([{ prompt: 'Password', value: mfaPassword }, { prompt: 'Verification code', value: mfaPassword }]);
      t.false(passwordTwice.ok);
      const other = await run([{ prompt: 'Password', value: password }, { prompt: 'Verification code', value: code }], user);
      t.like(other, { ok: true }, 'no secret file: no question (nullok), an unused answer is harmless');
    });

    test('PAM through the gateway: one-time codes at login (both body forms), said so when missing, Basic refused saying why', async (t) => {
      const client = await pamGateway(t, ['--role-source', 'users-file', '--users-file', await rolesFile(t, { [mfaUser]: 'priv-user' })]);
      const anonymous = client.as(null);
      const missing = await anonymous.request('POST', '/login', { body: { username: mfaUser, password: mfaPassword } });
      t.is(missing.status, 401);
      t.regex(missing.json.data.description, /^A one-time code is required for this account/);
      const basic = await client.as({ user: mfaUser, password: mfaPassword }).get(HOST0);
      t.is(basic.status, 401);
      t.regex(basic.json.data.description, /HTTP Basic authentication cannot carry one/);
      const bmcweb = await anonymous.request('POST', '/login', { body: { username: mfaUser, password: mfaPassword, token: await currentCode(mfaSecret) } });
      t.is(bmcweb.status, 200, bmcweb.text);
      t.is((await anonymous.get(HOST0, { headers: { 'x-auth-token': bmcweb.json.token } })).status, 200);
      const rest = await anonymous.request('POST', '/login', { body: { data: [mfaUser, mfaPassword, await currentCode(mfaSecret)] } });
      t.is(rest.status, 200, rest.text);
      const wrongCode = (await currentCode(mfaSecret)) === '000000' ? '111111' : '000000';
      const wrong = await anonymous.request('POST', '/login', { body: { data: [mfaUser, mfaPassword, wrongCode] } });
      t.deepEqual([wrong.status, wrong.json.data.description], [401, 'Invalid username or password']);
    });

    test('PAM through the gateway: an expired password (chage -d 0) logs in restricted; pam_pwquality\'s refusal is a 400; a new password lifts it', async (t) => {
      // The user manager knows the expired account (SetPassword changes only its accounts); `user` it does not.
      const client = await pamGateway(t, ['--role-source', 'users-file', '--users-file', await rolesFile(t, { [expiredUser]: 'priv-user', [user]: 'priv-user' })], [expiredUser]);
      const anonymous = client.as(null);
      const binding = loadPamBinding();
      const direct = await binding.transaction({
        service, user: expiredUser, remoteHost: '127.0.0.1', answers: [{ prompt: 'Password', value: expiredPassword }], steps: ['authenticate', 'acct_mgmt'],
      });
      t.like(direct, { ok: false, code: 'PAM_NEW_AUTHTOK_REQD', step: 'acct_mgmt' });
      const login = await anonymous.request('POST', '/login', { body: { data: [expiredUser, expiredPassword] } });
      t.is(login.status, 200, login.text);
      t.regex(login.json.extendedMessage, /^The password for this account must be changed\. /);
      const token = { headers: { 'x-auth-token': String(login.json.token) } };
      t.is((await anonymous.get(HOST0, token)).status, 403);
      const action = `/xyz/openbmc_project/user/${expiredUser}/action/SetPassword`;
      t.is((await anonymous.request('POST', `/xyz/openbmc_project/user/${user}/action/SetPassword`, { ...token, body: { data: ['Another-l0ng-password'] } })).status, 403);
      const short = await anonymous.request('POST', action, { ...token, body: { data: ['Sh0rt-pw'] } });
      t.is(short.status, 400);
      t.regex(short.json.data.description, /^The new password was refused: BAD PASSWORD: The password is shorter than 12 characters/);
      const newPassword = `${expiredPassword}-N3w`;
      const changed = await anonymous.request('POST', action, { ...token, body: { data: [newPassword] } });
      t.is(changed.status, 200, changed.text);
      t.is((await anonymous.get(HOST0, token)).status, 200, 'the restriction is lifted');
      const again = await anonymous.request('POST', '/login', { body: { data: [expiredUser, newPassword] } });
      t.is(again.status, 200);
      t.is(again.json.extendedMessage, undefined);
      t.is((await anonymous.request('POST', '/login', { body: { data: [expiredUser, expiredPassword] } })).status, 401);
    });

    test('PAM with roles from D-Bus: an account the user manager does not know has no access', async (t) => {
      const client = await pamGateway(t, ['--role-source', 'dbus']);
      t.is((await client.as({ user, password }).get(HOST0)).status, 403);
      const login = await client.as(null).request('POST', '/login', { body: { username: user, password } });
      t.is(login.status, 200, 'logging in needs no privilege');
    });
  }
}
