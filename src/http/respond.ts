/**
 * The only writers of the OpenBMC envelope. Handlers return data; these
 * functions put it on the wire, so every response has the same shape:
 * `{"data": ..., "message": "200 OK", "status": "ok"}` or the error form.
 */
import type { Readable } from 'node:stream';
import type { Json } from '../dbus/convert.js';
import { compareKeys, JsonWriter } from '../dbus/json-writer.js';
import type { GatewayError } from '../errors.js';
import { writeJson } from './json-text.js';
import type { GatewayContext } from './state.js';

export const JSON_CONTENT_TYPE = 'application/json';
/** The Content-Type header `ctx.type = JSON_CONTENT_TYPE` sets (Koa adds the charset). */
export const JSON_TYPE_HEADER = 'application/json; charset=utf-8';

/**
 * The success envelope around its data, as two writers: the text before the
 * data (ending with `"data": `) and after it. Keys sorted, as everywhere.
 */
export function successEnvelope(extra: Readonly<Record<string, Json>> = {}): { before(writer: JsonWriter): void; after(writer: JsonWriter): void } {
  const fields: Record<string, Json> = { message: '200 OK', ...extra, data: null, status: 'ok' };
  const keys = Object.keys(fields).sort(compareKeys);
  const at = keys.indexOf('data');
  const writeFields = (writer: JsonWriter, from: number, to: number) => {
    for (let i = from; i < to; i++) {
      if (i > 0) writer.ascii(',');
      writer.newline(1);
      writer.key(keys[i]!);
      if (i !== at) writer.value(fields[keys[i]!]!, 1);
    }
  };
  return {
    before: (writer) => {
      writer.ascii('{');
      writeFields(writer, 0, at + 1);
    },
    after: (writer) => {
      writeFields(writer, at + 1, keys.length);
      writer.newline(0);
      writer.ascii('}');
    },
  };
}

/** The envelope without extra fields (almost every answer), as its bytes before and after the data: written once. */
const PLAIN_ENVELOPE = (() => {
  const envelope = successEnvelope();
  const [before, after] = [new JsonWriter(2), new JsonWriter(2)];
  envelope.before(before);
  envelope.after(after);
  return { before: Buffer.from(before.toBuffer()), after: Buffer.from(after.toBuffer()) };
})();

/** The success envelope around `data`, as sent. */
export function renderData(data: Json, extra?: Readonly<Record<string, Json>>): Buffer {
  const writer = new JsonWriter(2);
  if (extra === undefined || Object.keys(extra).length === 0) {
    const { before, after } = PLAIN_ENVELOPE;
    writer.bytes(before, 0, before.length);
    writer.value(data, 1);
    writer.bytes(after, 0, after.length);
    return writer.toBuffer();
  }
  const envelope = successEnvelope(extra);
  envelope.before(writer);
  writer.value(data, 1);
  envelope.after(writer);
  return writer.toBuffer();
}

/** Success: HTTP 200, as the original server (no 201/204 anywhere; 202 only for a job asked for). */
export function sendData(ctx: GatewayContext, data: Json, extra?: Readonly<Record<string, Json>>): void {
  ctx.status = 200;
  ctx.type = JSON_CONTENT_TYPE;
  ctx.body = renderData(data, extra);
}

/** `202 Accepted` for a request run as a job (`Prefer: respond-async`): Location is the job, the envelope says its id, uri and state. */
export function sendAccepted(ctx: GatewayContext, location: string, data: Json): void {
  ctx.set('Location', location);
  ctx.body = renderData(data, { message: '202 Accepted' });
  ctx.status = 202;
  ctx.type = JSON_CONTENT_TYPE;
}

/** A success envelope sent as it is written (the stream is made per client). */
export function sendStream(ctx: GatewayContext, body: Readable): void {
  ctx.status = 200;
  ctx.type = JSON_CONTENT_TYPE;
  ctx.body = body;
}

export function sendError(ctx: GatewayContext, error: GatewayError): void {
  ctx.status = error.status;
  for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
  ctx.type = JSON_CONTENT_TYPE;
  ctx.body = writeJson(error.toEnvelope());
}
