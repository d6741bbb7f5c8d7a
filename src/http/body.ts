/**
 * JSON request bodies: `{"data": ...}` under a JSON content type, at most
 * 100 KiB. Written here rather than with a body-parser package because every
 * failure needs this API's own envelope text, and the rules are few:
 * - no body at all (no Content-Length, no Transfer-Encoding, or length 0) is
 *   an empty body, whatever the Content-Type (curl -X POST sends none);
 * - otherwise the type must be application/json, charset absent or utf-8 (415);
 * - more than the limit: 413, checked against Content-Length before reading
 *   and against the bytes while reading (chunked bodies);
 * - bad JSON, or JSON without `data`: 400 saying what was expected;
 * - the whole body must arrive within the body timeout (`--body-timeout-ms`,
 *   `ctx.bodyTimeoutMs`): 408 otherwise, so a client trickling bytes cannot
 *   hold a request open (the server sets no overall request timeout, which
 *   would cut long image uploads; see upload.ts).
 * - the body must be UTF-8: invalid bytes are a 400, never stored as U+FFFD;
 * - `Expect: 100-continue` is answered here, when the body is about to be
 *   read, so only after the auth guard let the request through (the server
 *   does not send it by itself: http/connections.ts).
 * On 413 and 408 the rest of the body is left unread and the connection is
 * closed after the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'koa';
import { GatewayError } from '../errors.js';

export const JSON_BODY_LIMIT = 100 * 1024;
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

declare module 'koa' {
  interface DefaultContext {
    /** Set once on app.context from the configuration (app.ts). */
    bodyTimeoutMs?: number;
  }
}

/** Reads and parses the body; `undefined` when the request has none. */
export async function readJsonBody(ctx: Context, limit = JSON_BODY_LIMIT): Promise<unknown> {
  const headers = ctx.req.headers;
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const chunked = headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === 0)) return undefined;
  checkContentType(headers['content-type'] ?? '');
  if (length !== undefined && length > limit) throw tooLarge(ctx, limit);
  continueBody(ctx.req, ctx.res);
  const body = await receive(ctx, limit, ctx.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
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

/** The whole body, or 413/408 (the request is then paused, not destroyed: its socket carries the answer). */
function receive(ctx: Context, limit: number, timeoutMs: number): Promise<Buffer> {
  const req = ctx.req;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (err?: Error) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', ended).off('close', ended);
      if (!err) return resolve(Buffer.concat(chunks));
      req.pause();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) stop(tooLarge(ctx, limit));
      else chunks.push(chunk);
    };
    const onEnd = () => stop();
    // An error or a close before the end: the client went away (nobody reads the answer, but the
    // audit line gets a client error, not a 500 and a log line about a gateway fault).
    const ended = () => stop(new GatewayError(400, 'The request body ended early'));
    const timer = setTimeout(() => {
      ctx.set('Connection', 'close');
      stop(new GatewayError(408, `The request body did not arrive within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', ended).on('close', ended);
  });
}

function checkContentType(contentType: string): void {
  const [type = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (type === 'application/json' && (charset === undefined || charset === 'utf-8' || charset === 'utf8')) return;
  throw new GatewayError(415, `Expecting content type 'application/json', got '${printable(contentType)}'`);
}

function tooLarge(ctx: Context, limit: number): GatewayError {
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
  return printable(text.length > 80 ? text.slice(0, 79) + '…' : text);
}

function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200);
}
