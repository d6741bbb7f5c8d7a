/**
 * The one place that catches. Whatever a handler throws becomes a
 * GatewayError and is rendered as the error envelope; 5xx causes go to the
 * log with their details, the client gets the description only. Requests no
 * route took become the 404 envelope too, so there is never an HTML page or
 * an empty body.
 */
import { errors, toGatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { sendError } from './respond.js';
import type { GatewayMiddleware } from './state.js';

export function errorMiddleware(log: Logger): GatewayMiddleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) sendError(ctx, errors.pathNotFound());
    } catch (err) {
      const error = toGatewayError(err);
      // For the audit line, which the outer audit middleware writes from the final state.
      ctx.state.renderedError = error;
      if (error.status >= 500) {
        const cause = error.cause instanceof Error ? (error.cause.stack ?? error.cause.message) : String(error.cause ?? '');
        log.error(`${ctx.method} ${ctx.path}: ${error.status} ${error.description}${cause ? ` (${cause})` : ''}`);
      }
      sendError(ctx, error);
    }
  };
}
