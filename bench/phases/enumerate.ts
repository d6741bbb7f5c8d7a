/**
 * The enumerate phase of the bench: `GET /xyz/openbmc_project/enumerate` for
 * 100, 1,000 and 5,000 sensors against direct dbus-next doing the same bus
 * work (wall time) and a dbus-python client (CPU).
 */
import { directBus, directEnumerate } from '../lib/direct.js';
import { gatewayClient, login, send } from '../lib/http.js';
import { median, type PhaseContext } from '../lib/phase.js';
import { type Child, cpuSecondsOf } from '../lib/processes.js';
import { ensurePythonDbus, pythonEnumerate } from '../lib/python-baseline.js';

export async function enumeratePhase(ctx: PhaseContext): Promise<void> {
  const gw = await ctx.gateway(ctx.profile ? { profile: 'enumerate' } : {});
  const client = gatewayClient(gw.url, ctx.ca());
  await login(client, ctx.user, ctx.password);
  const direct = await directBus(ctx.busAddress);
  const python = await ensurePythonDbus(ctx.note);
  let simChild: Child | undefined;
  try {
    for (const size of ctx.plan.sizes) {
      const t0 = performance.now();
      simChild = await ctx.sim(size);
      ctx.note(`simulated BMC with ${size} sensors ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const runs = ctx.plan.runs[size] ?? 3;
      const gatewayMs: number[] = [];
      const directMs: number[] = [];
      let gatewayCpuSeconds = 0;
      let objects = 0;
      let directObjects = 0;
      let answerBytes = 0;
      // One warm-up each, then interleaved so both see the same background load.
      for (let i = ctx.plan.warmUp || size < 5000 ? -1 : 0; i < runs; i++) {
        const cpuBefore = await cpuSecondsOf(gw.pid);
        let t = performance.now();
        const answer = await send(client, 'GET', '/xyz/openbmc_project/enumerate');
        const g = performance.now() - t;
        const cpu = (await cpuSecondsOf(gw.pid)) - cpuBefore;
        if (answer.status !== 200) throw new Error(`enumerate: ${answer.status} ${answer.body.toString().slice(0, 300)}`);
        answerBytes = answer.body.length;
        t = performance.now();
        directObjects = await directEnumerate(direct, '/xyz/openbmc_project');
        const d = performance.now() - t;
        if (objects === 0) objects = Object.keys((JSON.parse(answer.body.toString()) as { data: object }).data).length;
        if (i < 0) continue;
        gatewayMs.push(g);
        directMs.push(d);
        gatewayCpuSeconds += cpu;
      }
      if (objects !== directObjects) ctx.note(`WARNING: gateway returned ${objects} objects, direct ${directObjects}`);
      ctx.note(`enumerate /xyz/openbmc_project with ${size} sensors: ${objects} objects, ${answerBytes} bytes, ${runs} runs`);
      const g = median(gatewayMs);
      const d = median(directMs);
      const targeted = size >= 1000;
      ctx.result({ name: `enumerate_${size}_gateway`, value: g, unit: 'ms' });
      ctx.result({ name: `enumerate_${size}_direct`, value: d, unit: 'ms' });
      ctx.result({ name: `enumerate_${size}_ratio`, value: g / d, unit: 'x', ...(targeted ? { target: '<= 1.2', ok: g / d <= 1.2 } : {}), note: 'wall time against direct dbus-next' });
      const gatewayCpuMs = (1000 * gatewayCpuSeconds) / runs;
      ctx.result({ name: `enumerate_${size}_gateway_cpu`, value: gatewayCpuMs, unit: 'ms', note: 'gateway process CPU per request (user + system, TLS included)' });
      if (python) {
        // One more iteration than measured: the first is a warm-up (imports, first introspection of the proxies).
        const iterations = (await pythonEnumerate(ctx.busAddress, '/xyz/openbmc_project', runs + 1)).slice(1);
        const pythonCpuMs = iterations.reduce((sum, it) => sum + it.cpuMs, 0) / iterations.length;
        ctx.result({ name: `enumerate_${size}_python_cpu`, value: pythonCpuMs, unit: 'ms', note: 'dbus-python client CPU per enumerate, same bus work + sorted json.dumps' });
        ctx.result({ name: `enumerate_${size}_python_wall`, value: median(iterations.map((it) => it.wallMs)), unit: 'ms', note: 'its GetAll calls are sequential' });
        ctx.result({ name: `enumerate_${size}_cpu_ratio`, value: gatewayCpuMs / pythonCpuMs, unit: 'x', ...(targeted ? { target: '<= 0.33', ok: gatewayCpuMs / pythonCpuMs <= 0.33 } : {}), note: 'gateway CPU / dbus-python CPU' });
        if (Math.abs((iterations[0]?.bytes ?? 0) - answerBytes) > answerBytes * 0.01) ctx.note(`WARNING: dbus-python's answer has ${iterations[0]?.bytes} bytes, the gateway's ${answerBytes}`);
      }
      await ctx.stop(simChild);
      simChild = undefined;
    }
  } finally {
    direct.disconnect();
    await ctx.stop(simChild);
    await ctx.stop(gw);
  }
  if (ctx.profile) await ctx.profileSummary('enumerate', 'CPU profile of the gateway during the enumerate runs');
}
