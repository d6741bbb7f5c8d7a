/**
 * The D-Bus object routes (everything that is not /login, /upload, ...):
 * classify the path, check the verb, hand over to the route's handler.
 */
import type { Context, Middleware } from 'koa';
import type { Bmc } from '../bmc/objects.js';
import type { Json } from '../dbus/convert.js';
import { GatewayError, pathNotFound } from '../errors.js';
import type { EnumerateAnswers } from './enumerate-answers.js';
import { readHandlers } from './handlers/read.js';
import { sendData, sendStream } from './respond.js';
import { type ObjectRoute, ROUTE_METHODS, allowHeader, isObjectPath, parseObjectRoute } from './url.js';

/** A handler of a verb that carries a body (writes and actions). */
export type BodyHandler = (bmc: Bmc, route: ObjectRoute, ctx: Context) => Promise<Json>;

/** verb → route kind → handler, for the verbs other than GET and HEAD. */
export type WriteHandlers = Readonly<Record<string, Partial<Record<ObjectRoute['kind'], BodyHandler>>>>;

export function dbusRoutes(bmc: Bmc, writeHandlers: WriteHandlers, enumerates: EnumerateAnswers): Middleware {
  return async (ctx) => {
    const route = parseObjectRoute(decodePath(ctx.path));
    const allowed = ROUTE_METHODS[route.kind];
    if (ctx.method === 'OPTIONS') {
      ctx.set('Allow', allowHeader(route.kind));
      ctx.status = 200;
      ctx.body = '';
      return;
    }
    if (!allowed.includes(ctx.method)) {
      throw new GatewayError(405, 'Method not allowed.', { headers: { Allow: allowHeader(route.kind) } });
    }
    // An invalid object path cannot exist on the bus: answer without asking the mapper.
    if (!isObjectPath(route.objectPath)) throw pathNotFound(route.objectPath);
    if ((ctx.method === 'GET' || ctx.method === 'HEAD') && route.kind === 'enumerate') {
      // Read straight from the bus replies, shared with identical requests in flight, written while
      // it is sent (enumerate-answers.ts).
      const signal = clientGone(ctx);
      try {
        const answer = await enumerates.answer(route.objectPath, signal);
        // A client that stopped reading loses its answer and its connection.
        answer.once('error', () => ctx.res.destroy());
        sendStream(ctx, answer);
      } catch (err) {
        // The client left: there is nobody to answer.
        if (!signal.aborted) throw err;
      }
      return;
    }
    if (ctx.method === 'GET' || ctx.method === 'HEAD') {
      const read = readHandlers[route.kind];
      if (!read) throw new GatewayError(405, 'Method not allowed.', { headers: { Allow: allowHeader(route.kind) } });
      sendData(ctx, await read(bmc, route));
      return;
    }
    const write = writeHandlers[ctx.method]?.[route.kind];
    if (!write) throw new GatewayError(405, 'Method not allowed.', { headers: { Allow: allowHeader(route.kind) } });
    sendData(ctx, await write(bmc, route, ctx));
  };
}

/** Percent-decodes the path; a malformed escape cannot name a D-Bus object. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw pathNotFound(path);
  }
}

/** Aborts when the client's connection closes before its response is complete. */
function clientGone(ctx: Context): AbortSignal {
  const controller = new AbortController();
  ctx.res.once('close', () => {
    if (!ctx.res.writableFinished) controller.abort(new Error('the client closed the connection'));
  });
  return controller.signal;
}
