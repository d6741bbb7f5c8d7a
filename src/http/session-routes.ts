/**
 * `POST /login` and `POST /logout`, in front of the auth guard (a login has
 * no credentials yet; a logout without a session is not an error).
 *
 * Login bodies, all three as clients send them:
 *   {"data": [user, password]}               phosphor-rest, openbmctool, op-test
 *   {"username": user, "password": password} bmcweb, the web UI
 *   {"data": {"username": .., "password": ..}} older bmcweb
 * The answer is the envelope plus `token` (for X-Auth-Token), and the
 * session and XSRF cookies under the configured names (auth/cookies.ts).
 * Error texts never echo the body: it holds a password.
 */
import type { Context, Middleware } from 'koa';
import { type AuthGuard, clientAddress } from '../auth/auth-guard.js';
import { clearedCookies, sessionCookies } from '../auth/cookies.js';
import { GatewayError } from '../errors.js';
import { readJsonBody } from './body.js';
import { sendData } from './respond.js';

const ALLOW = 'POST, OPTIONS';
const LOGIN_FORMAT = "Expecting request format { 'data': [<username>, <password>] } "
  + "or { 'username': <username>, 'password': <password> }";

export interface LoginRequest {
  readonly user: string;
  readonly password: string;
}

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
  const { user, password } = parseLoginBody(await readJsonBody(ctx));
  // For the audit line, also when the password is wrong.
  (ctx.state as { loginUser?: string }).loginUser = user;
  const session = await guard.login(user, password, clientAddress(ctx.req));
  ctx.append('Set-Cookie', sessionCookies(guard.cookieNames, session.token, session.csrfToken));
  sendData(ctx, `User '${user}' logged in`, { token: session.token });
}

function logout(ctx: Context, guard: AuthGuard): void {
  const user = guard.logout(ctx.req);
  (ctx.state as { loginUser?: string }).loginUser = user;
  // Cleared in any case: a browser holding stale cookies should lose them too.
  ctx.append('Set-Cookie', clearedCookies(guard.cookieNames));
  sendData(ctx, user === undefined ? 'No user logged in' : `User '${user}' logged out`);
}

/** The three body forms → user and password; 400 saying what is expected otherwise. */
export function parseLoginBody(body: unknown): LoginRequest {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    const data = record.data;
    if (Array.isArray(data)) {
      if (data.length === 2 && typeof data[0] === 'string' && typeof data[1] === 'string') {
        return { user: data[0], password: data[1] };
      }
      throw new GatewayError(400, `${LOGIN_FORMAT}: 'data' must be an array of two strings`);
    }
    const fields = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : record;
    if (typeof fields.username === 'string' && typeof fields.password === 'string') {
      return { user: fields.username, password: fields.password };
    }
  }
  throw new GatewayError(400, LOGIN_FORMAT);
}
