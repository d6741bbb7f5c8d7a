/**
 * One `/subscribe` connection, from the guard's yes to its socket's close:
 * the connection slot it holds, its place in the hub (the shared match
 * rules), the websocket once upgraded (subscribe.ts), and what binds it to
 * its user: the session it was opened with (logout, eviction or idle expiry
 * closes it) and the account (disabled, deleted, demoted... closes it).
 * Each of these is taken with the function that gives it back (ws's
 * "helper returns its undo"), and they are all given back, once, when the
 * socket closes, whatever closed it.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { GuardedAction, Principal, RequestGuard } from '../auth/guard.js';
import type { Logger } from '../log.js';
import type { Filter } from './filter.js';
import type { EventHub, EventSink } from './hub.js';
import { CLOSE_POLICY, Subscription, type SubscriptionLimits } from './subscribe.js';

export interface ConnectionDeps {
  readonly hub: EventHub;
  readonly guard: RequestGuard;
  readonly log: Logger;
  readonly limits: SubscriptionLimits;
  /** What the account must still be allowed to do for the connection to stay open. */
  readonly action: GuardedAction;
}

export class SubscriberConnection implements EventSink {
  readonly request: IncomingMessage;
  readonly socket: Duplex;
  readonly principal: Principal;
  /** Who and from where, for the log. */
  readonly label: string;
  /** Resolves once the socket has closed and everything taken is given back (match rules released). */
  readonly closed: Promise<void>;
  /** The hub's answer: the function that leaves it again, or why joining failed. */
  readonly #joined: Promise<() => Promise<void>>;
  readonly #deps: ConnectionDeps;
  /** What to give back when the socket closes. */
  readonly #undo: Array<() => void> = [];
  #subscription: Subscription | undefined;
  /** Why the account was revoked before the socket was upgraded (open() closes at once then). */
  #revokedEarly: string | undefined;

  constructor(request: IncomingMessage, socket: Duplex, principal: Principal, deps: ConnectionDeps) {
    this.request = request;
    this.socket = socket;
    this.principal = principal;
    this.label = `${principal.user} from ${request.socket.remoteAddress ?? '?'}`;
    this.#deps = deps;
    // Watched from the guard's yes on, not from the 101: a revocation while the match rules are
    // added and ws is loaded (awaits in service.ts) must close the socket too.
    this.#undo.push(deps.guard.watchAccount(principal, deps.action, (reason) => {
      if (this.#subscription) this.#end(reason);
      else this.#revokedEarly ??= reason;
    }));
    this.#joined = deps.hub.join(this);
    // One cleanup for every outcome from here on: the socket closing.
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        for (const undo of this.#undo.splice(0)) undo();
        this.#joined.then((leave) => leave(), () => undefined)
          .catch((err: unknown) => deps.log.warning(`subscribe: releasing match rules failed: ${String(err)}`))
          .finally(resolve);
      });
    });
  }

  /** Resolves once the bus daemon routes the signals to us; rejects with the bus error otherwise. */
  async joined(): Promise<void> {
    await this.#joined;
  }

  /** The filter, once the socket is upgraded and its client has sent one. */
  get filter(): Filter | undefined {
    return this.#subscription?.filter;
  }

  deliver(text: string): void {
    this.#subscription?.deliver(text);
  }

  /** After the 101: the subscription and the binding to the session (the account is watched since the constructor). */
  open(ws: WebSocket): void {
    const { guard, log, limits } = this.#deps;
    const subscription = new Subscription(ws, limits, log, this.label);
    this.#subscription = subscription;
    const token = this.principal.sessionToken;
    // Registered after the 101: a session that ended meanwhile closes the socket at once.
    if (token !== undefined) {
      this.#undo.push(guard.onSessionEnd(token, () => this.#end('session ended')));
    }
    if (this.#revokedEarly !== undefined) this.#end(this.#revokedEarly);
    log.debug(`subscribe: ${this.label} connected`);
    ws.once('close', (code) => log.debug(`subscribe: ${this.label} disconnected (${code})`));
  }

  /**
   * One heartbeat tick (subscribe.ts). A peer still answering pings is still
   * there: its session stays in use (or, if it has ended meanwhile, the
   * session's end listener closes the socket).
   */
  heartbeat(): void {
    if (this.#subscription?.heartbeat() !== true) return;
    const token = this.principal.sessionToken;
    if (token !== undefined) this.#deps.guard.useSession(token);
  }

  /** Starts the closing handshake of an upgraded socket (ws destroys it if the peer never answers). */
  close(code: number, reason: string): void {
    this.#subscription?.close(code, reason);
  }

  #end(reason: string): void {
    this.#deps.log.info(`subscribe: ${this.label}: ${reason}, closing`);
    this.close(CLOSE_POLICY, reason);
  }
}
