/**
 * The PAM checker's reading of the addon's results (the addon itself runs
 * against real PAM in test/e2e/auth-pam.test.ts): which codes refuse a
 * login, which mean a broken setup (thrown: the guard answers 503), what is
 * logged, and what never reaches PAM.
 */
import test from 'ava';
import { type PamResult, type PamTransaction, PamChecker, loadPamBinding } from '../../src/auth/pam.js';

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
  t.true(await pam.verify('root', 'pw', '10.0.0.1'));
  t.deepEqual(calls, [{
    service: 'webserver', user: 'root', remoteHost: '10.0.0.1',
    answers: [{ prompt: 'Password', value: 'pw' }], steps: ['authenticate', 'acct_mgmt'],
  }]);
});

const REFUSED = ['PAM_AUTH_ERR', 'PAM_USER_UNKNOWN', 'PAM_MAXTRIES', 'PAM_PERM_DENIED', 'PAM_ACCT_EXPIRED',
  'PAM_NEW_AUTHTOK_REQD', 'PAM_AUTHTOK_EXPIRED', 'PAM_CONV_ERR', 'PAM_AUTHTOK_ERR', 'PAM_AUTHINFO_UNAVAIL', 'PAM_CRED_INSUFFICIENT'];
for (const code of REFUSED) {
  test(`${code}: the login is refused`, async (t) => {
    t.false(await checker({ code }).pam.verify('root', 'pw', '10.0.0.1'));
  });
}

for (const code of ['PAM_SYSTEM_ERR', 'PAM_BUF_ERR', 'PAM_ABORT', 'PAM_SERVICE_ERR', 'PAM_OPEN_ERR']) {
  test(`${code}: a broken setup, thrown`, async (t) => {
    await t.throwsAsync(checker({ code, step: 'start', message: 'Critical error' }).pam.verify('root', 'pw', '10.0.0.1'),
      { message: `PAM service 'webserver': start answered ${code} (Critical error)` });
  });
}

test('the account step\'s refusal and an unanswered prompt are logged', async (t) => {
  const refused = checker({ code: 'PAM_PERM_DENIED', step: 'acct_mgmt', message: 'Permission denied' });
  t.false(await refused.pam.verify('alice', 'pw', '10.0.0.1'));
  t.deepEqual(refused.log, ["PAM service 'webserver': the account step refused 'alice' (PAM_PERM_DENIED: Permission denied)"]);
  const prompt = checker({ code: 'PAM_CONV_ERR', unansweredPrompt: 'Verification code: ' });
  t.false(await prompt.pam.verify('alice', 'pw', '10.0.0.1'));
  t.deepEqual(prompt.log, ["PAM service 'webserver' asked 'Verification code:' for 'alice', which the gateway does not answer: refused"]);
});

test('a password longer than PAM takes never reaches PAM', async (t) => {
  const { pam, calls } = checker({ ok: true, code: 'PAM_SUCCESS', step: null });
  t.false(await pam.verify('root', 'é'.repeat(256), '10.0.0.1'));
  t.deepEqual(calls, []);
});

test('a missing addon: the message says how to build it and what else works', (t) => {
  t.throws(() => loadPamBinding('/no/such/pam_binding.node'), {
    message: /needs the gateway's PAM addon \(\/no\/such\/pam_binding\.node\), which is not built .*npm run build:pam, or choose --auth-backend users-file/,
  });
});
