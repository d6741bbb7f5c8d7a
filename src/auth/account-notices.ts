/**
 * What the gateway tells a client about its account, in one place: the
 * login answer's `extendedMessage` (where openbmctool looks, as bmcweb puts
 * "The password for this account must be changed." there), the 403 of a
 * principal that may only configure itself, and the 401s of a missing
 * one-time code and a locked account. None of them says whether a password
 * was right, except to the holder of a right one.
 */
import { GatewayError } from '../errors.js';
import type { Principal, SelfOnlyReason } from './guard.js';
import { USER_MANAGER_PATH } from './user-manager.js';


/** Why the account may only configure itself, and the one thing it can do about it. */
export function selfOnlyNotice(reason: SelfOnlyReason, user: string): string {
  const object = `${USER_MANAGER_PATH}/${user}`;
  if (reason === 'password-change-required') {
    return `The password for this account must be changed. POST {"data": ["<new password>"]} to ${object}/action/SetPassword; `
      + 'nothing else is allowed until then.';
  }
  return 'A one-time code secret key must be set up for this account. POST {"data": []} to '
    + `${object}/action/CreateSecretKey, add the key to an authenticator app, then POST {"data": ["<code>"]} to `
    + `${object}/action/VerifyOTP; nothing else is allowed until then.`;
}

/** 403: the policy refused. A principal that may only configure itself is told what it must do first. */
export function forbiddenFor(principal: Pick<Principal, 'user' | 'role' | 'selfOnly'>): GatewayError {
  if (principal.selfOnly !== undefined && principal.role !== 'priv-noaccess') {
    return new GatewayError(403, selfOnlyNotice(principal.selfOnly, principal.user));
  }
  return new GatewayError(403, 'Insufficient privileges');
}

export const CODE_REQUIRED_LOGIN = 'A one-time code is required for this account: send it with the password, '
  + 'as "token" in {"username", "password", "token"} or as the third element of {"data": [user, password, code]}';

export const CODE_REQUIRED_BASIC = 'A one-time code is required for this account, and HTTP Basic authentication cannot carry one: '
  + 'log in with POST /login and {"username", "password", "token"}, then send the session token (X-Auth-Token)';

export const ACCOUNT_LOCKED = 'The account is locked after too many failed login attempts: '
  + 'wait for it to unlock, or ask an administrator to unlock it (UserLockedForFailedAttempt false)';
