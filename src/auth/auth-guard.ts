/**
 * The RequestGuard: who is asking (session cookie, X-Auth-Token or Basic),
 * may they (CSRF rules, then the policy), and logins and logouts. Works on a
 * bare IncomingMessage, so the websocket upgrade and the Koa routes share it.
 *
 * Order matters and is the point of this class: credentials and CSRF are
 * checked without any D-Bus traffic; only an authenticated request costs a
 * role lookup, and only an authorised one reaches the D-Bus routes.
 *
 * Authorisation follows the account while connections are open: the
 * guard's AccountWatch (account-watch.ts) ends sessions and revokes what was
 * registered with `watchAccount` (websockets) when an account changes.
 *
 * Accounts as the BMC manages them: an expired password (PAM's
 * PAM_NEW_AUTHTOK_REQD, or the user manager's UserPasswordExpired) and a
 * one-time code secret still to set up (TOTPSecretkeyRequired) let the user
 * in restricted to configuring itself (Principal.selfOnly, the policy's
 * `configureSelf` rules), as bmcweb's ConfigureSelf-only sessions; a login
 * may carry a one-time code; a locked account is refused saying so.
 */
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import basicAuth from 'basic-auth';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { ACCOUNT_LOCKED, CODE_REQUIRED_BASIC, CODE_REQUIRED_LOGIN, forbiddenFor, selfOnlyNotice } from './account-notices.js';
import { type CookieNames, sessionToken } from './cookies.js';
import { type CheckResult, type CredentialChecker, MAX_USER_LENGTH, ONE_TIME_CODE, plausiblePassword, plausibleUser } from './credentials.js';
import { AccountWatch } from './account-watch.js';
import { CheckQueue, QueueFull } from './check-queue.js';
import { type CsrfInput, csrfVerdict } from './csrf.js';
import type { GuardedAction, Principal, RequestGuard } from './guard.js';
import { type Decision, type Policy, decide } from './policy.js';
import type { LoginThrottle } from './rate-limit.js';
import { type Account, type RoleSource, selfOnlyOf } from './roles.js';
import type { Session, SessionStore } from './sessions.js';
import { userOfObject } from './user-manager.js';

/** What a login presents (`POST /login` bodies, HTTP Basic). */
export interface LoginRequest {
  readonly user: string;
  readonly password: string;
  /** A one-time code: bmcweb's `token`, or the third element of `{"data": [user, password, code]}`. */
  readonly code?: string;
}

export interface AuthGuardDeps {
  readonly sessions: SessionStore;
  readonly credentials: CredentialChecker;
  readonly roles: RoleSource;
  readonly throttle: LoginThrottle;
  readonly policy: Policy;
  readonly corsOrigins: readonly string[];
  readonly cookieNames: CookieNames;
  readonly log: Logger;
  /** Password checks that may wait for a slot (default 256); more: 503. */
  readonly maxWaitingChecks?: number;
}

/** Password checks at once: each may hold a libuv thread for PAM's 2-4 s fail delay. */
const CONCURRENT_CHECKS = 2;

export class AuthGuard implements RequestGuard {
  readonly #deps: AuthGuardDeps;
  readonly #checks: CheckQueue;
  readonly #accounts: AccountWatch;

  constructor(deps: AuthGuardDeps) {
    this.#deps = deps;
    this.#checks = new CheckQueue(CONCURRENT_CHECKS, deps.maxWaitingChecks ?? 256);
    this.#accounts = new AccountWatch({
      roles: deps.roles, sessions: deps.sessions, log: deps.log, decide: (principal, action) => this.decide(principal, action),
    });
  }

  /** Stops following account changes (shutdown). */
  close(): void {
    this.#accounts.close();
  }

  watchAccount(principal: Principal, action: GuardedAction, revoke: (reason: string) => void): () => void {
    return this.#accounts.watch(principal, action, revoke);
  }

  /** The names the session routes set and clear the cookies under. */
  get cookieNames(): CookieNames {
    return this.#deps.cookieNames;
  }

  /** The seam for websocket upgrades and other non-Koa callers: authenticate, then the policy. */
  async check(req: IncomingMessage, action: GuardedAction): Promise<Principal> {
    const principal = await this.authenticate(req);
    // 'pending' needs an interface/member hook, which only the D-Bus write routes have.
    if (this.decide(principal, action) !== 'allow') throw forbiddenFor(principal);
    return principal;
  }

  onSessionEnd(sessionToken: string, listener: () => void): () => void {
    return this.#deps.sessions.onEnd(sessionToken, listener);
  }

  useSession(sessionToken: string): void {
    this.#deps.sessions.lookup(sessionToken);
  }

  /**
   * May `principal` do `action` (verb, path, and for D-Bus routes the object
   * path, interface and member)? The one policy query: the guard, the
   * per-target write check, account watches and listings that show what a
   * user may do all ask it. `pending` only when the action names no
   * interface or member yet and a rule depends on them.
   */
  decide(principal: Principal, action: GuardedAction): Decision {
    return decide(this.#deps.policy, principal, action);
  }

  /** Throws 401 (no or bad credentials), 403 (CSRF), 429 (throttled); resolves with the principal. */
  async authenticate(req: IncomingMessage): Promise<Principal> {
    const { token, basic, cookie } = credentialsOf(req, this.#deps.cookieNames);
    let user: string;
    let via: Principal['via'];
    let session: Session | undefined;
    let passwordExpired = false;
    if (token !== undefined) {
      // A client that sends X-Auth-Token is a token client, whatever cookies it also sends.
      session = this.#deps.sessions.lookup(token);
      if (!session) throw loginRequired(req);
      ({ user } = session);
      via = 'token';
    } else if (basic !== undefined) {
      // As bmcweb: an expired password over Basic is a request that may only change it.
      const result = await this.#checkPassword({ user: basic.name, password: basic.pass }, clientAddress(req), 'basic',
        () => loginRequired(req, 'Invalid username or password'), req);
      passwordExpired = result === 'password-expired';
      user = basic.name;
      via = 'basic';
    } else {
      session = cookie === undefined ? undefined : this.#deps.sessions.lookup(cookie);
      if (!session) throw loginRequired(req);
      ({ user } = session);
      via = 'session-cookie';
    }
    const verdict = this.#csrf(req, via, session);
    if (!verdict.pass) throw new CrossSiteRefusal(verdict.reason, user);
    const account = await this.#deps.roles.account(user);
    if (session) session.role = account.role;
    const selfOnly = selfOnlyOf(account, passwordExpired || session?.passwordChangeRequired === true);
    // Built field by field (no spread objects: this runs on every request).
    const principal: Mutable<Principal> = { user, role: account.role, via };
    if (verdict.acceptProtocol !== undefined) principal.acceptProtocol = verdict.acceptProtocol;
    if (session) principal.sessionToken = session.token;
    if (selfOnly !== undefined) principal.selfOnly = selfOnly;
    return principal;
  }

  /**
   * `POST /login`: a new session, or 401/429. `notice` is what the account must do first (an
   * expired password, a secret key to set up), for the answer's `extendedMessage`. With `req`,
   * a check still waiting when its client closes the connection is dropped (#checkPassword).
   */
  async login(attempt: LoginRequest, address: string, req?: IncomingMessage): Promise<{ session: Session; notice?: string }> {
    const result = await this.#checkPassword(attempt, address, 'login', () => new GatewayError(401, 'Invalid username or password'), req);
    const session = this.#deps.sessions.create(attempt.user, { passwordChangeRequired: result === 'password-expired' });
    let account: Account | undefined;
    try {
      account = await this.#deps.roles.account(attempt.user);
    } catch {
      // The user manager is away: the first request will say so (503); the login itself stands.
    }
    const selfOnly = selfOnlyOf(account, session.passwordChangeRequired);
    return { session, ...(selfOnly !== undefined ? { notice: selfOnlyNotice(selfOnly, attempt.user) } : {}) };
  }

  /**
   * A write or call on `objectPath` succeeded: when it is a user object (an unlock, a one-time code
   * secret set up), the user manager's computed account state changed without a signal.
   */
  userObjectWritten(objectPath: string): void {
    const user = userOfObject(objectPath);
    if (user !== undefined) this.#deps.roles.refresh(user);
  }

  /**
   * A password was changed through the gateway (SetPassword): the account's other sessions end
   * (they were opened with the old password, as bmcweb ends them), so do its websockets opened
   * with HTTP Basic; the session that changed its own password keeps going, no longer restricted.
   */
  passwordChanged(user: string, changedBy: Principal): void {
    const keep = changedBy.user === user ? changedBy.sessionToken : undefined;
    for (const session of this.#deps.sessions.sessionsOf(user)) {
      if (session.token === keep) session.passwordChangeRequired = false;
      else this.#deps.sessions.end(session.token, 'password-changed');
    }
    this.#accounts.revokeBasic(user, 'password changed');
    this.#deps.roles.refresh(user);
  }

  /**
   * `POST /logout`: ends the session the request names (token or cookie; a
   * cookie logout obeys the CSRF rules). Resolves with its user, or
   * undefined when the request names no live session.
   */
  logout(req: IncomingMessage): string | undefined {
    const { token, cookie } = credentialsOf(req, this.#deps.cookieNames);
    const session = this.#deps.sessions.lookup(token ?? cookie ?? '');
    if (!session) return undefined;
    const verdict = this.#csrf(req, token !== undefined ? 'token' : 'session-cookie', session);
    if (!verdict.pass) throw new CrossSiteRefusal(verdict.reason, session.user);
    this.#deps.sessions.remove(session.token);
    return session.user;
  }

  #csrf(req: IncomingMessage, via: Principal['via'], session: Session | undefined): ReturnType<typeof csrfVerdict> {
    const headers = req.headers;
    // The optional fields only when present, set one by one (no spread objects: this runs on every request).
    const input: Mutable<CsrfInput> = {
      method: req.method ?? 'GET',
      via,
      upgrade: (single(headers.upgrade) ?? '').toLowerCase() === 'websocket',
      corsOrigins: this.#deps.corsOrigins,
    };
    const origin = single(headers.origin);
    if (origin !== undefined) input.origin = origin;
    const host = single(headers.host);
    if (host !== undefined) input.host = host;
    const secFetchSite = single(headers['sec-fetch-site']);
    if (secFetchSite !== undefined) input.secFetchSite = secFetchSite;
    const xsrfHeader = single(headers['x-xsrf-token']);
    if (xsrfHeader !== undefined) input.xsrfHeader = xsrfHeader;
    const webSocketProtocols = single(headers['sec-websocket-protocol']);
    if (webSocketProtocols !== undefined) input.webSocketProtocols = webSocketProtocols;
    if (session?.csrfToken !== undefined) input.csrfToken = session.csrfToken;
    return csrfVerdict(input);
  }

  /**
   * The password check, throttled (rate-limit.ts): a refused address is 429 at once and again
   * when its turn comes; a user with recent failures waits before the check (a timer, holding no
   * slot); the check itself waits for a slot in the queue. Resolves with 'ok' or
   * 'password-expired'; throws `fail()` for a wrong password (a failure for the throttle), 401
   * saying so for a missing code or a locked account (not failures: they are the answer whatever
   * the password), 503 when the backend is broken or too many checks wait (or a better one took
   * this one's place in the full queue). A check whose client closes the connection while it
   * waits (its delay, its turn) leaves the queue without running and counts for nothing.
   */
  async #checkPassword(attempt: LoginRequest, address: string, via: 'login' | 'basic', fail: () => GatewayError,
    req: IncomingMessage | undefined): Promise<'ok' | 'password-expired'> {
    const connection = whileConnected(req);
    try {
      return await this.#checkConnected(attempt, address, via, fail, connection.signal);
    } catch (err) {
      if (connection.signal.aborted) throw new GatewayError(503, CLIENT_GONE, { cause: err });
      throw err;
    } finally {
      connection.release();
    }
  }

  async #checkConnected(attempt: LoginRequest, address: string, via: 'login' | 'basic', fail: () => GatewayError,
    signal: AbortSignal): Promise<'ok' | 'password-expired'> {
    const { user, password, code } = attempt;
    const throttle = this.#deps.throttle;
    const key = user.length <= MAX_USER_LENGTH ? user : user.slice(0, MAX_USER_LENGTH);
    refuseThrottled(throttle.addressRetryAfterSeconds(address));
    if (!plausibleUser(user) || !plausiblePassword(password) || (code !== undefined && !ONE_TIME_CODE.test(code))) {
      throttle.failed(key, address);
      throw fail();
    }
    const delayMs = throttle.userDelayMs(key);
    if (delayMs > 0) await sleep(delayMs, undefined, { signal });
    let result: CheckResult;
    try {
      result = await this.#checks.run(() => throttle.addressFailures(address), () => {
        // The address may have failed enough while this check waited.
        refuseThrottled(throttle.addressRetryAfterSeconds(address));
        return this.#deps.credentials.verify({ user, password, remoteAddress: address, ...(code !== undefined ? { code } : {}) });
      }, signal);
    } catch (err) {
      if (err instanceof GatewayError || signal.aborted) throw err;
      if (err instanceof QueueFull) {
        throw new GatewayError(503, 'Too many logins in progress; try again later', { headers: { 'Retry-After': '5' } });
      }
      this.#deps.log.error(`password check failed: ${err instanceof Error ? err.message : String(err)}`);
      throw new GatewayError(503, 'Password checks are not available now', { cause: err });
    }
    if (result === 'ok' || result === 'password-expired') return result;
    const refusal = fail();
    // A missing code and a locked account are the answer whatever the password: no guess was
    // proven wrong, so they count against nobody (PAM's own lock does the locking).
    if (result === 'code-required') {
      throw new GatewayError(401, via === 'basic' ? CODE_REQUIRED_BASIC : CODE_REQUIRED_LOGIN, { headers: refusal.headers });
    }
    if (result === 'locked') throw new GatewayError(401, ACCOUNT_LOCKED, { headers: refusal.headers });
    throttle.failed(key, address);
    if (await this.#lockedNow(user)) throw new GatewayError(401, ACCOUNT_LOCKED, { headers: refusal.headers });
    throw refusal;
  }

  /**
   * Whether the user manager says the account is locked now (pam_faillock locked it: the
   * gateway's own throttle never does). Asked only after a refusal, fresh: the lock state is
   * never signalled. Any lookup failure: not known to be locked.
   */
  async #lockedNow(user: string): Promise<boolean> {
    try {
      return (await this.#deps.roles.account(user, { fresh: true })).locked === true;
    } catch {
      return false;
    }
  }
}

/** Nobody reads it: the client left while its password check waited. */
const CLIENT_GONE = 'The client closed the connection before its password was checked';

/**
 * A signal that aborts when the request's connection closes (the client left), until
 * `release`; never aborts without a request. Listens on the socket, which a keep-alive
 * connection shares between requests, hence the release.
 */
function whileConnected(req: IncomingMessage | undefined): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  if (req === undefined) return { signal: controller.signal, release: () => {} };
  const socket = req.socket as IncomingMessage['socket'] | null;
  const gone = () => controller.abort(new Error('the client closed the connection'));
  if (!socket || socket.destroyed) {
    gone();
    return { signal: controller.signal, release: () => {} };
  }
  socket.once('close', gone);
  return { signal: controller.signal, release: () => socket.off('close', gone) };
}

function refuseThrottled(retryAfterSeconds: number): void {
  if (retryAfterSeconds <= 0) return;
  throw new GatewayError(429, 'Too many failed login attempts from this address; try again later',
    { headers: { 'Retry-After': String(retryAfterSeconds) } });
}

/**
 * 403 for a request with a valid session that failed the CSRF rules. It
 * names the session's user for the audit line (who was being ridden), never
 * for the client.
 */
export class CrossSiteRefusal extends GatewayError {
  constructor(reason: string, readonly user: string) {
    super(403, `Cross-site request refused: ${reason}`);
  }
}

/**
 * 401 "Login required". Non-browser clients also get the Basic challenge
 * (RFC 9110); browsers do not, so that a script's 401 never pops up a
 * password dialog whose credentials the browser would then cache and attach
 * to cross-site requests.
 */
function loginRequired(req: IncomingMessage, description = 'Login required'): GatewayError {
  const h = req.headers;
  const browser = h.origin !== undefined || h['sec-fetch-mode'] !== undefined || h['x-requested-with'] !== undefined;
  return new GatewayError(401, description,
    browser ? {} : { headers: { 'WWW-Authenticate': 'Basic realm="OpenBMC", charset="UTF-8"' } });
}

/** The peer's address, IPv4-mapped IPv6 written as IPv4 (one client, one rate-limit record). */
export function clientAddress(req: IncomingMessage): string {
  // `socket` is gone once a request was destroyed (an aborted upload); the audit line still needs a value.
  const address = (req.socket as IncomingMessage['socket'] | null)?.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}

/** At most one of them: the first of X-Auth-Token, Basic, session cookie that the request carries. */
interface RequestCredentials {
  readonly token?: string;
  readonly basic?: basicAuth.BasicAuthResult;
  readonly cookie?: string;
}

/**
 * The credentials a request carries. An empty one counts as absent, as in
 * bmcweb: some clients send `X-Auth-Token:` with nothing after it on every
 * request (when they found no cookie name they know) next to a valid
 * session cookie, and `-u :` style Basic credentials mean "none".
 */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function credentialsOf(req: IncomingMessage, cookieNames: CookieNames): RequestCredentials {
  const headers = req.headers;
  const token = single(headers['x-auth-token']);
  if (token) return { token };
  const basic = basicAuth.parse(single(headers.authorization) ?? '');
  if (basic && (basic.name !== '' || basic.pass !== '')) return { basic };
  const cookie = sessionToken(headers.cookie, cookieNames);
  return cookie ? { cookie } : {};
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
