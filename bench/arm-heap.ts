/**
 * V8 heap figures of the gateway at idle and around a 1,000-sensor
 * enumerate, for each node given (e.g. this machine's, and the armv7l build
 * under qemu-user that .ci/arm/fetch-runtime.sh sets up), so 32-bit and
 * 64-bit can be compared in one run (docs/PERFORMANCE.md, "32-bit ARM").
 *
 *   npm run build && node build/bench/arm-heap.js [--sensors 1000] [--repeat 5] \
 *       [--node /path/to/node]... (default: this node)
 *
 * One simulated BMC (native, on a private bus) serves every gateway in turn.
 * Each gateway runs as the CLI with bench/heap-probe.ts preloaded; phases:
 *  - idle: settled after start-up (the peak is start-up's);
 *  - first enumerate: one GET <sensors>/enumerate on a fresh gateway (caches filled);
 *  - repeated enumerates: `--repeat` more, one after the other.
 * Each phase reports used / total / external now, their peak during the
 * phase, and after a full GC, as the gateway's V8 sees them. The peak
 * resident set (VmHWM) is read from /proc on this side: under qemu-user it is
 * qemu's (translated code and emulator included), not what the gateway would
 * use on a BMC; inside the emulated process Node reads an RSS of 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hashPassword } from '../src/auth/passwords.js';
import type { MemorySample } from './heap-probe.js';

const BUILD = fileURLToPath(new URL('../', import.meta.url));
const SENSORS_ENUMERATE = '/xyz/openbmc_project/sensors/enumerate';
const SETTLE_MS = 3_000;
const READY_TIMEOUT_MS = 180_000;
const USER = 'bench';
const PASSWORD = 'bench-heap-pw';

interface HeapReport {
  readonly now: MemorySample;
  readonly peak: MemorySample;
  readonly afterGc: MemorySample;
}

interface Started {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line matching `pattern` (its match). */
  line(pattern: RegExp): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

/** Spawns a child and reads its stdout line by line; stderr is kept for errors. */
function start(command: string, args: readonly string[]): Started {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-10_000)));
  const waiting = new Set<(line: string) => void>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    for (const wake of waiting) wake(text);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = (pattern: RegExp) => new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${command}: no line like ${pattern} in ${READY_TIMEOUT_MS} ms:\n${stderr}`)), READY_TIMEOUT_MS);
    const check = (text: string) => {
      const match = pattern.exec(text);
      if (match) done(undefined, match);
    };
    function done(error?: Error, match?: RegExpExecArray): void {
      clearTimeout(timer);
      waiting.delete(check);
      if (match) resolve(match);
      else reject(error);
    }
    waiting.add(check);
    void exited.then(() => done(new Error(`${command} exited before a line like ${pattern}:\n${stderr}`)));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  return { child, line, stop };
}

function get(url: string, ca: string): Promise<number> {
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Basic ${auth}` } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`GET ${url}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function report(gateway: Started): Promise<HeapReport> {
  const next = gateway.line(/^HEAP (.*)$/);
  gateway.child.kill('SIGUSR2');
  return JSON.parse((await next)[1]!) as HeapReport;
}

interface Phase {
  readonly phase: string;
  readonly report: HeapReport;
  /** Peak resident set of the process so far, from /proc/<pid>/status (bytes). */
  readonly hostPeakRss: number;
}

async function hostPeakRss(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? NaN) * 1024;
}

interface Measured {
  readonly node: string;
  readonly version: string;
  readonly arch: string;
  readonly phases: ReadonlyArray<Phase>;
  readonly enumerateBytes: number;
}

async function measure(node: string, busAddress: string, dir: string, repeat: number): Promise<Measured> {
  const probe = start(node, ['-p', 'process.version + " " + process.arch']);
  const [version = '?', arch = '?'] = (await probe.line(/^(v\S+ \S+)$/))[1]!.split(' ');
  await probe.stop();
  const gateway = start(node, [
    '--expose-gc', '--import', join(BUILD, 'bench/heap-probe.js'), join(BUILD, 'src/main.js'),
    '--bus-address', busAddress, '--host', '127.0.0.1', '--port', '0',
    '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'),
    '--auth-backend', 'users-file', '--users-file', join(dir, 'users.json'),
    '--log-level', 'warning',
  ]);
  try {
    const url = (await gateway.line(/^LISTENING (\S+)$/))[1]!;
    const ca = await readFile(join(dir, 'cert.pem'), 'utf8');
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const phases: Phase[] = [];
    const phaseEnds = async (phase: string) => {
      phases.push({ phase, report: await report(gateway), hostPeakRss: await hostPeakRss(gateway.child.pid) });
    };
    await phaseEnds('idle');
    const enumerateBytes = await get(url + SENSORS_ENUMERATE, ca);
    await phaseEnds('first enumerate');
    for (let i = 0; i < repeat; i++) await get(url + SENSORS_ENUMERATE, ca);
    await phaseEnds(`${repeat} more enumerates`);
    return { node, version, arch, phases, enumerateBytes };
  } finally {
    await gateway.stop();
  }
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

function table(results: readonly Measured[]): string {
  const rows = ['| node | phase | used (now / peak / after GC) MB | total (now / peak / after GC) MB | external (now / peak / after GC) MB | peak RSS, host view MB |', '|---|---|---|---|---|---|'];
  for (const { version, arch, phases } of results) {
    for (const { phase, report: r, hostPeakRss: rss } of phases) {
      const three = (key: keyof MemorySample) => `${mb(r.now[key])} / ${mb(r.peak[key])} / ${mb(r.afterGc[key])}`;
      rows.push(`| ${version} ${arch} | ${phase} | ${three('used')} | ${three('total')} | ${three('external')} | ${mb(rss)}${arch === process.arch ? '' : ' (qemu)'} |`);
    }
  }
  return rows.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { node: { type: 'string', multiple: true }, sensors: { type: 'string', default: '1000' }, repeat: { type: 'string', default: '5' } },
    strict: true,
  });
  const nodes = values.node ?? [process.execPath];
  const repeat = Number(values.repeat);
  const dir = await mkdtemp(join(tmpdir(), 'arm-heap-'));
  const bmc = start(process.execPath, [join(BUILD, 'fixtures/run-bmc.js'), '--sensors', values.sensors, '--sensor-rate', '0']);
  try {
    const busAddress = (await bmc.line(/^BUS (\S+)$/))[1]!;
    await bmc.line(/^READY$/);
    await writeFile(join(dir, 'users.json'), JSON.stringify({ users: { [USER]: { password: await hashPassword(PASSWORD), role: 'priv-admin' } } }), { mode: 0o600 });
    const results: Measured[] = [];
    for (const node of nodes) {
      const result = await measure(node, busAddress, dir, repeat);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      results.push(result);
    }
    process.stdout.write(`\n${values.sensors} sensors, enumerate answer ${results[0]?.enumerateBytes ?? 0} bytes\n\n${table(results)}\n`);
  } finally {
    await bmc.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`arm-heap: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
