/**
 * Writes and calls as jobs: submission (the write already checked and
 * authorised by Bmc.prepareWrite, with the creator's principal), locks
 * (a write on an object a running job holds: 409 naming the job, or a wait
 * of up to `Prefer: wait=N` seconds), and following a job to its end through
 * its completion rule (completion-rules.ts): the watch is in place BEFORE the
 * write is sent, changes arrive as signals (no polling), the rule's time limit
 * ends it as an error. The job's result is the envelope the synchronous
 * request would have answered. A write that starts waiting for a lock gets
 * an info line naming the job it waits for (request path and object paths
 * only, never values).
 */
import type { Json } from '../../dbus/convert.js';
import { GatewayError, errors, printable, toGatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Bmc } from '../objects.js';
import type { PropertyChange } from '../property-watch.js';
import type { Authority, PreparedWrite } from '../writes.js';
import { type CompletionRule, findRule, heldObjects } from './completion-rules.js';
import { type Job, type JobCaller, type JobRequest, JobTable, isFinished } from './job-table.js';

export interface JobOptions {
  readonly maxJobs: number;
  readonly retentionMs: number;
  /** Deadline of a job's D-Bus call (longer than a synchronous request's). */
  readonly callTimeoutMs: number;
}

/** The success envelope, as JSON (respond.ts writes the same fields). */
function okEnvelope(data: Json): Json {
  return { data, message: '200 OK', status: 'ok' };
}

/**
 * The 409 of a write on a held object. It links the job (RFC 8288 `related`):
 * `Content-Location` would claim the error body is a representation of the job.
 */
export function conflict(job: Job): GatewayError {
  return new GatewayError(409, `The object is being changed by job ${job.uri}; retry when it has ended, or send 'Prefer: wait=<seconds>'`,
    { headers: { Link: `<${job.uri}>; rel="related"` } });
}

/** How a synchronous write waits for a lock. */
export interface Waiting {
  /** Aborts when the client has gone: the write is then never sent. */
  readonly signal?: AbortSignal;
  /** Starts following the caller's right to the write (asked only when it has to wait). */
  readonly follow?: () => Authority;
  /** The request, for the log line of a write that waits. */
  readonly request?: Pick<JobRequest, 'verb' | 'path'>;
}

/** `PUT /xyz/...` as a log line shows it (the path is the client's text: printable). */
const requestText = (request: Pick<JobRequest, 'verb' | 'path'>): string => `${printable(request.verb, 16)} ${printable(request.path)}`;

/** `job <id> (holds <object>), up to N s`: which of `holds` the holder holds. */
function waitText(holder: Job, holds: readonly string[], waitMs: number): string {
  const held = holds.find((path) => holder.holds.includes(path)) ?? holder.holds[0] ?? '-';
  return `job ${holder.id} (holds ${held}), up to ${Math.max(0, Math.ceil(waitMs / 1000))} s`;
}

export class Jobs {
  readonly table: JobTable;
  readonly #bmc: Bmc;
  readonly #rules: readonly CompletionRule[];
  readonly #options: JobOptions;
  readonly #log: Logger | undefined;

  constructor(bmc: Bmc, rules: readonly CompletionRule[], options: JobOptions, log?: Logger) {
    this.#bmc = bmc;
    this.#rules = rules;
    this.#options = options;
    this.#log = log;
    this.table = new JobTable(options);
  }

  /** The rule a write starts, if any (for listings). */
  ruleFor(targets: PreparedWrite['targets']): CompletionRule | undefined {
    return findRule(this.#rules, targets);
  }

  /**
   * A synchronous write: waits up to `waitMs` for the jobs holding its
   * objects, else 409; then sends it. A wait ends when the client leaves
   * (`signal`: nothing is sent, ever) and is followed by the caller's
   * authority (`follow`: nothing is sent once the account or session lost
   * the right to it).
   */
  async run(prepared: PreparedWrite, waitMs: number, waiting: Waiting = {}): Promise<Json> {
    const holds = heldObjects(findRule(this.#rules, prepared.targets), prepared.objectPath);
    const deadline = Date.now() + waitMs;
    let authority: Authority | undefined;
    let told = false;
    try {
      for (let holder = this.table.holder(holds); holder; holder = this.table.holder(holds)) {
        if (Date.now() >= deadline) throw conflict(holder);
        authority ??= waiting.follow?.();
        if (!told && waiting.request) {
          // Once, when it begins to wait (its right is followed from here on).
          this.#log?.info(`write ${requestText(waiting.request)} waits for ${waitText(holder, holds, deadline - Date.now())}`);
          told = true;
        }
        // (An abort before the wait began would never wake it.)
        if (!waiting.signal?.aborted) await this.table.released(deadline - Date.now(), waiting.signal);
        if (waiting.signal?.aborted) throw errors.clientGone();
      }
      // Checked in the same turn as the lock and the send: no await between them.
      const lapsed = authority?.lapsed();
      if (lapsed !== undefined) throw errors.rightLapsed(lapsed);
      return await prepared.send();
    } finally {
      authority?.stop();
    }
  }

  /**
   * An asynchronous write: a job, running at once when its objects are free;
   * queued up to `waitMs` when they are held and the client said it would wait;
   * 409 otherwise (so of two racing power-ons one gets the job, one the 409).
   */
  submit(prepared: PreparedWrite, caller: JobCaller, request: JobRequest, waitMs: number, follow?: () => Authority): Job {
    const rule = findRule(this.#rules, prepared.targets);
    const holds = heldObjects(rule, prepared.objectPath);
    const holder = this.table.holder(holds);
    if (holder && waitMs <= 0) throw conflict(holder);
    const job = this.table.add(caller.user, request, rule?.name, holds);
    if (holder) {
      // Queued: the creator's right is followed until the job starts (or never does).
      const authority = follow?.();
      this.#log?.info(`job ${job.id} (${requestText(request)}) queued: waits for ${waitText(holder, holds, waitMs)}`);
      void this.#whenFree(job, Date.now() + waitMs, authority).then((started) => {
        authority?.stop();
        if (started) void this.#run(job, prepared, rule);
      });
    } else {
      this.table.start(job);
      void this.#run(job, prepared, rule);
    }
    return job;
  }

  /** DELETE /jobs/<id>: a queued job is cancelled, a finished one forgotten, a running one is a 409. */
  remove(id: string, caller: JobCaller): 'cancelled' | 'forgotten' {
    const job = this.table.get(id, caller);
    if (job.state === 'running') throw new GatewayError(409, `Job ${job.uri} is running and cannot be cancelled`);
    if (job.state === 'queued') {
      this.table.finish(job, 'cancelled', { msg: 'cancelled before it started' });
      return 'cancelled';
    }
    this.table.forget(job);
    return 'forgotten';
  }

  /**
   * Waits for the job's objects and starts it (taking its locks in the same
   * turn as the check, so two queued jobs cannot both take them); false when
   * it was cancelled meanwhile, the wait ran out (then it ends as the 409),
   * or its creator lost the right to it (then it ends as the 403 the
   * synchronous request would now get, and nothing is sent).
   */
  async #whenFree(job: Job, deadline: number, authority: Authority | undefined): Promise<boolean> {
    for (;;) {
      if (isFinished(job)) return false;
      const holder = this.table.holder(job.holds);
      if (!holder) {
        const lapsed = authority?.lapsed();
        if (lapsed !== undefined) {
          const refusal = errors.rightLapsed(lapsed);
          this.table.finish(job, 'error', { msg: refusal.description, result: refusal.toEnvelope() });
          return false;
        }
        this.table.start(job);
        return true;
      }
      if (Date.now() >= deadline) {
        const refusal = conflict(holder);
        this.table.finish(job, 'error', { msg: refusal.description, result: refusal.toEnvelope() });
        return false;
      }
      await this.table.released(deadline - Date.now());
    }
  }

  /** Runs a started job to its end. */
  async #run(job: Job, prepared: PreparedWrite, rule: CompletionRule | undefined): Promise<void> {
    try {
      const outcome = await this.#follow(job, prepared, rule);
      this.table.finish(job, outcome.msg === undefined ? 'complete' : 'error', outcome);
    } catch (err) {
      const error = toGatewayError(err);
      this.table.finish(job, 'error', { msg: error.description, result: error.toEnvelope() });
    }
  }

  async #follow(job: Job, prepared: PreparedWrite, rule: CompletionRule | undefined): Promise<{ msg?: string; result: Json }> {
    // parseCompletionRules admits `watch` only with `done`; a rule without both is not followed.
    if (!rule?.watch || !rule.done) {
      const result = okEnvelope(await prepared.send(this.#options.callTimeoutMs));
      return rule?.lost === undefined ? { result } : { msg: rule.lost, result };
    }
    const { watch, done, via } = rule;
    let watchedPath: string | undefined = rule.object === 'result' ? undefined : prepared.objectPath;
    let end: ((outcome: { msg?: string }) => void) | undefined;
    const ended = new Promise<{ msg?: string }>((resolve) => (end = resolve));
    let seenVia = via === undefined;
    let signalled = false;
    const judge = (value: Json): void => {
      if (typeof value !== 'string') return;
      if (rule.error?.includes(value)) return end?.({ msg: `${watch.property} became ${value}` });
      if (!seenVia) {
        seenVia = via?.includes(value) ?? true;
        return;
      }
      if (done.includes(value)) end?.({});
    };
    const onChange = (change: PropertyChange): void => {
      if (change.objectPath !== watchedPath) return;
      if (rule.progress && change.interfaceName === rule.progress.interface) {
        const percent = change.changed[rule.progress.property];
        if (typeof percent === 'number' && percent >= 0 && percent <= 100) this.table.progress(job, percent);
      }
      if (change.interfaceName === watch.interface && watch.property in change.changed) {
        signalled = true;
        judge(change.changed[watch.property]!);
      }
    };
    // A dump entry lies below the manager it is created by; a written object's changes are its own.
    const subscription = await this.#bmc.watchProperties(prepared.objectPath, onChange);
    const limitMs = (rule.timeoutSeconds ?? this.#options.callTimeoutMs / 1000) * 1000;
    const timer = setTimeout(() => end?.({ msg: `time limit of ${limitMs / 1000} s passed before ${watch.property} became ${done.join(' or ')}` }), limitMs);
    // A job never keeps the daemon from stopping.
    timer.unref();
    try {
      const data = await prepared.send(this.#options.callTimeoutMs);
      const result = okEnvelope(data);
      if (watchedPath === undefined) {
        if (typeof data !== 'string') return { msg: `${rule.name}: the call returned no object path to follow`, result };
        watchedPath = data;
      }
      // The value now, unless a signal already told a newer one (a missing property: signals will tell).
      void this.#bmc.getProperty(watchedPath, watch.property).then((value) => {
        if (!signalled) judge(value);
      }, () => undefined);
      const outcome = await ended;
      return { ...outcome, result };
    } finally {
      clearTimeout(timer);
      await subscription.dispose();
    }
  }
}
