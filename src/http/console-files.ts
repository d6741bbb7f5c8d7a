/**
 * The browser console's static files (console/, built by `npm run build`
 * into build/console/): read once from that one directory when the gateway
 * starts and served from memory, so a request can only ever name one of
 * those files (no path is joined, nothing can traverse), and a missing
 * build is a 404, not an error.
 *
 * The console's pages get their own Content-Security-Policy: scripts,
 * styles and connections (the REST API and the /subscribe websocket) from
 * this origin only, no inline script or style, no frames, no third party
 * (a BMC has no internet). Asset names carry a content hash (console/build.mjs),
 * so they are cached for good; index.html is revalidated every time.
 *
 * index.html names the XSRF cookie the page must echo (a meta element the
 * build writes with the default name): the gateway puts the configured name
 * there (--xsrf-cookie, --bmcweb-cookies), so the page looks the cookie up
 * by its exact name, never by a suffix (docs/CONSOLE.md).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { OWN_COOKIE_NAMES } from '../auth/cookies.js';
import type { GatewayMiddleware } from './state.js';

/** Where the build puts the console: build/console next to build/src. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

export const CONSOLE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
  + "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface ConsoleFile {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly type: string;
  readonly cacheControl: string;
}

/** A content hash in the name (`main-3F2A9B1C.js`): the file never changes under that name. */
const HASHED = /-[A-Z0-9]{8}\.[a-z]+$/;

/** The element console/build.mjs writes into index.html (cookie names are tokens, config.ts: only `&` needs escaping). */
export const XSRF_META = (name: string) => `<meta name="bmc-xsrf-cookie" content="${name.replaceAll('&', '&amp;')}">`;
const DEFAULT_XSRF_COOKIE = OWN_COOKIE_NAMES.xsrf;

export class ConsoleFiles {
  readonly #files = new Map<string, ConsoleFile>();

  /**
   * Reads the directory's regular files of known types (none when it does not exist: the console
   * is not built); `xsrfCookie` is the configured XSRF cookie name, written into index.html.
   */
  constructor(dir: string = CONSOLE_DIR, xsrfCookie: string = DEFAULT_XSRF_COOKIE) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const type = CONTENT_TYPES[extname(name)];
      const path = join(dir, name);
      if (type === undefined || !statSync(path).isFile()) continue;
      let body = readFileSync(path);
      if (name === 'index.html') body = Buffer.from(body.toString('utf8').replace(XSRF_META(DEFAULT_XSRF_COOKIE), XSRF_META(xsrfCookie)));
      this.#files.set(name, {
        body,
        gzip: gzipSync(body, { level: 9 }),
        type,
        cacheControl: HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
  }

  /** The file `/console/<name>` names (`/console/` is index.html); undefined for anything else. */
  file(name: string): ConsoleFile | undefined {
    return this.#files.get(name === '' ? 'index.html' : name);
  }

  /** Bytes of every file after gzip (the console's size budget, docs/CONSOLE.md). */
  get gzipBytes(): number {
    let total = 0;
    for (const file of this.#files.values()) total += file.gzip.length;
    return total;
  }
}

/**
 * `GET /` from a browser (its Accept prefers HTML over JSON) goes to the
 * console; JSON clients (Accept of any type, `application/json`, or none)
 * still get the root's children.
 */
export function consoleRedirect(): GatewayMiddleware {
  // Not async: it returns next()'s promise itself (one promise and frame less per request).
  return (ctx, next) => {
    if ((ctx.method === 'GET' || ctx.method === 'HEAD') && ctx.path === '/' && ctx.accepts('json', 'html') === 'html') {
      ctx.status = 302;
      ctx.set('Location', '/console/');
      ctx.body = '';
      return Promise.resolve();
    }
    return next();
  };
}
