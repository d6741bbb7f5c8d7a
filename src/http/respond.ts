/**
 * The only writers of the OpenBMC envelope. Handlers return data; these two
 * functions put it on the wire, so every response has the same shape:
 * `{"data": ..., "message": "200 OK", "status": "ok"}` or the error form.
 */
import type { Context } from 'koa';
import type { Json } from '../dbus/convert.js';
import type { GatewayError } from '../errors.js';
import { writeJson } from './json-text.js';

export const JSON_CONTENT_TYPE = 'application/json';

/** Success: always HTTP 200, as the original server (no 201/204 anywhere). */
export function sendData(ctx: Context, data: Json, extra: Readonly<Record<string, Json>> = {}): void {
  ctx.status = 200;
  ctx.type = JSON_CONTENT_TYPE;
  ctx.body = writeJson({ ...extra, data, message: '200 OK', status: 'ok' });
}

export function sendError(ctx: Context, error: GatewayError): void {
  ctx.status = error.status;
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
  ctx.type = JSON_CONTENT_TYPE;
  ctx.body = writeJson(error.toEnvelope() as unknown as Json);
}
