/**
 * Loaded into a gateway by bench/arm-heap.ts (`node --expose-gc --import
 * build/bench/heap-probe.js build/src/main.js ...`): samples the process's
 * memory every 10 ms and, on SIGUSR2, writes one line to stdout:
 *
 *   HEAP {"now": {...}, "peak": {...}, "afterGc": {...}}
 *
 * `peak` is the largest of each figure since the previous line (or since
 * start), `afterGc` is taken after a full collection. Then a new peak starts.
 * The gateway itself is not changed; this only reads what V8 reports.
 */
import { memoryUsage } from 'node:process';

export interface MemorySample {
  /** V8 heap in use (heapUsed). */
  readonly used: number;
  /** V8 heap reserved (heapTotal). */
  readonly total: number;
  /** Memory of C++ objects bound to JS objects, ArrayBuffers included (external). */
  readonly external: number;
  /** Resident set of the process: under qemu-user, qemu's own. */
  readonly rss: number;
}

const SAMPLE_MS = 10;

function sample(): MemorySample {
  const { heapUsed, heapTotal, external, rss } = memoryUsage();
  return { used: heapUsed, total: heapTotal, external, rss };
}

function larger(a: MemorySample, b: MemorySample): MemorySample {
  return {
    used: Math.max(a.used, b.used),
    total: Math.max(a.total, b.total),
    external: Math.max(a.external, b.external),
    rss: Math.max(a.rss, b.rss),
  };
}

let peak = sample();
setInterval(() => {
  peak = larger(peak, sample());
}, SAMPLE_MS).unref();

const collect = (globalThis as { gc?: () => void }).gc;

process.on('SIGUSR2', () => {
  const now = sample();
  const report = { now, peak: larger(peak, now), afterGc: now };
  if (collect) {
    collect();
    report.afterGc = sample();
  }
  peak = sample();
  process.stdout.write(`HEAP ${JSON.stringify(report)}\n`);
});
