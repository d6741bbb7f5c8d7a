/**
 * Password checking behind one interface, with two backends chosen by
 * configuration: PAM (the BMC's own accounts; pam.ts) and a users file
 * (development, the demo and the tests; users-file.ts).
 */

export interface CredentialChecker {
  /** For log lines: `pam:webserver`, `users-file:/etc/...`. */
  readonly description: string;
  /** True when the password is right. Never throws for a wrong password; may throw for a broken backend. */
  verify(user: string, password: string, remoteAddress: string): Promise<boolean>;
}

/** Longest user name and password looked at; longer ones fail without reaching a backend. */
export const MAX_USER_LENGTH = 64;
export const MAX_PASSWORD_LENGTH = 512;

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
