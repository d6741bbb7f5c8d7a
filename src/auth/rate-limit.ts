/**
 * Login throttling without lockout. Pure apart from the clock, which is
 * injectable. Only a password proven wrong counts as a failure (a check
 * still running counts for nothing), and the two records act differently:
 *
 * - per client address: more than `perAddress` failures inside the window
 *   refuse that address (429 with the seconds to wait). An address is one
 *   attacker's; refusing it locks out nobody else.
 * - per user name: more than `perUser` failures inside the window slow that
 *   user's password checks down by a delay that doubles with every further
 *   failure, from 1 s up to `maxDelayMs`, but never refuse them: the right
 *   password always gets in, after at most the delay. pam_faillock's
 *   unlock_time without the lock: strangers who know the name `root` can
 *   make root's login slower, never impossible.
 *
 * A success clears neither record: Basic clients log in with every request,
 * so a script polling as root would otherwise wipe the failures an attacker
 * piles up against root, and one valid account would wipe its address's
 * record and go on guessing others. Failures simply leave the window.
 */

export interface WindowOptions {
  /** Failures remembered per key (the newest); what the decisions need, no more. */
  readonly keep: number;
  readonly windowMs: number;
  /** Bound on remembered keys; the least recently failed key is dropped beyond it. */
  readonly maxKeys?: number;
  readonly now?: () => number;
}

/** Failure timestamps per key inside a sliding window. */
export class FailureWindow {
  readonly #failures = new Map<string, number[]>();
  readonly #options: WindowOptions;
  readonly #now: () => number;

  constructor(options: WindowOptions) {
    if (options.keep < 1 || options.windowMs < 1) throw new RangeError('rate limits must be positive');
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Failures of `key` inside the window (at most `keep`). */
  count(key: string): number {
    return this.#recent(key).length;
  }

  /** Milliseconds until `key` has fewer than `max` failures inside the window; 0 when it has now. */
  retryAfterMs(key: string, max: number): number {
    const recent = this.#recent(key);
    if (recent.length < max) return 0;
    const oldest = recent[recent.length - max] ?? this.#now();
    return Math.max(1, oldest + this.#options.windowMs - this.#now());
  }

  record(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.#now());
    if (recent.length > this.#options.keep) recent.splice(0, recent.length - this.#options.keep);
    this.#failures.delete(key);
    this.#failures.set(key, recent);
    const maxKeys = this.#options.maxKeys ?? 10_000;
    if (this.#failures.size > maxKeys) this.#prune(maxKeys);
  }

  /** Keys remembered (tests: memory stays bounded). */
  get size(): number {
    return this.#failures.size;
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
  /** Failures of a user name inside the window before its checks are delayed. */
  readonly perUser: number;
  /** Failures of a client address inside the window before it is refused. */
  readonly perAddress: number;
  readonly windowMs: number;
  /** Longest delay before a user's check. */
  readonly maxDelayMs: number;
  readonly now?: () => number;
}

/** The first delay once a user is past `perUser` failures; each further failure doubles it. */
export const FIRST_DELAY_MS = 1000;
/** Doublings that matter: past these the delay is at its cap whatever the cap is (2^30 s). */
const MAX_DOUBLINGS = 30;

export class LoginThrottle {
  readonly #options: LoginThrottleOptions;
  readonly #users: FailureWindow;
  readonly #addresses: FailureWindow;

  constructor(options: LoginThrottleOptions) {
    if (options.perUser < 1 || options.perAddress < 1 || options.maxDelayMs < 0) throw new RangeError('rate limits must be positive');
    this.#options = options;
    const common = { windowMs: options.windowMs, ...(options.now ? { now: options.now } : {}) };
    this.#users = new FailureWindow({ ...common, keep: options.perUser + MAX_DOUBLINGS });
    this.#addresses = new FailureWindow({ ...common, keep: options.perAddress });
  }

  /** Seconds the address must wait before its next password check; 0: it may try now. */
  addressRetryAfterSeconds(address: string): number {
    return Math.ceil(this.#addresses.retryAfterMs(address, this.#options.perAddress) / 1000);
  }

  /** Recent failures of the address (the check queue serves clean addresses first). */
  addressFailures(address: string): number {
    return this.#addresses.count(address);
  }

  /** Milliseconds to wait before checking a password of `user`. */
  userDelayMs(user: string): number {
    const beyond = this.#users.count(user) - this.#options.perUser;
    if (beyond < 0) return 0;
    return Math.min(this.#options.maxDelayMs, FIRST_DELAY_MS * 2 ** Math.min(beyond, MAX_DOUBLINGS));
  }

  /** A password proven wrong (or an account refused). */
  failed(user: string, address: string): void {
    this.#users.record(user);
    this.#addresses.record(address);
  }
}
