/**
 * The PAM checker's reading of the addon's results (the addon itself runs
 * against real PAM in test/e2e/auth-pam.test.ts): which codes refuse a
 * login, which mean an expired password, a missing one-time code or a locked
 * account, which mean a broken setup (thrown: the guard answers 503), what
 * is logged, what never reaches PAM, and how a password change reads
 * pam_chauthtok's answers.
 */
import test from 'ava';
import { type PamResult, type PamTransaction, PamChecker, loadPamBinding } from '../../src/auth/pam.js';
import { GatewayError } from '../../src/errors.js';

const attempt = (password = 'pw', code?: string) =>
  ({ user: 'root', password, remoteAddress: '10.0.0.1', ...(code !== undefined ? { code } : {}) });

function checker(result: Partial<PamResult>): { pam: PamChecker; calls: PamTransaction[]; log: string[] } {
  const calls: PamTransaction[] = [];
  const log: string[] = [];
  const binding = {
    transaction: (options: PamTransaction) => {
      calls.push(options);
      return Promise.resolve({ ok: false, code: 'PAM_AUTH_ERR', step: 'authenticate', message: 'x', messages: [], ...result });
    },
  };
  return { pam: new PamChecker(binding, 'webserver', (line) => log.push(line)), calls, log };
}

test('a transaction: the service, the user, the address, the password for "Password" prompts only, both steps', async (t) => {
  const { pam, calls } = checker({ ok: true, code: 'PAM_SUCCESS', step: null });
  t.is(await pam.verify(attempt()), 'ok');
  t.deepEqual(calls, [{
    service: 'webserver', user: 'root', remoteHost: '10.0.0.1',
    answers: [{ prompt: 'Password', value: 'pw' }], steps: ['authenticate', 'acct_mgmt'],
  }]);
});

test('a one-time code goes to "Verification code" prompts only, as bmcweb answers google-authenticator', async (t) => {
  const { pam, calls } = checker({ ok: true, code: 'PAM_SUCCESS', step: null });
  t.is(await pam.verify(attempt('pw', '123456')), 'ok');
  t.deepEqual(calls[0]?.answers, [{ prompt: 'Password', value: 'pw' }, { prompt: 'Verification code', value: '123456' }]);
});

test('PAM_NEW_AUTHTOK_REQD from the account step: the password is right and has expired', async (t) => {
  t.is(await checker({ code: 'PAM_NEW_AUTHTOK_REQD', step: 'acct_mgmt' }).pam.verify(attempt()), 'password-expired');
});

test('an unanswered "Verification code" prompt without a code: a code is required; with one, any other prompt refuses', async (t) => {
  const missing = checker({ code: 'PAM_CONV_ERR', unansweredPrompt: 'Verification code: ' });
  t.is(await missing.pam.verify(attempt()), 'code-required');
  t.deepEqual(missing.log, [], 'not a setup problem');
  const other = checker({ code: 'PAM_CONV_ERR', unansweredPrompt: 'One-time password (OATH) for `root\': ' });
  t.is(await other.pam.verify(attempt()), 'refused');
  const withCode = checker({ code: 'PAM_AUTH_ERR', unansweredPrompt: 'Verification code: ' });
  t.is(await withCode.pam.verify(attempt('pw', '123456')), 'refused', 'a code was given: the prompt text is not the point');
});

test('pam_faillock\'s and pam_tally2\'s messages: the account is locked, whatever the password', async (t) => {
  for (const text of ['The account is locked due to 3 failed logins.', 'Account locked due to 4 failed logins', 'Account temporarily locked']) {
    const { pam } = checker({ code: 'PAM_AUTH_ERR', messages: [{ style: 'error', text }, { style: 'info', text: '(5 minutes left to unlock)' }] });
    t.is(await pam.verify(attempt()), 'locked', text);
  }
  t.is(await checker({ code: 'PAM_AUTH_ERR', messages: [{ style: 'error', text: 'Authentication failure' }] }).pam.verify(attempt()), 'refused');
});

const REFUSED = ['PAM_AUTH_ERR', 'PAM_USER_UNKNOWN', 'PAM_MAXTRIES', 'PAM_PERM_DENIED', 'PAM_ACCT_EXPIRED',
  'PAM_AUTHTOK_EXPIRED', 'PAM_CONV_ERR', 'PAM_AUTHTOK_ERR', 'PAM_AUTHINFO_UNAVAIL', 'PAM_CRED_INSUFFICIENT'];
for (const code of REFUSED) {
  test(`${code}: the login is refused`, async (t) => {
    t.is(await checker({ code }).pam.verify(attempt()), 'refused');
  });
}

for (const code of ['PAM_SYSTEM_ERR', 'PAM_BUF_ERR', 'PAM_ABORT', 'PAM_SERVICE_ERR', 'PAM_OPEN_ERR']) {
  test(`${code}: a broken setup, thrown`, async (t) => {
    await t.throwsAsync(checker({ code, step: 'start', message: 'Critical error' }).pam.verify(attempt()),
      { message: `PAM service 'webserver': start answered ${code} (Critical error)` });
  });
}

test('the account step\'s refusal and an unanswered prompt are logged', async (t) => {
  const refused = checker({ code: 'PAM_PERM_DENIED', step: 'acct_mgmt', message: 'Permission denied' });
  t.is(await refused.pam.verify({ ...attempt(), user: 'alice' }), 'refused');
  t.deepEqual(refused.log, ["PAM service 'webserver': the account step refused 'alice' (PAM_PERM_DENIED: Permission denied)"]);
  const prompt = checker({ code: 'PAM_CONV_ERR', unansweredPrompt: 'Enter PIN: ' });
  t.is(await prompt.pam.verify({ ...attempt(), user: 'alice' }), 'refused');
  t.deepEqual(prompt.log, ["PAM service 'webserver' asked 'Enter PIN:' for 'alice', which the gateway does not answer: refused"]);
});

test('a password longer than PAM takes never reaches PAM', async (t) => {
  const { pam, calls } = checker({ ok: true, code: 'PAM_SUCCESS', step: null });
  t.is(await pam.verify(attempt('é'.repeat(256))), 'refused');
  t.deepEqual(calls, []);
  await t.throwsAsync(pam.changePassword('root', 'é'.repeat(256), '10.0.0.1'), { instanceOf: GatewayError, message: /longer than PAM takes/ });
  t.deepEqual(calls, []);
});

test('a password change: chauthtok alone, the new password to the new-password prompts only', async (t) => {
  const { pam, calls } = checker({ ok: true, code: 'PAM_SUCCESS', step: null });
  await pam.changePassword('alice', 'n3w-Passw0rd', '10.0.0.1');
  t.deepEqual(calls, [{
    service: 'webserver', user: 'alice', remoteHost: '10.0.0.1', steps: ['chauthtok'],
    answers: [{ prompt: 'New ', value: 'n3w-Passw0rd' }, { prompt: 'Retype new ', value: 'n3w-Passw0rd' }, { prompt: 'Enter new ', value: 'n3w-Passw0rd' }],
  }]);
});

test('a password change refused by a quality module: 400 with its reasons; unknown user 404; a prompt not answered or a broken setup: thrown', async (t) => {
  const quality = checker({
    code: 'PAM_AUTHTOK_ERR', step: 'chauthtok', message: 'Authentication token manipulation error',
    messages: [{ style: 'error', text: 'BAD PASSWORD: The password is shorter than 12 characters' }, { style: 'info', text: 'ignored' }],
  });
  const error = await t.throwsAsync(quality.pam.changePassword('alice', 'short', '10.0.0.1'), { instanceOf: GatewayError });
  t.is(error?.status, 400);
  t.is(error?.description, 'The new password was refused: BAD PASSWORD: The password is shorter than 12 characters');
  const bare = await t.throwsAsync(checker({ code: 'PAM_MAXTRIES', step: 'chauthtok', message: 'Have exhausted maximum number of retries for service' })
    .pam.changePassword('alice', 'x', '10.0.0.1'), { instanceOf: GatewayError });
  t.is(bare?.description, 'The new password was refused: Have exhausted maximum number of retries for service');
  const unknown = await t.throwsAsync(checker({ code: 'PAM_USER_UNKNOWN', step: 'chauthtok' }).pam.changePassword('bob', 'x', '10.0.0.1'),
    { instanceOf: GatewayError });
  t.is(unknown?.status, 404);
  await t.throwsAsync(checker({ code: 'PAM_CONV_ERR', step: 'chauthtok', unansweredPrompt: 'Current password: ' })
    .pam.changePassword('alice', 'x', '10.0.0.1'), { message: /asked 'Current password:' while changing the password of 'alice'/ });
  await t.throwsAsync(checker({ code: 'PAM_SYSTEM_ERR', step: 'chauthtok' }).pam.changePassword('alice', 'x', '10.0.0.1'),
    { message: /chauthtok answered PAM_SYSTEM_ERR/ });
});

test('a missing addon: the message says how to build it and what else works', (t) => {
  t.throws(() => loadPamBinding('/no/such/pam_binding.node'), {
    message: /needs the gateway's PAM addon \(\/no\/such\/pam_binding\.node\), which is not built .*npm run build:pam, or choose --auth-backend users-file/,
  });
});
