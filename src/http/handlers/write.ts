/**
 * The write routes: PUT/PATCH/DELETE on objects, PUT on attributes, POST on
 * actions. Each reads the `{"data": ...}` body, has the Bmc check, convert
 * and authorise the write (the access the dispatcher hands it: the policy's
 * per-target check with the caller's principal, the audit recorder), checks
 * `If-Match` (after the authorisation), then sends it through the jobs
 * (bmc/jobs/jobs.ts): at once, after waiting for a job that holds the object
 * (`Prefer: wait=N`; never once the client has gone or the caller lost the
 * right to it), or as a job of its own (`Prefer: respond-async`: 202 and
 * Location).
 */
import { touchesSecrets } from '../../auth/audit.js';
import type { WriteRequest } from '../../bmc/objects.js';
import type { WriteAccess } from '../../bmc/writes.js';
import type { Json } from '../../dbus/convert.js';
import { errors } from '../../errors.js';
import { readJsonBody, requireData } from '../body.js';
import { checkIfMatch } from '../etag.js';
import { parsePrefer } from '../prefer.js';
import { sendAccepted, sendData } from '../respond.js';
import type { Route } from '../routes.js';
import type { GatewayContext } from '../state.js';
import { clientGone, objectPathOf } from './read.js';
import type { RouteServices, WriteHandler } from './services.js';

const PROPERTIES = '{<property>: <value>, ...}';

export const putAttribute: WriteHandler = async (ctx, route, services, access) => {
  const value = requireData(await readJsonBody(ctx, services.body), '<value>');
  const objectPath = objectPathOf(route);
  const name = route.name ?? '';
  await write(ctx, route, services, access, { kind: 'attr', objectPath, name, value }, () => services.bmc.getProperty(objectPath, name));
};

const setProperties = (mode: 'some' | 'all'): WriteHandler => async (ctx, route, services, access) => {
  const data = requireData(await readJsonBody(ctx, services.body), PROPERTIES);
  const objectPath = objectPathOf(route);
  await write(ctx, route, services, access, { kind: 'object', objectPath, data, mode }, () => services.bmc.getObject(objectPath));
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

/**
 * Authorised first (prepareWrite's per-target check), then `If-Match`
 * against `current` (a caller who may not write gets its 403, never a 412
 * with the value's ETag), then sent.
 */
async function write(ctx: GatewayContext, route: Route, { bmc, jobs }: RouteServices, access: WriteAccess, request: WriteRequest,
  current?: () => Promise<Json>): Promise<void> {
  const prepared = await bmc.prepareWrite(request, access);
  if (current) await checkIfMatch(ctx, current);
  const prefer = parsePrefer(ctx.get('Prefer'));
  const waitMs = (prefer.waitSeconds ?? 0) * 1000;
  const applied = prefer.waitSeconds === undefined ? [] : [`wait=${prefer.waitSeconds}`];
  // A write that waits for a lock follows the caller's right meanwhile.
  const follow = () => access.follow(prepared.targets);
  // Accounts and secrets never become jobs (auth/audit.ts): the answer goes to the caller alone.
  if (prefer.respondAsync && request.kind !== 'delete' && !touchesSecrets(prepared.targets)) {
    const principal = ctx.state.principal;
    if (!principal) throw errors.internal(new Error('a job without a principal'));
    const members = prepared.targets.map((target) => `${target.interfaceName}.${target.member}`);
    const job = jobs.submit(prepared, principal, { verb: ctx.method, path: route.path, objectPath: prepared.objectPath, members }, waitMs, follow);
    ctx.set('Preference-Applied', ['respond-async', ...applied].join(', '));
    sendAccepted(ctx, job.uri, { id: job.id, state: job.state, uri: job.uri });
    return;
  }
  const data = await jobs.run(prepared, waitMs, waitMs > 0 ? { signal: clientGone(ctx.res), follow, request: { verb: ctx.method, path: route.path } } : {});
  if (applied.length > 0) ctx.set('Preference-Applied', applied.join(', '));
  sendData(ctx, data);
}
