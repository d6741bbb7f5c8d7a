/**
 * Cross-site request forgery rules (DESIGN section 5), as one pure decision
 * over the request's headers. Browsers attach cookies by themselves; the
 * rules make sure a cookie alone never authorises a change a foreign page
 * asked for.
 *
 * - Requests authenticated by X-Auth-Token or Basic: CSRF does not apply (a
 *   page cannot make a browser send those headers cross-origin without a
 *   CORS pre-flight, which only configured origins pass). One tightening:
 *   an unsafe Basic request from a browser page of a foreign origin that is
 *   not a configured CORS origin is refused, because a browser that once
 *   cached Basic credentials attaches them to cross-site form posts.
 * - Cookie-authenticated safe requests (GET, HEAD, OPTIONS; not websocket
 *   upgrades): pass.
 * - Cookie-authenticated unsafe requests and websocket upgrades pass with a
 *   matching X-XSRF-TOKEN header (upgrades: or the token as one of the
 *   offered subprotocols); or when same-origin (Origin's host and port equal
 *   Host's; the scheme is not compared); or when they carry neither Origin
 *   nor Sec-Fetch-Site (scripts with a cookie jar, not browsers). Else 403.
 */
import { safeEqual } from './tokens.js';

export interface CsrfInput {
  readonly method: string;
  readonly via: 'session-cookie' | 'token' | 'basic';
  /** True for a websocket upgrade request. */
  readonly upgrade: boolean;
  readonly origin?: string;
  readonly host?: string;
  readonly secFetchSite?: string;
  readonly xsrfHeader?: string;
  /** Sec-WebSocket-Protocol, as sent (comma-separated). */
  readonly webSocketProtocols?: string;
  /** The session's CSRF token (cookie sessions). */
  readonly csrfToken?: string;
  /** Configured CORS origins, exact `scheme://host[:port]`. */
  readonly corsOrigins: readonly string[];
}

export type CsrfVerdict =
  | { readonly pass: true; readonly reason: string; readonly acceptProtocol?: string }
  | { readonly pass: false; readonly reason: string };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfVerdict(input: CsrfInput): CsrfVerdict {
  const unsafe = input.upgrade || !SAFE_METHODS.has(input.method.toUpperCase());
  if (input.via === 'token') return { pass: true, reason: 'token' };
  if (input.via === 'basic') {
    const foreign = unsafe && input.origin !== undefined && !sameOrigin(input.origin, input.host)
      && !input.corsOrigins.includes(input.origin);
    return foreign ? { pass: false, reason: 'basic from a foreign origin' } : { pass: true, reason: 'basic' };
  }
  if (!unsafe) return { pass: true, reason: 'safe method' };
  const token = input.csrfToken;
  if (token !== undefined && input.xsrfHeader !== undefined && safeEqual(input.xsrfHeader, token)) {
    return { pass: true, reason: 'xsrf header' };
  }
  if (token !== undefined && input.upgrade && input.webSocketProtocols !== undefined) {
    const offered = input.webSocketProtocols.split(',').map((p) => p.trim());
    // Compare every entry, not just until a hit, so timing says nothing about the position.
    const hits = offered.filter((protocol) => safeEqual(protocol, token));
    if (hits[0] !== undefined) return { pass: true, reason: 'xsrf subprotocol', acceptProtocol: hits[0] };
  }
  if (input.origin !== undefined) {
    return sameOrigin(input.origin, input.host)
      ? { pass: true, reason: 'same origin' }
      : { pass: false, reason: 'cross-origin cookie request without X-XSRF-TOKEN' };
  }
  if (input.secFetchSite === undefined) return { pass: true, reason: 'no Origin, no Sec-Fetch-Site (script)' };
  return { pass: false, reason: 'browser request without Origin or X-XSRF-TOKEN' };
}

/**
 * Origin `https://bmc:8443` against Host `bmc:8443`. A port left out on
 * either side is the default port of the Origin's scheme (the Host of a
 * same-origin request leaves it out exactly when the Origin does).
 */
export function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || host === '') return false;
  try {
    const from = new URL(origin);
    if (from.protocol !== 'https:' && from.protocol !== 'http:') return false; // includes Origin: null
    const to = new URL(`${from.protocol}//${host}`);
    if (to.username || to.password || to.pathname !== '/' || to.search || to.hash) return false;
    return from.hostname.toLowerCase() === to.hostname.toLowerCase() && portOf(from) === portOf(to);
  } catch {
    return false;
  }
}

function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}
