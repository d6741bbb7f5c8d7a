/**
 * The only writers of the OpenBMC envelope. Handlers return data; these
 * functions put it on the wire, so every response has the same shape:
 * `{"data": ..., "message": "200 OK", "status": "ok"}` or the error form.
 */
import { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { Json } from '../dbus/convert.js';
import { compareKeys, JsonWriter } from '../dbus/json-writer.js';
import type { GatewayError } from '../errors.js';
import { writeJson } from './json-text.js';

export const JSON_CONTENT_TYPE = 'application/json';

/**
 * The success envelope as JSON text, `data` written by `writeData` at depth 1
 * (for data that is written straight from its source, such as enumerate's).
 */
export function successEnvelope(writeData: (writer: JsonWriter) => void, extra: Readonly<Record<string, Json>> = {}): JsonWriter {
  const fields: Record<string, Json> = { ...extra, data: null, message: '200 OK', status: 'ok' };
  const writer = new JsonWriter(2);
  writer.ascii('{');
  Object.keys(fields).sort(compareKeys).forEach((key, i) => {
    if (i > 0) writer.ascii(',');
    writer.newline(1);
    writer.key(key);
    if (key === 'data') writeData(writer);
    else writer.value(fields[key]!, 1);
  });
  writer.newline(0);
  writer.ascii('}');
  return writer;
}

/** Success: always HTTP 200, as the original server (no 201/204 anywhere). */
export function sendData(ctx: Context, data: Json, extra: Readonly<Record<string, Json>> = {}): void {
  sendBody(ctx, successEnvelope((writer) => writer.value(data, 1), extra).chunks());
}

/** A success envelope already written (chunks of JSON text, sent as they are, also to several clients). */
export function sendBody(ctx: Context, chunks: readonly Buffer[]): void {
  ctx.status = 200;
  ctx.type = JSON_CONTENT_TYPE;
  if (chunks.length === 1) {
    ctx.body = chunks[0];
    return;
  }
  ctx.body = Readable.from(chunks);
  ctx.length = chunks.reduce((bytes, chunk) => bytes + chunk.length, 0);
}

export function sendError(ctx: Context, error: GatewayError): void {
  ctx.status = error.status;
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
  ctx.type = JSON_CONTENT_TYPE;
  ctx.body = writeJson(error.toEnvelope() as unknown as Json);
}
