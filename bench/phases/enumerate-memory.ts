/**
 * The enumerate memory phase of the bench: what big enumerates cost the
 * gateway in memory. For one enumerate of 5,000 sensors (about 10,000
 * objects), four identical ones at once (they share one computation) and
 * four of different subtrees at once (each its own; the enumerate memory
 * budget queues them): the gateway's RSS just before the burst ("idle"), the
 * peak during it (VmRSS sampled every 5 ms and VmHWM after resetting it),
 * the answers' sizes, and its RSS some seconds after (what it keeps). Each
 * scenario gets a fresh gateway, so its idle is a real idle.
 */
import { writeFile } from 'node:fs/promises';
import { gatewayClient, login, send } from '../lib/http.js';
import type { PhaseContext } from '../lib/phase.js';
import { type Memory, memoryOf } from '../lib/processes.js';

const SENSORS = 5000;
const SCENARIOS: ReadonlyArray<{ name: string; paths: readonly string[] }> = [
  { name: 'one', paths: ['/xyz/openbmc_project/enumerate'] },
  { name: 'four_same', paths: Array(4).fill('/xyz/openbmc_project/enumerate') },
  { name: 'four_distinct', paths: ['/xyz/openbmc_project/enumerate', '/xyz/openbmc_project/sensors/enumerate', '/xyz/enumerate', '/enumerate'] },
];

export async function enumerateMemoryPhase(ctx: PhaseContext): Promise<void> {
  const mb = (kb: number) => kb / 1024;
  const sim = await ctx.sim(SENSORS);
  try {
    for (const scenario of SCENARIOS) {
      const gw = await ctx.gateway();
      try {
        const client = gatewayClient(gw.url, ctx.ca());
        await login(client, ctx.user, ctx.password);
        // Settle after start and the login's scrypt (16 MiB of native memory, given back).
        await new Promise((resolve) => setTimeout(resolve, 2000));
        const burst = await burstMemory(gw.pid, async () => {
          const answers = await Promise.all(scenario.paths.map((path) => send(client, 'GET', path)));
          for (const answer of answers) if (answer.status !== 200) throw new Error(`enumerate: ${answer.status} ${answer.body.toString().slice(0, 200)}`);
          return answers.map((answer) => answer.body.length);
        }, ctx.quick ? 2000 : 10_000);
        const name = `enumerate_memory_${scenario.name}`;
        const peak = mb(burst.peak - burst.idle.rss);
        const bytes = burst.answerBytes.reduce((sum, b) => sum + b, 0);
        const largest = Math.max(...burst.answerBytes);
        ctx.note(`${scenario.paths.length} enumerate(s) at once (${scenario.paths.join(', ')}) with ${SENSORS} sensors: `
          + `${(burst.seconds).toFixed(1)} s, answers ${burst.answerBytes.map((b) => (b / 1e6).toFixed(2)).join(' / ')} MB${burst.hwmReset ? '' : ' (VmHWM not reset: sampled peak only)'}`);
        ctx.result({ name: `${name}_idle`, value: mb(burst.idle.rss), unit: 'MB', note: `RssAnon ${mb(burst.idle.anon).toFixed(1)} MB` });
        ctx.result({ name: `${name}_answer_bytes`, value: bytes, unit: 'B', note: scenario.paths.length > 1 ? `largest ${largest}` : '' });
        if (scenario.paths.length === 1) {
          ctx.result({ name: `${name}_peak_over_idle`, value: peak, unit: 'MB', target: '<= 3 x answer', ok: peak * 1024 * 1024 <= 3 * bytes });
          ctx.result({ name: `${name}_peak_per_answer_byte`, value: (peak * 1024 * 1024) / bytes, unit: 'x' });
        } else {
          ctx.result({ name: `${name}_peak_over_idle`, value: peak, unit: 'MB', target: '<= 64', ok: peak <= 64 });
        }
        ctx.result({ name: `${name}_after`, value: mb(burst.after.rss - burst.idle.rss), unit: 'MB', note: `RSS over idle ${ctx.quick ? 2 : 10} s after the burst` });
        if (scenario.name === 'one' && !ctx.quick) {
          // V8 keeps its grown heap until its memory reducer runs, after some quiet seconds.
          const from = performance.now();
          let now = burst.after;
          while (now.rss - burst.idle.rss > 5 * 1024 && performance.now() - from < 90_000) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
            now = await memoryOf(gw.pid);
          }
          const seconds = 10 + (performance.now() - from) / 1000;
          ctx.result({ name: `${name}_settled`, value: mb(now.rss - burst.idle.rss), unit: 'MB', note: `RSS over idle ${seconds.toFixed(0)} s after the burst (within 5 MB of idle, or 100 s)` });
        }
      } finally {
        await ctx.stop(gw);
      }
    }
  } finally {
    await ctx.stop(sim);
  }
}

export interface BurstMemory {
  readonly idle: Memory;
  /** kB */
  readonly peak: number;
  readonly after: Memory;
  readonly answerBytes: readonly number[];
  /** Wall time of the burst. */
  readonly seconds: number;
  readonly hwmReset: boolean;
}

/**
 * Runs `burst` (which resolves with the byte sizes of the answers it got)
 * against the gateway process `pid` and samples its memory around it.
 */
export async function burstMemory(pid: number, burst: () => Promise<number[]>, afterMs: number): Promise<BurstMemory> {
  const idle = await memoryOf(pid);
  // Linux: writing 5 to clear_refs resets VmHWM to the current RSS.
  const hwmReset = await writeFile(`/proc/${pid}/clear_refs`, '5').then(() => true, () => false);
  let peak = idle.rss;
  const sampler = setInterval(() => void memoryOf(pid).then((m) => (peak = Math.max(peak, m.rss)), () => undefined), 5);
  const began = performance.now();
  let answerBytes: number[];
  try {
    answerBytes = await burst();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - began) / 1000;
  const end = await memoryOf(pid);
  peak = Math.max(peak, end.rss, hwmReset ? end.hwm : 0);
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  return { idle, peak, after: await memoryOf(pid), answerBytes, seconds, hwmReset };
}
