/**
 * The read routes. Each is a one-liner over bmc/: no Koa, no envelope, no
 * try/catch (the error middleware renders failures).
 */
import type { Bmc } from '../../bmc/objects.js';
import type { Json } from '../../dbus/convert.js';
import type { ObjectRoute } from '../url.js';

export type ReadHandler = (bmc: Bmc, route: ObjectRoute) => Promise<Json>;

export const readHandlers: Readonly<Record<ObjectRoute['kind'], ReadHandler | undefined>> = {
  object: (bmc, route) => bmc.getObject(route.objectPath),
  attr: (bmc, route) => bmc.getProperty(route.objectPath, route.name ?? ''),
  children: (bmc, route) => bmc.children(route.objectPath),
  list: (bmc, route) => bmc.list(route.objectPath),
  // Written as text straight from the bus, shared between clients: http/enumerate-answers.ts.
  enumerate: undefined,
  schema: (bmc, route) => bmc.schema(route.objectPath),
  action: undefined,
};
