/**
 * JSON request bodies: `{"data": ...}` under a JSON content type, at most
 * `maxBytes` (100 KiB). The media type is parsed by `content-type` and the
 * bytes are read by `raw-body`; the rules and every text are this API's:
 * - no body at all (no Content-Length, no Transfer-Encoding, or length 0) is
 *   an empty body, whatever the Content-Type (curl -X POST sends none);
 * - otherwise the type must be application/json, charset absent or utf-8 (415);
 * - more than the limit: 413, checked against Content-Length before reading
 *   and against the bytes while reading (chunked bodies);
 * - bad JSON, or JSON without `data`: 400 saying what was expected;
 * - the whole body must arrive within `timeoutMs` (`--body-timeout-ms`):
 *   408 otherwise, so a client trickling bytes cannot hold a request open
 *   (the server sets no overall request timeout, which would cut long image
 *   uploads; see upload.ts);
 * - the body must be UTF-8: invalid bytes are a 400, never stored as U+FFFD;
 * - `Expect: 100-continue` is answered here, when the body is about to be
 *   read, so only after the auth guard let the request through (the server
 *   does not send it by itself: http/connections.ts).
 * On 413 and 408 the rest of the body is left unread (the request is paused,
 * not destroyed: its socket carries the answer) and the connection is closed
 * after the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import contentType from 'content-type';
import type getRawBody from 'raw-body';
import { GatewayError, errors } from '../errors.js';
import type { GatewayContext } from './state.js';

export interface BodyLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

export const JSON_BODY_LIMIT = 100 * 1024;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Loaded at the first body read: most requests (and an idle gateway) read none. */
let rawBody: Promise<typeof getRawBody> | undefined;

/** Reads and parses the body; `undefined` when the request has none. */
export async function readJsonBody(ctx: GatewayContext, limits: BodyLimits): Promise<unknown> {
  const headers = ctx.req.headers;
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const chunked = headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === 0)) return undefined;
  checkContentType(headers['content-type'] ?? '');
  if (length !== undefined && length > limits.maxBytes) throw tooLarge(ctx, limits.maxBytes);
  continueBody(ctx.req, ctx.res);
  const body = await receive(ctx, length, limits);
  if (body.length === 0) return undefined;
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new GatewayError(400, 'The request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new GatewayError(400, `Invalid JSON in the request body: ${(err as Error).message}`);
  }
}

/** Sends `100 Continue` to a client that waits for it before sending its body (once). */
export function continueBody(req: IncomingMessage, res: ServerResponse): void {
  const expect = req.headers.expect;
  if (typeof expect !== 'string' || expect.toLowerCase() !== '100-continue' || continued.has(res) || res.headersSent) return;
  continued.add(res);
  res.writeContinue();
}
const continued = new WeakSet<ServerResponse>();

/** The whole body, or 413/408/400 (raw-body pauses the request on an error; it never destroys it). */
async function receive(ctx: GatewayContext, length: number | undefined, limits: BodyLimits): Promise<Buffer> {
  const read = await (rawBody ??= import('raw-body').then((module) => module.default));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ctx.req.pause();
      ctx.set('Connection', 'close');
      reject(new GatewayError(408, `The request body did not arrive within ${limits.timeoutMs} ms`));
    }, limits.timeoutMs);
  });
  const reading = read(ctx.req, { limit: limits.maxBytes, ...(length !== undefined ? { length } : {}) });
  // A body that arrives after the 408 (or fails after it) is nobody's business any more.
  reading.catch(() => undefined);
  try {
    return await Promise.race([reading, late]);
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    if ((err as { type?: string }).type === 'entity.too.large') throw tooLarge(ctx, limits.maxBytes);
    // The client went away or sent less than it said (nobody reads the answer, but the audit line
    // gets a client error, not a 500 and a log line about a gateway fault).
    throw new GatewayError(400, 'The request body ended early', { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

function checkContentType(header: string): void {
  let type = '';
  let charset: string | undefined;
  try {
    const parsed = contentType.parse(header);
    type = parsed.type;
    charset = parsed.parameters.charset?.toLowerCase();
  } catch {
    // Not a media type at all: refused below like any other.
  }
  if (type === 'application/json' && (charset === undefined || charset === 'utf-8' || charset === 'utf8')) return;
  throw errors.unsupportedMediaType('application/json', header);
}

function tooLarge(ctx: GatewayContext, limit: number): GatewayError {
  // The rest of the body is not read: close the connection instead of draining it.
  ctx.set('Connection', 'close');
  return new GatewayError(413, `Request body larger than ${limit} bytes`);
}

/** The `data` member of a `{"data": ...}` body; 400 with the expected format otherwise. */
export function requireData(body: unknown, expected: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('data' in body)) {
    throw new GatewayError(400, `Expecting request format { 'data': ${expected} }, got '${render(body)}'`);
  }
  return (body as { data: unknown }).data;
}

/** A short, single-line rendering of client input for error texts. */
export function render(value: unknown): string {
  if (value === undefined) return 'None';
  const text = JSON.stringify(value) ?? String(value);
  const cut = text.length > 80 ? text.slice(0, 79) + '…' : text;
  return cut.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200);
}
