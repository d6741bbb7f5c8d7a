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
 */

export class QueueFull extends Error {
  override readonly name = 'QueueFull';
}

interface Waiting {
  readonly priority: () => number;
  readonly start: () => void;
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

  /** Runs `task` when a slot is free and it is its turn; rejects with QueueFull when too many wait. */
  async run<T>(priority: () => number, task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#maxWaiting) throw new QueueFull(`${this.#maxWaiting} password checks are waiting`);
      await new Promise<void>((start) => this.#waiting.push({ priority, start }));
    } else {
      this.#running += 1;
    }
    try {
      return await task();
    } finally {
      this.#next();
    }
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
