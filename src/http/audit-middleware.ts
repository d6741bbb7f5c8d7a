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
 * Writes and calls also record what they sent (WriteAccess.record), which the
 * audit line shows with secrets redacted (auth/audit.ts).
 */
import basicAuth from 'basic-auth';
import type { AuditLog } from '../auth/audit.js';
import { CrossSiteRefusal, clientAddress } from '../auth/auth-guard.js';
import type { GatewayMiddleware } from './state.js';

const CHANGING = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

export function auditMiddleware(audit: AuditLog): GatewayMiddleware {
  return async (ctx, next) => {
    await next();
    const kind = ctx.state.route.definition.kind;
    const session = kind === 'login' || kind === 'logout';
    const refused = refusedCredentials(ctx.status, ctx.get('Authorization'));
    if (!session && !refused && !CHANGING.has(ctx.method)) return;
    const { loginUser, renderedError: error, written } = ctx.state;
    const tried = refused?.user;
    // A cookie request refused as cross-site: whose session it carried.
    const ridden = error instanceof CrossSiteRefusal ? error.user : undefined;
    const user = ctx.state.principal?.user ?? ridden ?? loginUser ?? tried;
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

/**
 * A request whose credentials were refused (401 or 429 with an Authorization
 * header) is a password guess, audited like a failed login (here and for
 * websocket upgrades): with the name tried over Basic, never the password.
 * Undefined for any other request.
 */
export function refusedCredentials(status: number, authorization: string | undefined): { user?: string } | undefined {
  if ((status !== 401 && status !== 429) || authorization === undefined || authorization === '') return undefined;
  const tried = basicAuth.parse(authorization)?.name;
  return tried !== undefined ? { user: tried } : {};
}
