/**
 * The API describing itself: `GET /version` (this gateway, its API, the
 * BMC's running firmware, what is switched on), the resource root listing
 * the resources that are not D-Bus objects (the route table's rows that name
 * a `resource`), and `GET <path>/action/`, an object's methods as Ironic
 * lists vendor passthru methods: arguments, results, HTTP method, whether a
 * completion rule tracks the call, and whether the caller may make it.
 */
import { errors } from '../../errors.js';
import { API_VERSION, packageVersion } from '../../version.js';
import { sendData } from '../respond.js';
import { objectPathOf } from './read.js';
import { setPasswordTarget } from './set-password.js';
import type { RouteHandler } from './services.js';

export const version: RouteHandler = async (ctx, _route, { bmc, features }) => sendData(ctx, {
  api: API_VERSION,
  bmc: { firmware: (await bmc.runningFirmwareVersion()) ?? null },
  features: [...features],
  gateway: packageVersion(),
});

export const resourceRoot: RouteHandler = async (ctx, _route, { resources }) => sendData(ctx, resources);

export const listActions: RouteHandler = async (ctx, route, { bmc, jobs, guard }) => {
  const principal = ctx.state.principal;
  if (!principal) throw errors.internal(new Error('an action listing without a principal'));
  const objectPath = objectPathOf(route);
  const base = objectPath === '/' ? '' : objectPath;
  const methods = await bmc.methods(objectPath);
  sendData(ctx, methods.map(({ interfaceName, method }) => {
    const uri = `${base}/action/${method.name}`;
    const rule = jobs.ruleFor([{ interfaceName, member: method.name, args: [] }]);
    // The route `POST <uri>` takes (routes.ts): the gateway's own SetPassword on user objects, else a call.
    const route = setPasswordTarget({ objectPath, name: method.name }) !== undefined ? 'set-password' : 'action';
    const allowed = guard.decide(principal, { method: 'POST', route, path: uri, objectPath, interfaceName, member: method.name }) === 'allow';
    return {
      allowed,
      args: method.args.filter((arg) => arg.direction !== 'out').map((arg) => ({ name: arg.name ?? null, signature: arg.type })),
      httpMethod: 'POST',
      interface: interfaceName,
      name: method.name,
      results: method.args.filter((arg) => arg.direction === 'out').map((arg) => ({ name: arg.name ?? null, signature: arg.type })),
      rule: rule?.name ?? null,
      tracked: rule !== undefined,
      uri,
    };
  }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.interface < b.interface ? -1 : 1)));
};
