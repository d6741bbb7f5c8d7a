/**
 * Hands the request to its route's handler (routes.ts): OPTIONS answers
 * `Allow`; a verb the route does not take is a 405 with `Allow`, checked
 * before any look-up; a D-Bus route whose object path cannot exist is the
 * mapper's 404 without asking the mapper; then the handler, with the write
 * access the guard prepared when the verb writes.
 */
import { isObjectPath } from '../dbus/names.js';
import { errors } from '../errors.js';
import type { RouteServices } from './handlers/services.js';
import type { RouteTable } from './routes.js';
import type { GatewayMiddleware } from './state.js';

export function dispatch(routes: RouteTable, services: RouteServices): GatewayMiddleware {
  return async (ctx) => {
    const route = ctx.state.route;
    const anyVerb = route.definition.anyVerb;
    if (anyVerb) return anyVerb(ctx, route, services);
    if (ctx.method === 'OPTIONS') {
      ctx.set('Allow', routes.allow(route));
      ctx.status = 200;
      ctx.body = '';
      return;
    }
    const rule = routes.rule(route, ctx.method);
    if (!rule) throw errors.methodNotAllowed(routes.allow(route));
    if (route.objectPath !== undefined && !isObjectPath(route.objectPath)) throw errors.objectNotFound(route.objectPath);
    if (!rule.writes) return rule.handler(ctx, route, services);
    // Set by the guard for every verb the table marks `writes`; without it, refuse rather than write unchecked.
    const access = ctx.state.writeAccess;
    if (!access) throw errors.internal(new Error(`${ctx.method} ${route.definition.kind} without the guard's write access`));
    return rule.handler(ctx, route, services, access);
  };
}
