/**
 * The optional request log (--request-log): one info line per request once
 * its final status is known, e.g.
 * `request verb=GET path=/xyz/openbmc_project/state/host0 status=200 ms=4.1 bytes=812 user=root address=10.0.0.5`.
 * Off by default: on a BMC the journal is small and the web UI polls. The
 * audit lines (auth/audit.ts) are written whether this is on or not.
 *
 * Like the audit line it is built from named fields only (never headers,
 * query strings or bodies), and client-chosen text goes through logField so
 * it cannot forge fields or lines.
 */
import { clientAddress } from '../auth/auth-guard.js';
import { logField } from '../auth/audit.js';
import type { Logger } from '../log.js';
import type { GatewayMiddleware } from './state.js';

export function requestLog(log: Logger): GatewayMiddleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    try {
      await next();
    } finally {
      // Finishing in `finally`: a request that escaped every catch still gets its line.
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const bytes = ctx.response.length;
      log.info([
        'request',
        `verb=${logField(ctx.method)}`,
        `path=${logField(ctx.path)}`,
        `status=${ctx.status}`,
        `ms=${ms.toFixed(1)}`,
        `bytes=${bytes === undefined ? '-' : bytes}`,
        `user=${logField(ctx.state.principal?.user ?? '-')}`,
        `address=${logField(clientAddress(ctx.req))}`,
      ].join(' '));
    }
  };
}
