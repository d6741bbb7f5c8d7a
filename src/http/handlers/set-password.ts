/**
 * `POST /xyz/openbmc_project/user/<name>/action/SetPassword {"data": ["<new password>"]}`:
 * openbmctool's and the old web UI's way to change a password. Current
 * phosphor-user-manager has no such D-Bus method (passwords never travel over
 * D-Bus; bmcweb changes them through PAM), so the gateway carries it out
 * itself: pam_chauthtok with the PAM backend, a new hash in the users file
 * with the users-file backend (auth/credentials.ts).
 *
 * It goes through the same checks as a D-Bus method call: the policy decides
 * as for the method `xyz.openbmc_project.User.Password.SetPassword` (the
 * interface the original user manager had) on the user's object, so every
 * user may change their own password and administrators anybody's; the audit
 * line records the call with its argument redacted. The password is never
 * logged and no error text repeats the body. Afterwards the account's other
 * sessions end and a restriction to changing the password is lifted
 * (AuthGuard.passwordChanged).
 *
 * Only accounts of the user manager: the target's object must exist with
 * `xyz.openbmc_project.User.Attributes` (as the mapper says; with either
 * password backend), otherwise 404 as for a missing object and nothing is
 * changed. The gateway changes passwords as root through PAM, so without
 * this check an administrator could set a password on any Unix account
 * (`daemon`, `sshd`); bmcweb likewise changes only AccountService accounts.
 * The policy decides first, so a caller who may not change the account
 * learns nothing about whether it exists.
 */
import { clientAddress } from '../../auth/auth-guard.js';
import { plausibleUser } from '../../auth/credentials.js';
import { USER_ATTRIBUTES_INTERFACE, userOfObject } from '../../auth/user-manager.js';
import { GatewayError, errors } from '../../errors.js';
import { readJsonBody } from '../body.js';
import { sendData } from '../respond.js';
import type { PathMatch } from '../url.js';
import type { WriteHandler } from './services.js';

export const SET_PASSWORD_INTERFACE = 'xyz.openbmc_project.User.Password';
export const SET_PASSWORD = 'SetPassword';
const FORMAT = `Expecting request format { 'data': [<new password>] }: ${SET_PASSWORD} takes 1 argument (signature 's')`;

/** The user whose password the route changes, when it is `<user object>/action/SetPassword` (name as D-Bus names match). */
export function setPasswordTarget(match: PathMatch): string | undefined {
  if (match.objectPath === undefined || match.name?.toLowerCase() !== SET_PASSWORD.toLowerCase()) return undefined;
  const user = userOfObject(match.objectPath);
  return user !== undefined && plausibleUser(user) ? user : undefined;
}

export const setPassword: WriteHandler = async (ctx, route, { bmc, guard, passwords, body }, access) => {
  const user = setPasswordTarget(route);
  if (user === undefined) throw errors.methodNotFound(route.name ?? '');
  const password = newPassword(await readJsonBody(ctx, body));
  access.check({ interfaceName: SET_PASSWORD_INTERFACE, member: SET_PASSWORD });
  if (!(await bmc.hasInterface(route.objectPath!, USER_ATTRIBUTES_INTERFACE))) throw errors.objectNotFound(route.objectPath!);
  access.record({ interfaceName: SET_PASSWORD_INTERFACE, member: SET_PASSWORD, args: [{ name: 'password', value: password }] });
  try {
    await passwords.changePassword(user, password, clientAddress(ctx.req));
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError(503, 'Password changes are not available now', { cause: err });
  }
  const principal = ctx.state.principal;
  if (principal) guard.passwordChanged(user, principal);
  sendData(ctx, null);
};

/** `{"data": ["<new password>"]}` → the password; 400 without repeating the body. */
function newPassword(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new GatewayError(400, FORMAT);
  const data = (body as { data?: unknown }).data;
  if (!Array.isArray(data) || data.length !== 1) throw new GatewayError(400, FORMAT);
  if (typeof data[0] !== 'string') throw new GatewayError(400, `${FORMAT}: argument 1 'password' must be a string`);
  return data[0];
}
