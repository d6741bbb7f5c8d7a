/**
 * The users file backend: a JSON file of salted scrypt hashes and roles, and
 * of the account state a BMC keeps around its passwords, so that every
 * account flow can be run without PAM (development, the demo, the tests):
 *
 * ```json
 * { "accountPolicy": { "maxLoginAttemptBeforeLockout": 3, "accountUnlockTimeout": 300, "minPasswordLength": 8 },
 *   "users": { "root": { "password": "scrypt$16384$8$1$...$...", "role": "priv-admin",
 *                        "passwordExpired": true, "totpSecret": "JBSWY3DPEHPK3PXP...", "failures": [1733300000000] } } }
 * ```
 * - `passwordExpired` (as `chage -d 0`): the password is right but must be changed first;
 * - `totpSecret` (as google-authenticator's secret file): logins need the account's RFC 6238 code;
 * - `failures` and `accountPolicy` (as pam_faillock's tally and faillock.conf): the account is
 *   locked after that many failures (faillock.ts); no policy, no lockout;
 * - `minPasswordLength` (as pam_pwquality's minlen): a shorter new password is refused.
 *
 * Roles are read once at start (restart the gateway after editing them). The
 * account state is read at every check, because it changes while the gateway
 * runs: the gateway records failures and sets passwords (SetPassword), and
 * the simulated user manager (fixtures/services/user-accounts.ts) reads and
 * writes the same file, as phosphor-user-manager reads /etc/shadow and the
 * faillock tally. Writes replace the file atomically with mode 0600; a file
 * that cannot be written refuses password changes (403) and records no
 * failures.
 *
 * `npm run users -- set <file> <user> <role>` adds or changes an entry.
 */
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { GatewayError } from '../errors.js';
import { type CheckResult, type CredentialChecker, type LoginAttempt, plausiblePassword } from './credentials.js';
import { type LockoutPolicy, NO_LOCKOUT, isLocked, withFailure } from './faillock.js';
import type { Role } from './guard.js';
import { SECRET_PATTERN, codeMatches } from './one-time-code.js';
import { DEFAULT_SCRYPT, hashPassword, parseHash, verifyPassword } from './passwords.js';
import { ROLES } from './policy.js';

export interface UserEntry {
  readonly password: string;
  readonly role: Role;
  readonly passwordExpired?: boolean;
  readonly totpSecret?: string;
  readonly failures?: readonly number[];
}

export interface AccountPolicy extends LockoutPolicy {
  /** 0: no minimum. */
  readonly minPasswordLength: number;
}

export interface UsersFileContent {
  readonly accountPolicy: AccountPolicy;
  readonly users: ReadonlyMap<string, UserEntry>;
}

export class UsersFileError extends Error {
  override readonly name = 'UsersFileError';
}

export class UsersFile implements CredentialChecker {
  readonly description: string;
  readonly #path: string;
  readonly #roles: ReadonlyMap<string, Role>;
  /** Hashed for unknown users, so that "no such user" takes as long as "wrong password". */
  readonly #dummyHash: string;
  readonly #now: () => number;
  /** Read-modify-write of the file, one at a time in this process. */
  #writing: Promise<unknown> = Promise.resolve();

  private constructor(path: string, content: UsersFileContent, dummyHash: string, now: () => number) {
    this.description = `users-file:${path}`;
    this.#path = path;
    this.#roles = new Map([...content.users].map(([name, entry]) => [name, entry.role]));
    this.#dummyHash = dummyHash;
    this.#now = now;
  }

  /** Reads and validates the file; a bad entry stops the start with a message naming it. */
  static async load(path: string, now: () => number = Date.now): Promise<UsersFile> {
    const content = await readUsersFile(path);
    // The dummy costs what the file's first entry costs (the tests use cheap hashes).
    const first = content.users.values().next().value;
    const params = first ? parseHash(first.password) : DEFAULT_SCRYPT;
    return new UsersFile(path, content, await hashPassword('no such user', params), now);
  }

  roleOf(user: string): Role | undefined {
    return this.#roles.get(user);
  }

  async verify({ user, password, code }: LoginAttempt): Promise<CheckResult> {
    const { users, accountPolicy } = await readUsersFile(this.#path);
    const entry = users.get(user);
    // Hashed in every case, so that no answer comes sooner than a password check would.
    const passwordOk = await verifyPassword(password, entry?.password ?? this.#dummyHash) && entry !== undefined;
    if (!entry) return 'refused';
    // pam_faillock's preauth: a locked account is refused whatever it presents, and not counted.
    if (isLocked(entry.failures ?? [], accountPolicy, this.#now())) return 'locked';
    if (entry.totpSecret !== undefined && code === undefined) return 'code-required';
    const codeOk = entry.totpSecret === undefined || (code !== undefined && await codeMatches(entry.totpSecret, code, this.#now()));
    if (!passwordOk || !codeOk) {
      if (accountPolicy.maxLoginAttemptBeforeLockout > 0) await this.#recordFailure(user).catch(() => undefined);
      return 'refused';
    }
    // pam_faillock's authsucc: a success clears the tally.
    if ((entry.failures ?? []).length > 0) await this.#update(user, (raw) => void delete raw.failures).catch(() => undefined);
    return entry.passwordExpired === true ? 'password-expired' : 'ok';
  }

  /** A new hash (the entry's scrypt parameters), the expiry and the failures cleared; 404, 400, 403. */
  async changePassword(user: string, newPassword: string): Promise<void> {
    const { users, accountPolicy } = await readUsersFile(this.#path);
    const entry = users.get(user);
    if (!entry) throw new GatewayError(404, `No such user: '${user}'`);
    if (!plausiblePassword(newPassword)) throw new GatewayError(400, 'The new password must be 1 to 512 characters without NUL');
    if ([...newPassword].length < accountPolicy.minPasswordLength) {
      // pam_pwquality's words, as a BMC would answer.
      throw new GatewayError(400, `The new password was refused: BAD PASSWORD: The password is shorter than ${accountPolicy.minPasswordLength} characters`);
    }
    const hash = await hashPassword(newPassword, parseHash(entry.password));
    await this.#update(user, (raw) => {
      raw.password = hash;
      delete raw.passwordExpired;
      delete raw.failures;
    });
  }

  async #recordFailure(user: string): Promise<void> {
    const now = this.#now();
    await this.#update(user, (raw) => {
      raw.failures = withFailure(Array.isArray(raw.failures) ? raw.failures.filter((at): at is number => typeof at === 'number') : [], now);
    });
  }

  /** Changes one user's entry, keeping everything else in the file as it is now. */
  #update(user: string, change: (raw: Record<string, unknown>) => void): Promise<void> {
    const run = this.#writing.then(() => updateUsersFile(this.#path, (json) => {
      const raw = json.users[user];
      if (typeof raw !== 'object' || raw === null) throw new GatewayError(404, `No such user: '${user}'`);
      change(raw as Record<string, unknown>);
    }));
    this.#writing = run.catch(() => undefined);
    return run;
  }
}

/** The file as JSON, for changes that must keep what they do not know. */
export interface UsersFileJson {
  accountPolicy?: Record<string, unknown>;
  users: Record<string, unknown>;
  [key: string]: unknown;
}

/** Reads, validates and parses the file. */
export async function readUsersFile(path: string): Promise<UsersFileContent> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsersFileError(`cannot read the users file ${path}: ${(err as Error).message}`);
  }
  try {
    return parseUsersFile(JSON.parse(text) as unknown);
  } catch (err) {
    throw new UsersFileError(`users file ${path}: ${(err as Error).message}`);
  }
}

/**
 * Read, change, write back atomically (a temporary file with mode 0600, then rename), keeping
 * unknown fields. Refuses to write what would not load again. A file or directory that cannot be
 * written: 403 saying so.
 */
export async function updateUsersFile(path: string, change: (json: UsersFileJson) => void): Promise<void> {
  const json = JSON.parse(await readFile(path, 'utf8')) as UsersFileJson;
  parseUsersFile(json);
  change(json);
  parseUsersFile(json);
  await writeUsersFileAtomically(path, json);
}

export async function writeUsersFileAtomically(path: string, json: UsersFileJson): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await writeFile(temporary, JSON.stringify(json, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new GatewayError(403, `The users file ${path} cannot be written (${code}): passwords cannot be changed here`, { cause: err });
    }
    throw err;
  }
}

/** `{"accountPolicy"?, "users": {name: {password, role, ...}}}` → content; throws naming the bad entry. */
export function parseUsersFile(json: unknown): UsersFileContent {
  if (typeof json !== 'object' || json === null || !('users' in json)) throw new Error('expected {"users": {...}}');
  const record = json as { users: unknown; accountPolicy?: unknown };
  return { accountPolicy: parseAccountPolicy(record.accountPolicy), users: parseUsers(json) };
}

/** The "users" of a users file → entries; throws naming the bad entry. */
export function parseUsers(json: unknown): Map<string, UserEntry> {
  if (typeof json !== 'object' || json === null || !('users' in json)) throw new Error('expected {"users": {...}}');
  const users = (json as { users: unknown }).users;
  if (typeof users !== 'object' || users === null || Array.isArray(users)) throw new Error('"users" must be an object');
  const entries = new Map<string, UserEntry>();
  for (const [name, raw] of Object.entries(users)) {
    const entry = raw as Partial<Record<string, unknown>> | null;
    if (typeof entry !== 'object' || entry === null) throw new Error(`user '${name}': expected {"password", "role"}`);
    if (typeof entry.password !== 'string') throw new Error(`user '${name}': "password" must be a scrypt hash string`);
    try {
      parseHash(entry.password);
    } catch (err) {
      throw new Error(`user '${name}': bad password hash: ${(err as Error).message}`);
    }
    if (!ROLES.includes(entry.role as Role)) throw new Error(`user '${name}': "role" must be one of ${ROLES.join(', ')}`);
    if (entry.passwordExpired !== undefined && typeof entry.passwordExpired !== 'boolean') {
      throw new Error(`user '${name}': "passwordExpired" must be true or false`);
    }
    if (entry.totpSecret !== undefined && (typeof entry.totpSecret !== 'string' || !SECRET_PATTERN.test(entry.totpSecret))) {
      throw new Error(`user '${name}': "totpSecret" must be a base32 secret of 16 to 128 characters (A-Z, 2-7)`);
    }
    if (entry.failures !== undefined && !(Array.isArray(entry.failures) && entry.failures.every((at) => Number.isFinite(at)))) {
      throw new Error(`user '${name}': "failures" must be an array of times (ms since 1970)`);
    }
    entries.set(name, {
      password: entry.password,
      role: entry.role as Role,
      ...(entry.passwordExpired !== undefined ? { passwordExpired: entry.passwordExpired } : {}),
      ...(entry.totpSecret !== undefined ? { totpSecret: entry.totpSecret } : {}),
      ...(entry.failures !== undefined ? { failures: entry.failures as number[] } : {}),
    });
  }
  return entries;
}

const POLICY_FIELDS = { maxLoginAttemptBeforeLockout: 65535, accountUnlockTimeout: 4294967295, minPasswordLength: 255 } as const;

function parseAccountPolicy(raw: unknown): AccountPolicy {
  if (raw === undefined) return { ...NO_LOCKOUT, minPasswordLength: 0 };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('"accountPolicy" must be an object');
  const values: Record<string, number> = {};
  for (const [name, max] of Object.entries(POLICY_FIELDS)) {
    const value = (raw as Record<string, unknown>)[name] ?? 0;
    if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > max) {
      throw new Error(`"accountPolicy.${name}" must be an integer from 0 to ${max}`);
    }
    values[name] = value as number;
  }
  return values as unknown as AccountPolicy;
}
