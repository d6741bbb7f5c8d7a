import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ConfigError, OPTION_ROWS, helpText, loadConfig } from '../../src/config.js';

test('defaults', (t) => {
  const { config, help } = loadConfig([], {});
  t.false(help);
  t.is(config.port, 443);
  t.is(config.busAddress, 'unix:path=/var/run/dbus/system_bus_socket');
  t.true(config.tls);
  t.true(Object.isFrozen(config));
});

test('flags win over environment, environment over defaults', (t) => {
  const env = { PORT: '8443', DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/tmp/env' };
  t.is(loadConfig([], env).config.port, 8443);
  t.is(loadConfig([], env).config.busAddress, 'unix:path=/tmp/env');
  t.is(loadConfig(['--port', '9000', '--bus-address', 'unix:path=/tmp/flag'], env).config.port, 9000);
  t.is(loadConfig(['--bus-address', 'unix:path=/tmp/flag'], env).config.busAddress, 'unix:path=/tmp/flag');
  t.false(loadConfig(['--no-tls'], {}).config.tls);
  t.false(loadConfig([], {}).config.requestLog);
  t.true(loadConfig(['--request-log'], {}).config.requestLog);
  t.true(loadConfig([], { BMC_GATEWAY_REQUEST_LOG: '1' }).config.requestLog);
});

const bad: Array<[string[], RegExp]> = [
  [['--port', 'eighty'], /--port: expected an integer/],
  [['--port', '70000'], /--port: expected 0\.\.65535/],
  [['--call-timeout-ms', '0'], /--call-timeout-ms/],
  [['--log-level', 'loud'], /--log-level/],
  [['--bogus'], /^unknown option '--bogus'$/],
  [['--prot', '8443'], /^unknown option '--prot' \(did you mean --port\?\)$/],
  [['--tls-kye=x'], /^unknown option '--tls-kye' \(did you mean --tls-key\?\)$/],
  [['8443'], /^unexpected argument '8443' \(options start with --\)$/],
  [['--port'], /^--port: expected a value$/],
  [['--bus-address', ''], /--bus-address: must not be empty/],
  [['--session-cookie', 'a;b'], /--session-cookie: expected cookie names/],
  [['--session-cookie', 'A,'], /--session-cookie: expected cookie names .*got ''/],
  [['--session-cookie', 'A,B,C,D,E'], /--session-cookie: at most 4 names/],
  [['--xsrf-cookie', 'x y'], /--xsrf-cookie: expected a cookie name/],
  [['--session-cookie', 'SAME', '--xsrf-cookie', 'SAME'], /the name 'SAME' is given twice/],
  [['--bmcweb-cookies', '--session-cookie', 'MINE'], /--session-cookie: not together with --bmcweb-cookies/],
  [['--bmcweb-cookies', '--xsrf-cookie', 'MINE'], /--xsrf-cookie: not together with --bmcweb-cookies/],
];
for (const [argv, message] of bad) {
  test(`rejects ${argv.join(' ')}`, (t) => {
    const error = t.throws(() => loadConfig(argv, {}), { instanceOf: ConfigError });
    t.regex(error?.message ?? '', message);
  });
}

test('cookie names: our own __Host- names by default, bmcweb\'s on request, or as given', (t) => {
  t.deepEqual(loadConfig([], {}).config.cookieNames, { session: ['__Host-BMCGW-SESSION'], xsrf: '__Host-BMCGW-XSRF-TOKEN' });
  t.deepEqual(loadConfig(['--bmcweb-cookies'], {}).config.cookieNames, { session: ['BMCWEB-SESSION', 'SESSION'], xsrf: 'XSRF-TOKEN' });
  t.deepEqual(loadConfig([], { BMC_GATEWAY_BMCWEB_COOKIES: 'yes' }).config.cookieNames.xsrf, 'XSRF-TOKEN');
  t.deepEqual(loadConfig(['--session-cookie', '__Host-A, B', '--xsrf-cookie', 'C'], {}).config.cookieNames, { session: ['__Host-A', 'B'], xsrf: 'C' });
  // A default is not "given": the environment may switch to bmcweb's names alone.
  t.is(loadConfig([], { BMC_GATEWAY_BMCWEB_COOKIES: '1', BMC_GATEWAY_SESSION_COOKIE: '' }).config.cookieNames.session[0], 'BMCWEB-SESSION');
  const error = t.throws(() => loadConfig(['--bmcweb-cookies'], { BMC_GATEWAY_SESSION_COOKIE: 'X' }), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /--session-cookie: not together with --bmcweb-cookies.*set by environment variable BMC_GATEWAY_SESSION_COOKIE/);
});

test('--version and --help are switches; the config file may not set them', (t) => {
  t.true(loadConfig(['--version'], {}).version);
  t.false(loadConfig([], {}).version);
  t.true(helpText().includes('--version'));
  const path = configFile({ version: true });
  t.throws(() => loadConfig(['--config', path], {}), { instanceOf: ConfigError, message: /unknown setting "version"/ });
});

test('help lists every option', (t) => {
  const text = helpText();
  for (const flag of ['--port', '--host', '--bus-address', '--tls-cert', '--tls-key', '--no-tls', '--call-timeout-ms']) {
    t.true(text.includes(flag), flag);
  }
});

// ---- the config file layer (--config FILE): flags > environment > file > defaults

const configDir = mkdtempSync(join(tmpdir(), 'config-test-'));
test.after.always(() => rmSync(configDir, { recursive: true, force: true }));
let fileCount = 0;
/** Writes `content` (an object is JSON-encoded) to a fresh file and returns its path. */
function configFile(content: unknown): string {
  const path = join(configDir, `config-${++fileCount}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

test('config file values apply, numbers and booleans in their JSON types', (t) => {
  const path = configFile({ port: 8443, 'log-level': 'debug', 'no-tls': true, 'bus-address': 'unix:path=/tmp/file' });
  const { config } = loadConfig(['--config', path], {});
  t.is(config.port, 8443);
  t.is(config.logLevel, 'debug');
  t.false(config.tls);
  t.is(config.busAddress, 'unix:path=/tmp/file');
  t.is(config.callTimeoutMs, 5000, 'not in the file: default');
  t.true(Object.isFrozen(config));
});

test('precedence: flag > environment > config file > default', (t) => {
  const path = configFile({ port: 1001, 'call-timeout-ms': '2000', 'max-concurrent-calls': 7 });
  const env = { PORT: '1002', BMC_GATEWAY_CALL_TIMEOUT_MS: '3000' };
  const { config } = loadConfig(['--config', path, '--port', '1003'], env);
  t.is(config.port, 1003, 'flag over environment and file');
  t.is(config.callTimeoutMs, 3000, 'environment over file');
  t.is(config.maxConcurrentCalls, 7, 'file over default');
  t.is(config.logLevel, 'info', 'default');
  t.is(loadConfig(['--config', path], env).config.port, 1002, 'environment over file');
  t.is(loadConfig(['--config', path], {}).config.port, 1001, 'file over default');
});

test('switches: the file can set them, a flag or the environment overrides', (t) => {
  const off = configFile({ 'no-tls': false });
  const on = configFile({ 'no-tls': true });
  t.true(loadConfig(['--config', off], {}).config.tls);
  t.false(loadConfig(['--config', off, '--no-tls'], {}).config.tls);
  t.false(loadConfig(['--config', off], { BMC_GATEWAY_NO_TLS: '1' }).config.tls);
  t.true(loadConfig(['--config', on], { BMC_GATEWAY_NO_TLS: '0' }).config.tls, 'environment set to 0 wins over the file');
  t.false(loadConfig(['--config', on], {}).config.tls);
});

const switchWords: Array<[string, boolean]> = [
  ['1', true], ['true', true], ['TRUE', true], ['yes', true], ['On', true], [' on ', true],
  ['0', false], ['false', false], ['no', false], ['OFF', false],
];
for (const [word, on] of switchWords) {
  test(`switch in the environment: '${word}' is ${on ? 'on' : 'off'}`, (t) => {
    t.is(loadConfig([], { BMC_GATEWAY_REQUEST_LOG: word }).config.requestLog, on);
    t.is(loadConfig([], { BMC_GATEWAY_NO_TLS: word }).config.tls, !on);
  });
}

for (const word of ['maybe', 'y', '2', 'enable', 'yes!']) {
  test(`switch in the environment refused: '${word}', naming the variable`, (t) => {
    const error = t.throws(() => loadConfig([], { BMC_GATEWAY_NO_TLS: word }), { instanceOf: ConfigError });
    t.is(error?.message, `--no-tls: expected 1, true, yes, on or 0, false, no, off, got '${word}' (set by environment variable BMC_GATEWAY_NO_TLS)`);
  });
}

test('the config file can be named by the environment', (t) => {
  const path = configFile({ port: 2001 });
  t.is(loadConfig([], { BMC_GATEWAY_CONFIG: path }).config.port, 2001);
  t.is(loadConfig(['--config', configFile({ port: 2002 })], { BMC_GATEWAY_CONFIG: path }).config.port, 2002, 'the flag wins');
});

const badFiles: Array<[string, unknown, RegExp]> = [
  ['an unknown key, named', { port: 443, prot: 80 }, /unknown setting "prot"/],
  ['"config" inside the file', { config: '/etc/other.json' }, /unknown setting "config"/],
  ['"help" inside the file', { help: true }, /unknown setting "help"/],
  ['a bad value, with the setting and the file named', { port: 'eighty' }, /^--port: expected an integer, got 'eighty' \(set by "port" in config file .*config-\d+\.json\)$/],
  ['an out-of-range number', { port: 70000 }, /^--port: expected 0\.\.65535, got 70000 \(set by "port" in config file/],
  ['a boolean for a value option', { port: true }, /^--port: expected a string or a number, got true/],
  ['a string for a switch', { 'no-tls': 'yes' }, /^--no-tls: expected true or false, got "yes"/],
  ['null', { 'log-level': null }, /^--log-level: expected a string or a number, got null/],
  ['an array instead of an object', [1, 2], /must hold a JSON object/],
  ['bad JSON', '{"port": 443,', /is not valid JSON/],
];
for (const [what, content, message] of badFiles) {
  test(`config file rejected: ${what}`, (t) => {
    const path = configFile(content);
    const error = t.throws(() => loadConfig(['--config', path], {}), { instanceOf: ConfigError });
    t.regex(error?.message ?? '', message);
  });
}

test('a missing config file is an error naming it', (t) => {
  const error = t.throws(() => loadConfig(['--config', join(configDir, 'absent.json')], {}), { instanceOf: ConfigError });
  t.regex(error?.message ?? '', /--config: cannot read .*absent\.json: ENOENT/);
});

test('a bad value from the environment names the variable', (t) => {
  const error = t.throws(() => loadConfig([], { PORT: 'x' }), { instanceOf: ConfigError });
  t.is(error?.message, "--port: expected an integer, got 'x' (set by environment variable PORT)");
});

test('every option can be set from the config file', (t) => {
  // Each option's own default (or a switch) written in the file is accepted.
  for (const [name, option] of OPTION_ROWS) {
    if (option.key === undefined) continue;
    const value = option.type === 'boolean' ? false : option.default ?? '';
    if (option.type !== 'boolean' && value === '') continue; // optional settings without a default
    t.notThrows(() => loadConfig(['--config', configFile({ [name]: value })], {}), name);
  }
});

test('the shipped BMC config file (config/config.json) is valid', (t) => {
  const shipped = fileURLToPath(new URL('../../../config/config.json', import.meta.url));
  const { config } = loadConfig(['--config', shipped], {});
  t.is(config.authBackend, 'pam');
  t.true(config.tls);
});

test('help names the config file layer', (t) => {
  const text = helpText();
  t.true(text.includes('--config'));
  t.regex(text, /flag > environment > config file > default/);
});

test('docs/CONFIG.md documents every option: flag, environment variable and default', (t) => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/CONFIG.md', import.meta.url)), 'utf8');
  for (const [name, option] of OPTION_ROWS) {
    t.true(doc.includes(`\`--${name}\``), `--${name} missing from docs/CONFIG.md`);
    if (option.env) t.true(doc.includes(`\`${option.env}\``), `${option.env} missing from docs/CONFIG.md`);
    if (option.default) t.true(doc.includes(`\`${option.default}\``), `default of --${name} (${option.default}) missing from docs/CONFIG.md`);
  }
});

test('every integer option shows its range: in --help and in docs/CONFIG.md', (t) => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/CONFIG.md', import.meta.url)), 'utf8');
  const help = helpText().split('\n');
  let ranged = 0;
  for (const [name, option] of OPTION_ROWS) {
    if (!('parser' in option) || !option.parser.range) continue;
    ranged++;
    const { min, max } = option.parser.range;
    const line = help.find((l) => l.startsWith(`  --${name} `)) ?? '';
    t.true(line.includes(`[${min}..${max}]`), `--help of --${name} shows ${min}..${max}`);
    const row = doc.split('\n').find((l) => l.startsWith(`| \`--${name}\``)) ?? '';
    t.true(row.includes(`${min}–${max}`), `docs/CONFIG.md's row of --${name} shows ${min}–${max}`);
    // And the range is what the loader enforces.
    t.notThrows(() => loadConfig([`--${name}`, String(max)], {}), `--${name} ${max}`);
    t.throws(() => loadConfig([`--${name}`, String(max + 1)], {}), { instanceOf: ConfigError, message: new RegExp(`^--${name}: expected ${min}\\.\\.${max}`) });
  }
  t.true(ranged > 20);
});
