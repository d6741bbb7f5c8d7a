/**
 * Authorisation follows the account while connections are open. When the
 * role source says accounts changed (user-manager.ts: its cached answers
 * for them are gone by then), each affected user that has sessions or open
 * connections is looked up again, and:
 * - no access any more (disabled, deleted, renamed, out of the served
 *   groups, no privileges): every session ends and every watched connection
 *   is revoked, with the account's reason;
 * - fewer privileges than a session or connection had (demoted): those end
 *   ("privileges reduced");
 * - a watched connection whose action the policy no longer allows for the
 *   new role ends ("no longer allowed"), or for an account that may now only
 *   configure itself ("password expired", "one-time code secret required").
 * A password changed through the gateway ends the user's connections opened
 * with HTTP Basic (`revokeBasic`: they authenticated with the old one).
 * A promotion ends nothing. A failed lookup (the user manager restarting)
 * ends nothing either: requests answer 503 until it is back.
 */
import type { Logger } from '../log.js';
import type { GuardedAction, Principal, Role } from './guard.js';
import type { Decision } from './policy.js';
import { type Account, type AccountsChanged, ROLE_RANK, type RoleSource, selfOnlyOf } from './roles.js';
import type { SessionStore } from './sessions.js';

/** Something open on behalf of a principal (a websocket), and how to end it. */
interface Watched {
  readonly principal: Principal;
  readonly action: GuardedAction;
  readonly revoke: (reason: string) => void;
}

export interface AccountWatchDeps {
  readonly roles: RoleSource;
  readonly sessions: SessionStore;
  readonly decide: (principal: Principal, action: GuardedAction) => Decision;
  readonly log: Logger;
}

export class AccountWatch {
  readonly #deps: AccountWatchDeps;
  /** user → what is open on their behalf. */
  readonly #watched = new Map<string, Set<Watched>>();
  readonly #unsubscribe: () => void;

  constructor(deps: AccountWatchDeps) {
    this.#deps = deps;
    this.#unsubscribe = deps.roles.onChange((changed) => {
      this.#recheck(changed).catch((err: unknown) => deps.log.error(`account re-check failed: ${String(err)}`));
    });
  }

  /** Stops following account changes (shutdown). */
  close(): void {
    this.#unsubscribe();
  }

  /** Revokes every watched connection of `user` opened with HTTP Basic. */
  revokeBasic(user: string, reason: string): void {
    for (const watched of [...(this.#watched.get(user) ?? [])]) {
      if (watched.principal.via === 'basic') watched.revoke(reason);
    }
  }

  /** Calls `revoke` once the account behind `principal` may no longer do `action`; returns the cancel. */
  watch(principal: Principal, action: GuardedAction, revoke: (reason: string) => void): () => void {
    let set = this.#watched.get(principal.user);
    if (!set) this.#watched.set(principal.user, (set = new Set()));
    const entry: Watched = { principal, action, revoke };
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.#watched.get(principal.user) === set) this.#watched.delete(principal.user);
    };
  }

  async #recheck(changed: AccountsChanged): Promise<void> {
    const live = new Set([...this.#deps.sessions.users(), ...this.#watched.keys()]);
    const users = changed === 'all' ? [...live] : [...changed].filter((user) => live.has(user));
    await Promise.all(users.map((user) => this.#recheckUser(user)));
  }

  async #recheckUser(user: string): Promise<void> {
    let account: Account;
    try {
      account = await this.#deps.roles.account(user);
    } catch (err) {
      this.#deps.log.warning(`account of '${user}' changed, but cannot be looked up (${String(err)}): its sessions stay`);
      return;
    }
    /** Why something opened with role `had` must end now, or undefined when it may go on. */
    const ends = (had: Role | undefined, action?: GuardedAction): string | undefined => {
      if (account.role === 'priv-noaccess') return account.reason ?? 'no privileges';
      if (had !== undefined && ROLE_RANK[account.role] < ROLE_RANK[had]) return 'privileges reduced';
      if (!action) return undefined;
      const selfOnly = selfOnlyOf(account);
      if (this.#deps.decide({ user, role: account.role, via: 'basic', ...(selfOnly ? { selfOnly } : {}) }, action) === 'allow') return undefined;
      if (selfOnly === 'password-change-required') return 'password expired';
      return selfOnly === 'secret-key-required' ? 'one-time code secret required' : 'no longer allowed';
      return undefined;
    };
    let closed = 0;
    for (const watched of [...(this.#watched.get(user) ?? [])]) {
      const reason = ends(watched.principal.role, watched.action);
      if (reason === undefined) continue;
      watched.revoke(reason);
      closed++;
    }
    let ended = 0;
    for (const session of this.#deps.sessions.sessionsOf(user)) {
      if (ends(session.role) === undefined) continue;
      this.#deps.sessions.end(session.token, 'account');
      ended++;
    }
    if (closed + ended > 0) {
      this.#deps.log.info(`account of user '${user}' changed (${account.role}${account.reason ? `: ${account.reason}` : ''}): `
        + `ended ${ended} session(s), closed ${closed} websocket(s)`);
    }
  }
}
