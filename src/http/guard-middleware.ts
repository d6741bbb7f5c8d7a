/**
 * The guard in the Koa pipeline, in front of every route that is not
 * public (routes.ts: `/login`, `/logout`, `/redfish`; CORS pre-flights are
 * answered earlier). It runs before any handler, so a request without valid
 * credentials is answered 401 without a single D-Bus message, and one the
 * policy refuses on its path alone is answered 403 the same way.
 *
 * Policy rules may name the D-Bus interface and member of a write (operators
 * may set RequestedHostTransition, nothing else on that object). Those are
 * known only after introspection, inside the write; for the verbs the route
 * table marks `writes`, the guard lets such a "pending" decision through and
 * gives the handler a WriteAccess whose `check` asks the policy again for
 * every property, method or Delete before anything is sent. A write that
 * waits (a lock, a queued job) follows the account meanwhile (`follow`): it
 * is not sent once the account or the session lost the right to it.
 */
import { forbiddenFor } from '../auth/account-notices.js';
import type { AuthGuard } from '../auth/auth-guard.js';
import type { GuardedAction, Principal } from '../auth/guard.js';
import type { Decision } from '../auth/policy.js';
import type { WriteAccess } from '../bmc/writes.js';
import type { Route, RouteTable } from './routes.js';
import type { GatewayContext, GatewayMiddleware } from './state.js';

export function guardMiddleware(guard: AuthGuard, routes: RouteTable): GatewayMiddleware {
  return async (ctx, next) => {
    const route = ctx.state.route;
    if (routes.isPublic(route, ctx.method)) return next();
    const action = policyAction(route, ctx.method);
    // Verbs no route implements (TRACE, PROPFIND...) can only be answered 405, so once the caller is
    // authenticated they go on to that 405 instead of a misleading 403: no policy rule names them.
    const implemented = routes.implemented.has(ctx.method);
    const writes = routes.rule(route, ctx.method)?.writes === true;
    let principal: Principal;
    let decision: Decision;
    try {
      principal = await guard.authenticate(ctx.req);
      ctx.state.principal = principal;
      decision = implemented ? guard.decide(principal, action) : 'pending';
      if (decision === 'deny' || (decision === 'pending' && implemented && !writes)) throw forbiddenFor(principal);
    } catch (err) {
      // The body is never read: close rather than drain it (an anonymous client could send an image's worth).
      const length = ctx.get('Content-Length');
      if ((length !== '' && length !== '0') || ctx.get('Transfer-Encoding') !== '') ctx.set('Connection', 'close');
      throw err;
    }
    if (writes) ctx.state.writeAccess = writeAccess(ctx, guard, principal, action, decision);
    await next();
    // A user object written through the gateway (unlocked, a secret key confirmed): what the user
    // manager computes from the system changes without a signal, so the cached account goes.
    if (writes && action.objectPath !== undefined) guard.userObjectWritten(action.objectPath);
  };
}

/** What the policy sees: the kind of route, and the D-Bus object path for D-Bus routes, the request path for the others. */
export function policyAction(route: Route, method: string): GuardedAction {
  const kind = route.definition.kind;
  return route.definition.policyPath === 'object' && route.objectPath !== undefined
    ? { method, route: kind, path: route.path, objectPath: route.objectPath }
    : { method, route: kind, path: route.path };
}

function writeAccess(ctx: GatewayContext, guard: AuthGuard, principal: Principal, action: GuardedAction, decision: Decision): WriteAccess {
  return {
    check: decision === 'allow' ? () => undefined : (target) => {
      if (guard.decide(principal, { ...action, ...target }) !== 'allow') throw forbiddenFor(principal);
    },
    record: (written) => {
      (ctx.state.written ??= []).push(written);
    },
    // What a websocket gets (the guard's account watch, the session's end), for a write that waits.
    follow: (targets) => {
      let reason: string | undefined;
      const lapse = (why: string) => {
        reason ??= why;
      };
      const stops = targets.map(({ interfaceName, member }) => guard.watchAccount(principal, { ...action, interfaceName, member }, lapse));
      if (principal.sessionToken !== undefined) stops.push(guard.onSessionEnd(principal.sessionToken, () => lapse('session ended')));
      return {
        lapsed: () => reason,
        stop: () => {
          for (const stop of stops.splice(0)) stop();
        },
      };
    },
  };
}
