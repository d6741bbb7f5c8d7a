/**
 * What Node's HTTP parser or TLS layer refuses before Koa sees it: an
 * unknown method, a malformed or oversized head, a bad Transfer-Encoding or
 * chunk size, a head that took too long, a TLS handshake that failed or
 * took too long. Node would answer a bare `400` (or nothing) and, on a TLS
 * socket whose handshake never finished, keep the socket for good.
 *
 * The rules:
 * - a socket whose TLS handshake is not done is destroyed: there is no
 *   channel to answer on;
 * - a request that is still being answered on the same connection (the bad
 *   bytes came after a complete request) is answered first; the error
 *   answer follows it;
 * - otherwise the error gets the JSON envelope and the security headers;
 * - after an error answer the socket is destroyed once the answer is
 *   written, or after ANSWER_BOUND_MS if the peer does not read it: the
 *   stream cannot be trusted after a parse error, and a peer must not keep
 *   a half-closed socket open.
 */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayError, statusLine } from '../errors.js';
import { writeJson } from './json-text.js';
import type { Json } from '../dbus/convert.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** Longest wait for the peer to take an error answer before the socket is destroyed anyway. */
export const ANSWER_BOUND_MS = 2000;

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

const DESCRIPTION_BY_CODE: Readonly<Record<string, string>> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'The request head did not arrive in time',
  HPE_INVALID_TRANSFER_ENCODING: 'Malformed HTTP request: unsupported Transfer-Encoding',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'Malformed HTTP request: Content-Length together with Transfer-Encoding',
  HPE_INVALID_CHUNK_SIZE: 'Malformed HTTP request: bad chunk size',
};

export interface ClientErrorContext {
  /** False for a TLS socket whose handshake has not finished. */
  readonly handshakeDone: boolean;
  /** The latest response on this connection, if any. */
  readonly lastResponse?: ServerResponse;
}

/** Marks sockets already being answered: a second parse error on them only destroys. */
const answering = new WeakSet<Duplex>();

export function answerClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex, context: ClientErrorContext): void {
  if (!context.handshakeDone || err.code === 'ECONNRESET' || !socket.writable || answering.has(socket)) {
    socket.destroy();
    return;
  }
  answering.add(socket);
  const status = STATUS_BY_CODE[err.code ?? ''] ?? 400;
  const description = DESCRIPTION_BY_CODE[err.code ?? ''] ?? (status === 400 ? 'Malformed HTTP request' : statusLine(status).slice(4));
  // A HEAD request gets the headers only (the client reads no body after them).
  const head = err.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  const answer = errorResponse(new GatewayError(status, description), !head);
  const pending = context.lastResponse;
  if (pending && !pending.writableFinished && pending.req.complete) {
    // The bytes that failed came after a complete request still being served (a POST without a
    // body followed by stray bytes): its answer goes out first, the error answer after it.
    pending.once('finish', () => endAndDestroy(socket, answer));
    pending.once('close', () => {
      if (!pending.writableFinished) socket.destroy();
    });
    return;
  }
  if (pending && !pending.writableFinished && pending.headersSent) {
    // An answer is half written: nothing can be put in front of it.
    socket.destroy();
    return;
  }
  endAndDestroy(socket, answer);
}

/** `CONNECT`: this server is no proxy. */
export function answerConnect(socket: Duplex): void {
  endAndDestroy(socket, errorResponse(new GatewayError(405, 'Method not allowed.', {
    headers: { Allow: 'GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS' },
  }), true));
}

/** The whole HTTP/1.1 error response, `Connection: close`. */
export function errorResponse(error: GatewayError, withBody: boolean): string {
  const body = writeJson(error.toEnvelope() as unknown as Json);
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    ...error.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `HTTP/1.1 ${statusLine(error.status)}\r\n${lines}\r\n${withBody ? body : ''}`;
}

/** Writes `data`, ends, and destroys once it is written or after ANSWER_BOUND_MS. */
export function endAndDestroy(socket: Duplex, data: string): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const timer = setTimeout(() => socket.destroy(), ANSWER_BOUND_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(data, () => socket.destroy());
}
