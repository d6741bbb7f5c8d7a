/**
 * Introspection results cached per (bus name, object path).
 *
 * Why a cache: every property write and method call needs the signatures,
 * and introspecting on each request (as phosphor-rest-server did) doubles the
 * bus traffic. Why it stays correct: an entry is dropped when the bus name
 * changes owner (the daemon restarted and may export something else) and
 * when interfaces are added to or removed from that object path.
 */
import { LRUCache } from 'lru-cache';
import type { BusConnection, SignalMessage } from '../dbus/bus.js';
import { matchRule } from '../dbus/match-rules.js';
import { DBUS_INTERFACE, DBUS_NAME, INTROSPECTABLE_INTERFACE, OBJECT_MANAGER_INTERFACE } from '../dbus/names.js';
import { type IntrospectedNode, parseIntrospection } from './introspection.js';

/** The signals that invalidate entries; held for the cache's lifetime. */
export const INVALIDATION_RULES: readonly string[] = [
  matchRule({ type: 'signal', sender: DBUS_NAME, interface: DBUS_INTERFACE, member: 'NameOwnerChanged' }),
  matchRule({ type: 'signal', interface: OBJECT_MANAGER_INTERFACE, member: 'InterfacesAdded' }),
  matchRule({ type: 'signal', interface: OBJECT_MANAGER_INTERFACE, member: 'InterfacesRemoved' }),
];

export class IntrospectionCache {
  readonly #bus: BusConnection;
  /** key `busName\0objectPath` → parsed node, or the introspection in flight. */
  readonly #entries: LRUCache<string, Promise<IntrospectedNode>>;
  /** What the entries' introspections resolved to, once they have (for peek). */
  readonly #settled = new WeakMap<Promise<IntrospectedNode>, IntrospectedNode>();
  #unsubscribe: (() => void) | undefined;

  constructor(bus: BusConnection, maxEntries = 4096) {
    this.#bus = bus;
    this.#entries = new LRUCache({ max: maxEntries });
  }

  /** Starts following the invalidating signals. */
  async start(): Promise<void> {
    this.#unsubscribe = this.#bus.onSignal((signal) => this.#onSignal(signal));
    await Promise.all(INVALIDATION_RULES.map((rule) => this.#bus.matchRules.acquire(rule)));
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#entries.clear();
    await Promise.all(INVALIDATION_RULES.map((rule) => this.#bus.matchRules.release(rule)));
  }

  /** Introspects `objectPath` on `busName`, from the cache when possible. */
  get(busName: string, objectPath: string): Promise<IntrospectedNode> {
    const key = `${busName}\0${objectPath}`;
    const cached = this.#entries.get(key);
    if (cached) return cached;
    const pending = this.#introspect(busName, objectPath);
    this.#entries.set(key, pending);
    pending.then(
      (node) => {
        this.#settled.set(pending, node);
      },
      // A failed introspection is not cached: the next request tries again.
      () => {
        if (this.#entries.peek(key) === pending) this.#entries.delete(key);
      },
    );
    return pending;
  }

  /**
   * What get() would resolve with, when the cached introspection has already
   * finished (it counts as a use, like get); undefined otherwise (ask get).
   */
  peek(busName: string, objectPath: string): IntrospectedNode | undefined {
    const cached = this.#entries.get(`${busName}\0${objectPath}`);
    return cached === undefined ? undefined : this.#settled.get(cached);
  }

  async #introspect(busName: string, objectPath: string): Promise<IntrospectedNode> {
    const [xml] = await this.#bus.callJson({
      busName,
      objectPath,
      interfaceName: INTROSPECTABLE_INTERFACE,
      member: 'Introspect',
    }, 's');
    return parseIntrospection(String(xml));
  }

  #onSignal(signal: SignalMessage): void {
    if (signal.interfaceName === DBUS_INTERFACE && signal.member === 'NameOwnerChanged') {
      const [name] = signal.jsonBody;
      if (typeof name === 'string') this.#dropBusName(name);
    } else if (signal.interfaceName === OBJECT_MANAGER_INTERFACE && signal.member.startsWith('Interfaces')) {
      // The signal's first argument is the object whose interfaces changed.
      const [objectPath] = signal.jsonBody;
      if (typeof objectPath === 'string') this.#dropObjectPath(objectPath);
    }
  }

  #dropBusName(busName: string): void {
    const prefix = `${busName}\0`;
    this.#drop((key) => key.startsWith(prefix));
  }

  #dropObjectPath(objectPath: string): void {
    const suffix = `\0${objectPath}`;
    this.#drop((key) => key.endsWith(suffix));
  }

  #drop(matches: (key: string) => boolean): void {
    // Collected first: the cache is not changed while its keys are walked.
    for (const key of [...this.#entries.keys()].filter(matches)) this.#entries.delete(key);
  }
}
