/**
 * Writes the audit line of a request once its final status is known. It is
 * the outermost middleware: the error middleware inside it has already
 * turned any failure into a status, so refused and failed writes are
 * recorded with the status the client saw.
 *
 * Recorded: logins and logouts, every verb that can change something (PUT,
 * PATCH, POST, DELETE: writes, actions, deletes, uploads), and any request
 * whose credentials were refused (401 or 429 with an Authorization header):
 * guessing passwords over Basic shows up like failed logins do.
 * Writes and calls also record what they sent (`writeRecordOf`), which the
 * audit line shows with secrets redacted (auth/audit.ts).
 */
import type { Context, Middleware } from 'koa';
import type { WriteRecord, WrittenValue } from '../bmc/writes.js';
import type { AuditLog } from '../auth/audit.js';
import { CrossSiteRefusal, clientAddress } from '../auth/auth-guard.js';
import { principalOf } from './auth-middleware.js';
import type { RenderedErrorState } from './error-middleware.js';
import basicAuth from 'basic-auth';

const CHANGING = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

export function auditMiddleware(audit: AuditLog): Middleware {
  return async (ctx, next) => {
    await next();
    const session = ctx.path === '/login' || ctx.path === '/logout';
    const refused = (ctx.status === 401 || ctx.status === 429) && ctx.get('Authorization') !== '';
    if (!session && !refused && !CHANGING.has(ctx.method)) return;
    const loginUser = (ctx.state as { loginUser?: string }).loginUser;
    // For a refused Basic request, the name that was tried (never the password).
    const tried = refused ? basicAuth.parse(ctx.get('Authorization'))?.name : undefined;
    // A cookie request refused as cross-site: whose session it carried.
    const error = (ctx.state as RenderedErrorState).renderedError;
    const ridden = error instanceof CrossSiteRefusal ? error.user : undefined;
    const user = principalOf(ctx)?.user ?? ridden ?? loginUser ?? tried;
    const written = (ctx.state as WrittenState).written;
    audit.record({
      ...(user !== undefined ? { user } : {}),
      address: clientAddress(ctx.req),
      method: ctx.method,
      path: ctx.path,
      status: ctx.status,
      ...(written ? { written } : {}),
    });
  };
}

interface WrittenState {
  written?: WrittenValue[];
}

/** The recorder the write handlers give bmc/writes.ts: what they send goes into this request's audit line. */
export function writeRecordOf(ctx: Context): WriteRecord {
  return (written) => {
    const state = ctx.state as WrittenState;
    (state.written ??= []).push(written);
  };
}
