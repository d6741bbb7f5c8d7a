/**
 * Error answers written straight onto a socket that Koa does not serve:
 * what Node's HTTP parser refused (client-error.ts) and websocket upgrades
 * refused before the 101 (ws/service.ts). The same envelope and security
 * headers as every other answer, `Connection: close`, and the socket
 * destroyed once the answer is written or after ANSWER_BOUND_MS if the peer
 * does not read it.
 */
import type { Duplex } from 'node:stream';
import { type GatewayError, statusLine } from '../errors.js';
import { writeJson } from './json-text.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** Longest wait for the peer to take an error answer before the socket is destroyed anyway. */
export const ANSWER_BOUND_MS = 2000;

/** Answers with the error and closes: the one way a raw socket is refused. */
export function refuseSocket(socket: Duplex, error: GatewayError): void {
  endAndDestroy(socket, errorResponse(error, true));
}

/** The whole HTTP/1.1 error response, `Connection: close`. */
export function errorResponse(error: GatewayError, withBody: boolean): string {
  const body = writeJson(error.toEnvelope());
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
