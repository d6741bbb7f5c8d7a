/**
 * The write routes: PUT/PATCH/DELETE on objects, PUT on attributes, POST on
 * actions. Each reads the `{"data": ...}` body, has the Bmc check, convert
 * and authorise the write (the access the dispatcher hands it: the policy's
 * per-target check with the caller's principal, the audit recorder), then
 * sends it through the jobs (handlers/jobs.ts): at once, after waiting for a
 * job that holds the object (`Prefer: wait=N`), or as a job of its own
 * (`Prefer: respond-async`: 202 and Location).
 */
import { touchesSecrets } from '../../auth/audit.js';
import type { WriteRequest } from '../../bmc/objects.js';
import type { WriteAccess } from '../../bmc/writes.js';
import { errors } from '../../errors.js';
import { readJsonBody, requireData } from '../body.js';
import { checkIfMatch } from '../etag.js';
import { parsePrefer } from '../prefer.js';
import { sendAccepted, sendData } from '../respond.js';
import type { Route } from '../routes.js';
import type { GatewayContext } from '../state.js';
import { objectPathOf } from './read.js';
import type { RouteServices, WriteHandler } from './services.js';

const PROPERTIES = '{<property>: <value>, ...}';

export const putAttribute: WriteHandler = async (ctx, route, services, access) => {
  const value = requireData(await readJsonBody(ctx, services.body), '<value>');
  await checkIfMatch(ctx, () => services.bmc.getProperty(objectPathOf(route), route.name ?? ''));
  await write(ctx, route, services, access, { kind: 'attr', objectPath: objectPathOf(route), name: route.name ?? '', value });
};

const setProperties = (mode: 'some' | 'all'): WriteHandler => async (ctx, route, services, access) => {
  const data = requireData(await readJsonBody(ctx, services.body), PROPERTIES);
  await checkIfMatch(ctx, () => services.bmc.getObject(objectPathOf(route)));
  await write(ctx, route, services, access, { kind: 'object', objectPath: objectPathOf(route), data, mode });
};

export const putObject = setProperties('all');
export const patchObject = setProperties('some');

/** A body-less POST is a call without arguments (`curl -X POST .../action/Reset`). */
export const callMethod: WriteHandler = async (ctx, route, services, access) => {
  const json = await readJsonBody(ctx, services.body);
  const args = json === undefined ? [] : requireData(json, '[<arg>, ...]');
  await write(ctx, route, services, access, { kind: 'action', objectPath: objectPathOf(route), name: route.name ?? '', args });
};

export const deleteObject: WriteHandler = (ctx, route, services, access) =>
  write(ctx, route, services, access, { kind: 'delete', objectPath: objectPathOf(route) });

async function write(ctx: GatewayContext, route: Route, { bmc, jobs }: RouteServices, access: WriteAccess, request: WriteRequest): Promise<void> {
  const prepared = await bmc.prepareWrite(request, access);
  const prefer = parsePrefer(ctx.get('Prefer'));
  const waitMs = (prefer.waitSeconds ?? 0) * 1000;
  const applied = prefer.waitSeconds === undefined ? [] : [`wait=${prefer.waitSeconds}`];
  // Accounts and secrets never become jobs (auth/audit.ts): the answer goes to the caller alone.
  if (prefer.respondAsync && request.kind !== 'delete' && !touchesSecrets(prepared.targets)) {
    const principal = ctx.state.principal;
    if (!principal) throw errors.internal(new Error('a job without a principal'));
    const members = prepared.targets.map((target) => `${target.interfaceName}.${target.member}`);
    const job = jobs.submit(prepared, principal, { verb: ctx.method, path: route.path, objectPath: prepared.objectPath, members }, waitMs);
    ctx.set('Preference-Applied', ['respond-async', ...applied].join(', '));
    sendAccepted(ctx, job.uri, { id: job.id, state: job.state, uri: job.uri });
    return;
  }
  const data = await jobs.run(prepared, waitMs);
  if (applied.length > 0) ctx.set('Preference-Applied', applied.join(', '));
  sendData(ctx, data);
}
