/**
 * Summary of a V8 .cpuprofile (node --cpu-prof): self time by function and
 * by where the code lives (gateway file, package, Node internals, GC).
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** ms of samples that were not idle. */
  readonly busyMs: number;
  readonly byFunction: Array<[string, number]>;
  readonly byArea: Array<[string, number]>;
}

function area(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)' || name === '(idle)' || name === '(root)') return name;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  const own = /\/build\/(src\/.*)\.js$/.exec(url)?.[1];
  if (own) return own + '.ts';
  if (url.startsWith('node:')) return url;
  return url === '' ? '(native/builtin)' : url;
}

export async function summariseProfile(file: string, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    busy += us;
    const where = area(frame.url, frame.functionName);
    const name = `${frame.functionName || '(anonymous)'} [${where}${frame.url && where !== '(native/builtin)' ? `:${frame.lineNumber + 1}` : ''}]`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    areas.set(where, (areas.get(where) ?? 0) + us);
  }
  const sorted = (map: Map<string, number>) =>
    [...map].sort(([, a], [, b]) => b - a).slice(0, top).map(([name, us]): [string, number] => [name, us / 1000]);
  return { busyMs: busy / 1000, byFunction: sorted(functions), byArea: sorted(areas) };
}

export function formatSummary(title: string, summary: ProfileSummary): string {
  const pct = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1)}%`;
  const lines = [`${title}: ${summary.busyMs.toFixed(0)} ms busy (idle excluded)`, '  by area (self time):'];
  for (const [name, ms] of summary.byArea) lines.push(`    ${pct(ms).padStart(6)}  ${ms.toFixed(0).padStart(6)} ms  ${name}`);
  lines.push('  top functions (self time):');
  for (const [name, ms] of summary.byFunction) lines.push(`    ${pct(ms).padStart(6)}  ${ms.toFixed(0).padStart(6)} ms  ${name}`);
  return lines.join('\n');
}
