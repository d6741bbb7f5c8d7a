/**
 * Login sessions, in memory (a restart logs everybody out, as with the
 * original server). One store per gateway, built at start.
 *
 * Expiry: a session unused for `idleTimeoutMs` is dead; it is dropped when
 * next looked up, and every login sweeps all dead sessions first.
 *
 * Cap and eviction (why this policy): a login must always succeed for a user
 * with the right password, so a full store evicts instead of refusing. Whom
 * it evicts is chosen to limit the damage one account can do:
 * - a user at `maxSessionsPerUser` loses their own least recently used
 *   session, so one account (or a script that never logs out) can only push
 *   out its own sessions;
 * - a store at `maxSessions` (several accounts together) loses the least
 *   recently used session of anybody, which is the one most likely abandoned.
 *
 * Whatever ends a session (logout, idle, eviction) tells the listeners
 * registered with `onEnd`: websockets opened with the session close then.
 */
import type { Role } from './guard.js';
import { randomToken } from './tokens.js';

export interface Session {
  /** The bearer secret: cookie value and X-Auth-Token. */
  readonly token: string;
  /** The XSRF-TOKEN cookie value a cookie client must echo on writes. */
  readonly csrfToken: string;
  readonly user: string;
  readonly createdAt: number;
  lastUsedAt: number;
  /** The role the session's latest request had (undefined until its first request). */
  role?: Role;
  /** PAM said the password has expired: the session may only change it, until it is changed. */
  passwordChangeRequired: boolean;
}

/** Why a session ended other than by logout. */
export type EndReason = 'idle' | 'user-cap' | 'cap' | 'account' | 'password-changed';

export interface SessionOptions {
  readonly idleTimeoutMs: number;
  readonly maxSessions: number;
  readonly maxSessionsPerUser: number;
  /** Clock (tests). */
  readonly now?: () => number;
  /** Told about every session removed other than by logout (for the log). */
  readonly onEvict?: (session: Session, reason: EndReason) => void;
}

export class SessionStore {
  /** Iteration order is least recently used first: lookups re-insert. */
  readonly #sessions = new Map<string, Session>();
  /** token → what to do when that session ends. */
  readonly #endListeners = new Map<string, Set<() => void>>();
  readonly #options: SessionOptions;
  readonly #now: () => number;

  constructor(options: SessionOptions) {
    if (options.maxSessions < 1 || options.maxSessionsPerUser < 1 || options.idleTimeoutMs < 1) {
      throw new RangeError('session limits must be positive');
    }
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#sessions.size;
  }

  create(user: string, options: { readonly passwordChangeRequired?: boolean } = {}): Session {
    this.#sweep();
    const own = [...this.#sessions.values()].filter((s) => s.user === user);
    if (own.length >= this.#options.maxSessionsPerUser && own[0]) this.#evict(own[0], 'user-cap');
    if (this.#sessions.size >= this.#options.maxSessions) {
      const oldest = this.#sessions.values().next().value;
      if (oldest) this.#evict(oldest, 'cap');
    }
    const now = this.#now();
    const session: Session = {
      token: randomToken(), csrfToken: randomToken(), user, createdAt: now, lastUsedAt: now,
      passwordChangeRequired: options.passwordChangeRequired === true,
    };
    this.#sessions.set(session.token, session);
    return session;
  }

  /** The live session with this token, marked as used now; undefined if unknown or idle too long. */
  lookup(token: string): Session | undefined {
    const session = this.#sessions.get(token);
    if (!session) return undefined;
    const now = this.#now();
    if (this.#expired(session, now)) {
      this.#evict(session, 'idle');
      return undefined;
    }
    session.lastUsedAt = now;
    this.#sessions.delete(token);
    this.#sessions.set(token, session);
    return session;
  }

  /** The live sessions of `user`. */
  sessionsOf(user: string): Session[] {
    return [...this.#sessions.values()].filter((session) => session.user === user);
  }

  /** Users with live sessions. */
  users(): Set<string> {
    return new Set([...this.#sessions.values()].map((session) => session.user));
  }

  /** Ends a session because its account changed (disabled, deleted, demoted, a new password). */
  end(token: string, reason: EndReason): void {
    const session = this.#sessions.get(token);
    if (session) this.#evict(session, reason);
  }

  /** Logout. */
  remove(token: string): boolean {
    const removed = this.#sessions.delete(token);
    this.#ended(token);
    return removed;
  }

  /**
   * Calls `listener` once when the session ends, however it ends (at once if
   * it already has). Returns the function that unregisters it.
   */
  onEnd(token: string, listener: () => void): () => void {
    if (!this.#sessions.has(token)) {
      listener();
      return () => undefined;
    }
    let listeners = this.#endListeners.get(token);
    if (!listeners) this.#endListeners.set(token, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#endListeners.get(token) === listeners) this.#endListeners.delete(token);
    };
  }

  #ended(token: string): void {
    const listeners = this.#endListeners.get(token);
    if (!listeners) return;
    this.#endListeners.delete(token);
    for (const listener of listeners) listener();
  }

  #expired(session: Session, now: number): boolean {
    return now - session.lastUsedAt >= this.#options.idleTimeoutMs;
  }

  #sweep(): void {
    const now = this.#now();
    for (const session of this.#sessions.values()) {
      if (this.#expired(session, now)) this.#evict(session, 'idle');
    }
  }

  #evict(session: Session, reason: EndReason): void {
    this.#sessions.delete(session.token);
    this.#options.onEvict?.(session, reason);
    this.#ended(session.token);
  }
}
