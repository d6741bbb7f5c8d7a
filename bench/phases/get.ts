/**
 * The attribute-GET phase of the bench: request rates against direct
 * Properties.Get, with roles from the users file and in the shipped
 * configuration, HTTP Basic for contrast, and plain HTTP.
 */
import { cpus } from 'node:os';
import autocannon from 'autocannon';
import { directBus, directGetRate } from '../lib/direct.js';
import { gatewayClient, login, send } from '../lib/http.js';
import { ATTR, type PhaseContext } from '../lib/phase.js';
import { type GatewayChild, cpuSecondsOf, machineCpu } from '../lib/processes.js';

/** One attribute-GET load against a gateway: rate, p99, the gateway's CPU per request, how busy the machine was. */
async function attrLoad(ctx: PhaseContext, gw: GatewayChild, token: string, connections: number, label: string) {
  const url = `${gw.url}${ATTR.path}/attr/${ATTR.name}`;
  // Warm-up, then the measured run.
  if (ctx.plan.warmUp) await autocannon({ url, connections, duration: 1, headers: { 'x-auth-token': token }, servername: 'localhost' });
  const [cpuBefore, machineBefore] = [await cpuSecondsOf(gw.pid), await machineCpu()];
  const run = await autocannon({ url, connections, duration: ctx.plan.getSeconds, headers: { 'x-auth-token': token }, servername: 'localhost' });
  const [cpuAfter, machineAfter] = [await cpuSecondsOf(gw.pid), await machineCpu()];
  if (run.non2xx > 0 || run.errors > 0) ctx.note(`WARNING: ${run.non2xx} non-2xx and ${run.errors} errors at ${connections} connections (${label})`);
  return {
    rate: run['2xx'] / run.duration,
    p99: run.latency.p99,
    cpuPerRequest: (1e6 * (cpuAfter - cpuBefore)) / Math.max(1, run['2xx']),
    busy: busy(machineBefore, machineAfter),
  };
}

function busy(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  return (100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total);
}

/**
 * Attribute GET against a direct Properties.Get, for two gateways side by
 * side: roles from the users file, and the shipped configuration, where every
 * request's role comes from the user manager (`--role-source dbus`, as with
 * PAM; the passwords still come from the users file, since PAM cannot run
 * here). Per connection count: users-file gateway, shipped gateway, direct.
 */
export async function getPhase(ctx: PhaseContext): Promise<void> {
  const simChild = await ctx.sim(24);
  const gw = await ctx.gateway();
  // The profile is of the shipped configuration's gateway (the target of the phase).
  const shipped = await ctx.gateway({ flags: ['--role-source', 'dbus'], ...(ctx.profile ? { profile: 'get' } : {}) });
  const direct = await directBus(ctx.busAddress);
  try {
    const client = gatewayClient(gw.url, ctx.ca());
    const token = await login(client, ctx.user, ctx.password);
    const shippedClient = gatewayClient(shipped.url, ctx.ca());
    const shippedToken = await login(shippedClient, ctx.user, ctx.password);
    for (const c of [client, shippedClient]) {
      const check = await send(c, 'GET', `${ATTR.path}/attr/${ATTR.name}`);
      if (check.status !== 200) throw new Error(`attr GET: ${check.status} ${check.body.toString()}`);
    }
    const directRates = new Map<number, number>();
    for (const connections of ctx.plan.concurrency) {
      const usersFile = await attrLoad(ctx, gw, token, connections, 'users-file roles');
      const dbusRoles = await attrLoad(ctx, shipped, shippedToken, connections, 'shipped configuration');
      const directMachineBefore = await machineCpu();
      const directRate = await directGetRate(direct, ATTR, connections, ctx.plan.getSeconds);
      const directMachineAfter = await machineCpu();
      ctx.result({ name: `get_attr_c${connections}_gateway`, value: usersFile.rate, unit: 'req/s', note: 'roles from the users file' });
      ctx.result({ name: `get_attr_c${connections}_gateway_p99`, value: usersFile.p99, unit: 'ms' });
      ctx.result({ name: `get_attr_c${connections}_direct`, value: directRate, unit: 'calls/s' });
      ctx.result({ name: `get_attr_c${connections}_ratio`, value: usersFile.rate / directRate, unit: 'x', target: '>= 0.5', ok: usersFile.rate / directRate >= 0.5 });
      // Where the time goes: the gateway's own CPU per request, and how busy the two cores were
      // (load generator, bus daemon, simulated daemons and gateway share them).
      ctx.result({ name: `get_attr_c${connections}_gateway_cpu_per_request`, value: usersFile.cpuPerRequest, unit: 'us', note: 'gateway process, user + system' });
      ctx.result({ name: `get_attr_c${connections}_machine_busy`, value: usersFile.busy, unit: '%', note: `all ${cpus().length} cores, during the gateway run` });
      ctx.result({ name: `get_attr_c${connections}_shipped`, value: dbusRoles.rate, unit: 'req/s', note: 'roles from D-Bus (GetUserInfo), users-file passwords' });
      ctx.result({ name: `get_attr_c${connections}_shipped_p99`, value: dbusRoles.p99, unit: 'ms' });
      ctx.result({ name: `get_attr_c${connections}_shipped_ratio`, value: dbusRoles.rate / directRate, unit: 'x', target: '>= 0.5', ok: dbusRoles.rate / directRate >= 0.5 });
      ctx.result({ name: `get_attr_c${connections}_shipped_cpu_per_request`, value: dbusRoles.cpuPerRequest, unit: 'us', note: 'gateway process, user + system' });
      ctx.result({ name: `get_attr_c${connections}_direct_machine_busy`, value: busy(directMachineBefore, directMachineAfter), unit: '%', note: 'during the direct run' });
      directRates.set(connections, directRate);
    }
    // Contrast: HTTP Basic pays a scrypt check per request.
    const url = `${gw.url}${ATTR.path}/attr/${ATTR.name}`;
    const basic = `Basic ${Buffer.from(`${ctx.user}:${ctx.password}`).toString('base64')}`;
    const run = await autocannon({ url, connections: 16, duration: Math.min(3, ctx.plan.getSeconds), headers: { authorization: basic }, servername: 'localhost' });
    ctx.result({ name: 'get_attr_c16_basic_auth', value: run['2xx'] / run.duration, unit: 'req/s', note: 'HTTP Basic, scrypt N=16384 per request' });
    // Where the gap to the bus is: the same reads from a gateway serving plain HTTP (--no-tls, as
    // behind a TLS-terminating proxy), against the direct rates measured above.
    await plainHttpRates(ctx, url.replace(gw.url, ''), directRates);
  } finally {
    direct.disconnect();
    await ctx.stop(gw);
    await ctx.stop(shipped);
    await ctx.stop(simChild);
  }
  if (ctx.profile) await ctx.profileSummary('get', 'CPU profile of the gateway during the attribute GET runs');
}

async function plainHttpRates(ctx: PhaseContext, path: string, directRates: ReadonlyMap<number, number>): Promise<void> {
  const gw = await ctx.gateway({ flags: ['--no-tls'] });
  try {
    const answer = await fetch(`${gw.url}/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: [ctx.user, ctx.password] }),
    });
    const token = ((await answer.json()) as { token?: string }).token;
    if (!token) throw new Error(`plain HTTP login: ${answer.status}`);
    for (const connections of ctx.quick ? [16] : ctx.plan.concurrency) {
      const options = { url: `${gw.url}${path}`, connections, headers: { 'x-auth-token': token } };
      if (ctx.plan.warmUp) await autocannon({ ...options, duration: 1 });
      const run = await autocannon({ ...options, duration: ctx.plan.getSeconds });
      if (run.non2xx > 0 || run.errors > 0) ctx.note(`WARNING: ${run.non2xx} non-2xx and ${run.errors} errors (plain HTTP, ${connections} connections)`);
      const rate = run['2xx'] / run.duration;
      ctx.result({ name: `get_attr_c${connections}_plain_http`, value: rate, unit: 'req/s', note: '--no-tls' });
      const direct = directRates.get(connections);
      if (direct) ctx.result({ name: `get_attr_c${connections}_plain_http_ratio`, value: rate / direct, unit: 'x', note: 'against the direct rate above' });
    }
  } finally {
    await ctx.stop(gw);
  }
}
