/**
 * Password checking behind one interface, with two backends chosen by
 * configuration: PAM (the BMC's own accounts; pam.ts) and a users file
 * (development, the demo and the tests; users-file.ts). Both also change
 * passwords, for the gateway's SetPassword action.
 */

/** What a login attempt presents. */
export interface LoginAttempt {
  readonly user: string;
  readonly password: string;
  /** A one-time code (TOTP), for accounts whose PAM stack asks "Verification code: ". */
  readonly code?: string;
  readonly remoteAddress: string;
}

/**
 * What the backend found:
 * - `ok`: let in;
 * - `password-expired`: the password is right but must be changed before anything else
 *   (PAM_NEW_AUTHTOK_REQD): let in, restricted to changing it;
 * - `code-required`: the account needs a one-time code and none was given;
 * - `locked`: the account is locked after failed logins (pam_faillock), whatever the password;
 * - `refused`: wrong password or code, unknown user, or an account rule refuses the user.
 */
export type CheckResult = 'ok' | 'password-expired' | 'code-required' | 'locked' | 'refused';

export interface CredentialChecker {
  /** For log lines: `pam:webserver`, `users-file:/etc/...`. */
  readonly description: string;
  /** Never throws for a refusal; throws for a broken backend. */
  verify(attempt: LoginAttempt): Promise<CheckResult>;
  /**
   * Sets a user's password (no old password asked: the policy decided who may). Throws a
   * GatewayError the client may see: 400 with the backend's reason when the password is refused
   * (quality rules), 404 for an unknown user, 403 when the store cannot be written; anything else
   * thrown is a broken backend.
   */
  changePassword(user: string, newPassword: string, remoteAddress: string): Promise<void>;
}

/** Longest user name and password looked at; longer ones fail without reaching a backend. */
export const MAX_USER_LENGTH = 64;
export const MAX_PASSWORD_LENGTH = 512;
/** One-time codes are 6 to 8 digits (RFC 4226); anything else never reaches a backend. */
export const ONE_TIME_CODE = /^[0-9]{6,8}$/;

/**
 * Whether a user name is worth giving to a backend: Linux account names,
 * plus `@`, `.` and `-` for directory users. No control characters, no
 * spaces, nothing that could be read as PAM or shell syntax.
 */
export function plausibleUser(user: string): boolean {
  return user.length > 0 && user.length <= MAX_USER_LENGTH && /^[A-Za-z0-9_][A-Za-z0-9_.@-]*\$?$/.test(user);
}

/** Empty passwords never log in (PAM's `nullok` would allow them on some systems). */
export function plausiblePassword(password: string): boolean {
  return password.length > 0 && password.length <= MAX_PASSWORD_LENGTH && !password.includes('\0');
}
