/**
 * The users-file backend's account state, as a BMC keeps it around its
 * passwords: an expired password, a one-time code secret (RFC 6238, checked
 * with otpauth), pam_faillock's lockout with its policy, and password
 * changes (atomic rewrite, mode 0600, minimum length, what is kept); and
 * faillock's rule itself as a table.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { isLocked, withFailure } from '../../src/auth/faillock.js';
import { codeMatches, currentCode, newSecret } from '../../src/auth/one-time-code.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { UsersFile, parseUsersFile } from '../../src/auth/users-file.js';
import { GatewayError } from '../../src/errors.js';

const CHEAP = { N: 1024, r: 8, p: 1 };
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const attempt = (user: string, password: string, code?: string) =>
  ({ user, password, remoteAddress: '10.0.0.1', ...(code !== undefined ? { code } : {}) });

async function usersFile(t: ExecutionContext, json: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'accounts-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'users.json');
  await writeFile(path, JSON.stringify(json), { mode: 0o600 });
  return path;
}

async function entry(password: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return { password: await hashPassword(password, CHEAP), role: 'priv-admin', ...extra };
}

test('faillock: locked at deny failures within the interval, until unlock_time after the last; deny 0 never', (t) => {
  const policy = { maxLoginAttemptBeforeLockout: 3, accountUnlockTimeout: 300 };
  const at = 1_000_000_000;
  const cases: Array<[string, number[], typeof policy, number, boolean]> = [
    ['none', [], policy, at, false],
    ['two', [at - 2000, at - 1000], policy, at, false],
    ['three', [at - 3000, at - 2000, at - 1000], policy, at, true],
    ['three, unlock time passed', [at - 3000, at - 2000, at - 1000], policy, at + 300_000, false],
    ['three, just before', [at - 3000, at - 2000, at - 1000], policy, at - 1000 + 299_999, true],
    ['three spread over more than 15 min', [at - 1_000_000, at - 2000, at - 1000], policy, at, false],
    ['deny 0', [at - 3000, at - 2000, at - 1000], { ...policy, maxLoginAttemptBeforeLockout: 0 }, at, false],
    ['unlock 0: until reset', [at - 3000, at - 2000, at - 1000], { ...policy, accountUnlockTimeout: 0 }, at + 86_400_000, true],
  ];
  for (const [name, failures, p, now, locked] of cases) t.is(isLocked(failures, p, now), locked, name);
  t.deepEqual(withFailure([at - 2_000_000, at - 10], at), [at - 10, at], 'what no longer counts is dropped');
  t.is(withFailure(Array.from({ length: 100 }, (_, i) => at - i), at).length, 64, 'bounded');
});

test('one-time codes: RFC 6238 with one step of drift either way; new secrets are base32', async (t) => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const code = await currentCode(SECRET, now);
  t.regex(code, /^\d{6}$/);
  t.true(await codeMatches(SECRET, code, now));
  t.true(await codeMatches(SECRET, code, now + 30_000), 'one step later');
  t.false(await codeMatches(SECRET, code, now + 90_000), 'three steps later');
  t.false(await codeMatches(SECRET, code === '000000' ? '111111' : '000000', now));
  // RFC 6238 appendix B's SHA-1 vector (8 digits there; the same counter's last 6 here).
  t.is(await currentCode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59_000), '287082');
  t.regex(await newSecret(), /^[A-Z2-7]{32}$/);
});

test('an expired password: the right one is let in as password-expired, the wrong one refused', async (t) => {
  const path = await usersFile(t, { users: { root: await entry('pw', { passwordExpired: true }) } });
  const users = await UsersFile.load(path);
  t.is(await users.verify(attempt('root', 'pw')), 'password-expired');
  t.is(await users.verify(attempt('root', 'nope')), 'refused');
});

test('a code secret: no code → code required (whatever the password), the right code → ok, a wrong one → refused', async (t) => {
  const now = Date.now();
  const path = await usersFile(t, { users: { root: await entry('pw', { totpSecret: SECRET }) } });
  const users = await UsersFile.load(path, () => now);
  const code = await currentCode(SECRET, now);
  t.is(await users.verify(attempt('root', 'pw')), 'code-required');
  t.is(await users.verify(attempt('root', 'nope')), 'code-required');
  t.is(await users.verify(attempt('root', 'pw', code)), 'ok');
  t.is(await users.verify(attempt('root', 'nope', code)), 'refused');
  t.is(await users.verify(attempt('root', 'pw', code === '123456' ? '654321' : '123456')), 'refused');
});

test('lockout: failures are recorded in the file; locked means refused whatever the password; reset by a success or by clearing the tally', async (t) => {
  let now = 1_800_000_000_000;
  const path = await usersFile(t, {
    accountPolicy: { maxLoginAttemptBeforeLockout: 2, accountUnlockTimeout: 60 },
    users: { root: await entry('pw'), other: await entry('other-pw') },
  });
  const users = await UsersFile.load(path, () => now);
  t.is(await users.verify(attempt('root', 'x')), 'refused');
  t.is(await users.verify(attempt('root', 'pw')), 'ok', 'one failure: not locked; the success clears it');
  t.is(JSON.parse(await readFile(path, 'utf8')).users.root.failures, undefined);
  t.is(await users.verify(attempt('root', 'x')), 'refused');
  t.is(await users.verify(attempt('root', 'y')), 'refused');
  t.deepEqual(JSON.parse(await readFile(path, 'utf8')).users.root.failures, [now, now]);
  t.is(await users.verify(attempt('root', 'pw')), 'locked', 'the right password too');
  t.is(await users.verify(attempt('root', 'z')), 'locked');
  t.is(JSON.parse(await readFile(path, 'utf8')).users.root.failures.length, 2, 'attempts while locked are not counted');
  t.is(await users.verify(attempt('other', 'other-pw')), 'ok', 'other accounts are not affected');
  now += 60_000;
  t.is(await users.verify(attempt('root', 'pw')), 'ok', 'unlocked after accountUnlockTimeout');
  // An administrator's reset (the simulated user manager clears the tally in the file).
  await users.verify(attempt('root', 'x'));
  await users.verify(attempt('root', 'x'));
  t.is(await users.verify(attempt('root', 'pw')), 'locked');
  const json = JSON.parse(await readFile(path, 'utf8'));
  delete json.users.root.failures;
  await writeFile(path, JSON.stringify(json));
  t.is(await users.verify(attempt('root', 'pw')), 'ok');
  t.is((await stat(path)).mode & 0o777, 0o600);
});

test('no account policy: failures are not even recorded', async (t) => {
  const path = await usersFile(t, { users: { root: await entry('pw') } });
  const users = await UsersFile.load(path);
  for (let i = 0; i < 5; i++) t.is(await users.verify(attempt('root', 'x')), 'refused');
  t.is(await users.verify(attempt('root', 'pw')), 'ok');
  t.is(JSON.parse(await readFile(path, 'utf8')).users.root.failures, undefined);
});

test('changePassword: a new hash, expiry and failures cleared, everything else kept, mode 0600; refusals', async (t) => {
  const path = await usersFile(t, {
    accountPolicy: { maxLoginAttemptBeforeLockout: 3, accountUnlockTimeout: 60, minPasswordLength: 8 },
    comment: 'kept',
    users: { root: await entry('old-password', { passwordExpired: true, totpSecret: SECRET, failures: [1] }), other: await entry('x') },
  });
  await chmod(path, 0o644);
  const users = await UsersFile.load(path);
  await users.changePassword('root', 'new-password');
  const json = JSON.parse(await readFile(path, 'utf8'));
  t.is(json.comment, 'kept');
  t.deepEqual(Object.keys(json.users.root).sort(), ['password', 'role', 'totpSecret']);
  t.regex(json.users.root.password, /^scrypt\$1024\$8\$1\$/, 'the entry\'s own scrypt parameters');
  t.false((await readFile(path, 'utf8')).includes('new-password'));
  t.is((await stat(path)).mode & 0o777, 0o600);
  t.deepEqual(parseUsersFile(json).users.get('other'), parseUsersFile(json).users.get('other'));
  const refused = await t.throwsAsync(users.changePassword('root', 'short'), { instanceOf: GatewayError });
  t.deepEqual([refused?.status, refused?.description], [400, 'The new password was refused: BAD PASSWORD: The password is shorter than 8 characters']);
  const unknown = await t.throwsAsync(users.changePassword('nobody', 'long enough'), { instanceOf: GatewayError });
  t.is(unknown?.status, 404);
  t.is((await t.throwsAsync(users.changePassword('root', 'a\u0000bcdefghi'), { instanceOf: GatewayError }))?.status, 400);
  const now = Date.now();
  t.is(await UsersFile.load(path, () => now).then(async (u) => u.verify(attempt('root', 'new-password', await currentCode(SECRET, now)))), 'ok');
});

test('changePassword on a file its process cannot write: 403 saying so, the file unchanged', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'accounts-ro-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const locked = join(dir, 'etc');
  await mkdir(locked);
  const path = join(locked, 'users.json');
  const before = JSON.stringify({ users: { nobody: await entry('old-password') } });
  await writeFile(path, before);
  await chmod(path, 0o444);
  await chmod(locked, 0o555);
  await chmod(dir, 0o755);
  t.teardown(() => chmod(locked, 0o755));
  // Root writes anywhere: the check runs as `nobody` in a child process then.
  const module = new URL('../../src/auth/users-file.js', import.meta.url).href;
  const script = `import { UsersFile } from ${JSON.stringify(module)};
    const users = await UsersFile.load(${JSON.stringify(path)});
    try { await users.changePassword('nobody', 'new-password'); console.log('changed'); }
    catch (err) { console.log(JSON.stringify([err.status, err.description])); }`;
  const asRoot = process.getuid?.() === 0;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8', ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  t.is(run.status, 0, run.stderr);
  const [status, description] = JSON.parse(run.stdout) as [number, string];
  t.is(status, 403);
  t.regex(description, /^The users file .*users\.json cannot be written \(EACCES\): passwords cannot be changed here$/);
  t.is(await readFile(path, 'utf8'), before);
});

const badFiles: Array<[unknown, RegExp]> = [
  [{ users: { root: { password: 'scrypt$1024$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==', role: 'priv-admin', totpSecret: 'short' } } }, /"totpSecret" must be a base32 secret/],
  [{ users: { root: { password: 'scrypt$1024$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==', role: 'priv-admin', passwordExpired: 'yes' } } }, /"passwordExpired" must be true or false/],
  [{ users: { root: { password: 'scrypt$1024$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==', role: 'priv-admin', failures: ['x'] } } }, /"failures" must be an array of times/],
  [{ accountPolicy: { maxLoginAttemptBeforeLockout: -1 }, users: {} }, /"accountPolicy.maxLoginAttemptBeforeLockout" must be an integer from 0 to 65535/],
  [{ accountPolicy: [], users: {} }, /"accountPolicy" must be an object/],
];
for (const [json, message] of badFiles) {
  test(`users file refused: ${message.source}`, (t) => {
    t.throws(() => parseUsersFile(json), { message });
  });
}
