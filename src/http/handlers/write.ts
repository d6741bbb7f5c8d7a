/**
 * The write routes: PUT/PATCH/DELETE on objects, PUT on attributes, POST on
 * actions. Each reads the `{"data": ...}` body and calls one Bmc method
 * with the access (the policy's per-target check, the audit recorder) the
 * dispatcher hands it.
 */
import { readJsonBody, requireData } from '../body.js';
import { sendData } from '../respond.js';
import { objectPathOf } from './read.js';
import type { WriteHandler } from './services.js';

const PROPERTIES = '{<property>: <value>, ...}';

export const putAttribute: WriteHandler = async (ctx, route, { bmc, body }, access) =>
  sendData(ctx, await bmc.setProperty(objectPathOf(route), route.name ?? '', requireData(await readJsonBody(ctx, body), '<value>'), access));

export const putObject: WriteHandler = async (ctx, route, { bmc, body }, access) =>
  sendData(ctx, await bmc.setProperties(objectPathOf(route), requireData(await readJsonBody(ctx, body), PROPERTIES), 'all', access));

export const patchObject: WriteHandler = async (ctx, route, { bmc, body }, access) =>
  sendData(ctx, await bmc.setProperties(objectPathOf(route), requireData(await readJsonBody(ctx, body), PROPERTIES), 'some', access));

/** A body-less POST is a call without arguments (`curl -X POST .../action/Reset`). */
export const callMethod: WriteHandler = async (ctx, route, { bmc, body }, access) => {
  const json = await readJsonBody(ctx, body);
  const args = json === undefined ? [] : requireData(json, '[<arg>, ...]');
  sendData(ctx, await bmc.callMethod(objectPathOf(route), route.name ?? '', args, access));
};

export const deleteObject: WriteHandler = async (ctx, route, { bmc }, access) =>
  sendData(ctx, await bmc.deleteObject(objectPathOf(route), access));
