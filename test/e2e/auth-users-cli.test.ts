/**
 * `npm run users`: the built CLI adds, changes and deletes users; the file
 * it writes loads and verifies, with mode 0600.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { UsersFile } from '../../src/auth/users-file.js';

const CLI = fileURLToPath(new URL('../../src/auth/users-cli.js', import.meta.url));

function users(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin);
  });
}

test('set, change, delete; the password comes from stdin and never from argv', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'users-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'users.json');
  t.is((await users(['set', file, 'alice', 'priv-operator'], 'first-pw\n')).code, 0);
  t.is((await users(['set', file, 'bob', 'priv-user'], 'bob-pw\n')).code, 0);
  t.is((await stat(file)).mode & 0o777, 0o600);
  t.false((await readFile(file, 'utf8')).includes('first-pw'));
  let loaded = await UsersFile.load(file);
  t.is(await loaded.verify({ user: 'alice', password: 'first-pw', remoteAddress: '::1' }), 'ok');
  t.is(loaded.roleOf('alice'), 'priv-operator');
  t.is((await users(['set', file, 'alice', 'priv-admin'], 'second-pw\n')).code, 0);
  t.is((await users(['delete', file, 'bob'], '')).code, 0);
  loaded = await UsersFile.load(file);
  t.is(await loaded.verify({ user: 'alice', password: 'second-pw', remoteAddress: '::1' }), 'ok');
  t.is(await loaded.verify({ user: 'alice', password: 'first-pw', remoteAddress: '::1' }), 'refused');
  t.is(loaded.roleOf('alice'), 'priv-admin');
  t.is(loaded.roleOf('bob'), undefined);
});

test('refusals: unknown role, bad user name, empty password, missing user, bad usage', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'users-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'users.json');
  const refused = async (args: string[], stdin: string, message: RegExp) => {
    const result = await users(args, stdin);
    t.is(result.code, 1, args.join(' '));
    t.regex(result.stderr, message);
  };
  await refused(['set', file, 'alice', 'admin'], 'pw\n', /unknown role 'admin'/);
  await refused(['set', file, 'al ice', 'priv-user'], 'pw\n', /not a usable user name/);
  await refused(['set', file, 'alice', 'priv-user'], '\n', /password must be/);
  await refused(['delete', file, 'nobody'], '', /no user 'nobody'/);
  await refused(['set', file, 'alice'], '', /usage:/);
  const hash = await users(['hash'], 'pw\n');
  t.regex(hash.stdout, /^scrypt\$16384\$8\$1\$/);
});
