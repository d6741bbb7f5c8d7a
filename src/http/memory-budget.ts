/**
 * A budget of memory for work that is known to be big (enumerates of
 * thousands of objects): each piece of work asks for its estimated bytes and
 * waits, first come first served, until they fit beside what is already
 * granted. Work bigger than the whole budget runs when nothing else holds
 * any, so it waits but always runs. A waiter whose signal aborts leaves the
 * queue. Pure: no I/O.
 */
export type Release = () => void;

interface Waiter {
  readonly bytes: number;
  readonly grant: (release: Release) => void;
}

export class MemoryBudget {
  readonly bytes: number;
  #granted = 0;
  readonly #queue: Waiter[] = [];

  constructor(bytes: number) {
    if (!Number.isFinite(bytes) || bytes <= 0) throw new RangeError(`a memory budget must be > 0 bytes, got ${bytes}`);
    this.bytes = bytes;
  }

  /** Bytes granted and not yet released. */
  get granted(): number {
    return this.#granted;
  }

  /** Work waiting for its grant. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Resolves, once `bytes` fit, with the function that gives them back
   * (idempotent); rejects with the signal's reason if it aborts first.
   */
  acquire(bytes: number, signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        grant: (release) => {
          signal?.removeEventListener('abort', leave);
          resolve(release);
        },
      };
      const leave = () => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(signal?.reason);
        // The head may have left: those behind it may fit now.
        this.#serve();
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.#queue.push(waiter);
      this.#serve();
    });
  }

  #fits(bytes: number): boolean {
    return this.#granted === 0 || this.#granted + bytes <= this.bytes;
  }

  #serve(): void {
    while (this.#queue.length > 0 && this.#fits(this.#queue[0]!.bytes)) {
      const waiter = this.#queue.shift()!;
      this.#granted += waiter.bytes;
      let released = false;
      waiter.grant(() => {
        if (released) return;
        released = true;
        this.#granted -= waiter.bytes;
        this.#serve();
      });
    }
  }
}
