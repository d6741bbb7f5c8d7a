/**
 * The routes that are not D-Bus object paths, in one table with their verbs
 * (bmcweb keeps routes and their rules in one greppable list; so do we).
 * A path in this table never falls through to the D-Bus routes: a verb it
 * lacks is a 405 with `Allow`.
 */
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Config } from '../config.js';
import { GatewayError } from '../errors.js';
import { sendDump } from './download.js';
import type { ImageUploader } from './upload.js';

interface FixedRoute {
  readonly path: string;
  readonly methods: Readonly<Record<string, (ctx: Context) => Promise<void>>>;
}

export function fixedRoutes(config: Config, uploader: ImageUploader): Middleware {
  const table: FixedRoute[] = [
    // PUT needs a name: `PUT /upload/image/` (or without the slash) is the empty name, a 400.
    { path: '/upload/image', methods: { POST: (ctx) => uploader.handle(ctx, undefined), PUT: (ctx) => uploader.handle(ctx, '') } },
    { path: '/upload/image/:name', methods: { PUT: (ctx) => uploader.handle(ctx, param(ctx, 'name')) } },
    { path: '/download/dump/:id', methods: { GET: (ctx) => sendDump(ctx, config.dumpDir, param(ctx, 'id')) } },
    // The websocket itself is served by the server's 'upgrade' listener (ws/service.ts); a plain GET gets phosphor's 400.
    { path: '/subscribe', methods: { GET: async () => { throw new GatewayError(400, 'Expected WebSocket request.'); } } },
  ];
  const router = new Router();
  // Every other request (almost all: the D-Bus paths) skips the router's matching entirely.
  const firstSegments = new Set(table.map((route) => firstSegment(route.path)));
  for (const route of table) {
    const verbs = Object.keys(route.methods);
    if (verbs.includes('GET')) verbs.push('HEAD');
    const allow = [...verbs, 'OPTIONS'].join(', ');
    router.all(route.path, async (ctx) => {
      if (ctx.method === 'OPTIONS') {
        ctx.set('Allow', allow);
        ctx.status = 200;
        ctx.body = '';
        return;
      }
      const handler = route.methods[ctx.method === 'HEAD' ? 'GET' : ctx.method];
      if (!handler) throw new GatewayError(405, 'Method not allowed.', { headers: { Allow: allow } });
      await handler(ctx);
    });
  }
  const routes = router.routes() as unknown as Middleware;
  return (ctx, next) => (firstSegments.has(firstSegment(ctx.path)) ? routes(ctx, next) : next());
}

/** `/upload/image/:name` → `upload`. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end === -1 ? path.slice(1) : path.slice(1, end);
}

function param(ctx: Context, name: string): string {
  return String((ctx as Context & { params?: Record<string, string> }).params?.[name] ?? '');
}
