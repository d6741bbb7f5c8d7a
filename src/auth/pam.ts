/**
 * The PAM backend, through the gateway's own optional Node-API addon
 * (native/pam/pam_binding.c, built by `npm install` where the PAM headers
 * exist). Each check is one PAM transaction on libuv's thread pool, as
 * bmcweb runs it: pam_start(service, user), PAM_RHOST, pam_authenticate,
 * pam_acct_mgmt, pam_end, so the service file's account rules (group
 * membership, pam_localuser, expiry, pam_access) decide who may log in.
 *
 * The conversation answers prompts by their text, as bmcweb's does: the
 * password goes to a prompt starting with "Password", the client's one-time
 * code (if it sent one) to "Verification code" (google-authenticator-libpam,
 * OpenBMC's MFA module), and any other prompt fails the login and is logged,
 * never answered with the password. A password change (SetPassword) is
 * pam_chauthtok, answering only the new-password prompts. The result names
 * PAM's return code and the step that gave it, which tells an expired
 * password (PAM_NEW_AUTHTOK_REQD), a missing code and a locked account
 * (pam_faillock's message) from a wrong password.
 *
 * The process must be root (or in the `shadow` group) to check other
 * users' passwords. A failure takes 2-4 s (pam_faildelay, pam_unix) and
 * holds a thread-pool thread that long: the guard runs at most two checks
 * at once (check-queue.ts).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { GatewayError } from '../errors.js';
import type { CheckResult, CredentialChecker, LoginAttempt } from './credentials.js';

/** What the addon does: one transaction. */
export interface PamTransaction {
  readonly service: string;
  readonly user: string;
  readonly remoteHost: string;
  /** A prompt starting with `prompt` gets `value`; any other prompt fails the conversation. */
  readonly answers: ReadonlyArray<{ readonly prompt: string; readonly value: string }>;
  readonly steps: ReadonlyArray<'authenticate' | 'acct_mgmt' | 'chauthtok'>;
}

export interface PamResult {
  readonly ok: boolean;
  /** PAM's return code by name: `PAM_SUCCESS`, `PAM_AUTH_ERR`, `PAM_NEW_AUTHTOK_REQD`, ... */
  readonly code: string;
  /** Which step returned it: `start`, `authenticate`, `acct_mgmt`, `chauthtok`; null on success. */
  readonly step: string | null;
  /** pam_strerror's text. */
  readonly message: string;
  /** The first prompt the conversation had no answer for. */
  readonly unansweredPrompt?: string;
  /** Error and info messages the modules sent (a password quality module's reasons). */
  readonly messages: ReadonlyArray<{ readonly style: 'error' | 'info'; readonly text: string }>;
}

export interface PamBinding {
  transaction(options: PamTransaction): Promise<PamResult>;
}

/** Where `npm install` builds the addon, from build/src/auth/ (the package root is three up). */
export const ADDON_PATH = fileURLToPath(new URL('../../../native/pam/build/Release/pam_binding.node', import.meta.url));

/** Loads the addon; throws a message saying how to build it when it is missing. */
export function loadPamBinding(path = ADDON_PATH): PamBinding {
  try {
    const binding = createRequire(import.meta.url)(path) as PamBinding;
    if (typeof binding.transaction !== 'function') throw new Error('no transaction() export');
    return binding;
  } catch (err) {
    throw new Error(`the PAM backend needs the gateway's PAM addon (${path}), which is not built `
      + `(${(err as Error).message.split('\n')[0]}); install the PAM headers (libpam0g-dev) and run npm run build:pam, `
      + 'or choose --auth-backend users-file');
  }
}

/** Return codes that mean "this login is refused"; any other failure is a broken setup. */
const REFUSALS: ReadonlySet<string> = new Set([
  'PAM_AUTH_ERR', 'PAM_USER_UNKNOWN', 'PAM_MAXTRIES', 'PAM_CRED_INSUFFICIENT', 'PAM_AUTHINFO_UNAVAIL',
  'PAM_PERM_DENIED', 'PAM_ACCT_EXPIRED', 'PAM_AUTHTOK_EXPIRED',
  // A prompt the conversation could not answer (pam_unix reports it as an authentication token error).
  'PAM_CONV_ERR', 'PAM_AUTHTOK_ERR',
]);

/** Return codes of pam_chauthtok that mean "this new password is refused" (quality, history). */
const PASSWORD_REFUSALS: ReadonlySet<string> = new Set([
  'PAM_AUTHTOK_ERR', 'PAM_MAXTRIES', 'PAM_AUTHTOK_RECOVERY_ERR', 'PAM_PERM_DENIED', 'PAM_AUTH_ERR',
]);

/** PAM_MAX_RESP_SIZE is 512 with its terminator: longer answers never reach PAM. */
const MAX_ANSWER_BYTES = 511;

/**
 * The one-time code's prompt: google-authenticator-libpam's "Verification code: ", which
 * OpenBMC's MFA stack uses and bmcweb answers with the client's token.
 */
export const CODE_PROMPT = 'Verification code';

/** pam_chauthtok's prompts for the new password (pam_unix, pam_pwquality, pam_cracklib). */
const NEW_PASSWORD_PROMPTS = ['New ', 'Retype new ', 'Enter new '];

/** pam_faillock's "The account is locked due to 3 failed logins." and pam_tally2's "Account locked due to ...". */
const LOCKED_MESSAGE = /\baccount (is )?(temporarily )?locked\b/i;

export class PamChecker implements CredentialChecker {
  readonly description: string;
  readonly #binding: PamBinding;
  readonly #service: string;
  readonly #log: (message: string) => void;

  constructor(binding: PamBinding, service: string, log: (message: string) => void) {
    this.#binding = binding;
    this.#service = service;
    this.#log = log;
    this.description = `pam:${service}`;
  }

  /** authenticate + acct_mgmt; the password to "Password" prompts, the code (if any) to "Verification code" ones. */
  async verify({ user, password, code, remoteAddress }: LoginAttempt): Promise<CheckResult> {
    if (Buffer.byteLength(password, 'utf8') > MAX_ANSWER_BYTES) return 'refused';
    const result = await this.#binding.transaction({
      service: this.#service,
      user,
      remoteHost: remoteAddress,
      answers: [{ prompt: 'Password', value: password }, ...(code !== undefined ? [{ prompt: CODE_PROMPT, value: code }] : [])],
      steps: ['authenticate', 'acct_mgmt'],
    });
    if (result.ok) return 'ok';
    // The password was right; the account step says it must be changed first.
    if (result.code === 'PAM_NEW_AUTHTOK_REQD') return 'password-expired';
    if (result.messages.some((message) => LOCKED_MESSAGE.test(message.text))) return 'locked';
    if (result.unansweredPrompt !== undefined) {
      if (code === undefined && result.unansweredPrompt.startsWith(CODE_PROMPT)) return 'code-required';
      this.#log(`PAM service '${this.#service}' asked '${result.unansweredPrompt.trim()}' for '${user}', which the gateway does not answer: refused`);
    } else if (result.step === 'acct_mgmt') {
      this.#log(`PAM service '${this.#service}': the account step refused '${user}' (${result.code}: ${result.message})`);
    }
    if (REFUSALS.has(result.code)) return 'refused';
    throw new Error(`PAM service '${this.#service}': ${result.step ?? 'transaction'} answered ${result.code} (${result.message})`);
  }

  /**
   * pam_chauthtok, as bmcweb changes passwords: the new password goes to the "New password" and
   * "Retype new password" prompts, nothing else is answered (the gateway runs as root, so
   * pam_unix asks no current password). The quality modules' error messages are the reason.
   */
  async changePassword(user: string, newPassword: string, remoteAddress: string): Promise<void> {
    if (Buffer.byteLength(newPassword, 'utf8') > MAX_ANSWER_BYTES) {
      throw new GatewayError(400, `The new password is longer than PAM takes (${MAX_ANSWER_BYTES} bytes)`);
    }
    const result = await this.#binding.transaction({
      service: this.#service,
      user,
      remoteHost: remoteAddress,
      answers: NEW_PASSWORD_PROMPTS.map((prompt) => ({ prompt, value: newPassword })),
      steps: ['chauthtok'],
    });
    if (result.ok) return;
    if (result.code === 'PAM_USER_UNKNOWN') throw new GatewayError(404, `No such user: '${user}'`);
    if (result.unansweredPrompt !== undefined) {
      // "Current password: ": the process is not root, or the stack wants more than a new password.
      throw new Error(`PAM service '${this.#service}' asked '${result.unansweredPrompt.trim()}' while changing the password of '${user}'`);
    }
    if (PASSWORD_REFUSALS.has(result.code)) {
      const reasons = result.messages.filter((message) => message.style === 'error').map((message) => message.text.trim());
      throw new GatewayError(400, `The new password was refused: ${reasons.length > 0 ? reasons.join('; ') : result.message}`);
    }
    throw new Error(`PAM service '${this.#service}': chauthtok answered ${result.code} (${result.message})`);
  }
}
