/**
 * The guard in the Koa pipeline, in front of every route but /login and
 * /logout (and CORS pre-flights, answered earlier). It runs before any
 * handler, so a request without valid credentials is answered 401 without a
 * single D-Bus message, and one the policy refuses on its path alone is
 * answered 403 the same way.
 *
 * Policy rules may name the D-Bus interface and member of a write (operators
 * may set RequestedHostTransition, nothing else on that object). Those are
 * known only after introspection, inside the write path; for such requests
 * the middleware hands the write handlers a WriteCheck (ctx.state), which
 * bmc/writes.ts calls for every property, method or Delete before it sends
 * anything.
 */
import type { Context, Middleware } from 'koa';
import { forbiddenFor } from '../auth/account-notices.js';
import type { AuthGuard } from '../auth/auth-guard.js';
import type { GuardedAction, Principal } from '../auth/guard.js';
import type { Decision } from '../auth/policy.js';
import type { WriteCheck } from '../bmc/writes.js';
import { GatewayError } from '../errors.js';
import { type ObjectRouteKind, parseObjectRoute } from './url.js';

/** Request paths that are not D-Bus objects: the policy sees them as they are. */
const NON_DBUS_PREFIXES = ['/upload/', '/download/', '/subscribe', '/login', '/logout'];

/** The D-Bus routes whose handlers call the WriteCheck (verb → route kinds). */
const HOOKED: Readonly<Record<string, readonly ObjectRouteKind[]>> = {
  PUT: ['attr', 'object'],
  PATCH: ['object'],
  POST: ['action'],
  DELETE: ['object'],
};

/**
 * Verbs some route implements. Any other verb (TRACE, CONNECT, PROPFIND...)
 * can only be answered 405 by the routes, so once the caller is
 * authenticated it goes on to that 405 instead of a misleading 403: no
 * policy rule names such verbs, and none needs to.
 */
const IMPLEMENTED = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']);

interface AuthState {
  principal?: Principal;
  writeCheck?: WriteCheck;
}

export function authMiddleware(guard: AuthGuard): Middleware {
  return async (ctx, next) => {
    const { action, kind } = guardedAction(ctx.method, ctx.path);
    let principal: Principal;
    let decision: Decision;
    try {
      principal = await guard.authenticate(ctx.req);
      (ctx.state as AuthState).principal = principal;
      decision = IMPLEMENTED.has(ctx.method) ? guard.decide(principal, action) : 'pending';
      if (decision === 'deny') throw forbiddenFor(principal);
      if (decision === 'pending' && IMPLEMENTED.has(ctx.method) && !(kind && HOOKED[ctx.method]?.includes(kind))) {
        throw forbiddenFor(principal);
      }
    } catch (err) {
      // The body is never read: close rather than drain it (an anonymous client could send an image's worth).
      const length = ctx.get('Content-Length');
      if ((length !== '' && length !== '0') || ctx.get('Transfer-Encoding') !== '') ctx.set('Connection', 'close');
      throw err;
    }
    (ctx.state as AuthState).writeCheck = decision === 'allow' ? () => undefined : (target) => {
      if (guard.decide(principal, { ...action, ...target }) !== 'allow') throw forbiddenFor(principal);
    };
    await next();
    // A user object written through the gateway (unlocked, a secret key confirmed): what the user
    // manager computes from the system changes without a signal, so the cached account goes.
    if (kind && HOOKED[ctx.method]?.includes(kind) && action.objectPath !== undefined) guard.userObjectWritten(action.objectPath);
  };
}

/**
 * The check the write handlers must pass to bmc/writes.ts. Missing means the
 * guard did not run for this request: refuse rather than write unchecked.
 */
export function writeCheckOf(ctx: Context): WriteCheck {
  const check = (ctx.state as AuthState).writeCheck;
  if (!check) throw new GatewayError(500, 'Internal Server Error', { cause: new Error('write without the auth guard') });
  return check;
}

/** Who made the request, once the guard has run. */
export function principalOf(ctx: Context): Principal | undefined {
  return (ctx.state as AuthState).principal;
}

/** What the policy sees: the D-Bus object path for D-Bus routes, the request path for the others. */
export function guardedAction(method: string, rawPath: string): { action: GuardedAction; kind?: ObjectRouteKind } {
  const path = decodePath(rawPath);
  if (NON_DBUS_PREFIXES.some((prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : prefix + '/'))) {
    return { action: { method, path } };
  }
  const route = parseObjectRoute(path);
  return { action: { method, path, objectPath: route.objectPath }, kind: route.kind };
}

/** As the D-Bus routes decode it, so that the policy and the handler see the same object path. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
