#!/usr/bin/env node
/**
 * `npm run users -- <command>`: maintain a users file for the users-file backend.
 *
 *   set <file> <user> <role>   add or change a user (password from stdin)
 *   delete <file> <user>       remove a user
 *   hash                       print the scrypt hash of a password from stdin
 *
 * The password is read from standard input: prompted without echo on a
 * terminal, else the first line (`printf '%s\n' "$PW" | npm run users ...`),
 * never from the command line, where `ps` and shell history would keep it.
 * The file is replaced atomically and written with mode 0600.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { plausiblePassword, plausibleUser } from './credentials.js';
import type { Role } from './guard.js';
import { hashPassword } from './passwords.js';
import { ROLES } from './policy.js';
import { parseUsers } from './users-file.js';

const USAGE = `usage: npm run users -- set <file> <user> <role>
       npm run users -- delete <file> <user>
       npm run users -- hash
roles: ${ROLES.join(', ')}; the password is read from standard input`;

async function main(argv: string[]): Promise<void> {
  const [command, file, user, role] = argv;
  if (command === 'hash' && argv.length === 1) {
    process.stdout.write(`${await hashPassword(await readPassword())}\n`);
  } else if (command === 'set' && file && user && role && argv.length === 4) {
    if (!plausibleUser(user)) throw new Error(`not a usable user name: '${user}'`);
    if (!ROLES.includes(role as Role)) throw new Error(`unknown role '${role}' (${ROLES.join(', ')})`);
    const users = await readUsers(file);
    users[user] = { password: await hashPassword(await readPassword()), role };
    await writeUsers(file, users);
    process.stdout.write(`${file}: set ${user} (${role})\n`);
  } else if (command === 'delete' && file && user && argv.length === 3) {
    const users = await readUsers(file);
    if (!Object.hasOwn(users, user)) throw new Error(`${file}: no user '${user}'`);
    delete users[user];
    await writeUsers(file, users);
    process.stdout.write(`${file}: deleted ${user}\n`);
  } else {
    throw new Error(USAGE);
  }
}

type UsersJson = Record<string, { password: string; role: string }>;

async function readUsers(file: string): Promise<UsersJson> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const json = JSON.parse(text) as unknown;
  parseUsers(json); // refuse to rewrite a file that is already broken
  return { ...(json as { users: UsersJson }).users };
}

async function writeUsers(file: string, users: UsersJson): Promise<void> {
  const sorted = Object.fromEntries(Object.entries(users).sort(([a], [b]) => a.localeCompare(b)));
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify({ users: sorted }, null, 2) + '\n', { mode: 0o600 });
  await rename(temporary, file);
}

async function readPassword(): Promise<string> {
  const password = process.stdin.isTTY ? await promptHidden('Password: ') : await firstLine();
  if (!plausiblePassword(password)) throw new Error('the password must be 1 to 512 characters without NUL');
  return password;
}

async function firstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '');
}

/** Reads one line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    let text = '';
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return finish(null);
        if (char === '\u0003') return finish(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') text = text.slice(0, -1);
        else text += char;
      }
    };
    const finish = (err: Error | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    stdin.on('data', onData);
  });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
