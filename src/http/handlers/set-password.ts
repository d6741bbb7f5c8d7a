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
 */
import type { Context } from 'koa';
import { type AuthGuard, clientAddress } from '../../auth/auth-guard.js';
import type { CredentialChecker } from '../../auth/credentials.js';
import { plausibleUser } from '../../auth/credentials.js';
import { userOfObject } from '../../auth/user-manager.js';
import { GatewayError } from '../../errors.js';
import { principalOf, writeCheckOf } from '../auth-middleware.js';
import { writeRecordOf } from '../audit-middleware.js';
import { readJsonBody } from '../body.js';
import type { BodyHandler } from '../dbus-routes.js';
import type { ObjectRoute } from '../url.js';

export const SET_PASSWORD_INTERFACE = 'xyz.openbmc_project.User.Password';
export const SET_PASSWORD = 'SetPassword';
const FORMAT = `Expecting request format { 'data': [<new password>] }: ${SET_PASSWORD} takes 1 argument (signature 's')`;

export interface SetPasswordDeps {
  readonly passwords: Pick<CredentialChecker, 'changePassword'>;
  readonly guard: Pick<AuthGuard, 'passwordChanged'>;
}

/** The user whose password the route changes, when it is `<user object>/action/SetPassword` (name as D-Bus names match). */
export function setPasswordTarget(route: ObjectRoute): string | undefined {
  if (route.kind !== 'action' || route.name?.toLowerCase() !== SET_PASSWORD.toLowerCase()) return undefined;
  const user = userOfObject(route.objectPath);
  return user !== undefined && plausibleUser(user) ? user : undefined;
}

export function setPasswordHandler(deps: SetPasswordDeps): BodyHandler {
  return async (_bmc, route, ctx) => {
    const user = setPasswordTarget(route);
    if (user === undefined) throw new GatewayError(404, `The specified method cannot be found: '${route.name ?? ''}'`);
    const password = newPassword(await readJsonBody(ctx));
    writeCheckOf(ctx)({ interfaceName: SET_PASSWORD_INTERFACE, member: SET_PASSWORD });
    writeRecordOf(ctx)({ interfaceName: SET_PASSWORD_INTERFACE, member: SET_PASSWORD, args: [{ name: 'password', value: password }] });
    await change(deps, user, password, ctx);
    const principal = principalOf(ctx);
    if (principal) deps.guard.passwordChanged(user, principal);
    return null;
  };
}

/** `{"data": ["<new password>"]}` → the password; 400 without repeating the body. */
function newPassword(body: unknown): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new GatewayError(400, FORMAT);
  const data = (body as { data?: unknown }).data;
  if (!Array.isArray(data) || data.length !== 1) throw new GatewayError(400, FORMAT);
  if (typeof data[0] !== 'string') throw new GatewayError(400, `${FORMAT}: argument 1 'password' must be a string`);
  return data[0];
}

async function change(deps: SetPasswordDeps, user: string, password: string, ctx: Context): Promise<void> {
  try {
    await deps.passwords.changePassword(user, password, clientAddress(ctx.req));
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError(503, 'Password changes are not available now', { cause: err });
  }
}
