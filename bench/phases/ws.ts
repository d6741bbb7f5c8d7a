/**
 * The websocket phase of the bench: 100 /subscribe clients and a bus witness
 * while the simulated sensors change; lost events and latencies.
 */
import { measureFanout } from '../lib/fanout.js';
import { gatewayClient, login } from '../lib/http.js';
import type { PhaseContext } from '../lib/phase.js';
import type { Child } from '../lib/processes.js';

export async function wsPhase(ctx: PhaseContext): Promise<void> {
  const flags = ['--ws-max-connections', String(ctx.plan.wsClients + 10)];
  const gw = await ctx.gateway(ctx.profile ? { profile: 'ws', flags } : { flags });
  let emitting: Child | undefined;
  try {
    const client = gatewayClient(gw.url, ctx.ca());
    const token = await login(client, ctx.user, ctx.password);
    const fan = await measureFanout({
      url: gw.url, ca: ctx.ca(), token, busAddress: ctx.busAddress, clients: ctx.plan.wsClients, emitSeconds: ctx.plan.wsSeconds,
      startSensors: async () => {
        emitting = await ctx.sim(ctx.plan.wsSensors, ctx.plan.wsRate);
        return async () => {
          await ctx.stop(emitting);
          emitting = undefined;
        };
      },
    });
    ctx.note(`websocket: ${fan.clients} clients, ${ctx.plan.wsSensors} sensors emitting for ${fan.emitSeconds.toFixed(1)} s (from the simulated BMC's READY); `
      + `${fan.expectedPerClient} matching events emitted (${(fan.expectedPerClient / fan.emitSeconds).toFixed(0)}/s)`);
    ctx.result({ name: 'ws_events_expected', value: fan.expected, unit: 'events' });
    ctx.result({ name: 'ws_events_delivered', value: fan.delivered, unit: 'events' });
    ctx.result({ name: 'ws_events_lost', value: fan.lost, unit: 'events', target: '0', ok: fan.lost === 0 });
    ctx.result({ name: 'ws_events_mismatched', value: fan.mismatched, unit: 'events' });
    ctx.result({ name: 'ws_clients_closed_early', value: fan.closedEarly, unit: 'clients' });
    ctx.result({ name: 'ws_latency_p50', value: fan.p50, unit: 'ms' });
    ctx.result({ name: 'ws_latency_p99', value: fan.p99, unit: 'ms' });
    ctx.result({ name: 'ws_latency_max', value: fan.max, unit: 'ms' });
    ctx.result({ name: 'ws_latency_p50_second_half', value: fan.steadyP50, unit: 'ms', note: 'events of the 2nd half of the stream' });
    ctx.result({ name: 'ws_latency_p99_second_half', value: fan.steadyP99, unit: 'ms', note: 'events of the 2nd half of the stream' });
  } finally {
    await ctx.stop(emitting);
    await ctx.stop(gw);
  }
  if (ctx.profile) await ctx.profileSummary('ws', 'CPU profile of the gateway during the websocket fan-out');
}
