/**
 * Builds the Koa application: middleware order is the request pipeline.
 * (with --request-log, the request log wraps everything to time it all);
 * 0. audit (outermost: logs writes, logins and logouts with their final status);
 * 1. error middleware (the one catch, envelopes for everything);
 * 2. security headers and CORS (on every response; answers CORS pre-flights);
 * 3. /redfish (404 without authentication: clients probe it) and /login, /logout;
 * 4. the auth guard: 401/403 before any route, so before any D-Bus traffic;
 * 5. fixed routes (/upload/image, /download/dump, ...: http/fixed-routes.ts);
 * 6. the D-Bus object routes for every other path.
 */
import Koa from 'koa';
import type { Auth } from './auth/setup.js';
import type { Bmc } from './bmc/objects.js';
import type { Config } from './config.js';
import { GatewayError } from './errors.js';
import { dbusRoutes, type WriteHandlers } from './http/dbus-routes.js';
import { EnumerateAnswers } from './http/enumerate-answers.js';
import { MemoryBudget } from './http/memory-budget.js';
import { errorMiddleware } from './http/error-middleware.js';
import { auditMiddleware } from './http/audit-middleware.js';
import { authMiddleware } from './http/auth-middleware.js';
import { requestLog } from './http/request-log.js';
import { securityHeaders } from './http/security-headers.js';
import { sessionRoutes } from './http/session-routes.js';
import { fixedRoutes } from './http/fixed-routes.js';
import { ImageUploader } from './http/upload.js';
import type { Logger } from './log.js';

export interface AppDeps {
  readonly config: Config;
  readonly bmc: Bmc;
  readonly log: Logger;
  readonly writeHandlers?: WriteHandlers;
  /** Required: there is no unauthenticated configuration. */
  readonly auth: Auth;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.context.bodyTimeoutMs = deps.config.bodyTimeoutMs;
  // Koa would print stacks of errors that escape; ours never escape, but be sure.
  app.silent = true;
  if (deps.config.requestLog) app.use(requestLog(deps.log));
  app.use(auditMiddleware(deps.auth.audit));
  app.use(errorMiddleware(deps.log));
  app.use(securityHeaders(deps.auth.corsOrigins));
  app.use(async (ctx, next) => {
    // Clients switch to Redfish when this answers 200; this gateway is not Redfish.
    if (ctx.path === '/redfish' || ctx.path.startsWith('/redfish/')) throw new GatewayError(404, 'Path not found');
    await next();
  });
  app.use(sessionRoutes(deps.auth.guard));
  app.use(authMiddleware(deps.auth.guard));
  const uploader = new ImageUploader(deps.bmc.bus, {
    imageDir: deps.config.imageDir,
    maxBytes: deps.config.uploadMaxBytes,
    versionTimeoutMs: deps.config.uploadTimeoutMs,
    idleTimeoutMs: deps.config.bodyTimeoutMs,
  });
  app.use(fixedRoutes(deps.config, uploader));
  const enumerates = new EnumerateAnswers(deps.bmc, new MemoryBudget(deps.config.enumerateMemoryBytes),
    { stallTimeoutMs: deps.config.bodyTimeoutMs });
  app.use(dbusRoutes(deps.bmc, deps.writeHandlers ?? {}, enumerates));
  return app;
}
