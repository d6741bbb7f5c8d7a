/**
 * The read routes. Each is a one-liner over the Bmc facade: no envelope by
 * hand, no try/catch (the error middleware renders failures).
 */
import type { ServerResponse } from 'node:http';
import type { Json } from '../../dbus/convert.js';
import { errors } from '../../errors.js';
import { sendTagged } from '../etag.js';
import { sendData, sendStream } from '../respond.js';
import type { RouteHandler } from './services.js';

/** Objects and attributes carry an ETag (If-None-Match: 304; etag.ts). */
export const getObject: RouteHandler = async (ctx, route, { bmc }) => sendTagged(ctx, await bmc.getObject(objectPathOf(route)));
export const getAttribute: RouteHandler = async (ctx, route, { bmc }) =>
  sendTagged(ctx, await bmc.getProperty(objectPathOf(route), route.name ?? ''));
export const children: RouteHandler = async (ctx, route, { bmc }) => sendData(ctx, await bmc.children(objectPathOf(route)));
export const list: RouteHandler = async (ctx, route, { bmc }) => sendData(ctx, await bmc.list(objectPathOf(route)));
export const schema: RouteHandler = async (ctx, route, { bmc }) => sendData(ctx, await bmc.schema(objectPathOf(route)));

/**
 * `GET <path>/attr/`: per interface, each property's signature, access,
 * value, and whether this caller may write it: access allows it and the
 * policy grants `PUT <path>/attr/<name>` on that interface and member (the
 * same decision a write's per-target check makes), so a client such as the
 * browser console offers only the edits the gateway would accept.
 */
export const attributes: RouteHandler = async (ctx, route, { bmc, guard }) => {
  const objectPath = objectPathOf(route);
  const principal = ctx.state.principal;
  if (!principal) throw errors.internal(new Error('GET <path>/attr/ without a principal'));
  const data: Record<string, Record<string, Json>> = {};
  for (const { interfaceName, properties } of await bmc.propertiesByInterface(objectPath)) {
    data[interfaceName] = Object.fromEntries(properties.map(({ name, signature, access, value }) => {
      const action = { method: 'PUT', route: 'attr' as const, path: `${objectPath === '/' ? '' : objectPath}/attr/${name}`, objectPath, interfaceName, member: name };
      const writable = access !== 'read' && guard.decide(principal, action) === 'allow';
      return [name, { access, signature, value, writable }];
    }));
  }
  sendData(ctx, data);
};

/**
 * Read straight from the bus replies, shared with identical requests in
 * flight, written while it is sent (enumerate-answers.ts).
 */
export const enumerate: RouteHandler = async (ctx, route, { enumerates }) => {
  const signal = clientGone(ctx.res);
  try {
    const answer = await enumerates.answer(objectPathOf(route), signal);
    // A client that stopped reading loses its answer and its connection.
    answer.once('error', () => ctx.res.destroy());
    sendStream(ctx, answer);
  } catch (err) {
    // The client left: there is nobody to answer.
    if (!signal.aborted) throw err;
  }
};

/** The object path of a D-Bus route (routes.ts gives every one of them one). */
export function objectPathOf(route: { readonly objectPath?: string }): string {
  if (route.objectPath === undefined) throw errors.internal(new Error('a D-Bus handler on a route without an object path'));
  return route.objectPath;
}

/** Aborts when the client's connection closes before its response is complete. */
export function clientGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('the client closed the connection'));
  });
  return controller.signal;
}
