/**
 * The write routes: PUT/PATCH/DELETE on objects, PUT on attributes, POST on
 * actions. Each reads the `{"data": ...}` body and calls one bmc/ operation,
 * except the actions the gateway carries out itself (`gatewayAction`:
 * SetPassword, handlers/set-password.ts), which are looked for first.
 */
import { callMethod, deleteObject, setProperties, setProperty } from '../../bmc/writes.js';
import { readJsonBody, requireData } from '../body.js';
import { writeCheckOf } from '../auth-middleware.js';
import { writeRecordOf } from '../audit-middleware.js';
import type { BodyHandler, WriteHandlers } from '../dbus-routes.js';
import type { ObjectRoute } from '../url.js';

/** The handler of an action the gateway implements on this route, if any. */
export type GatewayActions = (route: ObjectRoute) => BodyHandler | undefined;

export function createWriteHandlers(gatewayAction: GatewayActions = () => undefined): WriteHandlers {
  return {
    PUT: {
      attr: async (bmc, route, ctx) =>
        setProperty(bmc, route.objectPath, route.name ?? '', requireData(await readJsonBody(ctx), '<value>'), writeCheckOf(ctx),
          writeRecordOf(ctx)),
      object: async (bmc, route, ctx) =>
        setProperties(bmc, route.objectPath, requireData(await readJsonBody(ctx), '{<property>: <value>, ...}'), 'all', writeCheckOf(ctx),
          writeRecordOf(ctx)),
    },
    PATCH: {
      object: async (bmc, route, ctx) =>
        setProperties(bmc, route.objectPath, requireData(await readJsonBody(ctx), '{<property>: <value>, ...}'), 'some', writeCheckOf(ctx),
          writeRecordOf(ctx)),
    },
    POST: {
      // A body-less POST is a call without arguments (`curl -X POST .../action/Reset`).
      action: async (bmc, route, ctx) => {
        const own = gatewayAction(route);
        if (own) return own(bmc, route, ctx);
        const body = await readJsonBody(ctx);
        return callMethod(bmc, route.objectPath, route.name ?? '', body === undefined ? [] : requireData(body, '[<arg>, ...]'),
          writeCheckOf(ctx), writeRecordOf(ctx));
      },
    },
    DELETE: {
      object: async (bmc, route, ctx) => deleteObject(bmc, route.objectPath, writeCheckOf(ctx)),
    },
  };
}
