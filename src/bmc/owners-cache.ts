/**
 * The mapper's GetObject answers for the read routes, kept for a short time.
 *
 * Why: `GET <path>/attr/<name>` is one GetObject plus one Properties.Get; the
 * GetObject round trip costs as much as the read itself (a script polling a
 * sensor paid for the mapper on every request). Why it stays correct:
 * - an entry is dropped when interfaces are added to or removed from its path
 *   (ObjectManager signals), and every entry when any well-known name changes
 *   owner (a daemon or the mapper started, stopped or restarted) or the mapper
 *   says it has introspected a service (IntrospectionComplete: a daemon that
 *   just started is in the mapper's answers only from then on);
 * - an answer that was in flight while such a signal arrived is not kept;
 * - entries expire after `ttlMs` regardless, which bounds how stale an answer
 *   can be when something changed without a signal (a daemon without an
 *   ObjectManager, mapper association objects);
 * - only found objects are kept: a 404 always asks the mapper again;
 * - the caller drops an entry whose owner refused the read as unknown and
 *   asks again (see Bmc.#withOwners).
 * Writes, actions and schema do not use it: they always ask the mapper.
 */
import { LRUCache } from 'lru-cache';
import type { BusConnection, SignalMessage } from '../dbus/bus.js';
import { matchRule } from '../dbus/match-rules.js';
import { DBUS_INTERFACE, OBJECT_MANAGER_INTERFACE } from '../dbus/names.js';
import { INVALIDATION_RULES } from './introspection-cache.js';
import type { Mapper, ServiceMap } from './mapper.js';
/** phosphor-objmgr's signal after it has introspected a (new) service: its answers just changed. */
const MAPPER_PRIVATE = 'xyz.openbmc_project.ObjectMapper.Private';
const RULES: readonly string[] = [
  ...INVALIDATION_RULES,
  matchRule({ type: 'signal', interface: MAPPER_PRIVATE, member: 'IntrospectionComplete' }),
];

export class OwnersCache {
  readonly #bus: BusConnection;
  readonly #mapper: Mapper;
  readonly #entries: LRUCache<string, ServiceMap>;
  /** Bumped by every invalidation: an answer fetched across one is not kept. */
  #generation = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(bus: BusConnection, mapper: Mapper, options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.#bus = bus;
    this.#mapper = mapper;
    this.#entries = new LRUCache({ max: options.maxEntries ?? 1024, ttl: options.ttlMs ?? 1000 });
  }

  /** Follows the invalidating signals (the introspection cache's rules, shared through MatchRules). */
  async start(): Promise<void> {
    this.#unsubscribe = this.#bus.onSignal((signal) => this.#onSignal(signal));
    await Promise.all(RULES.map((rule) => this.#bus.matchRules.acquire(rule)));
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#entries.clear();
    await Promise.all(RULES.map((rule) => this.#bus.matchRules.release(rule)));
  }

  /** Owners of `objectPath` and whether they came from the cache. */
  async get(objectPath: string): Promise<{ owners: ServiceMap; cached: boolean }> {
    const cached = this.#entries.get(objectPath);
    if (cached) return { owners: cached, cached: true };
    const generation = this.#generation;
    const owners = await this.#mapper.getObject(objectPath);
    if (generation === this.#generation) this.#entries.set(objectPath, owners);
    return { owners, cached: false };
  }

  /** The cached owners of `objectPath` (a use, as get), or undefined (ask get). */
  peek(objectPath: string): ServiceMap | undefined {
    return this.#entries.get(objectPath);
  }

  drop(objectPath: string): void {
    this.#generation++;
    this.#entries.delete(objectPath);
  }

  #clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  #onSignal(signal: SignalMessage): void {
    if (signal.interfaceName === DBUS_INTERFACE && signal.member === 'NameOwnerChanged') {
      const [name] = signal.jsonBody;
      // Unique names (':1.42') come and go with every client; a daemon also changes its well-known name.
      if (typeof name === 'string' && !name.startsWith(':')) this.#clear();
    } else if (signal.interfaceName === MAPPER_PRIVATE && signal.member === 'IntrospectionComplete') {
      this.#clear();
    } else if (signal.interfaceName === OBJECT_MANAGER_INTERFACE && signal.member.startsWith('Interfaces')) {
      const [objectPath] = signal.jsonBody;
      if (typeof objectPath === 'string') this.drop(objectPath);
    }
  }
}
