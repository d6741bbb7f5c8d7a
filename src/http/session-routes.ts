/**
 * `POST /login` and `POST /logout`, in front of the auth guard (a login has
 * no credentials yet; a logout without a session is not an error).
 *
 * Login bodies, all three as clients send them, each with an optional
 * one-time code for accounts that need one:
 *   {"data": [user, password]}, {"data": [user, password, code]}   phosphor-rest, openbmctool, op-test
 *   {"username": user, "password": password, "token": code}        bmcweb, the web UI
 *   {"data": {"username": .., "password": .., "token": ..}}        older bmcweb
 * The answer is the envelope plus `token` (for X-Auth-Token), and the
 * session and XSRF cookies under the configured names (auth/cookies.ts);
 * when the account must change its password or set up its one-time code
 * secret first, also `extendedMessage` saying so (where openbmctool looks).
 * Error texts never echo the body: it holds a password.
 */
import type { Context, Middleware } from 'koa';
import { type AuthGuard, type LoginRequest, clientAddress } from '../auth/auth-guard.js';
import { clearedCookies, sessionCookies } from '../auth/cookies.js';
import { GatewayError } from '../errors.js';
import { readJsonBody } from './body.js';
import { sendData } from './respond.js';

const ALLOW = 'POST, OPTIONS';
const LOGIN_FORMAT = "Expecting request format { 'data': [<username>, <password>] } "
  + "or { 'username': <username>, 'password': <password> }, with a one-time code as a third element or 'token'";

export function sessionRoutes(guard: AuthGuard): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== '/login' && ctx.path !== '/logout') {
      await next();
      return;
    }
    if (ctx.method === 'OPTIONS') {
      ctx.set('Allow', ALLOW);
      ctx.status = 200;
      ctx.body = '';
      return;
    }
    if (ctx.method !== 'POST') throw new GatewayError(405, 'Method not allowed.', { headers: { Allow: ALLOW } });
    if (ctx.path === '/login') await login(ctx, guard);
    else logout(ctx, guard);
  };
}

async function login(ctx: Context, guard: AuthGuard): Promise<void> {
  const attempt = parseLoginBody(await readJsonBody(ctx));
  // For the audit line, also when the password is wrong.
  (ctx.state as { loginUser?: string }).loginUser = attempt.user;
  const { session, notice } = await guard.login(attempt, clientAddress(ctx.req));
  ctx.append('Set-Cookie', sessionCookies(guard.cookieNames, session.token, session.csrfToken));
  sendData(ctx, `User '${attempt.user}' logged in`, { token: session.token, ...(notice !== undefined ? { extendedMessage: notice } : {}) });
}

function logout(ctx: Context, guard: AuthGuard): void {
  const user = guard.logout(ctx.req);
  (ctx.state as { loginUser?: string }).loginUser = user;
  // Cleared in any case: a browser holding stale cookies should lose them too.
  ctx.append('Set-Cookie', clearedCookies(guard.cookieNames));
  sendData(ctx, user === undefined ? 'No user logged in' : `User '${user}' logged out`);
}

/** The three body forms → user, password and code; 400 saying what is expected otherwise. */
export function parseLoginBody(body: unknown): LoginRequest {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    const data = record.data;
    if (Array.isArray(data)) {
      if ((data.length === 2 || data.length === 3) && data.every((item) => typeof item === 'string')) {
        return withCode({ user: data[0] as string, password: data[1] as string }, data[2]);
      }
      throw new GatewayError(400, `${LOGIN_FORMAT}: 'data' must be an array of two or three strings`);
    }
    const fields = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : record;
    if (typeof fields.username === 'string' && typeof fields.password === 'string') {
      if (fields.token !== undefined && typeof fields.token !== 'string') throw new GatewayError(400, `${LOGIN_FORMAT}: 'token' must be a string`);
      return withCode({ user: fields.username, password: fields.password }, fields.token);
    }
  }
  throw new GatewayError(400, LOGIN_FORMAT);
}

/** An empty code is no code (clients that always send the field). */
function withCode(request: LoginRequest, code: unknown): LoginRequest {
  return typeof code === 'string' && code !== '' ? { ...request, code } : request;
}
