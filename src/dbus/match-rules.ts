/**
 * Reference-counted D-Bus match rules. The first user of a rule sends
 * AddMatch, the last one to leave sends RemoveMatch, so any number of
 * websocket clients or uploads that need the same signals cost the bus
 * daemon one rule (dbus-next's proxy listeners leak one per listener).
 */

type BusCall = (member: 'AddMatch' | 'RemoveMatch', rule: string) => Promise<void>;

export class MatchRules {
  readonly #callBus: BusCall;
  /** rule → users and the AddMatch in flight (so concurrent acquires share it). */
  readonly #rules = new Map<string, { users: number; added: Promise<void> }>();

  constructor(callBus: BusCall) {
    this.#callBus = callBus;
  }

  /** Rules currently held at the daemon (for tests and diagnostics). */
  get size(): number {
    return this.#rules.size;
  }

  has(rule: string): boolean {
    return this.#rules.has(rule);
  }

  /**
   * Takes one reference to `rule`; resolves once the daemon has the rule.
   * If AddMatch fails, the reference is dropped again and the error rethrown.
   */
  async acquire(rule: string): Promise<void> {
    let entry = this.#rules.get(rule);
    if (entry) {
      entry.users += 1;
    } else {
      entry = { users: 1, added: this.#callBus('AddMatch', rule) };
      this.#rules.set(rule, entry);
    }
    try {
      await entry.added;
    } catch (err) {
      this.#drop(rule, entry);
      throw err;
    }
  }

  /** Gives one reference back; the last one removes the rule at the daemon. */
  async release(rule: string): Promise<void> {
    const entry = this.#rules.get(rule);
    if (!entry) return;
    entry.users -= 1;
    if (entry.users > 0) return;
    this.#rules.delete(rule);
    await entry.added.catch(() => undefined);
    await this.#callBus('RemoveMatch', rule).catch(() => undefined);
  }

  /** On shutdown: remove every rule still held. */
  async releaseAll(): Promise<void> {
    const rules = [...this.#rules.keys()];
    this.#rules.clear();
    await Promise.all(rules.map((rule) => this.#callBus('RemoveMatch', rule).catch(() => undefined)));
  }

  #drop(rule: string, entry: { users: number }): void {
    entry.users -= 1;
    if (entry.users <= 0 && this.#rules.get(rule) === entry) this.#rules.delete(rule);
  }
}

/** Builds a match rule string, quoting values as the D-Bus spec requires. */
export function matchRule(fields: Readonly<Record<string, string | undefined>>): string {
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}='${value.replaceAll("'", "'\\''")}'`)
    .join(',');
}
