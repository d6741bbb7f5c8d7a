/**
 * Accounts the way the BMC manages them, end to end: the real gateway with
 * the users-file backend and roles from the simulated user manager, both
 * keeping account state in the same users file (as PAM and
 * phosphor-user-manager share /etc on a BMC). Each test starts its own
 * bus, BMC and gateway: they change accounts.
 *
 * - an expired password: a restricted login that says so, 403 for
 *   everything but changing it, SetPassword lifts the restriction;
 * - SetPassword: who may change whose, quality refusals, bad bodies, other
 *   sessions end, the password in no log line;
 * - one-time codes: MFA switched on, the secret key to set up first, then
 *   codes at login (both body forms), Basic refused saying why;
 * - lockout: after the policy's failures the login says locked, whatever the
 *   password; an administrator's UserLockedForFailedAttempt false unlocks.
 */
import { readFile, writeFile } from 'node:fs/promises';
import test, { type ExecutionContext } from 'ava';
import { currentCode } from '../../src/auth/one-time-code.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import type { HttpClient } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';

const USER = '/xyz/openbmc_project/user';
const HOST0 = '/xyz/openbmc_project/state/host0';
const MFA_ON = 'xyz.openbmc_project.User.MultiFactorAuthConfiguration.Type.GoogleAuthenticator';

async function harness(t: ExecutionContext): Promise<Harness> {
  const h = await startHarness({ shareUsersFile: true, flags: ['--role-source', 'dbus'] });
  t.teardown(() => h.close());
  return h;
}

/** Changes one user's entry in the users file, as `chage` or an administrator's shell would. */
async function editUser(h: Harness, user: string, edit: (entry: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(h.usersFile, 'utf8')) as { users: Record<string, Record<string, unknown>> };
  edit(json.users[user] ?? {});
  await writeFile(h.usersFile, JSON.stringify(json));
}

async function entryOf(h: Harness, user: string): Promise<Record<string, unknown>> {
  return (JSON.parse(await readFile(h.usersFile, 'utf8')) as { users: Record<string, Record<string, unknown>> }).users[user] ?? {};
}

async function login(client: HttpClient, body: unknown): Promise<{ status: number; token: string; json: any }> {
  const response = await client.as(null).request('POST', '/login', { body });
  return { status: response.status, token: String(response.json?.token ?? ''), json: response.json };
}

const withToken = (token: string) => ({ credentials: null, headers: { 'x-auth-token': token } });

test('an expired password: the login says so, only SetPassword on oneself is allowed, changing it lifts the restriction', async (t) => {
  const h = await harness(t);
  const { user, password } = TEST_USERS.operator;
  await editUser(h, user, (entry) => void (entry.passwordExpired = true));
  t.is((await h.client.get(`${USER}/${user}/attr/UserPasswordExpired`)).json.data, true, 'the user manager reads the same file');

  const first = await login(h.client, { data: [user, password] });
  t.is(first.status, 200);
  t.is(first.json.data, `User '${user}' logged in`);
  const notice = String(first.json.extendedMessage);
  t.is(notice, `The password for this account must be changed. POST {"data": ["<new password>"]} to ${USER}/${user}/action/SetPassword; `
    + 'nothing else is allowed until then.');
  const refused = await h.client.request('GET', HOST0, withToken(first.token));
  t.is(refused.status, 403);
  t.is(refused.json.data.description, notice);
  t.is((await h.clientAs(TEST_USERS.operator).get(HOST0)).json.data.description, notice, 'Basic: the same restriction');
  t.is((await h.client.request('GET', `${USER}/${user}`, withToken(first.token))).status, 200, 'its own account object may be read');
  t.is((await h.client.request('PUT', `${HOST0}/attr/RequestedHostTransition`, {
    ...withToken(first.token), body: { data: 'xyz.openbmc_project.State.Host.Transition.On' },
  })).status, 403);
  t.is((await h.client.request('POST', `${USER}/root/action/SetPassword`, { ...withToken(first.token), body: { data: ['x-n3w-pw-x'] } })).status, 403);

  const short = await h.client.request('POST', `${USER}/${user}/action/SetPassword`, { ...withToken(first.token), body: { data: ['sh0rt'] } });
  t.is(short.status, 400);
  t.is(short.json.data.description, 'The new password was refused: BAD PASSWORD: The password is shorter than 8 characters');
  const changed = await h.client.request('POST', `${USER}/${user}/action/SetPassword`, { ...withToken(first.token), body: { data: ['n3w-0perator-pw'] } });
  t.is(changed.status, 200, changed.text);
  t.deepEqual(changed.json, { data: null, message: '200 OK', status: 'ok' });
  t.is((await h.client.request('GET', HOST0, withToken(first.token))).status, 200, 'the same session, no longer restricted');
  t.is((await h.client.get(`${USER}/${user}/attr/UserPasswordExpired`)).json.data, false);
  t.is((await login(h.client, { data: [user, password] })).status, 401, 'the old password is gone');
  const again = await login(h.client, { username: user, password: 'n3w-0perator-pw' });
  t.is(again.status, 200);
  t.is(again.json.extendedMessage, undefined);
  t.is((await entryOf(h, user)).passwordExpired, undefined);

  const log = h.logLines.join('\n');
  t.false(log.includes('n3w-0perator-pw'), 'the new password is in no log line');
  t.regex(log, /verb=POST path=\/xyz\/openbmc_project\/user\/operator\/action\/SetPassword status=200 written="\{\\"xyz\.openbmc_project\.User\.Password\.SetPassword\\":\{\\"password\\":\\"<redacted>\\"\}\}"/);
});

test('SetPassword: administrators change anybody\'s (their sessions end), others only their own; bad bodies change nothing', async (t) => {
  const h = await harness(t);
  const { user, password } = TEST_USERS.readonly;
  const [a, b] = await Promise.all([login(h.client, { data: [user, password] }), login(h.client, { data: [user, password] })]);
  const before = (await entryOf(h, user)).password;
  const asReadonly = h.clientAs(TEST_USERS.readonly);
  t.is((await asReadonly.request('POST', `${USER}/root/action/SetPassword`, { body: { data: ['an0ther-pw'] } })).json.data.description,
    'Insufficient privileges');
  const bad: Array<[unknown, number]> = [
    [{ data: 'secret-in-body' }, 400], [{ data: [] }, 400], [{ data: ['secret-in-body', 'x'] }, 400], [{ data: [12345678] }, 400],
    [{ password: 'secret-in-body' }, 400], [undefined, 400],
  ];
  for (const [body, status] of bad) {
    const response = await h.client.request('POST', `${USER}/${user}/action/SetPassword`, body === undefined ? {} : { body });
    t.is(response.status, status, JSON.stringify(body));
    t.false(response.text.includes('secret-in-body'), 'the body is not repeated');
  }
  t.is((await h.client.request('POST', `${USER}/nobody_here/action/SetPassword`, { body: { data: ['g00d-enough-pw'] } })).status, 404);
  t.is((await entryOf(h, user)).password, before, 'nothing changed');
  const changed = await h.client.request('POST', `${USER}/${user}/action/setpassword`, { body: { data: ['r3set-by-admin'] } });
  t.is(changed.status, 200, 'method names match as D-Bus method names do (case-insensitive as a fallback)');
  for (const session of [a, b]) t.is((await h.client.request('GET', HOST0, withToken(session.token))).status, 401, 'opened with the old password: ended');
  t.is((await login(h.client, { data: [user, 'r3set-by-admin'] })).status, 200);
  t.false(h.logLines.join('\n').includes('r3set-by-admin'));
});

test('SetPassword: only accounts of the user manager (a name with no user object is 404, nothing changes), the same rule once created', async (t) => {
  const h = await harness(t);
  // `newbie` has an entry in the users file (a Unix account, as `daemon` is on a BMC) but no user object.
  const { user, password } = TEST_USERS.newbie;
  const before = (await entryOf(h, user)).password;
  const asReadonly = h.clientAs(TEST_USERS.readonly);
  const others = await asReadonly.request('POST', `${USER}/${user}/action/SetPassword`, { body: { data: ['g00d-enough-pw'] } });
  t.is(others.status, 403, 'a caller who may not change it learns nothing about whether it exists');
  const missing = await h.client.request('POST', `${USER}/${user}/action/SetPassword`, { body: { data: ['g00d-enough-pw'] } });
  t.is(missing.status, 404, missing.text);
  t.is(missing.json.status, 'error');
  t.is(missing.json.data.description, `org.freedesktop.DBus.Error.FileNotFound: path or object not found: ${USER}/${user}`);
  t.is((await entryOf(h, user)).password, before, 'nothing changed');
  // An object under /xyz/openbmc_project/user that is not a user (as the LDAP configuration) is not one either.
  t.is((await h.client.request('POST', `${USER}/action/SetPassword`, { body: { data: ['g00d-enough-pw'] } })).status, 404);

  const created = await h.client.request('POST', `${USER}/action/CreateUser`, { body: { data: [user, ['web'], 'priv-user', true] } });
  t.is(created.status, 200, created.text);
  const changed = await h.client.request('POST', `${USER}/${user}/action/SetPassword`, { body: { data: ['g00d-enough-pw'] } });
  t.is(changed.status, 200, changed.text);
  t.not((await entryOf(h, user)).password, before);
  t.is((await login(h.client, { data: [user, password] })).status, 401, 'the old password is gone');
});

test('one-time codes: the secret key first (a restricted session that says so), then codes at login; Basic cannot carry one', async (t) => {
  const h = await harness(t);
  const { user, password } = TEST_USERS.readonly;
  t.is((await h.client.request('PUT', `${USER}/attr/Enabled`, { body: { data: MFA_ON } })).status, 200);
  // Everybody must now set up a secret, the administrator who switched codes on included (reading its own account still works).
  t.is((await h.client.get(`${USER}/root/attr/TOTPSecretkeyRequired`)).json.data, true);

  const first = await login(h.client, { data: [user, password] });
  t.is(first.status, 200);
  t.regex(String(first.json.extendedMessage), /^A one-time code secret key must be set up for this account\. POST \{"data": \[\]\} to \/xyz\/openbmc_project\/user\/readonly\/action\/CreateSecretKey/);
  const refused = await h.client.request('GET', HOST0, withToken(first.token));
  t.is(refused.status, 403);
  t.is(refused.json.data.description, first.json.extendedMessage);
  const created = await h.client.request('POST', `${USER}/${user}/action/CreateSecretKey`, { ...withToken(first.token), body: { data: [] } });
  t.is(created.status, 200, created.text);
  const secret = String(created.json.data);
  t.regex(secret, /^[A-Z2-7]{32}$/);
  t.false(h.logLines.join('\n').includes(secret), 'the secret is in no log line');
  const wrongCode = (await currentCode(secret)) === '000000' ? '111111' : '000000';
  t.is((await h.client.request('POST', `${USER}/${user}/action/VerifyOTP`, { ...withToken(first.token), body: { data: [wrongCode] } })).json.data, false);
  const verified = await h.client.request('POST', `${USER}/${user}/action/VerifyOTP`, {
    ...withToken(first.token), body: { data: [await currentCode(secret)] },
  });
  t.is(verified.json.data, true, verified.text);
  t.is((await h.client.request('GET', HOST0, withToken(first.token))).status, 200, 'set up: the restriction is lifted');
  t.is((await entryOf(h, user)).totpSecret, secret, 'the user manager committed the secret where the password backend reads it');

  const noCode = await login(h.client, { username: user, password });
  t.is(noCode.status, 401);
  t.regex(String(noCode.json.data.description), /^A one-time code is required for this account/);
  const basic = await h.clientAs(TEST_USERS.readonly).get(HOST0);
  t.is(basic.status, 401);
  t.regex(String(basic.json.data.description), /HTTP Basic authentication cannot carry one/);
  t.is((await login(h.client, { username: user, password, token: wrongCode })).status, 401);
  t.is((await login(h.client, { username: user, password: 'wrong-pw', token: await currentCode(secret) })).json.data.description,
    'Invalid username or password');
  const bmcwebForm = await login(h.client, { username: user, password, token: await currentCode(secret) });
  t.is(bmcwebForm.status, 200);
  t.is(bmcwebForm.json.extendedMessage, undefined);
  t.is((await login(h.client, { data: [user, password, await currentCode(secret)] })).status, 200, 'phosphor-rest form, third element');
  const root = await h.client.get(HOST0);
  t.is(root.status, 403, 'root has no secret yet: no code is asked (as google-authenticator\'s nullok), the user manager restricts it');
  t.regex(String(root.json.data.description), /^A one-time code secret key must be set up for this account\. .*\/user\/root\/action\/CreateSecretKey/);
});

test('lockout: after the policy\'s failures the account says locked, whatever the password; an administrator unlocks it', async (t) => {
  const h = await harness(t);
  const { user, password } = TEST_USERS.operator;
  t.is((await h.client.get(`${USER}/attr/MaxLoginAttemptBeforeLockout`)).json.data, 3);
  const answers: string[] = [];
  for (const wrong of ['wrong-1', 'wrong-2', 'wrong-3']) answers.push(String((await login(h.client, { data: [user, wrong] })).json.data.description));
  t.deepEqual(answers.slice(0, 2), ['Invalid username or password', 'Invalid username or password']);
  const locked = 'The account is locked after too many failed login attempts: wait for it to unlock, or ask an administrator to unlock it '
    + '(UserLockedForFailedAttempt false)';
  t.is(answers[2], locked, 'the failure that locked it: the user manager says locked');
  for (const attempt of [password, 'wrong-4']) {
    const response = await login(h.client, { data: [user, attempt] });
    t.deepEqual([response.status, response.json.data.description], [401, locked], 'the same answer whatever the password');
  }
  t.is((await h.clientAs(TEST_USERS.operator).get(HOST0)).json.data.description, locked);
  t.is((await h.client.get(`${USER}/${user}/attr/UserLockedForFailedAttempt`)).json.data, true);
  t.is((await login(h.client, { data: ['readonly', TEST_USERS.readonly.password] })).status, 200, 'other accounts are not affected');
  const notAdmin = await h.clientAs(TEST_USERS.readonly).request('PUT', `${USER}/${user}/attr/UserLockedForFailedAttempt`, { body: { data: false } });
  t.is(notAdmin.status, 403);
  const unlock = await h.client.request('PUT', `${USER}/${user}/attr/UserLockedForFailedAttempt`, { body: { data: false } });
  t.is(unlock.status, 200, unlock.text);
  t.is((await h.client.get(`${USER}/${user}/attr/UserLockedForFailedAttempt`)).json.data, false);
  t.is((await login(h.client, { data: [user, password] })).status, 200);
  t.is((await entryOf(h, user)).failures, undefined);
});
