/**
 * `/subscribe` on the gateway's HTTP(S) server: the `upgrade` listener, the
 * connection cap, the heartbeat and shutdown.
 *
 * The upgrade request is checked completely before any 101 is written: path,
 * method, then the RequestGuard (login, role, CSRF), then the connection cap,
 * then the shared bus match rules are put in place (so a client whose socket
 * is open misses no signal from then on). Any refusal is a real HTTP response
 * with the usual JSON error envelope, after which the socket is closed;
 * phosphor-rest-server upgraded first and closed after, so clients saw a
 * successful handshake.
 *
 * A websocket opened with a session (cookie or X-Auth-Token) lives as long
 * as the session: logout, eviction or idle expiry closes it (1008 "session
 * ended"), and while it is open and answering pings it keeps the session in
 * use, as requests do. One opened with Basic credentials has no session.
 * Every socket also follows its user's account (RequestGuard.watchAccount):
 * disabled, deleted, demoted or out of the served groups, it is closed with
 * 1008 and the reason, whichever way it was opened.
 *
 * Caps: `maxConnections` in all and `maxConnectionsPerUser` for one user, so
 * that no account (nor a script looping on one) can take every slot.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerOptions, WebSocketServer } from 'ws';
import type { AuditLog } from '../auth/audit.js';
import { clientAddress } from '../auth/auth-guard.js';
import type { Principal, RequestGuard } from '../auth/guard.js';
import type { BusConnection } from '../dbus/bus.js';
import { GatewayError, errors, toGatewayError } from '../errors.js';
import { refusedCredentials } from '../http/audit-middleware.js';
import { policyAction } from '../http/guard-middleware.js';
import { refuseSocket } from '../http/raw-response.js';
import type { RouteTable } from '../http/routes.js';
import { SECURITY_HEADERS } from '../http/security-headers.js';
import type { Logger } from '../log.js';
import { SubscriberConnection } from './connection.js';
import type { JobTable } from '../bmc/jobs/job-table.js';
import { EventHub } from './hub.js';
import { CLOSE_GOING_AWAY, type SubscriptionLimits } from './subscribe.js';

export interface SubscribeOptions extends SubscriptionLimits {
  /** Ping every this many ms; a peer silent for a whole interval after a ping is dropped. */
  readonly pingIntervalMs: number;
  /** Open (and upgrading) `/subscribe` connections at most; more get 503. */
  readonly maxConnections: number;
  /** Of those, for one user at most; more get 503. */
  readonly maxConnectionsPerUser: number;
}

export interface SubscribeDeps {
  readonly bus: BusConnection;
  /** The route table: which paths upgrade, what the policy sees, the 405's Allow. */
  readonly routes: RouteTable;
  readonly guard: RequestGuard;
  readonly log: Logger;
  /** Refused credentials are audited like failed logins on the HTTP routes. */
  readonly audit?: AuditLog;
  readonly options: SubscribeOptions;
  /** Job changes, sent to subscribers whose filter asks for `JobChanged` (the job's owner and administrators). */
  readonly jobs?: JobTable;
}

/** The route kind that upgrades (routes.ts). */
const SUBSCRIBE = 'subscribe';
/** Filters are small; a message bigger than the caps allow is closed with 1009 by ws. */
const MIN_MESSAGE_BYTES = 64 * 1024;
/** A path or interface name is at most 255 bytes, plus quotes and separators. */
const MAX_ENTRY_BYTES = 260;
/** On shutdown, peers get this long to answer the close frame. */
const SHUTDOWN_GRACE_MS = 1000;
const RETRY_AFTER_SECONDS = 10;

export class SubscribeService {
  readonly #deps: SubscribeDeps;
  readonly #options: SubscribeOptions;
  readonly #hub: EventHub;
  /** Made at the first upgrade: an idle gateway does not load ws. */
  #wss: Promise<WebSocketServer> | undefined;
  /** Connections that passed the checks and hold a slot, until their match rules are released. */
  readonly #connections = new Set<SubscriberConnection>();
  readonly #idleWaiters: Array<() => void> = [];
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #stopJobs: (() => void) | undefined;

  constructor(deps: SubscribeDeps) {
    this.#deps = deps;
    this.#options = deps.options;
    this.#hub = new EventHub(deps.bus);
    this.#stopJobs = deps.jobs?.onChange((job) => this.#hub.publishJob(job));
  }

  #server(): Promise<WebSocketServer> {
    return (this.#wss ??= import('ws').then(({ WebSocketServer }) => {
      const maxPayload = Math.max(MIN_MESSAGE_BYTES, (this.#options.maxPaths + this.#options.maxInterfaces + 8) * MAX_ENTRY_BYTES);
      const options: ServerOptions = {
        noServer: true, clientTracking: false, maxPayload, perMessageDeflate: false,
        handleProtocols: (offered, req) => this.#selectProtocol(offered, req),
      };
      const wss = new WebSocketServer(options);
      // Handshake errors (bad key, version, ...) get the envelope too, not ws's plain text.
      wss.on('wsClientError', (err, socket) => refuseSocket(socket, new GatewayError(400, err.message)));
      // The 101 carries the security headers every response has.
      wss.on('headers', (headers) => headers.push(...SECURITY_LINES));
      return wss;
    }));
  }

  /** Connections holding a slot (upgrading or open). */
  get connections(): number {
    let open = 0;
    for (const connection of this.#connections) if (!connection.socket.destroyed) open++;
    return open;
  }

  /**
   * Resolves once no connection holds a slot and every release of match
   * rules has finished (for shutdown and tests: the bus is then back to the
   * rules it had before the first subscriber).
   */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#checkIdle();
    });
  }

  /** The `upgrade` listener for the HTTP(S) server. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.#upgrade(req, socket, head).catch((err: unknown) => {
      this.#deps.log.error(`subscribe: upgrade failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      refuseSocket(socket, errors.internal());
    });
  };

  /** Closes every subscription (1001), then forgets them; new upgrades get 503. */
  async close(): Promise<void> {
    this.#stopJobs?.();
    this.#closed = true;
    this.#stopHeartbeat();
    const open = [...this.#connections];
    for (const connection of open) connection.close(CLOSE_GOING_AWAY, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(open.map(({ socket }) => socket.destroyed ? undefined : new Promise((resolve) => socket.once('close', resolve)))),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS))),
    ]);
    clearTimeout(timer);
    for (const { socket } of open) socket.destroy();
    (await this.#wss)?.close();
    await this.whenIdle();
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A reset while we check must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy());
    const { routes, guard, log } = this.#deps;
    const route = routes.parse((req.url ?? '/').split('?')[0] ?? '/');
    if (route.definition.kind !== SUBSCRIBE) return refuseSocket(socket, errors.pathNotFound());
    if (req.method !== 'GET') return refuseSocket(socket, errors.methodNotAllowed(routes.allow(route)));
    const action = policyAction(route, 'GET');
    let principal: Principal;
    try {
      principal = await guard.check(req, action);
    } catch (err) {
      const error = toGatewayError(err);
      if (error.status >= 500) log.error(`subscribe: guard failed: ${String(error.cause ?? error.description)}`);
      this.#auditRefusal(req, route.path, error.status);
      return refuseSocket(socket, error);
    }
    if (socket.destroyed) return;
    const refusal = this.#refusal(principal);
    if (refusal) return refuseSocket(socket, refusal);
    const connection = new SubscriberConnection(req, socket, principal, {
      hub: this.#hub, guard, log, limits: this.#options, action,
    });
    this.#connections.add(connection);
    void connection.closed.then(() => {
      this.#connections.delete(connection);
      if (this.#connections.size === 0) this.#stopHeartbeat();
      this.#checkIdle();
    });
    try {
      await connection.joined();
    } catch (err) {
      log.error(`subscribe: cannot add D-Bus match rules: ${String(err)}`);
      return refuseSocket(socket, errors.busy('Cannot subscribe to D-Bus signals now', RETRY_AFTER_SECONDS));
    }
    if (socket.destroyed) return;
    if (this.#closed) return refuseSocket(socket, errors.shuttingDown());
    const wss = await this.#server();
    if (socket.destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      connection.open(ws);
      this.#startHeartbeat();
    });
  }

  /** Why a new connection of `principal` may not open now: shutting down, or a cap reached. */
  #refusal(principal: Principal): GatewayError | undefined {
    if (this.#closed) return errors.shuttingDown();
    if (this.connections >= this.#options.maxConnections) {
      return errors.busy(`Too many subscriptions: at most ${this.#options.maxConnections} may be open`, RETRY_AFTER_SECONDS);
    }
    let held = 0;
    for (const connection of this.#connections) if (connection.principal.user === principal.user && !connection.socket.destroyed) held++;
    if (held >= this.#options.maxConnectionsPerUser) {
      return errors.busy(`Too many subscriptions for user '${principal.user}': at most ${this.#options.maxConnectionsPerUser} may be open`,
        RETRY_AFTER_SECONDS);
    }
    return undefined;
  }

  /** A refused Basic attempt is a password guess: audited as on the HTTP routes. */
  #auditRefusal(req: IncomingMessage, path: string, status: number): void {
    const refused = refusedCredentials(status, req.headers.authorization);
    if (!refused) return;
    this.#deps.audit?.record({ ...refused, address: clientAddress(req), method: 'GET', path, status });
  }

  /**
   * The subprotocol echoed in the 101: the one that carried the XSRF token
   * (cookie logins from a browser), else the first offered (browsers fail a
   * handshake that offered protocols and got none back). No protocol has a
   * meaning here beyond that.
   */
  #selectProtocol(offered: ReadonlySet<string>, req: IncomingMessage): string | false {
    let chosen: string | undefined;
    for (const connection of this.#connections) if (connection.request === req) chosen = connection.principal.acceptProtocol;
    if (chosen !== undefined && offered.has(chosen)) return chosen;
    return offered.values().next().value ?? false;
  }

  #checkIdle(): void {
    if (this.#connections.size > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #startHeartbeat(): void {
    this.#heartbeat ??= setInterval(() => {
      for (const connection of this.#connections) connection.heartbeat();
    }, this.#options.pingIntervalMs);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}

const SECURITY_LINES: readonly string[] = Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`);
