/**
 * Where a user's role comes from: the BMC's user manager over D-Bus (as
 * bmcweb does; user-manager.ts), or the users file. The role of an account
 * the BMC says must not use this API is `priv-noaccess`, with the reason.
 */
import type { Role, SelfOnlyReason } from './guard.js';
import { ROLES } from './policy.js';

/** A user's role, and for `priv-noaccess` why (for logs and websocket close reasons). */
export interface Account {
  readonly role: Role;
  readonly reason?: string;
  /** The password has expired: the account may only change it (UserPasswordExpired). */
  readonly passwordExpired?: boolean;
  /** One-time codes are on and the account's secret key is not set up yet (TOTPSecretkeyRequired). */
  readonly secretKeyRequired?: boolean;
  /** Locked after failed logins (UserLockedForFailedAttempt). */
  readonly locked?: boolean;
}

/** What changed: these users, or (the user manager restarted) any user. */
export type AccountsChanged = ReadonlySet<string> | 'all';

export interface RoleSource {
  readonly description: string;
  /**
   * The user's role; `priv-noaccess` when the user has none. Throws BusError when the source is
   * unreachable. `fresh`: not from a cache (the lock state changes without a signal).
   */
  account(user: string, options?: { readonly fresh?: boolean }): Promise<Account>;
  /** The gateway changed the account (a new password): forget what is cached and tell the listeners. */
  refresh(user: string): void;
  /**
   * Calls `listener` after accounts changed (their cached roles are gone by then). Sources whose
   * accounts cannot change while the gateway runs (the users file) never call it.
   */
  onChange(listener: (changed: AccountsChanged) => void): () => void;
}

/**
 * What the account may only do first, if anything: change an expired password (PAM said so at
 * login: `passwordExpired`, or the user manager says so), then set up a one-time code secret.
 */
export function selfOnlyOf(account: Account | undefined, passwordExpired = false): SelfOnlyReason | undefined {
  if (passwordExpired || account?.passwordExpired === true) return 'password-change-required';
  if (account?.secretKeyRequired === true) return 'secret-key-required';
  return undefined;
}

/** The order of privilege, for "was this account demoted?". */
export const ROLE_RANK: Readonly<Record<Role, number>> = { 'priv-admin': 3, 'priv-operator': 2, 'priv-user': 1, 'priv-noaccess': 0 };

/**
 * The account from GetUserInfo's answer (`a{sv}` as JSON), as bmcweb reads
 * it: `UserPrivilege` is the role, unless the account is disabled or is a
 * local account in none of the served groups (bmcweb's PAM file requires
 * `redfish`; LDAP users, `RemoteUser` true, are not checked against local
 * groups). An expired password (`UserPasswordExpired`) or a one-time code
 * secret to set up (`TOTPSecretkeyRequired`) keeps the role but restricts
 * the account to configuring itself, as bmcweb's ConfigureSelf-only session.
 */
export function accountFromUserInfo(info: unknown, servedGroups: readonly string[]): Account {
  if (typeof info !== 'object' || info === null) return { role: 'priv-noaccess', reason: 'no account information' };
  const fields = info as Record<string, unknown>;
  const flags = {
    ...(fields.UserPasswordExpired === true ? { passwordExpired: true } : {}),
    ...(fields.TOTPSecretkeyRequired === true ? { secretKeyRequired: true } : {}),
    ...(fields.UserLockedForFailedAttempt === true ? { locked: true } : {}),
  };
  if (fields.UserEnabled === false) return { role: 'priv-noaccess', reason: 'account disabled', ...flags };
  if (fields.RemoteUser !== true) {
    const groups = Array.isArray(fields.UserGroups) ? fields.UserGroups : [];
    if (!servedGroups.some((group) => groups.includes(group))) {
      return { role: 'priv-noaccess', reason: `account in none of the groups ${servedGroups.join(', ')}`, ...flags };
    }
  }
  const privilege = fields.UserPrivilege;
  if (!ROLES.includes(privilege as Role) || privilege === 'priv-noaccess') return { role: 'priv-noaccess', reason: 'no privileges', ...flags };
  return { role: privilege as Role, ...flags };
}

/** Roles written next to the hashes in the users file (read once at start: they never change). */
export class UsersFileRoleSource implements RoleSource {
  readonly description = 'users-file';
  readonly #lookup: (user: string) => Role | undefined;

  constructor(lookup: (user: string) => Role | undefined) {
    this.#lookup = lookup;
  }

  account(user: string): Promise<Account> {
    const role = this.#lookup(user);
    return Promise.resolve(role === undefined ? { role: 'priv-noaccess', reason: 'not in the users file' } : { role });
  }

  onChange(): () => void {
    return () => undefined;
  }

  /** Nothing cached: the roles are the file's. */
  refresh(): void {}
}
