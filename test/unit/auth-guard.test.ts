/**
 * The guard on bare IncomingMessage-shaped requests, as the websocket
 * upgrade hands them over: credentials, CSRF for upgrades, policy.
 */
import type { IncomingMessage } from 'node:http';
import test from 'ava';
import { AuthGuard } from '../../src/auth/auth-guard.js';
import { OWN_COOKIE_NAMES } from '../../src/auth/cookies.js';
import type { CredentialChecker } from '../../src/auth/credentials.js';
import type { Role } from '../../src/auth/guard.js';
import { DEFAULT_POLICY } from '../../src/auth/policy.js';
import { LoginThrottle } from '../../src/auth/rate-limit.js';
import { UsersFileRoleSource } from '../../src/auth/roles.js';
import { SessionStore } from '../../src/auth/sessions.js';
import { GatewayError } from '../../src/errors.js';
import { memoryLogger } from '../../src/log.js';

const ROLES: Record<string, Role> = { root: 'priv-admin', readonly: 'priv-user', noaccess: 'priv-noaccess', operator: 'priv-operator' };
const credentials: CredentialChecker = {
  description: 'test',
  verify: (user, password) => Promise.resolve(ROLES[user] !== undefined && password === `${user}-pw`),
};

function guard(): AuthGuard {
  return new AuthGuard({
    sessions: new SessionStore({ idleTimeoutMs: 60_000, maxSessions: 10, maxSessionsPerUser: 10 }),
    credentials,
    roles: new UsersFileRoleSource((user) => ROLES[user]),
    throttle: new LoginThrottle({ perUser: 100, perAddress: 100, windowMs: 60_000, maxDelayMs: 0 }),
    policy: DEFAULT_POLICY,
    corsOrigins: [],
    cookieNames: OWN_COOKIE_NAMES,
    log: memoryLogger(),
  });
}

function upgrade(headers: Record<string, string>): IncomingMessage {
  return {
    method: 'GET',
    url: '/subscribe',
    headers: { host: 'bmc:443', upgrade: 'websocket', connection: 'Upgrade', ...headers },
    socket: { remoteAddress: '::ffff:10.0.0.7' },
  } as unknown as IncomingMessage;
}

const SUBSCRIBE = { method: 'GET', path: '/subscribe' };

async function status(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (err) {
    if (err instanceof GatewayError) return err.status;
    throw err;
  }
}

test('websocket upgrades: cookie with the XSRF token as subprotocol, which the server must select', async (t) => {
  const g = guard();
  const session = await g.login('readonly', 'readonly-pw', '10.0.0.7');
  const principal = await g.check(upgrade({
    cookie: `__Host-BMCGW-SESSION=${session.token}`, origin: 'https://evil.example', 'sec-websocket-protocol': `x, ${session.csrfToken}`,
  }), SUBSCRIBE);
  t.deepEqual(principal, {
    user: 'readonly', role: 'priv-user', via: 'session-cookie', acceptProtocol: session.csrfToken, sessionToken: session.token,
  });
});

test('websocket upgrades: the rest of the table', async (t) => {
  const g = guard();
  const session = await g.login('root', 'root-pw', '10.0.0.7');
  const cookie = `__Host-BMCGW-SESSION=${session.token}`;
  const basic = (user: string) => `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}`;
  const cases: Array<[string, Record<string, string>, number]> = [
    ['nothing', {}, 401],
    ['cookie, same origin', { cookie, origin: 'https://bmc' }, 200],
    ['cookie, cross-origin', { cookie, origin: 'https://evil.example' }, 403],
    ['cookie, cross-origin, X-XSRF-TOKEN', { cookie, origin: 'https://evil.example', 'x-xsrf-token': session.csrfToken }, 200],
    ['cookie, script', { cookie }, 200],
    ['token', { 'x-auth-token': session.token, origin: 'https://evil.example' }, 200],
    ['basic readonly', { authorization: basic('readonly') }, 200],
    ['basic noaccess', { authorization: basic('noaccess') }, 403],
    ['basic wrong', { authorization: 'Basic ' + Buffer.from('root:nope').toString('base64') }, 401],
  ];
  for (const [name, headers, expected] of cases) t.is(await status(g.check(upgrade(headers), SUBSCRIBE)), expected, name);
});

test('check() refuses what only an interface/member rule could grant: it has no write hook', async (t) => {
  const g = guard();
  const request = upgrade({ authorization: `Basic ${Buffer.from('operator:operator-pw').toString('base64')}` });
  const action = { method: 'PUT', path: '/xyz/openbmc_project/state/host0/attr/RequestedHostTransition', objectPath: '/xyz/openbmc_project/state/host0' };
  t.is(await status(g.check(request, action)), 403);
  const principal = await g.authenticate(request);
  t.is(g.decide(principal, action), 'pending');
});

test('logout of a session by token; a second logout finds nothing', async (t) => {
  const g = guard();
  const session = await g.login('root', 'root-pw', '10.0.0.7');
  t.is(g.logout(upgrade({ 'x-auth-token': session.token })), 'root');
  t.is(g.logout(upgrade({ 'x-auth-token': session.token })), undefined);
  t.is(await status(g.check(upgrade({ 'x-auth-token': session.token }), SUBSCRIBE)), 401);
});
