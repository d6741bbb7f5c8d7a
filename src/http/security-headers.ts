/**
 * Headers on every response (errors included, as they are set before the
 * routes run and the error middleware keeps them), and CORS for configured
 * origins only. The original server reflected any Origin with credentials,
 * which let every web page on the network drive the BMC through a logged-in
 * browser; here an origin not in --cors-origins gets no CORS headers at all,
 * so the browser withholds the response from the page.
 */
import type { Middleware } from 'koa';

/** A JSON API: nothing may be framed, sniffed, cached, embedded or sent as referrer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), payment=(), interest-cohort=()',
  'X-Permitted-Cross-Domain-Policies': 'none',
};

const CORS_METHODS = 'GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS';
const CORS_REQUEST_HEADERS = 'Content-Type, X-Auth-Token, X-XSRF-TOKEN, Authorization';

/** The same, as entries: set on every response, so done without Koa's per-call normalising copies. */
const SECURITY_ENTRIES: ReadonlyArray<readonly [string, string]> = Object.entries(SECURITY_HEADERS);

export function securityHeaders(corsOrigins: readonly string[]): Middleware {
  const allowed = new Set(corsOrigins);
  // Not async: it returns next()'s promise itself (one promise and frame less per request).
  return (ctx, next) => {
    for (const [name, value] of SECURITY_ENTRIES) ctx.res.setHeader(name, value);
    // The answer depends on Origin whenever CORS is configured: caches must key on it.
    if (allowed.size > 0) ctx.vary('Origin');
    const origin = ctx.get('Origin');
    if (origin !== '' && allowed.has(origin)) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
      ctx.set('Access-Control-Expose-Headers', 'Retry-After, Allow');
      // A pre-flight carries no credentials; it is answered here, before authentication.
      if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method') !== '') {
        ctx.set('Access-Control-Allow-Methods', CORS_METHODS);
        ctx.set('Access-Control-Allow-Headers', CORS_REQUEST_HEADERS);
        ctx.set('Access-Control-Max-Age', '600');
        ctx.status = 204;
        ctx.body = null;
        return Promise.resolve();
      }
    }
    return next();
  };
}
