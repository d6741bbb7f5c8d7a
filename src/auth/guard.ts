/**
 * The seam between the transports (HTTP routes, websocket upgrades, uploads)
 * and authentication/authorisation. Every request passes a RequestGuard
 * BEFORE any D-Bus traffic is made on its behalf.
 */
import type { IncomingMessage } from 'node:http';

/** OpenBMC's privilege roles (xyz.openbmc_project.User.Manager AllPrivileges). */
export type Role = 'priv-admin' | 'priv-operator' | 'priv-user' | 'priv-noaccess';

/**
 * Why a principal may only configure itself (bmcweb's "ConfigureSelf-only"
 * session): its password has expired and must be changed, or one-time codes
 * are on and its secret key must be set up first.
 */
export type SelfOnlyReason = 'password-change-required' | 'secret-key-required';

export interface Principal {
  readonly user: string;
  readonly role: Role;
  /** How the request proved who it is. */
  readonly via: 'session-cookie' | 'token' | 'basic';
  /**
   * Websocket upgrades only: the offered subprotocol that carried the XSRF
   * token. The server must select it in its 101 answer (browsers close a
   * socket whose server picked none of the offered protocols).
   */
  readonly acceptProtocol?: string;
  /**
   * The session token, when the request came with one (cookie or
   * X-Auth-Token): a websocket lives only as long as its session.
   */
  readonly sessionToken?: string;
  /** Set when the principal may do nothing but configure itself (policy rules marked `configureSelf`). */
  readonly selfOnly?: SelfOnlyReason;
}

/**
 * The kinds of route (the `kind` of each row of http/routes.ts, which is
 * typed against this list): what a policy rule's `route` field may name.
 */
export const ROUTE_KINDS = [
  'redfish', 'login', 'logout', 'upload', 'upload-named', 'dump', 'subscribe', 'jobs', 'job', 'version', 'resources',
  'console', 'actions', 'attributes', 'children', 'list', 'enumerate', 'set-password', 'action', 'attr', 'schema', 'object',
] as const;
export type RouteKind = typeof ROUTE_KINDS[number];

/** What a request wants to do, in the policy's vocabulary. */
export interface GuardedAction {
  /** HTTP verb (`GET` for a websocket upgrade). */
  readonly method: string;
  /**
   * The kind of route the request was parsed as (`job`, `object`...): the
   * request path of a fixed route and the object path of a D-Bus route share
   * one namespace (`DELETE /jobs%2Ffoo` is the object `/jobs/foo`), so a rule
   * meant for one kind of route names it.
   */
  readonly route: RouteKind;
  /** The normalised request path. */
  readonly path: string;
  /** For D-Bus routes: the object path, and the interface/member when known. */
  readonly objectPath?: string;
  readonly interfaceName?: string;
  readonly member?: string;
}

export interface RequestGuard {
  /**
   * Authenticates the request and checks the policy for `action`.
   * Throws GatewayError 401 ("Login required") or 403 ("Insufficient
   * privileges"); resolves with who is asking.
   */
  check(req: IncomingMessage, action: GuardedAction): Promise<Principal>;
  /** Calls `listener` once when the session ends (logout, idle, eviction); returns the cancel. */
  onSessionEnd(sessionToken: string, listener: () => void): () => void;
  /**
   * Marks the session as in use now, as a request would (an open websocket
   * that answers pings is a client still there). A session that has idled
   * out meanwhile ends now, which its onSessionEnd listeners hear.
   */
  useSession(sessionToken: string): void;
  /**
   * Follows the account of `principal` while something stays open on its behalf (a websocket):
   * when the account loses access, its privileges drop below the principal's, or `action` is no
   * longer allowed, `revoke` is called once with a reason. Returns the function that stops it.
   */
  watchAccount(principal: Principal, action: GuardedAction, revoke: (reason: string) => void): () => void;
}
