/**
 * The jobs in memory: bounded in number and age (finished jobs older than
 * the retention go first, then the oldest finished ones when the table is
 * full; a table full of unfinished jobs refuses new ones with 503), owned by
 * their creator (only the owner or an administrator sees or removes one), and
 * the locks: which running job holds which object. Jobs do not survive a
 * restart (docs/DECISIONS.md). No D-Bus here.
 */
import { randomBytes } from 'node:crypto';
import type { Json } from '../../dbus/convert.js';
import { GatewayError, errors, printable } from '../../errors.js';

export type JobState = 'queued' | 'running' | 'complete' | 'error' | 'cancelled';

/** Who asks (a Principal is one). */
export interface JobCaller {
  readonly user: string;
  readonly role: string;
}

/** What was asked: the verb, the request path, the D-Bus object and the members it touches. */
export interface JobRequest {
  readonly verb: string;
  readonly path: string;
  readonly objectPath: string;
  readonly members: readonly string[];
}

export interface Job {
  readonly id: string;
  readonly uri: string;
  readonly owner: string;
  readonly request: JobRequest;
  readonly created: number;
  /** Completion rule that follows it (undefined: it ends when its call returns). */
  readonly rule: string | undefined;
  readonly holds: readonly string[];
  state: JobState;
  percent: number | null;
  eta: number | null;
  msg: string | undefined;
  started: number | undefined;
  ended: number | undefined;
  /** The envelope the synchronous request would have answered. */
  result: Json | undefined;
}

export interface JobTableOptions {
  readonly maxJobs: number;
  readonly retentionMs: number;
}

const FINISHED: ReadonlySet<JobState> = new Set(['complete', 'error', 'cancelled']);
const ADMIN = 'priv-admin';
const RETRY_AFTER_SECONDS = 5;

export const isFinished = (job: Job): boolean => FINISHED.has(job.state);

export class JobTable {
  readonly #jobs = new Map<string, Job>();
  /** Object path → the running job holding it. */
  readonly #locks = new Map<string, Job>();
  readonly #released = new Set<() => void>();
  readonly #changed = new Set<(job: Job) => void>();
  readonly #options: JobTableOptions;
  readonly #now: () => number;

  constructor(options: JobTableOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  /** A new queued job; 503 with Retry-After when the table holds only unfinished jobs. */
  add(owner: string, request: JobRequest, rule: string | undefined, holds: readonly string[]): Job {
    this.#prune();
    if (this.#jobs.size >= this.#options.maxJobs) {
      const oldestFinished = [...this.#jobs.values()].find(isFinished);
      if (!oldestFinished) throw errors.busy(`Too many jobs in progress (${this.#options.maxJobs})`, RETRY_AFTER_SECONDS);
      this.#jobs.delete(oldestFinished.id);
    }
    const id = randomBytes(6).toString('hex');
    const job: Job = {
      id, uri: `/jobs/${id}`, owner, request, created: this.#now(), rule, holds,
      state: 'queued', percent: null, eta: null, msg: undefined, started: undefined, ended: undefined, result: undefined,
    };
    this.#jobs.set(id, job);
    this.#tell(job);
    return job;
  }

  /** The running job holding one of `objectPaths`, if any. */
  holder(objectPaths: readonly string[]): Job | undefined {
    for (const path of objectPaths) {
      const job = this.#locks.get(path);
      if (job) return job;
    }
    return undefined;
  }

  /** Queued → running, taking its locks (the caller checked holder() in the same tick). */
  start(job: Job): void {
    job.state = 'running';
    job.started = this.#now();
    for (const path of job.holds) this.#locks.set(path, job);
    this.#tell(job);
  }

  progress(job: Job, percent: number): void {
    if (isFinished(job) || percent === job.percent) return;
    const now = this.#now();
    job.percent = percent;
    // Seconds left at the rate seen so far; unknown before any progress.
    const elapsed = now - (job.started ?? now);
    job.eta = percent > 0 && elapsed > 0 ? Math.round(((100 - percent) * elapsed) / percent / 1000) : null;
    this.#tell(job);
  }

  finish(job: Job, state: 'complete' | 'error' | 'cancelled', outcome: { msg?: string; result?: Json }): void {
    if (isFinished(job)) return;
    job.state = state;
    job.ended = this.#now();
    job.msg = outcome.msg;
    job.result = outcome.result;
    if (state === 'complete') {
      job.percent = 100;
      job.eta = 0;
    } else {
      job.eta = null;
    }
    for (const path of job.holds) if (this.#locks.get(path) === job) this.#locks.delete(path);
    this.#tell(job);
    for (const wake of [...this.#released]) wake();
  }

  /** Resolves when some job ends or `ms` passes (the caller looks at holder() again). */
  released(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#released.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#released.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** A job the caller may see; 404 otherwise (other users' jobs are not revealed). */
  get(id: string, caller: JobCaller): Job {
    this.#prune();
    const job = this.#jobs.get(id);
    if (!job || !mayAccess(job, caller)) throw new GatewayError(404, `No such job: '${printable(id, 64)}'`);
    return job;
  }

  /** The caller's jobs (an administrator's: all), oldest first. */
  list(caller: JobCaller): Job[] {
    this.#prune();
    return [...this.#jobs.values()].filter((job) => mayAccess(job, caller));
  }

  /** Forgets a finished job. */
  forget(job: Job): void {
    this.#jobs.delete(job.id);
  }

  /** Tells `listener` every change of every job; returns the function that stops it. */
  onChange(listener: (job: Job) => void): () => void {
    this.#changed.add(listener);
    return () => this.#changed.delete(listener);
  }

  #tell(job: Job): void {
    for (const listener of this.#changed) listener(job);
  }

  #prune(): void {
    const oldest = this.#now() - this.#options.retentionMs;
    for (const job of this.#jobs.values()) {
      if (isFinished(job) && (job.ended ?? 0) < oldest) this.#jobs.delete(job.id);
    }
  }
}

export function mayAccess(job: Job, caller: JobCaller): boolean {
  return caller.role === ADMIN || caller.user === job.owner;
}

/** A job as GET /jobs lists it. */
export function jobSummary(job: Job): Json {
  return { created: iso(job.created), id: job.id, owner: job.owner, request: { ...job.request, members: [...job.request.members] }, state: job.state, uri: job.uri };
}

/** A job's change as /subscribe sends it (`events: ["JobChanged"]`): its detail without the result. */
export function jobEvent(job: Job): Json {
  const { result: _result, ...rest } = jobDetail(job) as Record<string, Json>;
  return rest;
}

/** A job as GET /jobs/<id> shows it. */
export function jobDetail(job: Job): Json {
  return {
    ...(jobSummary(job) as Record<string, Json>),
    ended: job.ended === undefined ? null : iso(job.ended),
    eta: job.eta,
    msg: job.msg ?? null,
    percent: job.percent,
    result: job.result ?? null,
    rule: job.rule ?? null,
    started: job.started === undefined ? null : iso(job.started),
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();
