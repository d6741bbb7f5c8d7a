/**
 * Credentials for tests that start the CLI as a child process
 * (socket activation, lifecycle): the flags that give the daemon the test
 * users (as the e2e harness does), and the headers a request sends. Kept in
 * one place so those tests follow the authentication options as they change.
 */
import { join } from 'node:path';
import { TEST_USERS, writeTestUsersFile } from './users.js';

/** Writes the test users file into `dir` and returns the CLI flags that use it. */
export async function cliAuthFlags(dir: string): Promise<string[]> {
  const usersFile = join(dir, 'users.json');
  await writeTestUsersFile(usersFile);
  return ['--auth-backend', 'users-file', '--users-file', usersFile];
}

/** Headers that authenticate a request as the test administrator (HTTP Basic). */
export function requestHeaders(): Record<string, string> {
  const { user, password } = TEST_USERS.root;
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}
