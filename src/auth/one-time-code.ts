/**
 * RFC 6238 one-time codes (TOTP: HMAC-SHA1, 6 digits, 30 s steps, as
 * google-authenticator-libpam and the authenticator apps use) for the
 * users-file backend, checked with the otpauth package.
 *
 * otpauth is an optional dependency, loaded on first use: only a users file
 * that gives an account a code secret needs it, and a BMC image (PAM checks
 * codes there) leaves it out. Without it such a check fails with a message
 * saying what to install.
 */

type Otpauth = typeof import('otpauth');

let loading: Promise<Otpauth> | undefined;

function otpauth(): Promise<Otpauth> {
  loading ??= import('otpauth').catch((err: unknown) => {
    loading = undefined;
    throw new Error(`one-time codes of the users file need the otpauth package, which is not installed (${(err as Error).message.split('\n')[0]}): `
      + 'npm install otpauth');
  });
  return loading;
}

/** Base32 (RFC 4648), at least 80 bits: what google-authenticator writes and the apps take. */
export const SECRET_PATTERN = /^[A-Z2-7]{16,128}$/;

/** Whether `code` is the account's code now, or one step before or after (clock drift, as the PAM module's window). */
export async function codeMatches(secret: string, code: string, now = Date.now()): Promise<boolean> {
  const { TOTP, Secret } = await otpauth();
  return TOTP.validate({ token: code, secret: Secret.fromBase32(secret), window: 1, timestamp: now }) !== null;
}

/** The code of `secret` at `now` (tests, the simulated user manager). */
export async function currentCode(secret: string, now = Date.now()): Promise<string> {
  const { TOTP, Secret } = await otpauth();
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: now });
}

/** A new random secret, 160 bits in base32 (the simulated user manager's CreateSecretKey). */
export async function newSecret(): Promise<string> {
  const { Secret } = await otpauth();
  return new Secret({ size: 20 }).base32;
}
