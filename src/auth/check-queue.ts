/**
 * Password checks run a few at a time (PAM holds a thread-pool thread for
 * its 2-4 s fail delay; scrypt holds one too), and the rest wait their turn:
 * a burst of correct logins is queued, never refused. The queue is bounded
 * (beyond it: QueueFull, a 503), but the bound is the connection cap's
 * order, so only a flood reaches it.
 *
 * When a slot frees, the waiting check with the lowest priority value goes
 * next, ties in arrival order. The guard uses the number of recent
 * failures of the client's address, so an address that has not failed (the
 * administrator) goes ahead of addresses that keep failing (someone
 * guessing), however many checks those have queued.
 *
 * The same order decides who stays when the queue is full: a newcomer with
 * a better (lower) priority value than the worst waiter takes its place,
 * and the evicted one gets QueueFull (the busy answer it would have had
 * coming later); otherwise the newcomer gets QueueFull. A waiter whose
 * `signal` aborts (its client closed the connection) leaves the queue at
 * once, rejected with the signal's reason, and never takes a slot; so
 * checks for clients that are gone neither fill the queue nor run.
 */

export class QueueFull extends Error {
  override readonly name = 'QueueFull';
}

interface Waiting {
  readonly priority: () => number;
  readonly start: () => void;
  readonly reject: (reason: unknown) => void;
}

export class CheckQueue {
  readonly #concurrency: number;
  readonly #maxWaiting: number;
  readonly #waiting: Waiting[] = [];
  #running = 0;

  constructor(concurrency: number, maxWaiting: number) {
    if (concurrency < 1 || maxWaiting < 0) throw new RangeError('queue bounds must be positive');
    this.#concurrency = concurrency;
    this.#maxWaiting = maxWaiting;
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `task` when a slot is free and it is its turn. Rejects with QueueFull when too many
   * wait and none is worse than this one, or when a better one evicts it while it waits; with
   * `signal`'s reason when it aborts before the task started (a started task runs to its end).
   */
  async run<T>(priority: () => number, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#maxWaiting) this.#evictFor(priority());
      await this.#wait(priority, signal);
    } else {
      this.#running += 1;
    }
    try {
      return await task();
    } finally {
      this.#next();
    }
  }

  #wait(priority: () => number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#remove(entry);
        reject(signal?.reason);
      };
      const entry: Waiting = {
        priority,
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  /** The queue is full: makes room for a newcomer of `priority` by evicting the worst waiter, if it is worse; else QueueFull. */
  #evictFor(priority: number): void {
    const full = new QueueFull(`${this.#maxWaiting} password checks are waiting`);
    // The worst: the highest priority value, the latest arrival among equals.
    let worst = -1;
    let worstPriority = Number.NEGATIVE_INFINITY;
    this.#waiting.forEach((waiting, index) => {
      const value = waiting.priority();
      if (value >= worstPriority) {
        worst = index;
        worstPriority = value;
      }
    });
    if (worst < 0 || worstPriority <= priority) throw full;
    const [evicted] = this.#waiting.splice(worst, 1);
    evicted?.reject(full);
  }

  #remove(entry: Waiting): void {
    const index = this.#waiting.indexOf(entry);
    if (index >= 0) this.#waiting.splice(index, 1);
  }

  /** Hands the freed slot to the waiting check with the lowest priority value (the slot stays taken). */
  #next(): void {
    if (this.#waiting.length === 0) {
      this.#running -= 1;
      return;
    }
    let best = 0;
    let bestPriority = Number.POSITIVE_INFINITY;
    this.#waiting.forEach((waiting, index) => {
      const priority = waiting.priority();
      if (priority < bestPriority) {
        best = index;
        bestPriority = priority;
      }
    });
    const [chosen] = this.#waiting.splice(best, 1);
    chosen?.start();
  }
}
