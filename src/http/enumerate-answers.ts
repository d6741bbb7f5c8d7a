/**
 * `GET <path>/enumerate` answers, whose memory follows their size:
 *
 * - the objects are read from the D-Bus replies as they arrive, straight into
 *   their JSON text and a small index (bmc/enumerate.ts), and the answer is
 *   written from them while it is sent, a piece at a time: it is never held
 *   whole, and a slow client holds only what it has not taken yet;
 * - identical enumerates in flight share one computation (each client is
 *   then written the answer from the same objects): the key is the object
 *   path, because the policy grants or refuses the read of a path as a whole,
 *   so every client that gets this far sees the same answer;
 * - the memory of enumerates is bounded by a budget (--enumerate-memory-mb),
 *   estimated from the number of objects the mapper reports before anything
 *   big is read, and held until the last client has been sent its answer;
 *   beyond it, enumerates wait;
 * - a client that leaves gives up its share, and a computation nobody waits
 *   for any more stops: no new bus calls, replies in flight dropped unread,
 *   its place in the budget (or in the queue) given back.
 */
import { setMaxListeners } from 'node:events';
import { Readable } from 'node:stream';
import type { EnumeratedObjects } from '../bmc/enumerated-objects.js';
import type { Bmc } from '../bmc/objects.js';
import { JsonWriter } from '../dbus/json-writer.js';
import type { MemoryBudget, Release } from './memory-budget.js';
import { successEnvelope } from './respond.js';

/**
 * What an enumerate holds per object: its values' text and index (measured
 * about 0.6 KB per sensor object), the mapper's answer, and the garbage of
 * reading them, rounded up (docs/PERFORMANCE.md).
 */
export const ESTIMATED_BYTES_PER_OBJECT = 2048;

/** Text written per read of an answer stream. */
const PIECE_BYTES = 64 * 1024;

/** Where enumerates are computed (the Bmc facade). */
export type EnumerateSource = Pick<Bmc, 'planEnumerate' | 'fetchEnumerate'>;

interface Waiter {
  readonly resolve: (answer: Readable) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal;
  readonly leave: () => void;
}

interface Flight {
  readonly waiters: Set<Waiter>;
  readonly controller: AbortController;
}

export interface EnumerateAnswersOptions {
  /**
   * A client that takes nothing of its answer for this long loses it (the
   * stream errors): a reader that stops reading must not hold the memory
   * and the budget for good.
   */
  readonly stallTimeoutMs: number;
}

export class EnumerateAnswers {
  readonly #bmc: EnumerateSource;
  readonly #budget: MemoryBudget;
  readonly #options: EnumerateAnswersOptions;
  readonly #flights = new Map<string, Flight>();

  constructor(bmc: EnumerateSource, budget: MemoryBudget, options: EnumerateAnswersOptions) {
    this.#bmc = bmc;
    this.#budget = budget;
    this.#options = options;
  }

  /** Computations in flight (shared or not). */
  get inFlight(): number {
    return this.#flights.size;
  }

  /**
   * The response body (the whole envelope) for `objectPath`, as a stream
   * that writes it while it is read. Rejects with `signal.reason` as soon as
   * the caller's signal aborts.
   */
  answer(objectPath: string, signal: AbortSignal): Promise<Readable> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const flight = this.#flights.get(objectPath) ?? this.#start(objectPath);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        leave: () => {
          flight.waiters.delete(waiter);
          reject(signal.reason);
          if (flight.waiters.size === 0) this.#abandon(objectPath, flight);
        },
      };
      flight.waiters.add(waiter);
      signal.addEventListener('abort', waiter.leave, { once: true });
    });
  }

  #start(objectPath: string): Flight {
    const controller = new AbortController();
    // Every bus call of the enumerate in flight listens to it (at most --max-concurrent-calls at once).
    setMaxListeners(0, controller.signal);
    const flight: Flight = { waiters: new Set(), controller };
    this.#flights.set(objectPath, flight);
    this.#compute(objectPath, controller).then(({ objects, release }) => {
      this.#forget(objectPath, flight);
      // Each client is written the answer from the same objects; the budget is held until the last is done.
      let streams = flight.waiters.size;
      if (streams === 0) release();
      for (const waiter of this.#settle(flight)) {
        waiter.resolve(new AnswerStream(objects, this.#options.stallTimeoutMs, () => {
          if (--streams === 0) release();
        }));
      }
    }, (err: unknown) => {
      this.#forget(objectPath, flight);
      for (const waiter of this.#settle(flight)) waiter.reject(err);
    });
    return flight;
  }

  /** The flight's waiters, no longer listening for their clients leaving. */
  #settle(flight: Flight): Waiter[] {
    const waiters = [...flight.waiters];
    flight.waiters.clear();
    for (const waiter of waiters) waiter.signal.removeEventListener('abort', waiter.leave);
    return waiters;
  }

  #forget(objectPath: string, flight: Flight): void {
    if (this.#flights.get(objectPath) === flight) this.#flights.delete(objectPath);
  }

  /** Nobody waits any more: stop the computation; the next request for the path starts afresh. */
  #abandon(objectPath: string, flight: Flight): void {
    this.#forget(objectPath, flight);
    flight.controller.abort(new Error(`every client of the enumerate of ${objectPath} left`));
  }

  async #compute(objectPath: string, controller: AbortController): Promise<{ objects: EnumeratedObjects; release: Release }> {
    const { signal } = controller;
    let release: Release | undefined;
    try {
      const plan = await this.#bmc.planEnumerate(objectPath, signal);
      release = await this.#budget.acquire(plan.objectCount * ESTIMATED_BYTES_PER_OBJECT, signal);
      const objects = await this.#bmc.fetchEnumerate(plan, 1, signal);
      signal.throwIfAborted();
      return { objects, release };
    } catch (err) {
      // One failed call (a manager that timed out) fails the enumerate at once, but the other
      // calls are still in flight and their replies would go on being decoded, megabytes of them,
      // into objects nobody will read, outside the budget: stop them before giving it back.
      if (!signal.aborted) controller.abort(err);
      release?.();
      throw err;
    }
  }
}

/**
 * One client's answer: the envelope around the data object, written from the
 * shared objects a piece (about 64 KiB) at a time, as the client takes it.
 * `done` is called once, when the stream ends or is destroyed (the client
 * left, stopped reading for `stallTimeoutMs`, or the response was to a HEAD).
 */
class AnswerStream extends Readable {
  readonly #writer = new JsonWriter(2);
  readonly #pieces: Generator<void, void, undefined>;
  readonly #stallTimeoutMs: number;
  #stall: NodeJS.Timeout;
  #done: (() => void) | undefined;

  constructor(objects: EnumeratedObjects, stallTimeoutMs: number, done: () => void) {
    super();
    this.#done = done;
    this.#pieces = this.#write(objects);
    this.#stallTimeoutMs = stallTimeoutMs;
    this.#stall = this.#watch();
  }

  #watch(): NodeJS.Timeout {
    return setTimeout(() => this.destroy(new Error(`the client took nothing of its answer for ${this.#stallTimeoutMs} ms`)), this.#stallTimeoutMs);
  }

  *#write(objects: EnumeratedObjects): Generator<void, void, undefined> {
    const envelope = successEnvelope();
    envelope.before(this.#writer);
    yield* objects.write(this.#writer);
    envelope.after(this.#writer);
  }

  override _read(): void {
    clearTimeout(this.#stall);
    this.#stall = this.#watch();
    let finished = false;
    while (this.#writer.length < PIECE_BYTES) {
      if (this.#pieces.next().done) {
        finished = true;
        break;
      }
    }
    for (const chunk of this.#writer.drain()) this.push(chunk);
    if (finished) {
      clearTimeout(this.#stall);
      this.push(null);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#stall);
    const done = this.#done;
    this.#done = undefined;
    done?.();
    callback(error);
  }
}
