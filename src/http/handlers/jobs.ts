/**
 * `GET /jobs` (the caller's jobs; an administrator's: all), `GET /jobs/<id>`
 * (state, percent, eta, msg, times and, once ended, the envelope the
 * synchronous request would have answered) and `DELETE /jobs/<id>` (cancels
 * a queued job, forgets a finished one; a running one is a 409). Other
 * users' jobs are 404s, as unknown ones (bmc/jobs/job-table.ts).
 */
import { jobDetail, jobSummary } from '../../bmc/jobs/job-table.js';
import { errors } from '../../errors.js';
import { sendData } from '../respond.js';
import type { GatewayContext } from '../state.js';
import type { RouteHandler } from './services.js';

function caller(ctx: GatewayContext) {
  const principal = ctx.state.principal;
  if (!principal) throw errors.internal(new Error('a jobs route without a principal'));
  return principal;
}

export const listJobs: RouteHandler = async (ctx, _route, { jobs }) =>
  sendData(ctx, jobs.table.list(caller(ctx)).map(jobSummary));

export const getJob: RouteHandler = async (ctx, route, { jobs }) =>
  sendData(ctx, jobDetail(jobs.table.get(route.name ?? '', caller(ctx))));

export const deleteJob: RouteHandler = async (ctx, route, { jobs }) => {
  const what = jobs.remove(route.name ?? '', caller(ctx));
  sendData(ctx, what === 'cancelled' ? `Job '${route.name}' cancelled` : `Job '${route.name}' forgotten`);
};
