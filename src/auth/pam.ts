/**
 * The PAM backend, through the optional native binding `authenticate-pam`.
 * It is loaded at run time, only when PAM is chosen, so that the gateway
 * installs and runs without it (users-file backend); choosing PAM without it
 * fails the start. `require` (through createRequire), not `import()`: the
 * package's main file is the `.node` addon itself, which ESM cannot load.
 *
 * What the binding does: pam_start(service) → pam_set_item(PAM_RHOST) →
 * pam_authenticate on libuv's thread pool. It does not call
 * pam_acct_mgmt, so account expiry and locks set outside the auth stack are
 * not seen here; on OpenBMC the role lookup (UserEnabled from the user
 * manager) covers disabled accounts.
 *
 * Needs root (or the `shadow` group) to check other users' passwords. A
 * failure takes 2-4 s (pam_faildelay); each one holds a thread-pool thread,
 * which is why the guard bounds concurrent checks.
 *
 * Two limits of the binding (read from its source) that this file guards:
 * - it copies user name and password into 128-byte buffers without a
 *   terminator when they are longer, which would truncate the password (its
 *   prefix would then be enough) and read past the buffer: longer inputs
 *   are refused here before they reach it;
 * - it completes on the default libuv loop, so it only works on the main
 *   thread (in a worker thread the process aborts): loading it elsewhere is
 *   refused. The daemon runs it on the main thread; tests use the CLI.
 */
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import type { CredentialChecker } from './credentials.js';

type PamCallback = (err: unknown) => void;
interface PamBinding {
  authenticate(user: string, password: string, callback: PamCallback, options: { serviceName: string; remoteHost: string }): void;
}

/** The binding's buffers hold 127 bytes plus a terminator. */
const MAX_BINDING_BYTES = 126;

/** The messages the binding gives for a wrong password or an unknown user; anything else is a broken setup. */
const EXPECTED_FAILURES = /Authentication failure|User not known|Authentication token|Maximum number of tries|account/i;

export class PamChecker implements CredentialChecker {
  readonly description: string;
  readonly #binding: PamBinding;
  readonly #service: string;
  readonly #onSetupError: (message: string) => void;

  private constructor(binding: PamBinding, service: string, onSetupError: (message: string) => void) {
    this.#binding = binding;
    this.#service = service;
    this.#onSetupError = onSetupError;
    this.description = `pam:${service}`;
  }

  /** Loads the binding; throws a message saying what to install when it is missing. */
  static async load(service: string, onSetupError: (message: string) => void): Promise<PamChecker> {
    if (!isMainThread) throw new Error('the PAM binding only works on the main thread (it completes on the default libuv loop)');
    let binding: PamBinding;
    try {
      binding = createRequire(import.meta.url)('authenticate-pam') as PamBinding;
      if (typeof binding.authenticate !== 'function') throw new Error('no authenticate() export');
    } catch (err) {
      throw new Error('the PAM backend needs the optional native package authenticate-pam, which is not installed '
        + `or not built (${(err as Error).message}); install libpam0g-dev and run .ci/install-pam-binding.sh, `
        + 'or choose --auth-backend users-file');
    }
    return new PamChecker(binding, service, onSetupError);
  }

  verify(user: string, password: string, remoteAddress: string): Promise<boolean> {
    const fits = (text: string) => Buffer.byteLength(text, 'utf8') <= MAX_BINDING_BYTES;
    if (!fits(user) || !fits(password) || !fits(remoteAddress)) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#binding.authenticate(user, password, (err) => {
        if (err === undefined || err === null) {
          resolve(true);
          return;
        }
        const message = err instanceof Error ? err.message : String(err);
        // A missing service file or a non-root process shows up here: say so once per attempt.
        if (!EXPECTED_FAILURES.test(message)) this.#onSetupError(`PAM service '${this.#service}': ${message}`);
        resolve(false);
      }, { serviceName: this.#service, remoteHost: remoteAddress });
    });
  }
}
