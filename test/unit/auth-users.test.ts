import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { REDACTED, auditLine, writtenValues } from '../../src/auth/audit.js';
import type { WrittenValue } from '../../src/bmc/writes.js';
import { plausiblePassword, plausibleUser } from '../../src/auth/credentials.js';
import { hashPassword, parseHash, verifyPassword } from '../../src/auth/passwords.js';
import { accountFromUserInfo } from '../../src/auth/roles.js';
import { UsersFile, UsersFileError, parseUsers } from '../../src/auth/users-file.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseLoginBody } from '../../src/http/handlers/fixed.js';
import { GatewayError } from '../../src/errors.js';

const CHEAP = { N: 1024, r: 8, p: 1 };

const attempt = (user: string, password: string, code?: string) =>
  ({ user, password, remoteAddress: '10.0.0.1', ...(code !== undefined ? { code } : {}) });

test('scrypt hashes: salted, self-describing, verified in constant time', async (t) => {
  const first = await hashPassword('0penBmc', CHEAP);
  const second = await hashPassword('0penBmc', CHEAP);
  t.not(first, second, 'a fresh salt each time');
  t.regex(first, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.true(await verifyPassword('0penBmc', first));
  t.false(await verifyPassword('0penbmc', first));
  t.false(await verifyPassword('', first));
  t.is(parseHash(first).N, 1024);
  for (const bad of ['', 'scrypt$3$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==', 'bcrypt$x', 'scrypt$1024$8$1$$']) {
    t.throws(() => parseHash(bad), undefined, bad);
  }
});

test('users file: load, verify, roles; unknown users fail like wrong passwords', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'users-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'users.json');
  await writeFile(path, JSON.stringify({ users: { root: { password: await hashPassword('pw', CHEAP), role: 'priv-admin' } } }));
  const users = await UsersFile.load(path);
  t.is(await users.verify(attempt('root', 'pw')), 'ok');
  t.is(await users.verify(attempt('root', 'wrong')), 'refused');
  t.is(await users.verify(attempt('nobody', 'pw')), 'refused');
  t.is(await users.verify(attempt('__proto__', 'pw')), 'refused');
  t.is(users.roleOf('root'), 'priv-admin');
  t.is(users.roleOf('nobody'), undefined);
  await t.throwsAsync(UsersFile.load(join(dir, 'missing.json')), { instanceOf: UsersFileError, message: /cannot read/ });
});

test('the demo users file has the documented users', async (t) => {
  const users = await UsersFile.load(new URL('../../../fixtures/demo-users.json', import.meta.url).pathname);
  for (const [user, role] of [['root', 'priv-admin'], ['operator', 'priv-operator'], ['readonly', 'priv-user']] as const) {
    t.is(await users.verify(attempt(user, '0penBmc')), 'ok', user);
    t.is(users.roleOf(user), role);
  }
});

const badFiles: Array<[unknown, RegExp]> = [
  [{}, /expected \{"users"/],
  [{ users: [] }, /must be an object/],
  [{ users: { root: 'x' } }, /user 'root'/],
  [{ users: { root: { password: 'plain', role: 'priv-admin' } } }, /user 'root': bad password hash/],
  [{ users: { root: { password: 'scrypt$1024$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==', role: 'admin' } } }, /"role" must be one of/],
];
for (const [json, message] of badFiles) {
  test(`parseUsers refuses ${JSON.stringify(json)}`, (t) => {
    t.throws(() => parseUsers(json), { message });
  });
}

test('login bodies: the three forms', (t) => {
  const expected = { user: 'root', password: '0penBmc' };
  t.deepEqual(parseLoginBody({ data: ['root', '0penBmc'] }), expected);
  t.deepEqual(parseLoginBody({ data: ['root', '0penBmc'], force: true }), expected);
  t.deepEqual(parseLoginBody({ username: 'root', password: '0penBmc' }), expected);
  t.deepEqual(parseLoginBody({ data: { username: 'root', password: '0penBmc' } }), expected);
});

test('login bodies with a one-time code: a third element, or "token"; an empty one is none', (t) => {
  const expected = { user: 'root', password: '0penBmc', code: '123456' };
  t.deepEqual(parseLoginBody({ data: ['root', '0penBmc', '123456'] }), expected);
  t.deepEqual(parseLoginBody({ username: 'root', password: '0penBmc', token: '123456' }), expected);
  t.deepEqual(parseLoginBody({ data: { username: 'root', password: '0penBmc', token: '123456' } }), expected);
  t.deepEqual(parseLoginBody({ username: 'root', password: '0penBmc', token: '' }), { user: 'root', password: '0penBmc' });
});

for (const body of [undefined, null, 'root', [], { data: ['root'] }, { data: ['root', 1] }, { data: 'root' }, { user: 'root', pass: 'x' },
  { data: ['root', 'secret-pw', 'extra', 'more'] }, { data: ['root', 'secret-pw', 123456] },
  { username: 'root', password: 'secret-pw', token: 123456 }]) {
  test(`login body ${JSON.stringify(body)} → 400 without echoing it`, (t) => {
    const error = t.throws(() => parseLoginBody(body), { instanceOf: GatewayError });
    t.is(error?.status, 400);
    t.false(error?.description.includes('secret-pw'));
  });
}

test('user names and passwords worth a backend call', (t) => {
  for (const user of ['root', 'service_user', 'ldap.user@example.com', 'machine$']) t.true(plausibleUser(user), user);
  for (const user of ['', ' root', 'a b', '-rf', 'x'.repeat(65), 'root\n', 'ro;ot']) t.false(plausibleUser(user), user);
  t.false(plausiblePassword(''));
  t.false(plausiblePassword('a\0b'));
  t.false(plausiblePassword('x'.repeat(513)));
  t.true(plausiblePassword('correct horse battery staple'));
});

const SERVED = ['web', 'redfish'];
const USER_INFO_CASES: Array<[string, unknown, string, string?]> = [
  ['operator in web', { UserPrivilege: 'priv-operator', UserEnabled: true, UserGroups: ['ipmi', 'web'] }, 'priv-operator'],
  ['admin in redfish', { UserPrivilege: 'priv-admin', UserGroups: ['redfish'] }, 'priv-admin'],
  ['disabled', { UserPrivilege: 'priv-admin', UserEnabled: false, UserGroups: ['web'] }, 'priv-noaccess', 'account disabled'],
  ['only in ipmi', { UserPrivilege: 'priv-admin', UserGroups: ['ipmi'] }, 'priv-noaccess', 'account in none of the groups web, redfish'],
  ['no groups at all', { UserPrivilege: 'priv-admin' }, 'priv-noaccess', 'account in none of the groups web, redfish'],
  ['groups not an array', { UserPrivilege: 'priv-admin', UserGroups: 'web' }, 'priv-noaccess', 'account in none of the groups web, redfish'],
  ['LDAP user without local groups', { UserPrivilege: 'priv-user', RemoteUser: true }, 'priv-user'],
  ['unknown privilege', { UserPrivilege: 'priv-root', UserGroups: ['web'] }, 'priv-noaccess', 'no privileges'],
  ['priv-noaccess', { UserPrivilege: 'priv-noaccess', UserGroups: ['web'] }, 'priv-noaccess', 'no privileges'],
  ['empty', {}, 'priv-noaccess', 'account in none of the groups web, redfish'],
  ['null', null, 'priv-noaccess', 'no account information'],
];

for (const [name, info, role, reason] of USER_INFO_CASES) {
  test(`account from GetUserInfo: ${name}`, (t) => {
    t.deepEqual(accountFromUserInfo(info, SERVED), reason === undefined ? { role } : { role, reason });
  });
}

test('account from GetUserInfo: an expired password, a secret key to set up, a lock keep the role and say so', (t) => {
  t.deepEqual(accountFromUserInfo({ UserPrivilege: 'priv-admin', UserPasswordExpired: true, UserGroups: ['web'] }, SERVED),
    { role: 'priv-admin', passwordExpired: true });
  t.deepEqual(accountFromUserInfo({ UserPrivilege: 'priv-user', TOTPSecretkeyRequired: true, UserGroups: ['web'] }, SERVED),
    { role: 'priv-user', secretKeyRequired: true });
  t.deepEqual(accountFromUserInfo({ UserPrivilege: 'priv-user', UserLockedForFailedAttempt: true, UserEnabled: false, UserGroups: ['web'] }, SERVED),
    { role: 'priv-noaccess', reason: 'account disabled', locked: true });
  t.deepEqual(accountFromUserInfo({ UserPrivilege: 'priv-user', UserPasswordExpired: 1, TOTPSecretkeyRequired: 'yes', UserGroups: ['web'] }, SERVED),
    { role: 'priv-user' }, 'only true is true');
});

test('account from GetUserInfo: other served groups', (t) => {
  t.is(accountFromUserInfo({ UserPrivilege: 'priv-user', UserGroups: ['ipmi'] }, ['ipmi']).role, 'priv-user');
  t.is(accountFromUserInfo({ UserPrivilege: 'priv-user', UserGroups: ['web'] }, ['ipmi']).role, 'priv-noaccess');
});

test('audit lines: the fields, quoted when a client chose odd characters', (t) => {
  const time = new Date('2026-01-02T03:04:05.000Z');
  t.is(auditLine({ user: 'root', address: '10.0.0.5', method: 'PUT', path: '/xyz/a/attr/B', status: 200 }, time),
    'audit time=2026-01-02T03:04:05.000Z user=root address=10.0.0.5 verb=PUT path=/xyz/a/attr/B status=200');
  t.is(auditLine({ address: '::1', method: 'POST', path: '/login', status: 401 }, time),
    'audit time=2026-01-02T03:04:05.000Z user=- address=::1 verb=POST path=/login status=401');
  const forged = auditLine({ user: 'x status=200 user=root', address: 'a', method: 'POST', path: '/login', status: 401 }, time);
  t.true(forged.includes('user="x status=200 user=root"'));
});

const WRITTEN_CASES: Array<[string, WrittenValue, Record<string, unknown>]> = [
  ['a plain property', { interfaceName: 'xyz.openbmc_project.State.Host', member: 'RequestedHostTransition', value: 'On' },
    { 'xyz.openbmc_project.State.Host.RequestedHostTransition': 'On' }],
  ['a password property', { interfaceName: 'xyz.openbmc_project.User.Ldap.Config', member: 'LDAPBindDNPassword', value: 's3cret' },
    { 'xyz.openbmc_project.User.Ldap.Config.LDAPBindDNPassword': REDACTED }],
  ['a token property', { interfaceName: 'x.y.Z', member: 'AuthToken', value: 'abc' }, { 'x.y.Z.AuthToken': REDACTED }],
  ['a private key', { interfaceName: 'x.y.Z', member: 'PrivateKey', value: 'pem' }, { 'x.y.Z.PrivateKey': REDACTED }],
  ['user-visible attributes stay', { interfaceName: 'xyz.openbmc_project.User.Attributes', member: 'UserEnabled', value: false },
    { 'xyz.openbmc_project.User.Attributes.UserEnabled': false }],
  ['a plain call', { interfaceName: 'xyz.openbmc_project.Logging.Create', member: 'Create',
    args: [{ name: 'Message', value: 'm' }, { name: 'Severity', value: 's' }] },
  { 'xyz.openbmc_project.Logging.Create.Create': { Message: 'm', Severity: 's' } }],
  ['a call with a password argument', { interfaceName: 'x.y.Z', member: 'Connect',
    args: [{ name: 'host', value: 'h' }, { name: 'password', value: 'p' }] }, { 'x.y.Z.Connect': { host: 'h', password: REDACTED } }],
  ['user management: every argument', { interfaceName: 'xyz.openbmc_project.User.Manager', member: 'CreateUser',
    args: [{ name: 'userName', value: 'bob' }, { name: 'groupNames', value: ['web'] }] },
  { 'xyz.openbmc_project.User.Manager.CreateUser': { userName: REDACTED, groupNames: REDACTED } }],
  ['a method named like a secret: every argument, unnamed ones too', { interfaceName: 'x.y.Z', member: 'SetPassword',
    args: [{ name: '', value: 'p' }] }, { 'x.y.Z.SetPassword': { arg1: REDACTED } }],
];
for (const [name, written, expected] of WRITTEN_CASES) {
  test(`audit values written: ${name}`, (t) => {
    t.deepEqual(writtenValues([written]), expected);
  });
}

test('audit lines: the values written, JSON-quoted and cut', (t) => {
  const time = new Date('2026-01-02T03:04:05.000Z');
  const line = auditLine({ user: 'root', address: '::1', method: 'PUT', path: '/x/attr/Y', status: 200,
    written: [{ interfaceName: 'a.B', member: 'Y', value: 'v w' }] }, time);
  t.true(line.endsWith(' status=200 written="{\\"a.B.Y\\":\\"v w\\"}"'), line);
  const long = auditLine({ address: '::1', method: 'PUT', path: '/x', status: 200,
    written: [{ interfaceName: 'a.B', member: 'Y', value: 'z'.repeat(5000) }] }, time);
  t.true(long.length < 1200);
  t.false(/\n/.test(long));
});

test('auth options: defaults and validation', (t) => {
  const { config } = loadConfig([], {});
  t.is(config.authBackend, 'pam');
  t.is(config.pamService, 'webserver');
  t.is(config.roleSource, 'auto');
  t.is(config.policyFile, '');
  t.deepEqual(config.corsOrigins, []);
  t.is(config.sessionIdleTimeoutMs, 1_800_000);
  const custom = loadConfig(['--cors-origins', 'https://ui.example, http://localhost:3000'], {}).config;
  t.deepEqual(custom.corsOrigins, ['https://ui.example', 'http://localhost:3000']);
  for (const argv of [['--auth-backend', 'ldap'], ['--cors-origins', '*'], ['--cors-origins', 'https://a.example/path'],
    ['--pam-service', '../shadow'], ['--role-source', 'file'], ['--max-sessions', '0']]) {
    t.throws(() => loadConfig(argv, {}), { instanceOf: ConfigError }, argv.join(' '));
  }
});
