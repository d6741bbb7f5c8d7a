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
import { GatewayError, errors, statusLine } from '../errors.js';
import { endAndDestroy, errorResponse } from './raw-response.js';

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
export function answerConnect(socket: Duplex, allow: string): void {
  endAndDestroy(socket, errorResponse(errors.methodNotAllowed(allow), true));
}
