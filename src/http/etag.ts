/**
 * Entity tags of D-Bus values: `GET <path>` and `GET <path>/attr/<name>`
 * carry a strong ETag (a hash of the JSON answer, which the value alone
 * decides); `If-None-Match` answers 304 to pollers; PUT/PATCH with
 * `If-Match` read the value again and answer 412 before writing when the tag
 * no longer matches. The check and the write are two steps: a change by
 * someone else between them is not seen (docs/DECISIONS.md).
 */
import * as crypto from 'node:crypto';
import type { Json } from '../dbus/convert.js';
import { GatewayError } from '../errors.js';
import { JSON_TYPE_HEADER, renderData } from './respond.js';
import type { GatewayContext } from './state.js';

/** SHA-256 as base64url: the one-shot `crypto.hash` where Node has it (20.12 on; a third of a Hash object's cost). */
const sha256 = (crypto as { hash?: (algorithm: string, data: Buffer, encoding: 'base64url') => string }).hash;
const digest: (body: Buffer) => string = sha256
  ? (body) => sha256('sha256', body, 'base64url')
  : (body) => crypto.createHash('sha256').update(body).digest('base64url');

export function etagOf(body: Buffer): string {
  return `"${digest(body).slice(0, 27)}"`;
}

/** The tags of an If-Match / If-None-Match value; `*` stays `*`. Weak tags keep their `W/`. */
function tags(header: string): string[] {
  return header.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
}

/** 412 unless the current value's tag is one of If-Match's (strong comparison: a `W/` tag never matches). */
export async function checkIfMatch(ctx: GatewayContext, current: () => Promise<Json>): Promise<void> {
  const header = ctx.get('If-Match');
  if (header === '') return;
  const wanted = tags(header);
  const tag = etagOf(renderData(await current()));
  if (wanted.includes('*') || wanted.includes(tag)) return;
  throw new GatewayError(412, `Precondition Failed: the value has changed (its ETag is now ${tag})`, { headers: { ETag: tag } });
}

/** Sends a read's data with its ETag, or 304 when If-None-Match names it (weak comparison, as RFC 9110 says for GET). */
export function sendTagged(ctx: GatewayContext, data: Json): void {
  const body = renderData(data);
  const tag = etagOf(body);
  // Straight to Node (what ctx.set does for one string header, without its arrays).
  ctx.res.setHeader('ETag', tag);
  const header = ctx.get('If-None-Match');
  if (header !== '') {
    const wanted = tags(header).map((t) => t.replace(/^W\//, ''));
    if (wanted.includes('*') || wanted.includes(tag)) {
      ctx.status = 304;
      ctx.body = null;
      return;
    }
  }
  ctx.status = 200;
  // What `ctx.type = 'application/json'` sets, without Koa's look-up of the name every time.
  ctx.res.setHeader('Content-Type', JSON_TYPE_HEADER);
  ctx.body = body;
}
