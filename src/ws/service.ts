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
import basicAuth from 'basic-auth';
import type { ServerOptions, WebSocketServer } from 'ws';
import type { AuditLog } from '../auth/audit.js';
import { clientAddress } from '../auth/auth-guard.js';
import type { Principal, RequestGuard } from '../auth/guard.js';
import type { BusConnection } from '../dbus/bus.js';
import { GatewayError, toGatewayError } from '../errors.js';
import { endAndDestroy, errorResponse } from '../http/client-error.js';
import { SECURITY_HEADERS } from '../http/security-headers.js';
import type { Logger } from '../log.js';
import { type EventSink, EventHub } from './hub.js';
import { CLOSE_GOING_AWAY, CLOSE_POLICY, Subscription, type SubscriptionLimits } from './subscribe.js';

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
  readonly guard: RequestGuard;
  readonly log: Logger;
  /** Refused credentials are audited like failed logins on the HTTP routes. */
  readonly audit?: AuditLog;
  readonly options: SubscribeOptions;
}

/** Paths that upgrade (bmcweb also answered `/subscribe/`). */
const SUBSCRIBE_PATHS: ReadonlySet<string> = new Set(['/subscribe', '/subscribe/']);
const SUBSCRIBE_ACTION = { method: 'GET', path: '/subscribe' } as const;
/** Filters are small; a message bigger than the caps allow is closed with 1009 by ws. */
const MIN_MESSAGE_BYTES = 64 * 1024;
/** A path or interface name is at most 255 bytes, plus quotes and separators. */
const MAX_ENTRY_BYTES = 260;
/** On shutdown, peers get this long to answer the close frame. */
const SHUTDOWN_GRACE_MS = 1000;

export class SubscribeService {
  readonly #guard: RequestGuard;
  readonly #log: Logger;
  readonly #audit: AuditLog | undefined;
  readonly #options: SubscribeOptions;
  readonly #hub: EventHub;
  /** Made at the first upgrade: an idle gateway does not load ws. */
  #wss: Promise<WebSocketServer> | undefined;
  /** Sockets that passed the checks and hold a connection slot. */
  readonly #sockets = new Set<Duplex>();
  /** Slots held per user. */
  readonly #perUser = new Map<string, number>();
  readonly #subscriptions = new Set<Subscription>();
  /** The session each session-authenticated subscription belongs to. */
  readonly #sessionOf = new Map<Subscription, string>();
  /** Match-rule releases still running after their socket closed. */
  readonly #leaving = new Set<Promise<void>>();
  readonly #idleWaiters: Array<() => void> = [];
  /** Who each upgrade request is, between the guard and the 101 (for the subprotocol). */
  readonly #principals = new WeakMap<IncomingMessage, Principal>();
  #heartbeat: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(deps: SubscribeDeps) {
    this.#guard = deps.guard;
    this.#log = deps.log;
    this.#audit = deps.audit;
    this.#options = deps.options;
    this.#hub = new EventHub(deps.bus);
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
      wss.on('wsClientError', (err, socket) => refuse(socket, new GatewayError(400, err.message)));
      // The 101 carries the security headers every response has.
      wss.on('headers', (headers) => headers.push(...SECURITY_LINES));
      return wss;
    }));
  }

  /** Connections holding a slot (upgrading or open). */
  get connections(): number {
    return this.#sockets.size;
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
      this.#log.error(`subscribe: upgrade failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      refuse(socket, new GatewayError(500, 'Internal Server Error'));
    });
  };

  /** Closes every subscription (1001), then forgets them; new upgrades get 503. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopHeartbeat();
    const sockets = [...this.#sockets];
    for (const subscription of this.#subscriptions) subscription.close(CLOSE_GOING_AWAY, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(sockets.map((socket) => socket.destroyed ? undefined : new Promise((resolve) => socket.once('close', resolve)))),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS))),
    ]);
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    (await this.#wss)?.close();
    await this.whenIdle();
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // A reset while we check must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0]?.replace(/\/{2,}/g, '/') ?? '/';
    if (!SUBSCRIBE_PATHS.has(path)) return refuse(socket, new GatewayError(404, 'Path not found'));
    if (req.method !== 'GET') {
      return refuse(socket, new GatewayError(405, 'Method not allowed', { headers: { Allow: 'GET' } }));
    }
    let principal: Principal;
    try {
      principal = await this.#guard.check(req, SUBSCRIBE_ACTION);
    } catch (err) {
      const error = toGatewayError(err);
      if (error.status >= 500) this.#log.error(`subscribe: guard failed: ${String(error.cause ?? error.description)}`);
      this.#auditRefusal(req, error.status);
      return refuse(socket, error);
    }
    if (socket.destroyed) return;
    if (this.#closed) return refuse(socket, new GatewayError(503, 'The server is shutting down'));
    if (this.#sockets.size >= this.#options.maxConnections) {
      return refuse(socket, new GatewayError(503,
        `Too many subscriptions: at most ${this.#options.maxConnections} may be open`, { headers: { 'Retry-After': '10' } }));
    }
    const held = this.#perUser.get(principal.user) ?? 0;
    if (held >= this.#options.maxConnectionsPerUser) {
      return refuse(socket, new GatewayError(503,
        `Too many subscriptions for user '${principal.user}': at most ${this.#options.maxConnectionsPerUser} may be open`,
        { headers: { 'Retry-After': '10' } }));
    }
    this.#principals.set(req, principal);
    const label = `${principal.user} from ${req.socket.remoteAddress ?? '?'}`;
    const slot = new Slot();
    this.#sockets.add(socket);
    this.#perUser.set(principal.user, held + 1);
    const joining = this.#hub.join(slot);
    // One cleanup for every outcome from here on: the socket closing.
    socket.once('close', () => {
      this.#sockets.delete(socket);
      const left = (this.#perUser.get(principal.user) ?? 1) - 1;
      if (left > 0) this.#perUser.set(principal.user, left);
      else this.#perUser.delete(principal.user);
      if (slot.subscription) {
        this.#subscriptions.delete(slot.subscription);
        this.#sessionOf.delete(slot.subscription);
      }
      if (this.#subscriptions.size === 0) this.#stopHeartbeat();
      const leaving: Promise<void> = joining.then((leave) => leave(), () => undefined)
        .catch((err: unknown) => this.#log.warning(`subscribe: releasing match rules failed: ${String(err)}`))
        .finally(() => {
          this.#leaving.delete(leaving);
          this.#checkIdle();
        });
      this.#leaving.add(leaving);
    });
    try {
      await joining;
    } catch (err) {
      this.#log.error(`subscribe: cannot add D-Bus match rules: ${String(err)}`);
      return refuse(socket, new GatewayError(503, 'Cannot subscribe to D-Bus signals now', { headers: { 'Retry-After': '10' } }));
    }
    if (socket.destroyed) return;
    if (this.#closed) return refuse(socket, new GatewayError(503, 'The server is shutting down'));
    const wss = await this.#server();
    if (socket.destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      const subscription = new Subscription(ws, this.#options, this.#log, label);
      slot.subscription = subscription;
      this.#subscriptions.add(subscription);
      const token = principal.sessionToken;
      if (token !== undefined) {
        this.#sessionOf.set(subscription, token);
        // Registered after the 101: a session that ended meanwhile closes the socket at once.
        const unbind = this.#guard.onSessionEnd(token, () => {
          this.#log.info(`subscribe: ${label}: session ended, closing`);
          subscription.close(CLOSE_POLICY, 'session ended');
        });
        ws.once('close', unbind);
      }
      const unwatch = this.#guard.watchAccount(principal, SUBSCRIBE_ACTION, (reason) => {
        this.#log.info(`subscribe: ${label}: ${reason}, closing`);
        subscription.close(CLOSE_POLICY, reason);
      });
      ws.once('close', unwatch);
      this.#startHeartbeat();
      this.#log.debug(`subscribe: ${label} connected`);
      ws.once('close', (code) => this.#log.debug(`subscribe: ${label} disconnected (${code})`));
    });
  }

  /** A refused Basic attempt is a password guess: audit it with the name tried (never the password). */
  #auditRefusal(req: IncomingMessage, status: number): void {
    const authorization = req.headers.authorization;
    if ((status !== 401 && status !== 429) || authorization === undefined) return;
    const tried = basicAuth.parse(authorization)?.name;
    this.#audit?.record({ ...(tried !== undefined ? { user: tried } : {}), address: clientAddress(req), method: 'GET', path: '/subscribe', status });
  }

  /**
   * The subprotocol echoed in the 101: the one that carried the XSRF token
   * (cookie logins from a browser), else the first offered (browsers fail a
   * handshake that offered protocols and got none back). No protocol has a
   * meaning here beyond that.
   */
  #selectProtocol(offered: ReadonlySet<string>, req: IncomingMessage): string | false {
    const chosen = this.#principals.get(req)?.acceptProtocol;
    if (chosen !== undefined && offered.has(chosen)) return chosen;
    return offered.values().next().value ?? false;
  }

  #checkIdle(): void {
    if (this.#sockets.size > 0 || this.#leaving.size > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #startHeartbeat(): void {
    this.#heartbeat ??= setInterval(() => {
      for (const subscription of this.#subscriptions) {
        // A peer still answering pings is still there: its session stays in use (or, if it has
        // ended meanwhile, the session's end listener closes the socket).
        if (subscription.heartbeat()) {
          const token = this.#sessionOf.get(subscription);
          if (token !== undefined) this.#guard.useSession(token);
        }
      }
    }, this.#options.pingIntervalMs);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}

/** Stands in for the subscription while the match rules are added, before the upgrade. */
class Slot implements EventSink {
  subscription: Subscription | undefined;

  get filter() {
    return this.subscription?.filter;
  }

  deliver(text: string): void {
    this.subscription?.deliver(text);
  }
}

const SECURITY_LINES: readonly string[] = Object.entries(SECURITY_HEADERS).map(([name, value]) => `${name}: ${value}`);

/** Answers the upgrade request with an HTTP error and the JSON envelope, then closes. */
function refuse(socket: Duplex, error: GatewayError): void {
  endAndDestroy(socket, errorResponse(error, true));
}
