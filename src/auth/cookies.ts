/**
 * The session cookies: their names, parsing the Cookie header and writing
 * Set-Cookie values. Pure.
 *
 * Names are matched exactly, never as substrings: bmcweb's substring search
 * once took a proxy's `CCFWSESSION=` for its own `SESSION=` cookie.
 *
 * Browsers keep cookies per host, not per port: a gateway on :8443 and
 * bmcweb on :443 of the same BMC share one cookie jar. With bmcweb's names,
 * logging in to one would overwrite the other's session cookie, so the
 * gateway uses names of its own unless told to stand in for bmcweb.
 */

export interface CookieNames {
  /**
   * The session token goes out under each of these names at login and is
   * taken from the first one a request carries (HttpOnly).
   */
  readonly session: readonly string[];
  /** The XSRF token's cookie, readable by the page's JavaScript, which echoes it in X-XSRF-TOKEN. */
  readonly xsrf: string;
}

/**
 * The default names. `__Host-`: a browser stores such a cookie only with
 * Secure, Path=/ and no Domain, so no other host, subdomain or plain-HTTP
 * page can set or shadow it.
 */
export const OWN_COOKIE_NAMES: CookieNames = Object.freeze({
  session: Object.freeze(['__Host-BMCGW-SESSION']),
  xsrf: '__Host-BMCGW-XSRF-TOKEN',
});

/**
 * bmcweb's names, and `SESSION`, its name before 2025: for a gateway that
 * replaces bmcweb's REST API, whose clients look for these.
 */
export const BMCWEB_COOKIE_NAMES: CookieNames = Object.freeze({
  session: Object.freeze(['BMCWEB-SESSION', 'SESSION']),
  xsrf: 'XSRF-TOKEN',
});

/** RFC 6265 cookie-name: an RFC 9110 token. */
const COOKIE_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function isCookieName(name: string): boolean {
  return name.length <= 64 && COOKIE_NAME.test(name);
}

/**
 * `a=1; b="2"` → Map {a → 1, b → 2}. The first occurrence of a name wins:
 * browsers send the cookie with the most specific Path first. Malformed
 * pairs are skipped rather than failing the request.
 */
export function parseCookies(header: string | readonly string[] | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  const text = typeof header === 'string' ? header : header.join('; ');
  for (const pair of text.split(';')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

/** The session token of a Cookie header: the first non-empty cookie of `names`, in their order. */
export function sessionToken(header: string | readonly string[] | undefined, names: CookieNames): string | undefined {
  const cookies = parseCookies(header);
  for (const name of names.session) {
    const value = cookies.get(name);
    if (value) return value;
  }
  return undefined;
}

/**
 * Set-Cookie values after a login. No Max-Age: browser-session cookies; the
 * server-side idle timeout is what ends a session. SameSite=Strict keeps the
 * browser from sending them on cross-site requests at all. Path=/, Secure
 * and no Domain on every cookie, as the `__Host-` prefix demands.
 */
export function sessionCookies(names: CookieNames, token: string, csrfToken: string): string[] {
  return [
    ...names.session.map((name) => `${name}=${token}; Path=/; Secure; HttpOnly; SameSite=Strict`),
    // Not HttpOnly on purpose: the web UI reads it to send X-XSRF-TOKEN.
    `${names.xsrf}=${csrfToken}; Path=/; Secure; SameSite=Strict`,
  ];
}

/** Set-Cookie values that make the browser drop the cookies (logout). */
export function clearedCookies(names: CookieNames): string[] {
  const expired = 'Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  return [
    ...names.session.map((name) => `${name}=; Path=/; Secure; HttpOnly; SameSite=Strict; ${expired}`),
    `${names.xsrf}=; Path=/; Secure; SameSite=Strict; ${expired}`,
  ];
}
