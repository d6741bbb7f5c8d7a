/**
 * The command as a newcomer meets it (node build/src/main.js): --version,
 * --help, and a mistyped option, whose error is the last line printed (not
 * above the whole option list) and names the option it probably meant.
 * None of these needs a bus.
 */
import { readFile } from 'node:fs/promises';
import test from 'ava';
import { startCli } from '../helpers/cli.js';

const PACKAGE_JSON = new URL('../../../package.json', import.meta.url);

test('--version prints the package version and exits 0', async (t) => {
  const { version } = JSON.parse(await readFile(PACKAGE_JSON, 'utf8')) as { version: string };
  const cli = startCli(['--version']);
  t.deepEqual(await cli.exited, { code: 0, signal: null });
  t.is(cli.stdout(), `bmc-rest-gateway ${version}\n`);
  t.is(cli.stderr(), '');
});

test('--help lists the options on stdout and exits 0', async (t) => {
  const cli = startCli(['--help']);
  t.deepEqual(await cli.exited, { code: 0, signal: null });
  t.regex(cli.stdout(), /^Usage: bmc-rest-gateway \[options\]\n/);
  for (const flag of ['--port', '--tls-cert', '--bmcweb-cookies', '--version']) t.true(cli.stdout().includes(flag), flag);
});

for (const [args, error] of [
  [['--prot', '8443'], "unknown option '--prot' (did you mean --port?)"],
  [['--port', 'eighty'], "--port: expected an integer, got 'eighty'"],
  [['--log-level'], '--log-level: expected a value'],
] as const) {
  test(`${args.join(' ')}: exit 2, the error as the last line, no option list`, async (t) => {
    const cli = startCli(args);
    t.deepEqual(await cli.exited, { code: 2, signal: null });
    t.is(cli.stdout(), '');
    t.deepEqual(cli.stderr().split('\n'), ['Usage: bmc-rest-gateway [options] (--help lists them)', `bmc-rest-gateway: ${error}`, '']);
  });
}
