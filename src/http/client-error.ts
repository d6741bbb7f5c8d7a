/**
 * Requests Node's HTTP parser refuses before Koa sees them (an unknown
 * method, Content-Length together with Transfer-Encoding, a malformed
 * header, headers too large): Node would answer a bare `400` with no body.
 * Here they get the same JSON error envelope and security headers as every
 * other error, then the connection is closed (the stream cannot be trusted
 * after a parse error).
 */
import type { Duplex } from 'node:stream';
import { GatewayError, statusLine } from '../errors.js';
import { writeJson } from './json-text.js';
import type { Json } from '../dbus/convert.js';
import { SECURITY_HEADERS } from './security-headers.js';

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

export function answerClientError(err: Error & { code?: string; rawPacket?: Buffer }, socket: Duplex): void {
  // Nothing to answer on a connection the peer already dropped, or one that has sent a response's worth.
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const status = STATUS_BY_CODE[err.code ?? ''] ?? 400;
  const description = status === 400 ? 'Malformed HTTP request' : statusLine(status).slice(4);
  const body = writeJson(new GatewayError(status, description).toEnvelope() as unknown as Json);
  const headers = {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  // A HEAD request gets the headers only (the client reads no body after them).
  const isHead = err.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  socket.end(`HTTP/1.1 ${statusLine(status)}\r\n${head}\r\n${isHead ? '' : body}`);
}
