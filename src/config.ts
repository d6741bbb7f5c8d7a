/**
 * Configuration: command-line flags over environment over the config file
 * (`--config FILE`, JSON, keys = option names) over defaults, checked once at
 * start and frozen. Nothing else reads process.env, argv or the config file.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BMCWEB_COOKIE_NAMES, type CookieNames, isCookieName, OWN_COOKIE_NAMES } from './auth/cookies.js';
import { SYSTEM_BUS_ADDRESS } from './dbus/bus.js';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** D-Bus address of the system bus (or of a private test bus). */
  readonly busAddress: string;
  /** Deadline of every D-Bus call. */
  readonly callTimeoutMs: number;
  /** Bound on concurrent D-Bus calls made by the gateway. */
  readonly maxConcurrentCalls: number;
  /** Memory budget of the enumerates in flight, in bytes (estimated from their object counts; beyond it they wait). */
  readonly enumerateMemoryBytes: number;
  /** false: plain HTTP (behind a TLS-terminating proxy, or for local tests). */
  readonly tls: boolean;
  readonly tlsCertPath: string;
  readonly tlsKeyPath: string;
  readonly logLevel: LogLevelName;
  /** Password checks: the BMC's PAM stack, or a users file of scrypt hashes (demo, development, tests). */
  readonly authBackend: 'pam' | 'users-file';
  readonly usersFile: string;
  /** Where roles come from; `auto`: the user manager over D-Bus for PAM, the users file for users-file. */
  readonly roleSource: 'auto' | 'dbus' | 'users-file';
  readonly pamService: string;
  /** JSON policy file; '' for the built-in policy (docs/SECURITY.md). */
  readonly policyFile: string;
  readonly sessionIdleTimeoutMs: number;
  readonly maxSessions: number;
  readonly maxSessionsPerUser: number;
  /** Origins allowed to make CORS requests, normalised `scheme://host[:port]`. */
  readonly corsOrigins: readonly string[];
  /** Names of the session and XSRF cookies. */
  readonly cookieNames: CookieNames;
  /** Failed logins per user name inside the window before that user's password checks are delayed. */
  readonly loginLimitPerUser: number;
  /** Failed logins per client address inside the window before that address is refused (429). */
  readonly loginLimitPerAddress: number;
  readonly loginLimitWindowMs: number;
  /** Longest delay put before a password check of a user with recent failures. */
  readonly loginDelayMaxMs: number;
  /** Roles from D-Bus: a local user must be in one of these groups (as bmcweb's `redfish` check). */
  readonly servedGroups: readonly string[];
  /** Open TCP connections at most; more are closed at once. */
  readonly maxConnections: number;
  /** Open TCP connections from one client address at most; more are closed at once. */
  readonly maxConnectionsPerAddress: number;
  /** A TLS handshake must finish within this. */
  readonly tlsHandshakeTimeoutMs: number;
  /** A request head (request line and headers) must arrive within this. */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** /subscribe: ping interval; a peer that has not answered a ping by the next one is dropped. */
  readonly wsPingIntervalMs: number;
  /** /subscribe: open websocket connections at most (more: 503). */
  readonly wsMaxConnections: number;
  /** /subscribe: open websocket connections of one user at most (more: 503). */
  readonly wsMaxConnectionsPerUser: number;
  /** /subscribe: entries allowed in a filter's `paths` and `interfaces`. */
  readonly wsMaxPaths: number;
  readonly wsMaxInterfaces: number;
  /** /subscribe: a client with more unsent event bytes than this is closed (1008). */
  readonly wsSendBufferBytes: number;
  /** Where uploaded firmware images are written (the software manager watches it). */
  readonly imageDir: string;
  readonly uploadMaxBytes: number;
  /** How long an upload waits for the software manager's new Version object. */
  readonly uploadTimeoutMs: number;
  /** A JSON body must arrive within this; an upload may send nothing for at most this long (408). */
  readonly bodyTimeoutMs: number;
  /** phosphor-debug-collector's dump directory, served by /download/dump/<id>. */
  readonly dumpDir: string;
  /** SIGTERM: in-flight requests get this long to finish before their connections are cut. */
  readonly shutdownTimeoutMs: number;
  /** One info line per request (verb, path, status, time, bytes, user); audit lines are written regardless. */
  readonly requestLog: boolean;
}

export type LogLevelName = 'error' | 'warning' | 'info' | 'debug';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

interface Option {
  readonly type: 'string' | 'boolean';
  readonly env?: string;
  readonly help: string;
  readonly default?: string;
}

/** Every setting, with its flag, environment variable and help text. */
export const OPTIONS: Readonly<Record<string, Option>> = {
  host: { type: 'string', env: 'BMC_GATEWAY_HOST', default: '0.0.0.0', help: 'address to listen on' },
  port: { type: 'string', env: 'PORT', default: '443', help: 'TCP port to listen on' },
  'bus-address': { type: 'string', env: 'DBUS_SYSTEM_BUS_ADDRESS', default: SYSTEM_BUS_ADDRESS, help: 'D-Bus address of the system bus' },
  'call-timeout-ms': { type: 'string', env: 'BMC_GATEWAY_CALL_TIMEOUT_MS', default: '5000', help: 'deadline of every D-Bus call, in ms' },
  'max-concurrent-calls': { type: 'string', env: 'BMC_GATEWAY_MAX_CONCURRENT_CALLS', default: '32', help: 'bound on D-Bus calls in flight' },
  'enumerate-memory-mb': { type: 'string', env: 'BMC_GATEWAY_ENUMERATE_MEMORY_MB', default: '32', help: 'memory budget of the enumerates in flight, in MiB (about 2 KiB per object); beyond it enumerates wait' },
  'no-tls': { type: 'boolean', env: 'BMC_GATEWAY_NO_TLS', help: 'serve plain HTTP (only behind a TLS-terminating proxy)' },
  'tls-cert': { type: 'string', env: 'BMC_GATEWAY_TLS_CERT', default: '/etc/bmc-rest-gateway/cert.pem', help: 'TLS certificate (PEM); a self-signed pair is created when certificate and key are both missing' },
  'tls-key': { type: 'string', env: 'BMC_GATEWAY_TLS_KEY', default: '/etc/bmc-rest-gateway/key.pem', help: 'TLS private key (PEM); created with mode 0600 together with the certificate' },
  'log-level': { type: 'string', env: 'BMC_GATEWAY_LOG_LEVEL', default: 'info', help: 'error, warning, info or debug' },
  'request-log': { type: 'boolean', env: 'BMC_GATEWAY_REQUEST_LOG', help: 'log one info line per request (audit lines are always written)' },
  'auth-backend': { type: 'string', env: 'BMC_GATEWAY_AUTH_BACKEND', default: 'pam', help: 'password checks: pam or users-file' },
  'users-file': { type: 'string', env: 'BMC_GATEWAY_USERS_FILE', default: '/etc/bmc-rest-gateway/users.json', help: 'users file (scrypt hashes and roles) for --auth-backend users-file' },
  'role-source': { type: 'string', env: 'BMC_GATEWAY_ROLE_SOURCE', default: 'auto', help: 'roles from dbus (User.Manager.GetUserInfo), users-file, or auto (dbus for pam)' },
  'pam-service': { type: 'string', env: 'BMC_GATEWAY_PAM_SERVICE', default: 'webserver', help: 'PAM service name (/etc/pam.d/<name>)' },
  'policy-file': { type: 'string', env: 'BMC_GATEWAY_POLICY_FILE', help: 'authorisation policy (JSON); built-in defaults when not given' },
  'session-idle-timeout-ms': { type: 'string', env: 'BMC_GATEWAY_SESSION_IDLE_TIMEOUT_MS', default: '1800000', help: 'a session unused this long ends, in ms' },
  'max-sessions': { type: 'string', env: 'BMC_GATEWAY_MAX_SESSIONS', default: '64', help: 'sessions at most (the least recently used one is ended beyond)' },
  'max-sessions-per-user': { type: 'string', env: 'BMC_GATEWAY_MAX_SESSIONS_PER_USER', default: '8', help: 'sessions per user at most (their least recently used one is ended beyond)' },
  'session-cookie': { type: 'string', env: 'BMC_GATEWAY_SESSION_COOKIE', default: OWN_COOKIE_NAMES.session.join(','), help: 'session cookie name (comma-separated for several): set at login, accepted on requests' },
  'xsrf-cookie': { type: 'string', env: 'BMC_GATEWAY_XSRF_COOKIE', default: OWN_COOKIE_NAMES.xsrf, help: 'XSRF cookie name (the web page echoes its value in X-XSRF-TOKEN)' },
  'bmcweb-cookies': { type: 'boolean', env: 'BMC_GATEWAY_BMCWEB_COOKIES', help: `bmcweb's cookie names (${BMCWEB_COOKIE_NAMES.session.join(' and ')}, ${BMCWEB_COOKIE_NAMES.xsrf}), only where the gateway replaces bmcweb` },
  'cors-origins': { type: 'string', env: 'BMC_GATEWAY_CORS_ORIGINS', help: 'comma-separated origins (https://host[:port]) allowed to make CORS requests; none when not given' },
  'login-limit-per-user': { type: 'string', env: 'BMC_GATEWAY_LOGIN_LIMIT_PER_USER', default: '3', help: 'failed logins per user name inside the window before that user\'s password checks are delayed (never refused)' },
  'login-limit-per-address': { type: 'string', env: 'BMC_GATEWAY_LOGIN_LIMIT_PER_ADDRESS', default: '5', help: 'failed logins per client address inside the window before that address gets 429' },
  'login-limit-window-ms': { type: 'string', env: 'BMC_GATEWAY_LOGIN_LIMIT_WINDOW_MS', default: '60000', help: 'sliding window of the login limits, in ms' },
  'login-delay-max-ms': { type: 'string', env: 'BMC_GATEWAY_LOGIN_DELAY_MAX_MS', default: '10000', help: 'longest delay before a password check of a user with recent failures, in ms' },
  'served-groups': { type: 'string', env: 'BMC_GATEWAY_SERVED_GROUPS', default: 'web,redfish', help: 'roles from dbus: a local user must be in one of these groups (comma-separated)' },
  'max-connections': { type: 'string', env: 'BMC_GATEWAY_MAX_CONNECTIONS', default: '200', help: 'open connections at most; more are closed at once' },
  'max-connections-per-address': { type: 'string', env: 'BMC_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS', default: '64', help: 'open connections from one client address at most; more are closed at once' },
  'tls-handshake-timeout-ms': { type: 'string', env: 'BMC_GATEWAY_TLS_HANDSHAKE_TIMEOUT_MS', default: '10000', help: 'a TLS handshake must finish within this, in ms' },
  'headers-timeout-ms': { type: 'string', env: 'BMC_GATEWAY_HEADERS_TIMEOUT_MS', default: '20000', help: 'a request line and headers must arrive within this, in ms' },
  'keep-alive-timeout-ms': { type: 'string', env: 'BMC_GATEWAY_KEEP_ALIVE_TIMEOUT_MS', default: '15000', help: 'an idle keep-alive connection is closed after this, in ms' },
  'ws-ping-interval-ms': { type: 'string', env: 'BMC_GATEWAY_WS_PING_INTERVAL_MS', default: '30000', help: '/subscribe: ping interval; silent peers are dropped after one more, in ms' },
  'ws-max-connections': { type: 'string', env: 'BMC_GATEWAY_WS_MAX_CONNECTIONS', default: '32', help: '/subscribe: open websocket connections at most' },
  'ws-max-connections-per-user': { type: 'string', env: 'BMC_GATEWAY_WS_MAX_CONNECTIONS_PER_USER', default: '8', help: '/subscribe: open websocket connections of one user at most' },
  'ws-max-paths': { type: 'string', env: 'BMC_GATEWAY_WS_MAX_PATHS', default: '64', help: '/subscribe: entries in a filter\'s paths at most' },
  'ws-max-interfaces': { type: 'string', env: 'BMC_GATEWAY_WS_MAX_INTERFACES', default: '64', help: '/subscribe: entries in a filter\'s interfaces at most' },
  'ws-send-buffer-bytes': { type: 'string', env: 'BMC_GATEWAY_WS_SEND_BUFFER_BYTES', default: String(1024 * 1024), help: '/subscribe: unsent event bytes per client before it is closed as too slow' },
  'image-dir': { type: 'string', env: 'BMC_GATEWAY_IMAGE_DIR', default: '/tmp/images', help: 'directory uploaded images are written to' },
  'upload-max-bytes': { type: 'string', env: 'BMC_GATEWAY_UPLOAD_MAX_BYTES', default: String(128 * 1024 * 1024), help: 'largest accepted image, in bytes' },
  'upload-timeout-ms': { type: 'string', env: 'BMC_GATEWAY_UPLOAD_TIMEOUT_MS', default: '15000', help: 'wait for the software manager after an upload, in ms' },
  'body-timeout-ms': { type: 'string', env: 'BMC_GATEWAY_BODY_TIMEOUT_MS', default: '60000', help: 'a JSON body must arrive within this, an upload may pause at most this long (408), an enumerate answer may wait for its reader at most this long, in ms' },
  'dump-dir': { type: 'string', env: 'BMC_GATEWAY_DUMP_DIR', default: '/var/lib/phosphor-debug-collector/dumps', help: 'dump directory served by /download/dump' },
  'shutdown-timeout-ms': { type: 'string', env: 'BMC_GATEWAY_SHUTDOWN_TIMEOUT_MS', default: '10000', help: 'on SIGTERM, wait this long for in-flight requests before cutting them, in ms' },
  config: { type: 'string', env: 'BMC_GATEWAY_CONFIG', help: 'JSON config file: {"option-name": value, ...}; flags and environment override it' },
  help: { type: 'boolean', help: 'print this help and exit' },
  version: { type: 'boolean', help: 'print the version and exit' },
};

/** The first line of --help, and what a bad command line is answered with before its error. */
export const USAGE = 'Usage: bmc-rest-gateway [options]';

export interface ParsedCommandLine {
  readonly help: boolean;
  readonly version: boolean;
  readonly config: Config;
}

/** Parses argv (without node and script) and env; throws ConfigError naming the bad setting. */
export function loadConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedCommandLine {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(Object.entries(OPTIONS).map(([name, o]) => [name, { type: o.type }]));
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(commandLineError(err));
  }
  const file = readConfigFile(typeof values.config === 'string' ? values.config : env[OPTIONS.config?.env ?? ''] || undefined);
  /** Where a value that is not a flag or a default came from, for error messages. */
  const sources = new Map<string, string>();
  const pick = (name: string): string => {
    const option = OPTIONS[name];
    const flag = values[name];
    if (typeof flag === 'string') return flag;
    const fromEnv = option?.env ? env[option.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') {
      sources.set(name, `environment variable ${option?.env}`);
      return fromEnv;
    }
    const fromFile = file?.values.get(name);
    if (fromFile !== undefined) {
      sources.set(name, `"${name}" in config file ${file?.path}`);
      return String(fromFile);
    }
    return option?.default ?? '';
  };
  const flagOrEnv = (name: string): boolean => {
    if (values[name] === true) return true;
    const variable = OPTIONS[name]?.env;
    const fromEnv = variable ? env[variable] : undefined;
    if (variable && fromEnv !== undefined && fromEnv !== '') return switchValue(name, variable, fromEnv);
    return file?.values.get(name) === true;
  };
  const config: Config = namingSources(sources, () => ({
    host: pick('host'),
    port: integer('port', pick('port'), 0, 65535),
    busAddress: nonEmpty('bus-address', pick('bus-address')),
    callTimeoutMs: integer('call-timeout-ms', pick('call-timeout-ms'), 10, 600_000),
    maxConcurrentCalls: integer('max-concurrent-calls', pick('max-concurrent-calls'), 1, 1024),
    enumerateMemoryBytes: integer('enumerate-memory-mb', pick('enumerate-memory-mb'), 1, 4096) * 1024 * 1024,
    tls: !flagOrEnv('no-tls'),
    tlsCertPath: nonEmpty('tls-cert', pick('tls-cert')),
    tlsKeyPath: nonEmpty('tls-key', pick('tls-key')),
    logLevel: logLevel(pick('log-level')),
    authBackend: oneOf('auth-backend', pick('auth-backend'), ['pam', 'users-file'] as const),
    usersFile: nonEmpty('users-file', pick('users-file')),
    roleSource: oneOf('role-source', pick('role-source'), ['auto', 'dbus', 'users-file'] as const),
    pamService: pamService(pick('pam-service')),
    policyFile: pick('policy-file'),
    sessionIdleTimeoutMs: integer('session-idle-timeout-ms', pick('session-idle-timeout-ms'), 1, 7 * 24 * 3_600_000),
    maxSessions: integer('max-sessions', pick('max-sessions'), 1, 100_000),
    maxSessionsPerUser: integer('max-sessions-per-user', pick('max-sessions-per-user'), 1, 100_000),
    corsOrigins: Object.freeze(corsOrigins(pick('cors-origins'))),
    cookieNames: cookieNames(flagOrEnv('bmcweb-cookies'), pick('session-cookie'), pick('xsrf-cookie'),
      (name) => typeof values[name] === 'string' || sources.has(name)),
    loginLimitPerUser: integer('login-limit-per-user', pick('login-limit-per-user'), 1, 1_000_000),
    loginLimitPerAddress: integer('login-limit-per-address', pick('login-limit-per-address'), 1, 1_000_000),
    loginLimitWindowMs: integer('login-limit-window-ms', pick('login-limit-window-ms'), 1, 86_400_000),
    loginDelayMaxMs: integer('login-delay-max-ms', pick('login-delay-max-ms'), 0, 600_000),
    servedGroups: Object.freeze(groupList(pick('served-groups'))),
    maxConnections: integer('max-connections', pick('max-connections'), 1, 100_000),
    maxConnectionsPerAddress: integer('max-connections-per-address', pick('max-connections-per-address'), 1, 100_000),
    tlsHandshakeTimeoutMs: integer('tls-handshake-timeout-ms', pick('tls-handshake-timeout-ms'), 100, 600_000),
    headersTimeoutMs: integer('headers-timeout-ms', pick('headers-timeout-ms'), 100, 600_000),
    keepAliveTimeoutMs: integer('keep-alive-timeout-ms', pick('keep-alive-timeout-ms'), 100, 3_600_000),
    wsPingIntervalMs: integer('ws-ping-interval-ms', pick('ws-ping-interval-ms'), 10, 3_600_000),
    wsMaxConnections: integer('ws-max-connections', pick('ws-max-connections'), 1, 10_000),
    wsMaxConnectionsPerUser: integer('ws-max-connections-per-user', pick('ws-max-connections-per-user'), 1, 10_000),
    wsMaxPaths: integer('ws-max-paths', pick('ws-max-paths'), 1, 10_000),
    wsMaxInterfaces: integer('ws-max-interfaces', pick('ws-max-interfaces'), 1, 10_000),
    wsSendBufferBytes: integer('ws-send-buffer-bytes', pick('ws-send-buffer-bytes'), 1024, 1024 ** 3),
    imageDir: nonEmpty('image-dir', pick('image-dir')),
    uploadMaxBytes: integer('upload-max-bytes', pick('upload-max-bytes'), 1, 4 * 1024 ** 3),
    uploadTimeoutMs: integer('upload-timeout-ms', pick('upload-timeout-ms'), 10, 600_000),
    bodyTimeoutMs: integer('body-timeout-ms', pick('body-timeout-ms'), 10, 3_600_000),
    dumpDir: nonEmpty('dump-dir', pick('dump-dir')),
    shutdownTimeoutMs: integer('shutdown-timeout-ms', pick('shutdown-timeout-ms'), 0, 600_000),
    requestLog: flagOrEnv('request-log'),
  }));
  return { help: values.help === true, version: values.version === true, config: Object.freeze(config) };
}

/** The text of `--help`. */
export function helpText(): string {
  const lines = [USAGE, '', 'Options (flag > environment > config file > default):'];
  for (const [name, option] of Object.entries(OPTIONS)) {
    const flag = option.type === 'string' ? `--${name} VALUE` : `--${name}`;
    const env = option.env ? ` [env ${option.env}]` : '';
    const def = option.default !== undefined ? ` (default: ${option.default})` : '';
    lines.push(`  ${flag.padEnd(28)} ${option.help}${def}${env}`);
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
    const near = Object.keys(OPTIONS).find((option) => editDistance(option, name) <= 2);
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

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(text)) throw new ConfigError(`--${name}: expected an integer, got '${text}'`);
  const value = Number(text);
  if (value < min || value > max) throw new ConfigError(`--${name}: expected ${min}..${max}, got ${value}`);
  return value;
}

/**
 * An on/off switch set through the environment: the words systemd and shells
 * use, in any case. Anything else is refused rather than read as "off", so a
 * typo such as BMC_GATEWAY_NO_TLS=yes! cannot silently keep TLS on or off.
 */
function switchValue(name: string, variable: string, text: string): boolean {
  const word = text.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(word)) return true;
  if (['0', 'false', 'no', 'off'].includes(word)) return false;
  throw new ConfigError(`--${name}: expected 1, true, yes, on or 0, false, no, off, got '${text}' (set by environment variable ${variable})`);
}

function nonEmpty(name: string, text: string): string {
  if (text === '') throw new ConfigError(`--${name}: must not be empty`);
  return text;
}

function logLevel(text: string): LogLevelName {
  if (text === 'error' || text === 'warning' || text === 'info' || text === 'debug') return text;
  throw new ConfigError(`--log-level: expected error, warning, info or debug, got '${text}'`);
}

function oneOf<T extends string>(name: string, text: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new ConfigError(`--${name}: expected ${choices.join(' or ')}, got '${text}'`);
}

/** A PAM service is a file name in /etc/pam.d. */
function pamService(text: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(text)) return text;
  throw new ConfigError(`--pam-service: expected a file name in /etc/pam.d, got '${text}'`);
}

/** `web,redfish` → group names (Linux group name characters); at least one. */
function groupList(text: string): string[] {
  const groups = text.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (groups.length === 0) throw new ConfigError('--served-groups: expected at least one group name');
  for (const group of groups) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(group)) throw new ConfigError(`--served-groups: expected group names, got '${group}'`);
  }
  return groups;
}

/** `https://a.example, https://b.example:8443` → exact origins; paths and wildcards are refused. */
function corsOrigins(text: string): string[] {
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
    if (!url || !plain) {
      throw new ConfigError(`--cors-origins: expected origins like https://host:port, got '${item}'`);
    }
    origins.push(url.origin);
  }
  return origins;
}

/**
 * The cookie names: bmcweb's with --bmcweb-cookies, else the given or
 * default ones. Each must be a cookie-name token, and all distinct.
 */
function cookieNames(bmcweb: boolean, session: string, xsrf: string, given: (name: string) => boolean): CookieNames {
  if (bmcweb) {
    const clash = ['session-cookie', 'xsrf-cookie'].find(given);
    if (clash) throw new ConfigError(`--${clash}: not together with --bmcweb-cookies, which sets the cookie names`);
    return BMCWEB_COOKIE_NAMES;
  }
  const characters = "letters, digits, !#$%&'*+-.^_`|~";
  const sessionNames = session.split(',').map((name) => name.trim());
  for (const name of sessionNames) {
    if (!isCookieName(name)) throw new ConfigError(`--session-cookie: expected cookie names (${characters}), got '${name}'`);
  }
  if (sessionNames.length > 4) throw new ConfigError(`--session-cookie: at most 4 names, got ${sessionNames.length}`);
  if (!isCookieName(xsrf)) throw new ConfigError(`--xsrf-cookie: expected a cookie name (${characters}), got '${xsrf}'`);
  const all = [...sessionNames, xsrf];
  const twice = all.find((name, index) => all.indexOf(name) !== index);
  if (twice !== undefined) throw new ConfigError(`--session-cookie: the name '${twice}' is given twice (the XSRF cookie needs its own)`);
  return Object.freeze({ session: Object.freeze(sessionNames), xsrf });
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
    const option = OPTIONS[key];
    if (!option || key === 'config' || key === 'help' || key === 'version') {
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

/** Runs the validators; an error about a setting names where its bad value came from. */
function namingSources<T>(sources: ReadonlyMap<string, string>, build: () => T): T {
  try {
    return build();
  } catch (err) {
    const name = err instanceof ConfigError ? /^--([a-z0-9-]+):/.exec(err.message)?.[1] : undefined;
    const source = name ? sources.get(name) : undefined;
    if (err instanceof ConfigError && source) throw new ConfigError(`${err.message} (set by ${source})`);
    throw err;
  }
}
