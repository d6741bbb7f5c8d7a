/**
 * The routes that are not D-Bus objects: `/login` and `/logout` (public: a
 * login has no credentials yet; a logout without a session is not an
 * error), the firmware upload, the dump download, a plain GET of
 * `/subscribe`, and `/redfish`.
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
import { type LoginRequest, clientAddress } from '../../auth/auth-guard.js';
import { clearedCookies, sessionCookies } from '../../auth/cookies.js';
import { GatewayError, errors } from '../../errors.js';
import { readJsonBody } from '../body.js';
import { CONSOLE_CSP } from '../console-files.js';
import { sendDumpFile } from '../download.js';
import { sendData } from '../respond.js';
import type { RouteHandler } from './services.js';

const LOGIN_FORMAT = "Expecting request format { 'data': [<username>, <password>] } "
  + "or { 'username': <username>, 'password': <password> }, with a one-time code as a third element or 'token'";

export const login: RouteHandler = async (ctx, _route, { guard, body }) => {
  const attempt = parseLoginBody(await readJsonBody(ctx, body));
  // For the audit line, also when the password is wrong.
  ctx.state.loginUser = attempt.user;
  const { session, notice } = await guard.login(attempt, clientAddress(ctx.req), ctx.req);
  ctx.append('Set-Cookie', sessionCookies(guard.cookieNames, session.token, session.csrfToken));
  sendData(ctx, `User '${attempt.user}' logged in`, { token: session.token, ...(notice !== undefined ? { extendedMessage: notice } : {}) });
};

export const logout: RouteHandler = async (ctx, _route, { guard }) => {
  const user = guard.logout(ctx.req);
  if (user !== undefined) ctx.state.loginUser = user;
  // Cleared in any case: a browser holding stale cookies should lose them too.
  ctx.append('Set-Cookie', clearedCookies(guard.cookieNames));
  sendData(ctx, user === undefined ? 'No user logged in' : `User '${user}' logged out`);
};

/** `POST /upload/image` (the gateway names the file), `PUT /upload/image/<name>` (`PUT /upload/image` is the empty name, a 400). */
export const uploadImage: RouteHandler = async (ctx, route, { uploader }) => {
  const name = route.definition.kind === 'upload' ? (ctx.method === 'POST' ? undefined : '') : (route.name ?? '');
  await uploader.handle(ctx, name);
};

export const sendDump: RouteHandler = (ctx, route, { dumpDir }) => sendDumpFile(ctx, dumpDir, route.name ?? '');

/** `/console/<name>`: a file of the browser console, from memory, gzip when the browser takes it. */
export const consoleFile: RouteHandler = async (ctx, route, { consoleFiles }) => {
  // `/console` alone: the page's relative asset names need the trailing slash.
  if (route.name === undefined && !ctx.path.endsWith('/')) {
    ctx.status = 301;
    ctx.set('Location', '/console/');
    ctx.body = '';
    return;
  }
  const file = consoleFiles.file(route.name ?? '');
  if (!file) throw errors.pathNotFound();
  ctx.set('Content-Security-Policy', CONSOLE_CSP);
  ctx.set('Cache-Control', file.cacheControl);
  ctx.remove('Pragma');
  ctx.vary('Accept-Encoding');
  ctx.type = file.type;
  if (ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = file.gzip;
  } else {
    ctx.body = file.body;
  }
};

export const notWebSocket: RouteHandler = () => Promise.reject(new GatewayError(400, 'Expected WebSocket request.'));

export const notRedfish: RouteHandler = () => Promise.reject(errors.pathNotFound());

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
