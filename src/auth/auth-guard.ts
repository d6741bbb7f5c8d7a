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
 */
import type { IncomingMessage } from 'node:http';
import basicAuth from 'basic-auth';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { type CookieNames, sessionToken } from './cookies.js';
import { type CredentialChecker, MAX_USER_LENGTH, plausiblePassword, plausibleUser } from './credentials.js';
import { AccountWatch } from './account-watch.js';
import { CheckQueue, QueueFull } from './check-queue.js';
import { csrfVerdict } from './csrf.js';
import type { GuardedAction, Principal, RequestGuard } from './guard.js';
import { type Decision, type Policy, decide } from './policy.js';
import type { LoginThrottle } from './rate-limit.js';
import type { RoleSource } from './roles.js';
import type { Session, SessionStore } from './sessions.js';

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
    if (this.decide(principal, action) !== 'allow') throw forbidden();
    return principal;
  }

  onSessionEnd(sessionToken: string, listener: () => void): () => void {
    return this.#deps.sessions.onEnd(sessionToken, listener);
  }

  useSession(sessionToken: string): void {
    this.#deps.sessions.lookup(sessionToken);
  }

  decide(principal: Principal, action: GuardedAction): Decision {
    return decide(this.#deps.policy, principal.role, action);
  }

  /** Throws 401 (no or bad credentials), 403 (CSRF), 429 (throttled); resolves with the principal. */
  async authenticate(req: IncomingMessage): Promise<Principal> {
    const { token, basic, cookie } = credentialsOf(req, this.#deps.cookieNames);
    let user: string;
    let via: Principal['via'];
    let session: Session | undefined;
    if (token !== undefined) {
      // A client that sends X-Auth-Token is a token client, whatever cookies it also sends.
      session = this.#deps.sessions.lookup(token);
      if (!session) throw loginRequired(req);
      ({ user } = session);
      via = 'token';
    } else if (basic !== undefined) {
      await this.#checkPassword(basic.name, basic.pass, clientAddress(req), () => loginRequired(req, 'Invalid username or password'));
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
    const { role } = await this.#deps.roles.account(user);
    if (session) session.role = role;
    return {
      user, role, via,
      ...(verdict.acceptProtocol !== undefined ? { acceptProtocol: verdict.acceptProtocol } : {}),
      ...(session ? { sessionToken: session.token } : {}),
    };
  }

  /** `POST /login`: a new session, or 401/429. */
  async login(user: string, password: string, address: string): Promise<Session> {
    await this.#checkPassword(user, password, address, () => new GatewayError(401, 'Invalid username or password'));
    return this.#deps.sessions.create(user);
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
    const optional = (name: string, value: string | undefined) => (value === undefined ? {} : { [name]: value });
    return csrfVerdict({
      method: req.method ?? 'GET',
      via,
      upgrade: (single(headers.upgrade) ?? '').toLowerCase() === 'websocket',
      corsOrigins: this.#deps.corsOrigins,
      ...optional('origin', single(headers.origin)),
      ...optional('host', single(headers.host)),
      ...optional('secFetchSite', single(headers['sec-fetch-site'])),
      ...optional('xsrfHeader', single(headers['x-xsrf-token'])),
      ...optional('webSocketProtocols', single(headers['sec-websocket-protocol'])),
      ...optional('csrfToken', session?.csrfToken),
    });
  }

  /**
   * The password check, throttled (rate-limit.ts): a refused address is 429 at once and again
   * when its turn comes; a user with recent failures waits before the check (a timer, holding no
   * slot); the check itself waits for a slot in the queue. Throws `fail()` when the password is
   * wrong, 503 when the backend is broken or too many checks wait.
   */
  async #checkPassword(user: string, password: string, address: string, fail: () => GatewayError): Promise<void> {
    const throttle = this.#deps.throttle;
    const key = user.length <= MAX_USER_LENGTH ? user : user.slice(0, MAX_USER_LENGTH);
    refuseThrottled(throttle.addressRetryAfterSeconds(address));
    if (!plausibleUser(user) || !plausiblePassword(password)) {
      throttle.failed(key, address);
      throw fail();
    }
    const delayMs = throttle.userDelayMs(key);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    let ok: boolean;
    try {
      ok = await this.#checks.run(() => throttle.addressFailures(address), () => {
        // The address may have failed enough while this check waited.
        refuseThrottled(throttle.addressRetryAfterSeconds(address));
        return this.#deps.credentials.verify(user, password, address);
      });
    } catch (err) {
      if (err instanceof GatewayError) throw err;
      if (err instanceof QueueFull) {
        throw new GatewayError(503, 'Too many logins in progress; try again later', { headers: { 'Retry-After': '5' } });
      }
      this.#deps.log.error(`password check failed: ${err instanceof Error ? err.message : String(err)}`);
      throw new GatewayError(503, 'Password checks are not available now', { cause: err });
    }
    if (!ok) {
      throttle.failed(key, address);
      throw fail();
    }
  }
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

export function forbidden(): GatewayError {
  return new GatewayError(403, 'Insufficient privileges');
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
