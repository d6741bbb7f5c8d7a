/**
 * The two session cookies: parsing the Cookie header and writing Set-Cookie
 * values. Pure.
 *
 * Names are matched exactly, never as substrings: bmcweb's substring search
 * once took a proxy's `CCFWSESSION=` for its own `SESSION=` cookie.
 */

/** HttpOnly session cookie; its value is the session token. */
export const SESSION_COOKIE = 'BMCWEB-SESSION';
/** Readable by the page's JavaScript, which echoes it in X-XSRF-TOKEN. */
export const XSRF_COOKIE = 'XSRF-TOKEN';

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

/**
 * Set-Cookie values after a login. No Max-Age: browser-session cookies; the
 * server-side idle timeout is what ends a session. SameSite=Strict keeps the
 * browser from sending them on cross-site requests at all.
 */
export function sessionCookies(token: string, csrfToken: string): string[] {
  return [
    `${SESSION_COOKIE}=${token}; Path=/; Secure; HttpOnly; SameSite=Strict`,
    // Not HttpOnly on purpose: the web UI reads it to send X-XSRF-TOKEN.
    `${XSRF_COOKIE}=${csrfToken}; Path=/; Secure; SameSite=Strict`,
  ];
}

/** Set-Cookie values that make the browser drop both cookies (logout). */
export function clearedCookies(): string[] {
  const expired = 'Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT';
  return [
    `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; ${expired}`,
    `${XSRF_COOKIE}=; Path=/; Secure; SameSite=Strict; ${expired}`,
  ];
}
