/**
 * Every accepted socket has an owner and an end. The HTTP(S) server is
 * given its limits here, and this class keeps the list of every TCP
 * connection it holds, from accept to close, whatever state it is in (TLS
 * handshake, request head, request, keep-alive, websocket):
 * - at most `maxConnections` in all and `maxConnectionsPerAddress` from one
 *   client address: excess connections are closed at once, before TLS, and
 *   the ones already open are not touched;
 * - a TLS handshake must finish within `tlsHandshakeTimeoutMs`, a request
 *   head within `headersTimeoutMs` (Node checks every second), an idle
 *   keep-alive connection ends after `keepAliveTimeoutMs`;
 * - anything the HTTP parser or TLS refuses goes to `answerClientError`,
 *   which answers when there is someone to answer and always destroys;
 * - at shutdown, `closeIdle()` ends every connection that is not serving a
 *   request or a websocket, `destroyAll()` the rest.
 *
 * Connections are keyed by the peer's address and port, which the raw TCP
 * socket and the TLS socket wrapped around it share (Node gives no public
 * link from one to the other). A connection on a Unix-socket listener
 * (systemd ListenStream=/path) has neither: it gets a key of its own
 * (`unix|<n>`) and the address `unix`, which the per-address cap does not
 * apply to (every local client is one "address" there; the total cap still
 * does); its TLS socket is found through the raw socket it wraps (Node's
 * `_parent`, the only link).
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../log.js';
import { answerClientError, answerConnect } from './client-error.js';

export interface ConnectionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/** How often Node looks for request heads that are late (its default is 30 s). */
export const CONNECTIONS_CHECKING_INTERVAL_MS = 1000;
/** Refused connections are logged at most this often, with their count. */
const DROP_LOG_INTERVAL_MS = 10_000;

interface Connection {
  readonly socket: Socket;
  readonly address: string;
  /** The socket HTTP runs on: the TLS socket once the handshake is done, else the raw one. */
  http?: Socket;
  /** Requests whose response has not closed yet. */
  inFlight: number;
  upgraded: boolean;
  /** The latest response on this connection (a parse error after it waits for it). */
  lastResponse?: ServerResponse;
}

export class ConnectionGuard {
  readonly #limits: ConnectionLimits;
  readonly #log: Logger;
  readonly #connections = new Map<string, Connection>();
  readonly #perAddress = new Map<string, number>();
  /** Keys of connections without a peer address and port (Unix sockets), by raw socket. */
  readonly #unixKeys = new WeakMap<Socket, string>();
  #unixSeq = 0;
  #refused = 0;
  #refusedLoggedAt = 0;

  /** `allow`: every verb the routes take, for the 405 that answers CONNECT. */
  constructor(server: Server, limits: ConnectionLimits, tls: boolean, log: Logger, allow: string) {
    this.#limits = limits;
    this.#log = log;
    server.maxConnections = limits.maxConnections;
    server.headersTimeout = limits.headersTimeoutMs;
    server.keepAliveTimeout = limits.keepAliveTimeoutMs;
    // No overall request timeout: it would cut image uploads over slow links. Bodies are bounded
    // by --body-timeout-ms instead (http/body.ts, http/upload.ts).
    server.requestTimeout = 0;
    server.on('connection', (socket: Socket) => this.#accepted(socket, tls));
    if (tls) server.on('secureConnection', (socket: TLSSocket) => this.#secured(socket));
    server.on('drop', () => this.#dropped());
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#request(req, res));
    server.on('upgrade', (req: IncomingMessage) => {
      const connection = this.#of(req.socket);
      if (connection) connection.upgraded = true;
    });
    // Without a listener Node sends `100 Continue` itself, before anyone has checked the
    // credentials; the request is served as any other, and the body readers send the 100
    // (http/body.ts, http/upload.ts) once the guard has let the request through.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));
    server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
      const connection = this.#of(socket as Socket);
      answerClientError(err, socket, {
        handshakeDone: !tls || connection?.http === socket,
        ...(connection?.lastResponse ? { lastResponse: connection.lastResponse } : {}),
      });
    });
    // CONNECT is not served; without a listener Node would drop the connection unanswered.
    server.on('connect', (_req: IncomingMessage, socket: Duplex) => answerConnect(socket, allow));
  }

  /**
   * Shutdown: ends every connection that serves no request and no websocket right now. One whose
   * last answer is still being written to a slow reader is ended after it (destroyAll cuts it at
   * the deadline); the others are destroyed.
   */
  closeIdle(): void {
    for (const connection of this.#connections.values()) {
      if (connection.inFlight > 0 || connection.upgraded) continue;
      if (connection.http && connection.http.writableLength > 0) connection.http.end();
      else connection.socket.destroy();
    }
  }

  /** Shutdown deadline: ends every connection. */
  destroyAll(): void {
    for (const connection of this.#connections.values()) connection.socket.destroy();
  }

  #accepted(socket: Socket, tls: boolean): void {
    let key = keyOf(socket);
    const local = key === undefined;
    if (key === undefined) {
      key = `${UNIX_ADDRESS}|${++this.#unixSeq}`;
      this.#unixKeys.set(socket, key);
    }
    const address = local ? UNIX_ADDRESS : (socket.remoteAddress ?? '?');
    const count = (this.#perAddress.get(address) ?? 0) + 1;
    const connection: Connection = { socket, address, inFlight: 0, upgraded: false, ...(tls ? {} : { http: socket }) };
    this.#connections.set(key, connection);
    this.#perAddress.set(address, count);
    socket.once('close', () => {
      if (this.#connections.get(key) === connection) this.#connections.delete(key);
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
    });
    if (!local && count > this.#limits.maxConnectionsPerAddress) {
      this.#dropped(`${address} has ${this.#limits.maxConnectionsPerAddress} open`);
      socket.destroy();
    }
  }

  #secured(socket: TLSSocket): void {
    const connection = this.#of(socket);
    if (connection) connection.http = socket;
  }

  #request(req: IncomingMessage, res: ServerResponse): void {
    const connection = this.#of(req.socket);
    if (!connection) return;
    connection.inFlight += 1;
    connection.lastResponse = res;
    res.once('close', () => {
      connection.inFlight -= 1;
    });
  }

  #of(socket: Socket | null | undefined): Connection | undefined {
    if (!socket) return undefined;
    const key = keyOf(socket) ?? this.#unixKeys.get(socket) ?? this.#unixKeys.get(parentOf(socket) as Socket);
    return key === undefined ? undefined : this.#connections.get(key);
  }

  /** A connection refused by a cap: counted, and logged at most every few seconds. */
  #dropped(reason = `${this.#limits.maxConnections} connections open`): void {
    this.#refused += 1;
    const now = Date.now();
    if (now - this.#refusedLoggedAt < DROP_LOG_INTERVAL_MS) return;
    this.#log.warning(`connections: refused ${this.#refused} connection(s) (${reason}; `
      + '--max-connections, --max-connections-per-address)');
    this.#refused = 0;
    this.#refusedLoggedAt = now;
  }
}

/**
 * Descriptors the caps can need: every connection may hold a second fd (a
 * dump being downloaded, the image being uploaded), plus the process's own
 * (D-Bus, libuv, PAM, logging). The unit's LimitNOFILE= covers the defaults.
 */
export function descriptorsNeeded(maxConnections: number): number {
  return 2 * maxConnections + 64;
}

/** The soft RLIMIT_NOFILE of this process (Linux /proc), or undefined where unknown or unlimited. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  try {
    text ??= readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
  const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
  return soft === undefined || !/^\d+$/.test(soft) ? undefined : Number(soft);
}

/** The address of connections on a Unix-socket listener (one for all: no per-address cap). */
const UNIX_ADDRESS = 'unix';

/** The raw socket a TLS socket wraps (Node keeps it as `_parent`; no public link exists), if any. */
function parentOf(socket: Socket): object {
  const parent = (socket as Socket & { _parent?: unknown })._parent;
  return typeof parent === 'object' && parent !== null ? parent : socket;
}

function keyOf(socket: Socket): string | undefined {
  const { remoteAddress, remotePort } = socket;
  return remoteAddress === undefined || remotePort === undefined ? undefined : `${remoteAddress}|${remotePort}`;
}
