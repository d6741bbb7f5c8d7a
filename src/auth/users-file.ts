/**
 * The users file backend: a JSON file of salted scrypt hashes and roles,
 * read once at start (restart the gateway after editing it).
 *
 * ```json
 * { "users": { "root": { "password": "scrypt$16384$8$1$...$...", "role": "priv-admin" } } }
 * ```
 * `npm run users -- set <file> <user> <role>` adds or changes an entry.
 */
import { readFile } from 'node:fs/promises';
import type { CredentialChecker } from './credentials.js';
import type { Role } from './guard.js';
import { DEFAULT_SCRYPT, hashPassword, parseHash, verifyPassword } from './passwords.js';
import { ROLES } from './policy.js';

export interface UserEntry {
  readonly password: string;
  readonly role: Role;
}

export class UsersFileError extends Error {
  override readonly name = 'UsersFileError';
}

export class UsersFile implements CredentialChecker {
  readonly description: string;
  readonly #users: ReadonlyMap<string, UserEntry>;
  /** Hashed for unknown users, so that "no such user" takes as long as "wrong password". */
  readonly #dummyHash: string;

  private constructor(path: string, users: ReadonlyMap<string, UserEntry>, dummyHash: string) {
    this.description = `users-file:${path}`;
    this.#users = users;
    this.#dummyHash = dummyHash;
  }

  /** Reads and validates the file; a bad entry stops the start with a message naming it. */
  static async load(path: string): Promise<UsersFile> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new UsersFileError(`cannot read the users file ${path}: ${(err as Error).message}`);
    }
    let users: Map<string, UserEntry>;
    try {
      users = parseUsers(JSON.parse(text) as unknown);
    } catch (err) {
      throw new UsersFileError(`users file ${path}: ${(err as Error).message}`);
    }
    // The dummy costs what the file's first entry costs (the tests use cheap hashes).
    const first = users.values().next().value;
    const params = first ? parseHash(first.password) : DEFAULT_SCRYPT;
    return new UsersFile(path, users, await hashPassword('no such user', params));
  }

  async verify(user: string, password: string): Promise<boolean> {
    const entry = this.#users.get(user);
    const ok = await verifyPassword(password, entry?.password ?? this.#dummyHash);
    return ok && entry !== undefined;
  }

  roleOf(user: string): Role | undefined {
    return this.#users.get(user)?.role;
  }
}

/** `{"users": {name: {password, role}}}` → entries; throws naming the bad entry. */
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
    entries.set(name, { password: entry.password, role: entry.role as Role });
  }
  return entries;
}
