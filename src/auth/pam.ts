/**
 * The PAM backend, through the gateway's own optional Node-API addon
 * (native/pam/pam_binding.c, built by `npm install` where the PAM headers
 * exist). Each check is one PAM transaction on libuv's thread pool, as
 * bmcweb runs it: pam_start(service, user), PAM_RHOST, pam_authenticate,
 * pam_acct_mgmt, pam_end, so the service file's account rules (group
 * membership, pam_localuser, expiry, pam_access) decide who may log in.
 *
 * The conversation answers prompts by their text: the password goes to a
 * prompt starting with "Password", and any other prompt (a one-time code,
 * a new password) fails the login and is logged, never answered with the
 * password. The result names PAM's return code and the step that gave it.
 *
 * The process must be root (or in the `shadow` group) to check other
 * users' passwords. A failure takes 2-4 s (pam_faildelay, pam_unix) and
 * holds a thread-pool thread that long: the guard runs at most two checks
 * at once (check-queue.ts).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { CredentialChecker } from './credentials.js';

/** What the addon does: one transaction. */
export interface PamTransaction {
  readonly service: string;
  readonly user: string;
  readonly remoteHost: string;
  /** A prompt starting with `prompt` gets `value`; any other prompt fails the conversation. */
  readonly answers: ReadonlyArray<{ readonly prompt: string; readonly value: string }>;
  readonly steps: ReadonlyArray<'authenticate' | 'acct_mgmt'>;
}

export interface PamResult {
  readonly ok: boolean;
  /** PAM's return code by name: `PAM_SUCCESS`, `PAM_AUTH_ERR`, `PAM_NEW_AUTHTOK_REQD`, ... */
  readonly code: string;
  /** Which step returned it: `start`, `authenticate`, `acct_mgmt`; null on success. */
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
  'PAM_PERM_DENIED', 'PAM_ACCT_EXPIRED', 'PAM_NEW_AUTHTOK_REQD', 'PAM_AUTHTOK_EXPIRED',
  // A prompt the conversation could not answer (pam_unix reports it as an authentication token error).
  'PAM_CONV_ERR', 'PAM_AUTHTOK_ERR',
]);

/** PAM_MAX_RESP_SIZE is 512 with its terminator: longer answers never reach PAM. */
const MAX_ANSWER_BYTES = 511;

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

  /** True when PAM authenticates the user and its account step admits them; throws for a broken setup. */
  async verify(user: string, password: string, remoteAddress: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_ANSWER_BYTES) return false;
    const result = await this.#binding.transaction({
      service: this.#service,
      user,
      remoteHost: remoteAddress,
      answers: [{ prompt: 'Password', value: password }],
      steps: ['authenticate', 'acct_mgmt'],
    });
    if (result.ok) return true;
    if (result.unansweredPrompt !== undefined) {
      this.#log(`PAM service '${this.#service}' asked '${result.unansweredPrompt.trim()}' for '${user}', which the gateway does not answer: refused`);
    } else if (result.step === 'acct_mgmt') {
      this.#log(`PAM service '${this.#service}': the account step refused '${user}' (${result.code}: ${result.message})`);
    }
    if (REFUSALS.has(result.code)) return false;
    throw new Error(`PAM service '${this.#service}': ${result.step ?? 'transaction'} answered ${result.code} (${result.message})`);
  }
}
