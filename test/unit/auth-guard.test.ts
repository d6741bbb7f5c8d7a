/**
 * The guard on bare IncomingMessage-shaped requests, as the websocket
 * upgrade hands them over: credentials, CSRF for upgrades, policy; and what
 * the backend's verdicts become (an expired password, a missing one-time
 * code, a locked account).
 */
import { EventEmitter } from 'node:events';
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

const ROLES: Record<string, Role> = {
  root: 'priv-admin', readonly: 'priv-user', noaccess: 'priv-noaccess', operator: 'priv-operator',
  expired: 'priv-operator', mfa: 'priv-user', locked: 'priv-admin',
};
const credentials: CredentialChecker = {
  description: 'test',
  verify: ({ user, password, code }) => {
    if (user === 'locked') return Promise.resolve('locked');
    if (ROLES[user] === undefined || password !== `${user}-pw`) return Promise.resolve('refused');
    if (user === 'expired') return Promise.resolve('password-expired');
    if (user === 'mfa' && code === undefined) return Promise.resolve('code-required');
    return Promise.resolve(user !== 'mfa' || code === '123456' ? 'ok' : 'refused');
  },
  changePassword: () => Promise.resolve(),
};

function guard(perAddress = 100): AuthGuard {
  return new AuthGuard({
    sessions: new SessionStore({ idleTimeoutMs: 60_000, maxSessions: 10, maxSessionsPerUser: 10 }),
    credentials,
    roles: new UsersFileRoleSource((user) => ROLES[user]),
    throttle: new LoginThrottle({ perUser: 100, perAddress, windowMs: 60_000, maxDelayMs: 0 }),
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
    // An open connection: the guard listens for its close while a password check waits.
    socket: Object.assign(new EventEmitter(), { remoteAddress: '::ffff:10.0.0.7', destroyed: false }),
  } as unknown as IncomingMessage;
}

const SUBSCRIBE = { method: 'GET', route: 'subscribe', path: '/subscribe' } as const;

const basic = (user: string, password = `${user}-pw`) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function refusal(promise: Promise<unknown>): Promise<[number, string]> {
  try {
    await promise;
    return [200, ''];
  } catch (err) {
    if (err instanceof GatewayError) return [err.status, err.description];
    throw err;
  }
}

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
  const { session } = await g.login({ user: 'readonly', password: 'readonly-pw' }, '10.0.0.7');
  const principal = await g.check(upgrade({
    cookie: `__Host-BMCGW-SESSION=${session.token}`, origin: 'https://evil.example', 'sec-websocket-protocol': `x, ${session.csrfToken}`,
  }), SUBSCRIBE);
  t.deepEqual(principal, {
    user: 'readonly', role: 'priv-user', via: 'session-cookie', acceptProtocol: session.csrfToken, sessionToken: session.token,
  });
});

test('websocket upgrades: the rest of the table', async (t) => {
  const g = guard();
  const { session } = await g.login({ user: 'root', password: 'root-pw' }, '10.0.0.7');
  const cookie = `__Host-BMCGW-SESSION=${session.token}`;
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
  const action = { method: 'PUT', route: 'attr', path: '/xyz/openbmc_project/state/host0/attr/RequestedHostTransition', objectPath: '/xyz/openbmc_project/state/host0' } as const;
  t.is(await status(g.check(request, action)), 403);
  const principal = await g.authenticate(request);
  t.is(g.decide(principal, action), 'pending');
});

test('logout of a session by token; a second logout finds nothing', async (t) => {
  const g = guard();
  const { session } = await g.login({ user: 'root', password: 'root-pw' }, '10.0.0.7');
  t.is(g.logout(upgrade({ 'x-auth-token': session.token })), 'root');
  t.is(g.logout(upgrade({ 'x-auth-token': session.token })), undefined);
  t.is(await status(g.check(upgrade({ 'x-auth-token': session.token }), SUBSCRIBE)), 401);
});

const OWN_PASSWORD = { method: 'POST', route: 'set-password', path: '/xyz/openbmc_project/user/expired/action/SetPassword', objectPath: '/xyz/openbmc_project/user/expired' } as const;
const SET_PASSWORD = { interfaceName: 'xyz.openbmc_project.User.Password', member: 'SetPassword' };

test('an expired password: the login succeeds, says so, and the session may only change its own password', async (t) => {
  const g = guard();
  const { session, notice } = await g.login({ user: 'expired', password: 'expired-pw' }, '10.0.0.7');
  t.regex(notice ?? '', /^The password for this account must be changed\. POST \{"data": \["<new password>"\]\} to \/xyz\/openbmc_project\/user\/expired\/action\/SetPassword/);
  const request = upgrade({ 'x-auth-token': session.token });
  const principal = await g.authenticate(request);
  t.is(principal.selfOnly, 'password-change-required');
  t.is(principal.role, 'priv-operator', 'the role stays; only what it may do is restricted');
  const [code, description] = await refusal(g.check(request, SUBSCRIBE));
  t.is(code, 403);
  t.is(description, notice ?? '');
  t.is(g.decide(principal, { ...OWN_PASSWORD, ...SET_PASSWORD }), 'allow');
  t.is(g.decide(principal, { ...OWN_PASSWORD, objectPath: '/xyz/openbmc_project/user/root', ...SET_PASSWORD }), 'deny', 'not another user\'s');
  t.is(g.decide(principal, { method: 'GET', route: 'object', path: '/xyz/openbmc_project/state/host0', objectPath: '/xyz/openbmc_project/state/host0' }), 'deny');
  // Basic with the expired password: the same restriction, request by request (as bmcweb).
  const viaBasic = await g.authenticate(upgrade({ authorization: basic('expired') }));
  t.is(viaBasic.selfOnly, 'password-change-required');
});

test('changing the password lifts the restriction of the session that changed it and ends the others', async (t) => {
  const g = guard();
  const first = await g.login({ user: 'expired', password: 'expired-pw' }, '10.0.0.7');
  const second = await g.login({ user: 'expired', password: 'expired-pw' }, '10.0.0.8');
  const principal = await g.authenticate(upgrade({ 'x-auth-token': first.session.token }));
  const revoked: string[] = [];
  g.watchAccount({ user: 'expired', role: 'priv-operator', via: 'basic' }, SUBSCRIBE, (reason) => revoked.push(reason));
  g.passwordChanged('expired', principal);
  t.is((await g.authenticate(upgrade({ 'x-auth-token': first.session.token }))).selfOnly, undefined);
  t.is(await status(g.check(upgrade({ 'x-auth-token': first.session.token }), SUBSCRIBE)), 200);
  t.is(await status(g.authenticate(upgrade({ 'x-auth-token': second.session.token }))), 401);
  t.deepEqual(revoked, ['password changed']);
});

test('a one-time code: required for the account, said so; Basic cannot carry one', async (t) => {
  const g = guard();
  const [loginStatus, loginText] = await refusal(g.login({ user: 'mfa', password: 'mfa-pw' }, '10.0.0.7'));
  t.is(loginStatus, 401);
  t.regex(loginText, /^A one-time code is required for this account: send it with the password, as "token"/);
  t.is((await g.login({ user: 'mfa', password: 'mfa-pw', code: '123456' }, '10.0.0.7')).session.user, 'mfa');
  t.deepEqual(await refusal(g.login({ user: 'mfa', password: 'mfa-pw', code: '654321' }, '10.0.0.7')), [401, 'Invalid username or password']);
  t.deepEqual(await refusal(g.login({ user: 'mfa', password: 'mfa-pw', code: 'abc' }, '10.0.0.7')), [401, 'Invalid username or password']);
  const [basicStatus, basicText] = await refusal(g.authenticate(upgrade({ authorization: basic('mfa') })));
  t.is(basicStatus, 401);
  t.regex(basicText, /HTTP Basic authentication cannot carry one/);
});

test('a locked account: 401 saying so, whatever the password', async (t) => {
  const g = guard();
  for (const password of ['locked-pw', 'wrong']) {
    const [code, text] = await refusal(g.login({ user: 'locked', password }, '10.0.0.7'));
    t.is(code, 401);
    t.regex(text, /^The account is locked after too many failed login attempts/);
  }
});

test('a missing code and a locked account count against nobody: they are the answer whatever the password', async (t) => {
  const g = guard(2);
  for (let i = 0; i < 5; i++) {
    t.is((await refusal(g.login({ user: 'mfa', password: 'mfa-pw' }, '10.0.0.9')))[0], 401);
    t.is((await refusal(g.login({ user: 'locked', password: 'nope' }, '10.0.0.9')))[0], 401);
  }
  t.is((await g.login({ user: 'root', password: 'root-pw' }, '10.0.0.9')).session.user, 'root', 'the address is not refused');
  for (let i = 0; i < 3; i++) await refusal(g.login({ user: 'root', password: 'nope' }, '10.0.0.9'));
  t.is((await refusal(g.login({ user: 'root', password: 'root-pw' }, '10.0.0.9')))[0], 429, 'wrong passwords still do');
});
