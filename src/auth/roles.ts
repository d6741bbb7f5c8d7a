/**
 * Where a user's role comes from: the BMC's user manager over D-Bus (as
 * bmcweb does), or the users file. Looked up on every request, so a changed
 * or disabled account takes effect at once, also for open sessions.
 */
import type { BusConnection } from '../dbus/bus.js';
import { BusError } from '../dbus/bus.js';
import { toJson } from '../dbus/convert.js';
import { parseSingleType } from '../dbus/signature.js';
import { DBUS_ERROR_STATUS } from '../errors.js';
import type { Role } from './guard.js';
import { ROLES } from './policy.js';

export interface RoleSource {
  readonly description: string;
  /** The user's role; `priv-noaccess` when the user has none. Throws BusError when the source is unreachable. */
  roleOf(user: string): Promise<Role>;
}

export const USER_MANAGER_BUS_NAME = 'xyz.openbmc_project.User.Manager';
export const USER_MANAGER_PATH = '/xyz/openbmc_project/user';
export const USER_MANAGER_INTERFACE = 'xyz.openbmc_project.User.Manager';

const USER_INFO_TYPE = parseSingleType('a{sv}');

/** `GetUserInfo(s) → a{sv}` on the user manager. */
export class DbusRoleSource implements RoleSource {
  readonly description = `dbus:${USER_MANAGER_BUS_NAME}`;
  readonly #bus: BusConnection;
  readonly #log: (message: string) => void;

  constructor(bus: BusConnection, log: (message: string) => void) {
    this.#bus = bus;
    this.#log = log;
  }

  async roleOf(user: string): Promise<Role> {
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
      const status = err instanceof BusError ? DBUS_ERROR_STATUS[err.errorName] : undefined;
      // Unreachable or slow user manager: the caller answers 503/504. Anything else
      // (typically "no such user": a PAM user the BMC does not manage) means no privileges.
      if (status === 503 || status === 504) throw err;
      this.#log(`GetUserInfo('${user}') failed (${err instanceof Error ? err.message : String(err)}): no privileges`);
      return 'priv-noaccess';
    }
    return roleFromUserInfo(toJson(USER_INFO_TYPE, reply[0]));
  }
}

/**
 * UserPrivilege from GetUserInfo's answer; an account that is disabled or
 * whose password has expired gets no privileges (bmcweb limits the latter to
 * changing the password, which this API does not offer).
 */
export function roleFromUserInfo(info: unknown): Role {
  if (typeof info !== 'object' || info === null) return 'priv-noaccess';
  const fields = info as Record<string, unknown>;
  if (fields.UserEnabled === false || fields.UserPasswordExpired === true) return 'priv-noaccess';
  const privilege = fields.UserPrivilege;
  return ROLES.includes(privilege as Role) ? (privilege as Role) : 'priv-noaccess';
}

/** Roles written next to the hashes in the users file. */
export class UsersFileRoleSource implements RoleSource {
  readonly description = 'users-file';
  readonly #lookup: (user: string) => Role | undefined;

  constructor(lookup: (user: string) => Role | undefined) {
    this.#lookup = lookup;
  }

  roleOf(user: string): Promise<Role> {
    return Promise.resolve(this.#lookup(user) ?? 'priv-noaccess');
  }
}
