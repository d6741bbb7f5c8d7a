/**
 * Builds the Koa application: middleware order is the request pipeline.
 * 0. the route: the path parsed once against the route table (http/routes.ts);
 *    (with --request-log, the request log then wraps everything to time it all);
 * 1. audit (outermost: logs writes, logins and logouts with their final status);
 * 2. error middleware (the one catch, envelopes for everything);
 * 3. security headers and CORS (on every response; answers CORS pre-flights);
 * 3b. a browser's `GET /` is sent to the console (/console/);
 * 4. the guard: 401/403 before any route that is not public, so before any D-Bus traffic;
 * 5. dispatch: `Allow`, 405, and the route's handler.
 */
import Koa from 'koa';
import type { Auth } from './auth/setup.js';
import type { Jobs } from './bmc/jobs/jobs.js';
import type { Bmc } from './bmc/objects.js';
import type { Config } from './config.js';
import { auditMiddleware } from './http/audit-middleware.js';
import { JSON_BODY_LIMIT } from './http/body.js';
import { ConsoleFiles, consoleRedirect } from './http/console-files.js';
import { dispatch } from './http/dispatch.js';
import { EnumerateAnswers } from './http/enumerate-answers.js';
import { errorMiddleware } from './http/error-middleware.js';
import { guardMiddleware } from './http/guard-middleware.js';
import { MemoryBudget } from './http/memory-budget.js';
import { requestLog } from './http/request-log.js';
import type { RouteTable } from './http/routes.js';
import { securityHeaders } from './http/security-headers.js';
import type { GatewayState } from './http/state.js';
import { ImageUploader } from './http/upload.js';
import type { Logger } from './log.js';

export interface AppDeps {
  readonly config: Config;
  readonly bmc: Bmc;
  readonly log: Logger;
  readonly routes: RouteTable;
  /** Required: there is no unauthenticated configuration. */
  readonly auth: Auth;
  /** Writes as jobs (shared with /subscribe, which sends their changes). */
  readonly jobs: Jobs;
}

export function createApp(deps: AppDeps): Koa<GatewayState> {
  const { config, bmc, log, routes, auth, jobs } = deps;
  const app = new Koa<GatewayState>();
  // Koa would print stacks of errors that escape; ours never escape, but be sure.
  app.silent = true;
  app.use((ctx, next) => {
    ctx.state.route = routes.parse(ctx.path);
    return next();
  });
  if (config.requestLog) app.use(requestLog(log));
  app.use(auditMiddleware(auth.audit));
  app.use(errorMiddleware(log));
  app.use(securityHeaders(auth.corsOrigins));
  app.use(consoleRedirect());
  app.use(guardMiddleware(auth.guard, routes));
  app.use(dispatch(routes, {
    bmc,
    jobs,
    features: features(config),
    resources: routes.resources,
    guard: auth.guard,
    passwords: auth.passwords,
    enumerates: new EnumerateAnswers(bmc, new MemoryBudget(config.enumerateMemoryBytes), { stallTimeoutMs: config.bodyTimeoutMs }),
    uploader: new ImageUploader(bmc, {
      imageDir: config.imageDir,
      maxBytes: config.uploadMaxBytes,
      versionTimeoutMs: config.uploadTimeoutMs,
      idleTimeoutMs: config.bodyTimeoutMs,
    }),
    dumpDir: config.dumpDir,
    consoleFiles: new ConsoleFiles(undefined, config.cookieNames.xsrf),
    body: { maxBytes: JSON_BODY_LIMIT, timeoutMs: config.bodyTimeoutMs },
  }));
  return app;
}

/** The optional behaviour switched on, for GET /version (sorted). */
function features(config: Config): string[] {
  const on: Array<[string, boolean]> = [
    ['cors', config.corsOrigins.length > 0],
    ['etag', true],
    ['jobs', true],
    ['request-log', config.requestLog],
    ['tls', config.tls],
  ];
  return on.filter(([, enabled]) => enabled).map(([name]) => name);
}
