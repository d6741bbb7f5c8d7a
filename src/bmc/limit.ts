/**
 * A concurrency bound for bus calls. A BMC's services are small processes on a
 * small CPU; firing a thousand GetAll calls at once (as an unbounded
 * `Promise.all` over an enumerate would) makes every other client wait and
 * multiplies peak memory. The reads of the Bmc (GetAll, Get,
 * GetManagedObjects) share one; writes, method calls and mapper look-ups do
 * not wait on it (--max-concurrent-calls).
 */
export class Limiter {
  readonly #max: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency bound must be >= 1, got ${max}`);
    this.#max = max;
  }

  /** Tasks that may run at once. */
  get max(): number {
    return this.#max;
  }

  /** Runs `task` when a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#max) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // Hand the slot straight to the next waiter, or give it back.
      if (next) next();
      else this.#running -= 1;
    }
  }
}
