/**
 * Graceful HTTP shutdown: stop accepting, let in-flight requests finish
 * within a bound, end keep-alive connections as soon as their response is
 * out, then cut whatever is still running. Used by Gateway.close() on SIGTERM.
 * Connections that serve nothing (a TLS handshake, a head still arriving,
 * an idle keep-alive) end at once; at the deadline every connection the
 * server holds is destroyed, so the drain ends on time whatever clients do.
 *
 * Node's server.close() stops accepting and closes idle connections once,
 * but a keep-alive connection whose request is in flight stays open after
 * its response (until keepAliveTimeout). Here every response that finishes
 * during the drain carries `Connection: close` when its headers are not out
 * yet, and idle connections are closed again after each one.
 */
import type { Server, ServerResponse } from 'node:http';
import type { ConnectionGuard } from './connections.js';

export interface DrainResult {
  /** Requests that finished during the drain. */
  readonly finished: number;
  /** Requests still running at the deadline, whose connections were cut. */
  readonly cut: number;
}

export class HttpDrain {
  readonly #server: Server;
  readonly #connections: ConnectionGuard;
  readonly #inFlight = new Set<ServerResponse>();
  #draining = false;
  #finished = 0;

  constructor(server: Server, connections: ConnectionGuard) {
    this.#server = server;
    this.#connections = connections;
    server.on('request', (_req, res: ServerResponse) => {
      this.#inFlight.add(res);
      if (this.#draining) markClose(res);
      res.once('close', () => {
        this.#inFlight.delete(res);
        if (!this.#draining) return;
        this.#finished++;
        server.closeIdleConnections();
        connections.closeIdle();
      });
    });
  }

  /** Requests being served right now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Stops accepting; resolves when every connection is closed, at most `timeoutMs` plus the cut. */
  async drain(timeoutMs: number): Promise<DrainResult> {
    this.#draining = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const res of this.#inFlight) markClose(res);
    this.#server.closeIdleConnections();
    this.#connections.closeIdle();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), timeoutMs);
    });
    const outcome = await Promise.race([closed.then(() => 'closed' as const), deadline]);
    clearTimeout(timer);
    let cut = 0;
    if (outcome === 'deadline') {
      cut = this.#inFlight.size;
      this.#server.closeAllConnections();
      this.#connections.destroyAll();
      await closed;
    }
    return { finished: this.#finished, cut };
  }
}

function markClose(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
}
