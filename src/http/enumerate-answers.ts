/**
 * `GET <path>/enumerate` answers, whose memory follows their size:
 *
 * - the answer is written as JSON text straight from the D-Bus replies
 *   (bmc/enumerate.ts), once, and the same chunks go to every client;
 * - identical enumerates in flight share one computation: the key is the
 *   object path, because the policy grants or refuses the read of a path as
 *   a whole, so every client that gets this far sees the same answer;
 * - the memory of the computations in flight is bounded by a budget
 *   (--enumerate-memory-mb), estimated from the number of objects the mapper
 *   reports before anything big is read; beyond it, enumerates wait;
 * - a client that leaves gives up its share, and a computation nobody waits
 *   for any more stops: no new bus calls, replies in flight dropped unread,
 *   its place in the budget (or in the queue) given back.
 */
import { setMaxListeners } from 'node:events';
import type { Bmc } from '../bmc/objects.js';
import type { MemoryBudget } from './memory-budget.js';
import { successEnvelope } from './respond.js';

/**
 * What an enumerate holds per object while it runs: measured 2–3 times its
 * answer's share (≈ 420 bytes per sensor object), rounded up. See
 * docs/PERFORMANCE.md.
 */
export const ESTIMATED_BYTES_PER_OBJECT = 1024;

/** Where enumerates are computed (the Bmc facade). */
export type EnumerateSource = Pick<Bmc, 'planEnumerate' | 'fetchEnumerate'>;

interface Flight {
  waiters: number;
  readonly controller: AbortController;
  readonly body: Promise<Buffer[]>;
}

export class EnumerateAnswers {
  readonly #bmc: EnumerateSource;
  readonly #budget: MemoryBudget;
  readonly #flights = new Map<string, Flight>();

  constructor(bmc: EnumerateSource, budget: MemoryBudget) {
    this.#bmc = bmc;
    this.#budget = budget;
  }

  /** Computations in flight (shared or not). */
  get inFlight(): number {
    return this.#flights.size;
  }

  /**
   * The response body (the whole envelope) for `objectPath`, in chunks.
   * Rejects with `signal.reason` as soon as the caller's signal aborts.
   */
  answer(objectPath: string, signal: AbortSignal): Promise<readonly Buffer[]> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const flight = this.#flights.get(objectPath) ?? this.#start(objectPath);
    flight.waiters++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = () => {
        if (settled) return false;
        settled = true;
        flight.waiters--;
        signal.removeEventListener('abort', leave);
        return true;
      };
      const leave = () => {
        if (!settle()) return;
        reject(signal.reason);
        if (flight.waiters === 0) this.#abandon(objectPath, flight);
      };
      signal.addEventListener('abort', leave, { once: true });
      flight.body.then((body) => settle() && resolve(body), (err: unknown) => settle() && reject(err));
    });
  }

  #start(objectPath: string): Flight {
    const controller = new AbortController();
    // Every bus call of the enumerate in flight listens to it (at most --max-concurrent-calls at once).
    setMaxListeners(0, controller.signal);
    const body = this.#compute(objectPath, controller.signal);
    const flight: Flight = { waiters: 0, controller, body };
    this.#flights.set(objectPath, flight);
    body.then(() => this.#forget(objectPath, flight), () => this.#forget(objectPath, flight));
    return flight;
  }

  #forget(objectPath: string, flight: Flight): void {
    if (this.#flights.get(objectPath) === flight) this.#flights.delete(objectPath);
  }

  /** Nobody waits any more: stop the computation; the next request for the path starts afresh. */
  #abandon(objectPath: string, flight: Flight): void {
    this.#forget(objectPath, flight);
    flight.controller.abort(new Error(`every client of the enumerate of ${objectPath} left`));
  }

  async #compute(objectPath: string, signal: AbortSignal): Promise<Buffer[]> {
    const plan = await this.#bmc.planEnumerate(objectPath, signal);
    const release = await this.#budget.acquire(plan.objectCount * ESTIMATED_BYTES_PER_OBJECT, signal);
    try {
      const objects = await this.#bmc.fetchEnumerate(plan, 1, signal);
      signal.throwIfAborted();
      return successEnvelope((writer) => objects.write(writer)).chunks();
    } finally {
      release();
    }
  }
}
