#!/usr/bin/env node
/**
 * `npm run users -- <command>`: maintain a users file for the users-file backend.
 *
 *   set <file> <user> <role>   add or change a user (password from stdin; clears an expiry and failures)
 *   expire <file> <user>       the password must be changed at the next login (as chage -d 0)
 *   delete <file> <user>       remove a user
 *   hash                       print the scrypt hash of a password from stdin
 *
 * The password is read from standard input: prompted without echo on a
 * terminal, else the first line (`printf '%s\n' "$PW" | npm run users ...`),
 * never from the command line, where `ps` and shell history would keep it.
 * The file is replaced atomically and written with mode 0600; what the
 * command does not change (account policy, code secrets) is kept.
 */
import { readFile } from 'node:fs/promises';
import { plausiblePassword, plausibleUser } from './credentials.js';
import type { Role } from './guard.js';
import { hashPassword } from './passwords.js';
import { ROLES } from './policy.js';
import { type UsersFileJson, parseUsersFile, writeUsersFileAtomically } from './users-file.js';

const USAGE = `usage: npm run users -- set <file> <user> <role>
       npm run users -- expire <file> <user>
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
    const json = await readUsers(file);
    const { passwordExpired: _expired, failures: _failures, ...kept } = (json.users[user] ?? {}) as Record<string, unknown>;
    json.users[user] = { ...kept, password: await hashPassword(await readPassword()), role };
    await writeUsers(file, json);
    process.stdout.write(`${file}: set ${user} (${role})\n`);
  } else if (command === 'expire' && file && user && argv.length === 3) {
    const json = await readUsers(file);
    const entry = json.users[user];
    if (typeof entry !== 'object' || entry === null) throw new Error(`${file}: no user '${user}'`);
    json.users[user] = { ...entry, passwordExpired: true };
    await writeUsers(file, json);
    process.stdout.write(`${file}: the password of ${user} must be changed at the next login\n`);
  } else if (command === 'delete' && file && user && argv.length === 3) {
    const json = await readUsers(file);
    if (!Object.hasOwn(json.users, user)) throw new Error(`${file}: no user '${user}'`);
    delete json.users[user];
    await writeUsers(file, json);
    process.stdout.write(`${file}: deleted ${user}\n`);
  } else {
    throw new Error(USAGE);
  }
}

async function readUsers(file: string): Promise<UsersFileJson> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { users: {} };
    throw err;
  }
  const json = JSON.parse(text) as UsersFileJson;
  parseUsersFile(json); // refuse to rewrite a file that is already broken
  return json;
}

async function writeUsers(file: string, json: UsersFileJson): Promise<void> {
  json.users = Object.fromEntries(Object.entries(json.users).sort(([a], [b]) => a.localeCompare(b)));
  await writeUsersFileAtomically(file, json);
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
