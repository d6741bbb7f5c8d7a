/**
 * Configuration: command-line flags over environment over the config file
 * (`--config FILE`, JSON, keys = option names) over defaults, checked once at
 * start and frozen. Nothing else reads process.env, argv or the config file.
 *
 * One row per option (OPTIONS): its flag, environment variable, default,
 * parser (with its range) and help; the Config type is made from the rows,
 * `--help` prints them, and docs/CONFIG.md is checked against them
 * (test/unit/config.test.ts). Adding an option is adding a row.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BMCWEB_COOKIE_NAMES, type CookieNames, isCookieName, OWN_COOKIE_NAMES } from './auth/cookies.js';
import { SYSTEM_BUS_ADDRESS } from './dbus/bus.js';

export type LogLevelName = 'error' | 'warning' | 'info' | 'debug';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A bad value; the loader puts the option's name and where the value came from around the message. */
class ValueError extends Error {}

/** Reads an option's text into its value; `range` is what --help and docs/CONFIG.md show. */
export interface Parser<T> {
  readonly parse: (text: string) => T;
  readonly range?: { readonly min: number; readonly max: number };
}

export interface ValueOption<K extends string, T> {
  readonly type: 'string';
  /** The Config field it sets. */
  readonly key: K;
  readonly env?: string;
  readonly default?: string;
  readonly parser: Parser<T>;
  readonly help: string;
}

export interface SwitchOption<K extends string> {
  readonly type: 'boolean';
  readonly key: K;
  readonly env?: string;
  readonly default?: undefined;
  readonly help: string;
}

/** `--config`, `--help`, `--version`: read by the loader and main.ts, no Config field. */
interface MetaOption {
  readonly type: 'string' | 'boolean';
  readonly key?: undefined;
  readonly env?: string;
  readonly default?: undefined;
  readonly help: string;
}

export type Option = ValueOption<string, unknown> | SwitchOption<string> | MetaOption;

const MIB = 1024 * 1024;

/** An integer in [min, max] (decimal digits only), scaled by `scale` (1 MiB for `-mb` options). */
function integer(min: number, max: number, scale = 1): Parser<number> {
  return {
    range: { min, max },
    parse: (text) => {
      if (!/^[0-9]+$/.test(text)) throw new ValueError(`expected an integer, got '${text}'`);
      const value = Number(text);
      if (value < min || value > max) throw new ValueError(`expected ${min}..${max}, got ${value}`);
      return value * scale;
    },
  };
}

function oneOf<T extends string>(choices: readonly T[]): Parser<T> {
  return {
    parse: (text) => {
      if ((choices as readonly string[]).includes(text)) return text as T;
      throw new ValueError(`expected ${choices.length > 2 ? `${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}` : choices.join(' or ')}, got '${text}'`);
    },
  };
}

const anyText: Parser<string> = { parse: (text) => text };
const nonEmpty: Parser<string> = {
  parse: (text) => {
    if (text === '') throw new ValueError('must not be empty');
    return text;
  },
};

/** A PAM service is a file name in /etc/pam.d. */
const pamService: Parser<string> = {
  parse: (text) => {
    if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(text)) return text;
    throw new ValueError(`expected a file name in /etc/pam.d, got '${text}'`);
  },
};

/** `web,redfish` → group names (Linux group name characters); at least one. */
const groupList: Parser<readonly string[]> = {
  parse: (text) => {
    const groups = text.split(',').map((part) => part.trim()).filter((part) => part !== '');
    if (groups.length === 0) throw new ValueError('expected at least one group name');
    for (const group of groups) {
      if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(group)) throw new ValueError(`expected group names, got '${group}'`);
    }
    return Object.freeze(groups);
  },
};

/** `https://a.example, https://b.example:8443` → exact origins; paths and wildcards are refused. */
const corsOrigins: Parser<readonly string[]> = {
  parse: (text) => {
    const origins: string[] = [];
    for (const item of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
      let url: URL | undefined;
      try {
        url = new URL(item);
      } catch {
        url = undefined;
      }
      const plain = url && (url.protocol === 'https:' || url.protocol === 'http:') && url.pathname === '/'
        && !url.search && !url.hash && !url.username && !url.password && !item.includes('*');
      if (!url || !plain) throw new ValueError(`expected origins like https://host:port, got '${item}'`);
      origins.push(url.origin);
    }
    return Object.freeze(origins);
  },
};

const COOKIE_CHARACTERS = "letters, digits, !#$%&'*+-.^_`|~";

const sessionCookies: Parser<readonly string[]> = {
  parse: (text) => {
    const names = text.split(',').map((name) => name.trim());
    for (const name of names) {
      if (!isCookieName(name)) throw new ValueError(`expected cookie names (${COOKIE_CHARACTERS}), got '${name}'`);
    }
    if (names.length > 4) throw new ValueError(`at most 4 names, got ${names.length}`);
    return Object.freeze(names);
  },
};

const xsrfCookie: Parser<string> = {
  parse: (text) => {
    if (!isCookieName(text)) throw new ValueError(`expected a cookie name (${COOKIE_CHARACTERS}), got '${text}'`);
    return text;
  },
};

const value = <K extends string, T>(key: K, parser: Parser<T>, row: { env?: string; default?: string; help: string }): ValueOption<K, T> =>
  ({ type: 'string', key, parser, ...row });
const onOff = <K extends string>(key: K, row: { env?: string; help: string }): SwitchOption<K> => ({ type: 'boolean', key, ...row });

/** Every setting, by flag name, in --help order. */
export const OPTIONS = {
  host: value('host', anyText, { env: 'BMC_GATEWAY_HOST', default: '0.0.0.0', help: 'address to listen on' }),
  port: value('port', integer(0, 65535), { env: 'PORT', default: '443', help: 'TCP port to listen on' }),
  'bus-address': value('busAddress', nonEmpty, { env: 'DBUS_SYSTEM_BUS_ADDRESS', default: SYSTEM_BUS_ADDRESS, help: 'D-Bus address of the system bus' }),
  'call-timeout-ms': value('callTimeoutMs', integer(10, 600_000), { env: 'BMC_GATEWAY_CALL_TIMEOUT_MS', default: '5000', help: 'deadline of every D-Bus call, in ms' }),
  'max-concurrent-calls': value('maxConcurrentCalls', integer(1, 1024), { env: 'BMC_GATEWAY_MAX_CONCURRENT_CALLS', default: '32', help: 'bound on the D-Bus reads (GetAll, Get, GetManagedObjects) of the gateway in flight' }),
  'enumerate-memory-mb': value('enumerateMemoryBytes', integer(1, 4096, MIB), { env: 'BMC_GATEWAY_ENUMERATE_MEMORY_MB', default: '32', help: 'memory budget of the enumerates in flight, in MiB (about 2 KiB per object); beyond it enumerates wait' }),
  'no-tls': onOff('noTls', { env: 'BMC_GATEWAY_NO_TLS', help: 'serve plain HTTP (only behind a TLS-terminating proxy)' }),
  'tls-cert': value('tlsCertPath', nonEmpty, { env: 'BMC_GATEWAY_TLS_CERT', default: '/etc/bmc-rest-gateway/cert.pem', help: 'TLS certificate (PEM); a self-signed pair is created when certificate and key are both missing' }),
  'tls-key': value('tlsKeyPath', nonEmpty, { env: 'BMC_GATEWAY_TLS_KEY', default: '/etc/bmc-rest-gateway/key.pem', help: 'TLS private key (PEM); created with mode 0600 together with the certificate' }),
  'log-level': value('logLevel', oneOf<LogLevelName>(['error', 'warning', 'info', 'debug']), { env: 'BMC_GATEWAY_LOG_LEVEL', default: 'info', help: 'error, warning, info or debug' }),
  'request-log': onOff('requestLog', { env: 'BMC_GATEWAY_REQUEST_LOG', help: 'log one info line per request (audit lines are always written)' }),
  'auth-backend': value('authBackend', oneOf(['pam', 'users-file'] as const), { env: 'BMC_GATEWAY_AUTH_BACKEND', default: 'pam', help: 'password checks: pam or users-file' }),
  'users-file': value('usersFile', nonEmpty, { env: 'BMC_GATEWAY_USERS_FILE', default: '/etc/bmc-rest-gateway/users.json', help: 'users file (scrypt hashes and roles) for --auth-backend users-file' }),
  'role-source': value('roleSource', oneOf(['auto', 'dbus', 'users-file'] as const), { env: 'BMC_GATEWAY_ROLE_SOURCE', default: 'auto', help: 'roles from dbus (User.Manager.GetUserInfo), users-file, or auto (dbus for pam)' }),
  'pam-service': value('pamService', pamService, { env: 'BMC_GATEWAY_PAM_SERVICE', default: 'webserver', help: 'PAM service name (/etc/pam.d/<name>)' }),
  'policy-file': value('policyFile', anyText, { env: 'BMC_GATEWAY_POLICY_FILE', help: 'authorisation policy (JSON); built-in defaults when not given' }),
  'session-idle-timeout-ms': value('sessionIdleTimeoutMs', integer(1, 7 * 24 * 3_600_000), { env: 'BMC_GATEWAY_SESSION_IDLE_TIMEOUT_MS', default: '1800000', help: 'a session unused this long ends, in ms' }),
  'max-sessions': value('maxSessions', integer(1, 100_000), { env: 'BMC_GATEWAY_MAX_SESSIONS', default: '64', help: 'sessions at most (the least recently used one is ended beyond)' }),
  'max-sessions-per-user': value('maxSessionsPerUser', integer(1, 100_000), { env: 'BMC_GATEWAY_MAX_SESSIONS_PER_USER', default: '8', help: 'sessions per user at most (their least recently used one is ended beyond)' }),
  'session-cookie': value('sessionCookies', sessionCookies, { env: 'BMC_GATEWAY_SESSION_COOKIE', default: OWN_COOKIE_NAMES.session.join(','), help: 'session cookie name (comma-separated for several): set at login, accepted on requests' }),
  'xsrf-cookie': value('xsrfCookie', xsrfCookie, { env: 'BMC_GATEWAY_XSRF_COOKIE', default: OWN_COOKIE_NAMES.xsrf, help: 'XSRF cookie name (the web page echoes its value in X-XSRF-TOKEN)' }),
  'bmcweb-cookies': onOff('bmcwebCookies', { env: 'BMC_GATEWAY_BMCWEB_COOKIES', help: `bmcweb's cookie names (${BMCWEB_COOKIE_NAMES.session.join(' and ')}, ${BMCWEB_COOKIE_NAMES.xsrf}), only where the gateway replaces bmcweb` }),
  'cors-origins': value('corsOrigins', corsOrigins, { env: 'BMC_GATEWAY_CORS_ORIGINS', help: 'comma-separated origins (https://host[:port]) allowed to make CORS requests; none when not given' }),
  'login-limit-per-user': value('loginLimitPerUser', integer(1, 1_000_000), { env: 'BMC_GATEWAY_LOGIN_LIMIT_PER_USER', default: '3', help: 'failed logins per user name inside the window before that user\'s password checks are delayed (never refused)' }),
  'login-limit-per-address': value('loginLimitPerAddress', integer(1, 1_000_000), { env: 'BMC_GATEWAY_LOGIN_LIMIT_PER_ADDRESS', default: '5', help: 'failed logins per client address inside the window before that address gets 429' }),
  'login-limit-window-ms': value('loginLimitWindowMs', integer(1, 86_400_000), { env: 'BMC_GATEWAY_LOGIN_LIMIT_WINDOW_MS', default: '60000', help: 'sliding window of the login limits, in ms' }),
  'login-delay-max-ms': value('loginDelayMaxMs', integer(0, 600_000), { env: 'BMC_GATEWAY_LOGIN_DELAY_MAX_MS', default: '10000', help: 'longest delay before a password check of a user with recent failures, in ms' }),
  'served-groups': value('servedGroups', groupList, { env: 'BMC_GATEWAY_SERVED_GROUPS', default: 'web,redfish', help: 'roles from dbus: a local user must be in one of these groups (comma-separated)' }),
  'max-connections': value('maxConnections', integer(1, 100_000), { env: 'BMC_GATEWAY_MAX_CONNECTIONS', default: '200', help: 'open connections at most; more are closed at once' }),
  'max-connections-per-address': value('maxConnectionsPerAddress', integer(1, 100_000), { env: 'BMC_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS', default: '64', help: 'open connections from one client address at most; more are closed at once' }),
  'tls-handshake-timeout-ms': value('tlsHandshakeTimeoutMs', integer(100, 600_000), { env: 'BMC_GATEWAY_TLS_HANDSHAKE_TIMEOUT_MS', default: '10000', help: 'a TLS handshake must finish within this, in ms' }),
  'headers-timeout-ms': value('headersTimeoutMs', integer(100, 600_000), { env: 'BMC_GATEWAY_HEADERS_TIMEOUT_MS', default: '20000', help: 'a request line and headers must arrive within this, in ms' }),
  'keep-alive-timeout-ms': value('keepAliveTimeoutMs', integer(100, 3_600_000), { env: 'BMC_GATEWAY_KEEP_ALIVE_TIMEOUT_MS', default: '15000', help: 'an idle keep-alive connection is closed after this, in ms' }),
  'ws-ping-interval-ms': value('wsPingIntervalMs', integer(10, 3_600_000), { env: 'BMC_GATEWAY_WS_PING_INTERVAL_MS', default: '30000', help: '/subscribe: ping interval; silent peers are dropped after one more, in ms' }),
  'ws-max-connections': value('wsMaxConnections', integer(1, 10_000), { env: 'BMC_GATEWAY_WS_MAX_CONNECTIONS', default: '32', help: '/subscribe: open websocket connections at most' }),
  'ws-max-connections-per-user': value('wsMaxConnectionsPerUser', integer(1, 10_000), { env: 'BMC_GATEWAY_WS_MAX_CONNECTIONS_PER_USER', default: '8', help: '/subscribe: open websocket connections of one user at most' }),
  'ws-max-paths': value('wsMaxPaths', integer(1, 10_000), { env: 'BMC_GATEWAY_WS_MAX_PATHS', default: '64', help: '/subscribe: entries in a filter\'s paths at most' }),
  'ws-max-interfaces': value('wsMaxInterfaces', integer(1, 10_000), { env: 'BMC_GATEWAY_WS_MAX_INTERFACES', default: '64', help: '/subscribe: entries in a filter\'s interfaces at most' }),
  'ws-send-buffer-bytes': value('wsSendBufferBytes', integer(1024, 1024 ** 3), { env: 'BMC_GATEWAY_WS_SEND_BUFFER_BYTES', default: String(1024 * 1024), help: '/subscribe: unsent event bytes per client before it is closed as too slow' }),
  'image-dir': value('imageDir', nonEmpty, { env: 'BMC_GATEWAY_IMAGE_DIR', default: '/tmp/images', help: 'directory uploaded images are written to' }),
  'upload-max-bytes': value('uploadMaxBytes', integer(1, 4 * 1024 ** 3), { env: 'BMC_GATEWAY_UPLOAD_MAX_BYTES', default: String(128 * 1024 * 1024), help: 'largest accepted image, in bytes' }),
  'upload-timeout-ms': value('uploadTimeoutMs', integer(10, 600_000), { env: 'BMC_GATEWAY_UPLOAD_TIMEOUT_MS', default: '15000', help: 'wait for the software manager after an upload, in ms' }),
  'body-timeout-ms': value('bodyTimeoutMs', integer(10, 3_600_000), { env: 'BMC_GATEWAY_BODY_TIMEOUT_MS', default: '60000', help: 'a JSON body must arrive within this, an upload may pause at most this long (408), an enumerate answer may wait for its reader at most this long, in ms' }),
  'dump-dir': value('dumpDir', nonEmpty, { env: 'BMC_GATEWAY_DUMP_DIR', default: '/var/lib/phosphor-debug-collector/dumps', help: 'dump directory served by /download/dump' }),
  'max-jobs': value('maxJobs', integer(1, 10_000), { env: 'BMC_GATEWAY_MAX_JOBS', default: '64', help: 'jobs kept at most (Prefer: respond-async); the oldest finished go first, a table of unfinished jobs answers 503' }),
  'job-retention-ms': value('jobRetentionMs', integer(1000, 7 * 24 * 3_600_000), { env: 'BMC_GATEWAY_JOB_RETENTION_MS', default: '3600000', help: 'a finished job is forgotten this long after it ended, in ms' }),
  'job-timeout-ms': value('jobTimeoutMs', integer(10, 3_600_000), { env: 'BMC_GATEWAY_JOB_TIMEOUT_MS', default: '120000', help: 'deadline of a job\'s D-Bus call, and the time limit of a job whose completion rule sets none, in ms' }),
  'completion-rules-file': value('completionRulesFile', anyText, { env: 'BMC_GATEWAY_COMPLETION_RULES_FILE', help: 'what ends a job (JSON rules); built-in rules when not given' }),
  'shutdown-timeout-ms': value('shutdownTimeoutMs', integer(0, 600_000), { env: 'BMC_GATEWAY_SHUTDOWN_TIMEOUT_MS', default: '10000', help: 'on SIGTERM, wait this long for in-flight requests before cutting them, in ms' }),
  config: { type: 'string', env: 'BMC_GATEWAY_CONFIG', help: 'JSON config file: {"option-name": value, ...}; flags and environment override it' },
  help: { type: 'boolean', help: 'print this help and exit' },
  version: { type: 'boolean', help: 'print the version and exit' },
} as const satisfies Readonly<Record<string, Option>>;

type Rows = typeof OPTIONS;
/** The values of the rows, by their Config field. */
type RowValues = {
  readonly [F in keyof Rows as Rows[F] extends { readonly key: infer K extends string } ? K : never]:
  Rows[F] extends ValueOption<string, infer T> ? T : boolean;
};

/** The configuration: one field per option row, and what several rows decide together. */
export type Config = Omit<RowValues, 'noTls' | 'sessionCookies' | 'xsrfCookie' | 'bmcwebCookies'> & {
  /** false: plain HTTP (--no-tls). */
  readonly tls: boolean;
  /** Names of the session and XSRF cookies (--session-cookie, --xsrf-cookie, --bmcweb-cookies). */
  readonly cookieNames: CookieNames;
};

/** The first line of --help, and what a bad command line is answered with before its error. */
export const USAGE = 'Usage: bmc-rest-gateway [options]';

export interface ParsedCommandLine {
  readonly help: boolean;
  readonly version: boolean;
  readonly config: Config;
}

/** The rows as [flag name, option] pairs. */
export const OPTION_ROWS: ReadonlyArray<readonly [string, Option]> = Object.entries(OPTIONS);
const ROWS = OPTION_ROWS;
const COMMAND_LINE = 'the command line';

/** Parses argv (without node and script) and env; throws ConfigError naming the bad setting and where it came from. */
export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedCommandLine {
  let flags: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(ROWS.map(([name, o]) => [name, { type: o.type }]));
    flags = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(commandLineError(err));
  }
  const file = readConfigFile(typeof flags.config === 'string' ? flags.config : env[OPTIONS.config.env] || undefined);
  /** Where each value that is not a default came from, for error messages. */
  const sources = new Map<string, string>();
  const fail = (name: string, message: string): ConfigError => {
    const source = sources.get(name);
    // A flag's error needs no source: it is on the command line being read.
    return new ConfigError(`--${name}: ${message}${source && source !== COMMAND_LINE ? ` (set by ${source})` : ''}`);
  };
  const values: Record<string, unknown> = {};
  for (const [name, option] of ROWS) {
    if (option.key === undefined) continue;
    if (option.type === 'boolean') {
      values[option.key] = switchValue(name, option, flags[name], env, file, fail, sources);
      continue;
    }
    const text = textValue(name, option, flags[name], env, file, sources);
    try {
      values[option.key] = option.parser.parse(text);
    } catch (err) {
      if (err instanceof ValueError) throw fail(name, err.message);
      throw err;
    }
  }
  const rows = values as RowValues;
  const { noTls, sessionCookies: session, xsrfCookie: xsrf, bmcwebCookies, ...rest } = rows;
  const config: Config = { ...rest, tls: !noTls, cookieNames: cookieNames(bmcwebCookies, session, xsrf, sources, fail) };
  return { help: flags.help === true, version: flags.version === true, config: Object.freeze(config) };
}

/** A value option's text: flag, else environment, else config file, else default. */
function textValue(name: string, option: ValueOption<string, unknown>, flag: unknown, env: Readonly<Record<string, string | undefined>>,
  file: ConfigFile | undefined, sources: Map<string, string>): string {
  if (typeof flag === 'string') {
    sources.set(name, COMMAND_LINE);
    return flag;
  }
  const fromEnv = option.env ? env[option.env] : undefined;
  if (fromEnv !== undefined && fromEnv !== '') {
    sources.set(name, `environment variable ${option.env}`);
    return fromEnv;
  }
  const fromFile = file?.values.get(name);
  if (fromFile !== undefined) {
    sources.set(name, `"${name}" in config file ${file?.path}`);
    return String(fromFile);
  }
  return option.default ?? '';
}

/**
 * A switch: on with its flag; else the environment in the words systemd and
 * shells use, in any case (anything else is refused rather than read as
 * "off", so a typo such as BMC_GATEWAY_NO_TLS=yes! cannot silently keep TLS
 * on or off); else the config file; else off.
 */
function switchValue(name: string, option: SwitchOption<string>, flag: unknown, env: Readonly<Record<string, string | undefined>>,
  file: ConfigFile | undefined, fail: (name: string, message: string) => ConfigError, sources: Map<string, string>): boolean {
  if (flag === true) {
    sources.set(name, COMMAND_LINE);
    return true;
  }
  const text = option.env ? env[option.env] : undefined;
  if (option.env && text !== undefined && text !== '') {
    sources.set(name, `environment variable ${option.env}`);
    const word = text.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(word)) return true;
    if (['0', 'false', 'no', 'off'].includes(word)) return false;
    throw fail(name, `expected 1, true, yes, on or 0, false, no, off, got '${text}'`);
  }
  if (file?.values.has(name)) sources.set(name, `"${name}" in config file ${file.path}`);
  return file?.values.get(name) === true;
}

/**
 * The cookie names: bmcweb's with --bmcweb-cookies, else the given or
 * default ones, all distinct.
 */
function cookieNames(bmcweb: boolean, session: readonly string[], xsrf: string, sources: ReadonlyMap<string, string>,
  fail: (name: string, message: string) => ConfigError): CookieNames {
  if (bmcweb) {
    const clash = ['session-cookie', 'xsrf-cookie'].find((name) => sources.has(name));
    if (clash) throw fail(clash, 'not together with --bmcweb-cookies, which sets the cookie names');
    return BMCWEB_COOKIE_NAMES;
  }
  const all = [...session, xsrf];
  const twice = all.find((name, index) => all.indexOf(name) !== index);
  if (twice !== undefined) throw fail('session-cookie', `the name '${twice}' is given twice (the XSRF cookie needs its own)`);
  return Object.freeze({ session, xsrf });
}

/** The text of `--help`: every row with its range, default and variable. */
export function helpText(): string {
  const lines = [USAGE, '', 'Options (flag > environment > config file > default):'];
  for (const [name, option] of ROWS) {
    const flag = option.type === 'string' ? `--${name} VALUE` : `--${name}`;
    const range = 'parser' in option && option.parser.range ? ` [${option.parser.range.min}..${option.parser.range.max}]` : '';
    const env = option.env ? ` [env ${option.env}]` : '';
    const def = option.default !== undefined ? ` (default: ${option.default})` : '';
    lines.push(`  ${flag.padEnd(28)} ${option.help}${range}${def}${env}`);
  }
  return lines.join('\n');
}

/**
 * parseArgs' errors in the words of this command: `unknown option '--prot'
 * (did you mean --port?)` rather than advice about positional arguments.
 */
function commandLineError(err: unknown): string {
  const { code, message } = err as { code?: string; message?: string };
  const quoted = /'([^']*)'/.exec(message ?? '')?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = quoted.replace(/^-+/, '').split('=')[0] ?? '';
    const near = ROWS.map(([option]) => option).find((option) => editDistance(option, name) <= 2);
    return `unknown option '${quoted}'${near ? ` (did you mean --${near}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument '${quoted}' (options start with --)`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument missing/.test(message ?? '')) {
    return `${quoted.split(' ')[0]}: expected a value`;
  }
  return message ?? String(err);
}

/** Levenshtein distance, for "did you mean" (option names are short). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

interface ConfigFile {
  readonly path: string;
  /** Option name -> value: a string or number for value options, a boolean for switches. */
  readonly values: ReadonlyMap<string, string | number | boolean>;
}

/** Reads and checks `--config FILE`: a JSON object whose keys are option names. */
function readConfigFile(path: string | undefined): ConfigFile | undefined {
  if (path === undefined) return undefined;
  if (path === '') throw new ConfigError('--config: must not be empty');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`--config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`--config: ${path} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`--config: ${path} must hold a JSON object of settings`);
  }
  const values = new Map<string, string | number | boolean>();
  for (const [key, value] of Object.entries(parsed)) {
    const option = (OPTIONS as Readonly<Record<string, Option>>)[key];
    if (!option || option.key === undefined) {
      throw new ConfigError(`--config: unknown setting "${key}" in ${path} (settings are the option names of --help, without "--")`);
    }
    const fine = option.type === 'boolean'
      ? typeof value === 'boolean'
      : typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    if (!fine) {
      const expected = option.type === 'boolean' ? 'true or false' : 'a string or a number';
      throw new ConfigError(`--${key}: expected ${expected}, got ${JSON.stringify(value)} ("${key}" in config file ${path})`);
    }
    values.set(key, value as string | number | boolean);
  }
  return { path, values };
}

