/**
 * The start-up phase of the bench: a few more gateway starts (every start of
 * the bench counts in startup_to_listening, which bench/run.ts reports).
 */
import type { PhaseContext } from '../lib/phase.js';

export async function startupPhase(ctx: PhaseContext): Promise<void> {
  const simChild = await ctx.sim(24);
  try {
    for (let i = 0; i < ctx.plan.starts; i++) await ctx.stop(await ctx.gateway());
  } finally {
    await ctx.stop(simChild);
  }
}
