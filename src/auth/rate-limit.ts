/**
 * Login throttling: a sliding window of failed attempts per user name and
 * per client address. Pure apart from the clock, which is injectable.
 *
 * An attempt is counted as a failure BEFORE the password is checked and
 * refunded when it succeeds. Checking a password takes time (scrypt; PAM's
 * fail delay is 2-4 s), so counting only finished failures would let a
 * client fire hundreds of guesses in parallel before the first one counts.
 *
 * A successful login clears its user's record but only refunds its own
 * attempt on the address: an attacker with one valid account must not be
 * able to wipe the address record and keep guessing other accounts.
 */

export interface WindowOptions {
  /** Failures allowed inside the window; the next attempt is refused. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** Bound on remembered keys; the oldest record is dropped beyond it. */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

/** Failure timestamps per key inside a sliding window. */
export class FailureWindow {
  readonly #failures = new Map<string, number[]>();
  readonly #options: WindowOptions;
  readonly #now: () => number;

  constructor(options: WindowOptions) {
    if (options.maxFailures < 1 || options.windowMs < 1) throw new RangeError('rate limits must be positive');
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds until `key` may try again; 0 when it may now. */
  retryAfterMs(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.#options.maxFailures) return 0;
    const oldest = recent[recent.length - this.#options.maxFailures] ?? this.#now();
    return Math.max(1, oldest + this.#options.windowMs - this.#now());
  }

  record(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.#now());
    // Only the newest maxFailures matter for the decision: keep memory bounded.
    if (recent.length > this.#options.maxFailures) recent.splice(0, recent.length - this.#options.maxFailures);
    this.#failures.delete(key);
    this.#failures.set(key, recent);
    const maxKeys = this.#options.maxKeys ?? 10_000;
    if (this.#failures.size > maxKeys) this.#prune(maxKeys);
  }

  /** Takes back the newest failure (an attempt that turned out to succeed). */
  refund(key: string): void {
    const recent = this.#failures.get(key);
    recent?.pop();
    if (recent?.length === 0) this.#failures.delete(key);
  }

  clear(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string): number[] {
    const since = this.#now() - this.#options.windowMs;
    return (this.#failures.get(key) ?? []).filter((time) => time > since);
  }

  #prune(maxKeys: number): void {
    const since = this.#now() - this.#options.windowMs;
    for (const [key, times] of this.#failures) {
      if (times.every((time) => time <= since)) this.#failures.delete(key);
    }
    // Still too many live records: drop the least recently touched.
    for (const key of this.#failures.keys()) {
      if (this.#failures.size <= maxKeys) break;
      this.#failures.delete(key);
    }
  }
}

export interface LoginThrottleOptions {
  readonly perUser: number;
  readonly perAddress: number;
  readonly windowMs: number;
  readonly now?: () => number;
}

/** Outcome of asking to try a password. */
export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly retryAfterSeconds: number };

export class LoginThrottle {
  readonly #users: FailureWindow;
  readonly #addresses: FailureWindow;

  constructor(options: LoginThrottleOptions) {
    const common = { windowMs: options.windowMs, ...(options.now ? { now: options.now } : {}) };
    this.#users = new FailureWindow({ ...common, maxFailures: options.perUser });
    this.#addresses = new FailureWindow({ ...common, maxFailures: options.perAddress });
  }

  /** Refuses while either record is full; otherwise counts the attempt as a failure until `succeeded`. */
  admit(user: string, address: string): Admission {
    const waitMs = Math.max(this.#users.retryAfterMs(user), this.#addresses.retryAfterMs(address));
    if (waitMs > 0) return { admitted: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
    this.#users.record(user);
    this.#addresses.record(address);
    return { admitted: true };
  }

  succeeded(user: string, address: string): void {
    this.#users.clear(user);
    this.#addresses.refund(address);
  }
}
