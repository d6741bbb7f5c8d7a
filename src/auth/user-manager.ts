/**
 * Roles from phosphor-user-manager: `GetUserInfo(s) → a{sv}` on
 * `/xyz/openbmc_project/user`, answered from a cache that the manager's
 * signals keep current, so an authenticated request costs no bus round trip
 * and a changed account is known at once. One watcher serves both the
 * cache and "authorisation follows the account": after dropping what a
 * signal made stale it tells its listeners (the guard ends sessions and
 * closes websockets; auth-guard.ts).
 *
 * What drops entries:
 * - PropertiesChanged, InterfacesAdded and InterfacesRemoved for
 *   `/xyz/openbmc_project/user/<name>`: that user (a user created after a
 *   "no such user" answer gets in, a deleted one is out);
 * - the same for anything else under `/xyz/openbmc_project/user` (LDAP
 *   configuration, role mappings: remote users' privileges may change), the
 *   manager's MultiFactorAuthConfiguration (one-time codes on or off), and
 *   the manager changing owner (restart): every user;
 * - `UserRenamed(old, new)`: both names.
 * - `refresh(user)`: the gateway changed the account itself (a new password:
 *   the manager's UserPasswordExpired is computed from the shadow file and
 *   signals nothing).
 * An answer that was in flight while such a signal arrived is not kept, and
 * entries also expire after `ttlMs` (a safety net: only signals keep the
 * cache right). The lock state (UserLockedForFailedAttempt) is computed from
 * the faillock tally and never signalled either: the guard asks for it
 * `fresh` after a refused password. Unreachable or silent manager: no entry, the caller answers
 * 503/504.
 */
import { LRUCache } from 'lru-cache';
import type { BusConnection, SignalMessage } from '../dbus/bus.js';
import { isTransient } from '../dbus/bus.js';
import { toJson } from '../dbus/convert.js';
import { matchRule } from '../dbus/match-rules.js';
import { DBUS_INTERFACE, DBUS_NAME, OBJECT_MANAGER_INTERFACE, PROPERTIES_INTERFACE } from '../dbus/names.js';
import { parseSingleType } from '../dbus/signature.js';
import { type Account, type AccountsChanged, type RoleSource, accountFromUserInfo } from './roles.js';

export const USER_MANAGER_BUS_NAME = 'xyz.openbmc_project.User.Manager';
export const USER_MANAGER_PATH = '/xyz/openbmc_project/user';
export const USER_MANAGER_INTERFACE = 'xyz.openbmc_project.User.Manager';
/** What every user object of the manager implements (a local or, once created, a remote user). */
export const USER_ATTRIBUTES_INTERFACE = 'xyz.openbmc_project.User.Attributes';

/** The user whose object `objectPath` is (`/xyz/openbmc_project/user/<name>`), if it is one. */
export function userOfObject(objectPath: string): string | undefined {
  const name = objectPath.startsWith(`${USER_MANAGER_PATH}/`) ? objectPath.slice(USER_MANAGER_PATH.length + 1) : '';
  return /^[A-Za-z0-9_]+$/.test(name) ? name : undefined;
}

const MFA_INTERFACE = 'xyz.openbmc_project.User.MultiFactorAuthConfiguration';
const USER_INFO_TYPE = parseSingleType('a{sv}');

const RULES: readonly string[] = [
  matchRule({ type: 'signal', interface: PROPERTIES_INTERFACE, member: 'PropertiesChanged', path_namespace: USER_MANAGER_PATH }),
  matchRule({ type: 'signal', interface: OBJECT_MANAGER_INTERFACE, member: 'InterfacesAdded', path_namespace: USER_MANAGER_PATH }),
  matchRule({ type: 'signal', interface: OBJECT_MANAGER_INTERFACE, member: 'InterfacesRemoved', path_namespace: USER_MANAGER_PATH }),
  matchRule({ type: 'signal', interface: USER_MANAGER_INTERFACE, member: 'UserRenamed', path: USER_MANAGER_PATH }),
  matchRule({ type: 'signal', sender: DBUS_NAME, interface: DBUS_INTERFACE, member: 'NameOwnerChanged', arg0: USER_MANAGER_BUS_NAME }),
];

export interface UserManagerOptions {
  /** A local user must be in one of these groups (--served-groups). */
  readonly servedGroups: readonly string[];
  /** Longest life of an entry when no signal drops it. */
  readonly ttlMs?: number;
  readonly maxEntries?: number;
  /** Told why a lookup failed when that failure means "no privileges". */
  readonly log: (message: string) => void;
}

export class UserManagerRoles implements RoleSource {
  readonly description = `dbus:${USER_MANAGER_BUS_NAME}`;
  readonly #bus: BusConnection;
  readonly #options: UserManagerOptions;
  readonly #entries: LRUCache<string, Account>;
  readonly #listeners = new Set<(changed: AccountsChanged) => void>();
  readonly #inFlight = new Map<string, { readonly generation: number; readonly account: Promise<Account> }>();
  /** Users whose signals arrived in this event-loop turn (one notification for a burst). */
  #pending: Set<string> | 'all' | undefined;
  #generation = 0;
  #unsubscribe: (() => void) | undefined;

  constructor(bus: BusConnection, options: UserManagerOptions) {
    this.#bus = bus;
    this.#options = options;
    this.#entries = new LRUCache({ max: options.maxEntries ?? 1024, ttl: options.ttlMs ?? 60_000 });
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.#bus.onSignal((signal) => this.#onSignal(signal));
    await Promise.all(RULES.map((rule) => this.#bus.matchRules.acquire(rule)));
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#entries.clear();
    this.#listeners.clear();
    await Promise.all(RULES.map((rule) => this.#bus.matchRules.release(rule)));
  }

  onChange(listener: (changed: AccountsChanged) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Entries held (tests). */
  get size(): number {
    return this.#entries.size;
  }

  async account(user: string, options: { readonly fresh?: boolean } = {}): Promise<Account> {
    const cached = options.fresh === true ? undefined : this.#entries.get(user);
    if (cached) return cached;
    // Concurrent requests of one user share one look-up, unless a signal came in between.
    const inFlight = this.#inFlight.get(user);
    if (options.fresh !== true && inFlight && inFlight.generation === this.#generation) return inFlight.account;
    const generation = this.#generation;
    const pending = this.#lookup(user);
    this.#inFlight.set(user, { generation, account: pending });
    let account: Account;
    try {
      account = await pending;
    } finally {
      if (this.#inFlight.get(user)?.account === pending) this.#inFlight.delete(user);
    }
    if (generation === this.#generation) this.#entries.set(user, account);
    return account;
  }

  async #lookup(user: string): Promise<Account> {
    let reply: unknown[];
    try {
      reply = await this.#bus.call({
        busName: USER_MANAGER_BUS_NAME,
        objectPath: USER_MANAGER_PATH,
        interfaceName: USER_MANAGER_INTERFACE,
        member: 'GetUserInfo',
        signature: 's',
        body: [user],
      });
    } catch (err) {
      // Unreachable or slow user manager: the caller answers 503/504. Anything else
      // (typically "no such user": a PAM user the BMC does not manage) means no privileges.
      if (isTransient(err)) throw err;
      this.#options.log(`GetUserInfo('${user}') failed (${err instanceof Error ? err.message : String(err)}): no privileges`);
      return { role: 'priv-noaccess', reason: 'account unknown to the user manager' };
    }
    return accountFromUserInfo(toJson(USER_INFO_TYPE, reply[0]), this.#options.servedGroups);
  }

  /** The gateway changed the user's account (SetPassword): phosphor-user-manager signals nothing for that. */
  refresh(user: string): void {
    this.#changed([user]);
  }

  #onSignal(signal: SignalMessage): void {
    if (signal.interfaceName === DBUS_INTERFACE) {
      if (signal.member === 'NameOwnerChanged' && signal.jsonBody[0] === USER_MANAGER_BUS_NAME) this.#changed('all');
      return;
    }
    if (signal.interfaceName === USER_MANAGER_INTERFACE && signal.member === 'UserRenamed') {
      const names = signal.jsonBody.filter((name): name is string => typeof name === 'string');
      this.#changed(names.length === 2 ? names : 'all');
      return;
    }
    const isUserSignal = (signal.interfaceName === PROPERTIES_INTERFACE && signal.member === 'PropertiesChanged')
      || (signal.interfaceName === OBJECT_MANAGER_INTERFACE && signal.member.startsWith('Interfaces'));
    if (!isUserSignal) return;
    // PropertiesChanged comes from the object itself; the ObjectManager signals name it in their first argument.
    const objectPath = signal.interfaceName === PROPERTIES_INTERFACE ? signal.objectPath : signal.jsonBody[0];
    if (typeof objectPath !== 'string' || (objectPath !== USER_MANAGER_PATH && !objectPath.startsWith(`${USER_MANAGER_PATH}/`))) return;
    if (objectPath === USER_MANAGER_PATH) {
      // One-time codes switched on or off: every account's TOTPSecretkeyRequired may change. The
      // manager's other properties (AllPrivileges, the account policy) change nobody's account.
      if (signal.interfaceName === PROPERTIES_INTERFACE && signal.jsonBody[0] === MFA_INTERFACE) this.#changed('all');
      return;
    }
    const rest = objectPath.slice(USER_MANAGER_PATH.length + 1);
    this.#changed(rest.includes('/') || rest === 'ldap' ? 'all' : [rest]);
  }

  /** Drops the entries now; tells the listeners once, at the end of this turn, about every user touched. */
  #changed(users: readonly string[] | 'all'): void {
    this.#generation++;
    if (users === 'all') this.#entries.clear();
    else for (const user of users) this.#entries.delete(user);
    const scheduled = this.#pending !== undefined;
    if (users === 'all' || this.#pending === 'all') {
      this.#pending = 'all';
    } else {
      this.#pending ??= new Set();
      for (const user of users) this.#pending.add(user);
    }
    if (scheduled) return;
    setImmediate(() => {
      const changed = this.#pending ?? 'all';
      this.#pending = undefined;
      for (const listener of this.#listeners) listener(changed);
    });
  }
}
