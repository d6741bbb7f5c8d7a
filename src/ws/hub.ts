/**
 * The one place `/subscribe` meets the bus. All subscribers share one set of
 * match rules (PropertiesChanged, InterfacesAdded, InterfacesRemoved, no path
 * restriction: filters change with every client message, the rules do not):
 * the first subscriber's join sends the AddMatch calls, the last one's leave
 * sends the RemoveMatch calls (MatchRules counts the references; rules that
 * other parts of the gateway hold, such as the introspection cache's, are
 * shared with them rather than added twice).
 *
 * Each signal is summarised once, and its body decoded and serialised once
 * (only if some subscriber's filter passes it), then the same text goes to
 * every matching subscriber, in the order the bus delivered the signals. A
 * signal whose body does not fit its signature is no event (summarise).
 */
import { type Job, type JobCaller, jobEvent, mayAccess } from '../bmc/jobs/job-table.js';
import type { BusConnection, SignalMessage } from '../dbus/bus.js';
import { matchRule } from '../dbus/match-rules.js';
import { writeJson } from '../http/json-text.js';
import { OBJECT_MANAGER_INTERFACE, PROPERTIES_INTERFACE } from '../dbus/names.js';
import { summarise, toEvent } from './events.js';
import { type EventSummary, type Filter, matches } from './filter.js';

export const SUBSCRIPTION_RULES: readonly string[] = [
  matchRule({ type: 'signal', interface: PROPERTIES_INTERFACE, member: 'PropertiesChanged' }),
  matchRule({ type: 'signal', interface: OBJECT_MANAGER_INTERFACE, member: 'InterfacesAdded' }),
  matchRule({ type: 'signal', interface: OBJECT_MANAGER_INTERFACE, member: 'InterfacesRemoved' }),
];

/** A subscriber as the hub sees it. */
export interface EventSink {
  /** Who subscribed: job changes go to the job's owner and to administrators only (none without). */
  readonly principal?: JobCaller;
  /** undefined until the client has sent a filter: nothing is delivered. */
  readonly filter: Filter | undefined;
  /** Called synchronously, in bus order, with the compact JSON text of one event. */
  deliver(text: string): void;
}

export class EventHub {
  readonly #bus: BusConnection;
  readonly #sinks = new Set<EventSink>();
  #unlisten: (() => void) | undefined;

  constructor(bus: BusConnection) {
    this.#bus = bus;
  }

  /**
   * Adds a subscriber; resolves once the bus daemon routes the signals to us,
   * with the function that removes it again (idempotent).
   * @throws the bus error when the match rules cannot be added.
   */
  async join(sink: EventSink): Promise<() => Promise<void>> {
    this.#sinks.add(sink);
    this.#unlisten ??= this.#bus.onSignal((signal) => this.#onSignal(signal));
    const results = await Promise.allSettled(SUBSCRIPTION_RULES.map((rule) => this.#bus.matchRules.acquire(rule)));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) {
      // Give back the references that were taken; a failed acquire took none.
      await Promise.all(results.map((result, index) =>
        result.status === 'fulfilled' ? this.#bus.matchRules.release(SUBSCRIPTION_RULES[index] ?? '') : undefined));
      this.#forget(sink);
      throw failure.reason;
    }
    let left = false;
    return async () => {
      if (left) return;
      left = true;
      this.#forget(sink);
      await Promise.all(SUBSCRIPTION_RULES.map((rule) => this.#bus.matchRules.release(rule)));
    };
  }

  #forget(sink: EventSink): void {
    this.#sinks.delete(sink);
    if (this.#sinks.size === 0) {
      this.#unlisten?.();
      this.#unlisten = undefined;
    }
  }

  /**
   * A job changed (bmc/jobs/job-table.ts): its object path and the interfaces
   * it writes are what `paths` and `interfaces` filter on.
   */
  publishJob(job: Job): void {
    const summary: EventSummary = {
      event: 'JobChanged',
      path: job.request.objectPath,
      interfaces: job.request.members.map((member) => member.slice(0, member.lastIndexOf('.'))),
    };
    let text: string | undefined;
    for (const sink of this.#sinks) {
      const filter = sink.filter;
      if (filter === undefined || !sink.principal || !matches(filter, summary) || !mayAccess(job, sink.principal)) continue;
      text ??= writeJson({ event: 'JobChanged', job: jobEvent(job), path: summary.path }, 0);
      sink.deliver(text);
    }
  }

  #onSignal(signal: SignalMessage): void {
    const summary = summarise(signal);
    if (summary === undefined) return;
    let text: string | undefined;
    // A sink may leave while we deliver (a slow consumer is closed): Set iteration allows that.
    for (const sink of this.#sinks) {
      const filter = sink.filter;
      if (filter === undefined || !matches(filter, summary)) continue;
      text ??= writeJson(toEvent(signal, summary), 0);
      sink.deliver(text);
    }
  }
}
