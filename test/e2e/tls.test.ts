/**
 * The certificate on start, with the built CLI: a pair is generated only
 * when both files are missing. When one exists and the other does not (a
 * mistyped --tls-key), the daemon stops with exit 2 naming the missing file,
 * and the existing file is left exactly as it was: before, it was replaced
 * by a new self-signed certificate.
 */
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { startCli } from '../helpers/cli.js';
import { startCliWorld } from '../helpers/cli-world.js';
import { HttpClient } from '../helpers/http-client.js';

/** Stands in for an admin's certificate or key: any content the daemon must not touch. */
const ADMIN_FILE = '-----BEGIN CERTIFICATE-----\nthe admin\'s own, not to be replaced\n-----END CERTIFICATE-----\n';

for (const [present, missing] of [['cert', 'key'], ['key', 'cert']] as const) {
  test(`only the ${present} exists: exit 2 naming the missing ${missing}; nothing written`, async (t) => {
    const world = await startCliWorld(t);
    const kept = join(world.dir, `admin-${present}.pem`);
    const typo = join(world.dir, `typo-${missing}.pem`);
    await writeFile(kept, ADMIN_FILE, { mode: 0o600 });
    const before = await stat(kept);
    const cli = startCli([...world.args, `--tls-${present}`, kept, `--tls-${missing}`, typo]);
    t.teardown(() => cli.stop());
    const exit = await cli.exited;
    t.is(exit.code, 2, cli.stderr());
    const last = cli.stderr().trim().split('\n').at(-1) ?? '';
    t.is(last, `bmc-rest-gateway: --tls-${missing}: ${typo} does not exist, but ${kept} does; not generating a new pair over it `
      + `(point --tls-${missing} at the right file, or move ${kept} away to have a self-signed pair created)`);
    t.is(await readFile(kept, 'utf8'), ADMIN_FILE, 'the existing file is untouched');
    t.is((await stat(kept)).mtimeMs, before.mtimeMs);
    t.false(existsSync(typo), 'no file at the mistyped path');
  });
}

test('neither exists: a pair is generated (key 0600) and used; the next start reads it back', async (t) => {
  const world = await startCliWorld(t);
  const first = startCli(world.args);
  t.teardown(() => first.stop());
  await first.listening;
  t.regex(first.stderr(), /created a self-signed certificate/);
  const cert = await world.certificate();
  t.is((await stat(join(world.dir, 'key.pem'))).mode & 0o777, 0o600);
  await first.stop();
  const second = startCli(world.args);
  t.teardown(() => second.stop());
  await second.listening;
  t.notRegex(second.stderr(), /created a self-signed certificate/);
  t.is(await world.certificate(), cert, 'the same certificate');
});

test('--tls-cert and --tls-key the same missing file (bmcweb\'s server.pem): one file with both (0600) is generated and served; the next start reads it back', async (t) => {
  const world = await startCliWorld(t);
  const pem = join(world.dir, 'server.pem');
  const args = [...world.args, '--tls-cert', pem, '--tls-key', pem];
  const first = startCli(args);
  t.teardown(() => first.stop());
  const url = await Promise.race([first.listening, first.exited.then((exit) => { throw new Error(`exited ${exit.code}: ${first.stderr()}`); })]);
  t.regex(first.stderr(), /created a self-signed certificate/);
  const both = await readFile(pem, 'utf8');
  t.regex(both, /-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----\s*-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/);
  t.is((await stat(pem)).mode & 0o777, 0o600);
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\n?/.exec(both)?.[0] ?? '';
  t.is((await new HttpClient(url, certificate).as(null).get('/login')).status, 405, 'served with the generated pair (the TLS handshake verified it)');
  await first.stop();
  const second = startCli(args);
  t.teardown(() => second.stop());
  await second.listening;
  t.notRegex(second.stderr(), /created a self-signed certificate/);
  t.is(await readFile(pem, 'utf8'), both, 'the same file');
});
