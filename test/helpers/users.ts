/**
 * The users the e2e harness logs in as: one per OpenBMC role, the same names
 * the simulated BMC's user manager knows (so GetUserInfo agrees with the
 * file), and `newbie`, whom it does not know. Hashes use cheap scrypt parameters: tests check hundreds of
 * passwords, and the cost factor is not what they test.
 */
import { writeFile } from 'node:fs/promises';
import type { Role } from '../../src/auth/guard.js';
import { hashPassword } from '../../src/auth/passwords.js';
import type { Credentials } from './http-client.js';

export interface TestUser extends Credentials {
  readonly role: Role;
}

export const TEST_USERS = {
  root: { user: 'root', password: '0penBmc', role: 'priv-admin' },
  operator: { user: 'operator', password: 'op3rator-pw', role: 'priv-operator' },
  readonly: { user: 'readonly', password: 'read0nly-pw', role: 'priv-user' },
  noaccess: { user: 'noaccess', password: 'n0access-pw', role: 'priv-noaccess' },
  /** Not a user of the simulated user manager until a test creates it (roles from D-Bus). */
  newbie: { user: 'newbie', password: 'n3wbie-pw', role: 'priv-user' },
} as const satisfies Record<string, TestUser>;

const CHEAP = { N: 1024, r: 8, p: 1 };

/** Writes a users file holding TEST_USERS to `path`. */
export async function writeTestUsersFile(path: string): Promise<void> {
  const users: Record<string, { password: string; role: Role }> = {};
  for (const { user, password, role } of Object.values(TEST_USERS)) {
    users[user] = { password: await hashPassword(password, CHEAP), role };
  }
  await writeFile(path, JSON.stringify({ users }, null, 2), { mode: 0o600 });
}
