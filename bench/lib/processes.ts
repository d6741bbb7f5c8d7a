/**
 * The bench's child processes: the simulated BMC (build/fixtures/run-bmc.js,
 * so its daemons do not share the bench's event loop) and the gateway as the
 * CLI runs it (build/src/main.js, so its RSS and CPU profile are its own).
 * Readiness is read from their stdout (`READY`, `LISTENING <url>`), never slept on.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** build/ (this file is build/bench/lib/processes.js). */
export const BUILD_DIR = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 180_000;
/** Children still running: killed if the bench dies. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Everything written to stderr and stdout (tail). */
  output(): string;
  stop(): Promise<void>;
}

function watch(child: ChildProcess, readyLine: RegExp, what: string): Promise<{ match: RegExpExecArray; output: () => string }> {
  let output = '';
  const keep = (chunk: string) => (output = (output + chunk).slice(-20_000));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready within ${START_TIMEOUT_MS} ms: ${output}`)), START_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      keep(line + '\n');
      const match = readyLine.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve({ match, output: () => output });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready: ${output}`));
    });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  }));
}

export interface SimChildOptions {
  readonly busAddress: string;
  readonly sensors: number;
  readonly sensorRate?: number;
  readonly imageDir: string;
  readonly dumpDir: string;
}

/** The simulated BMC in its own process; resolves once the mapper has scanned it. */
export async function startSimChild(options: SimChildOptions): Promise<Child> {
  const child = spawn(process.execPath, [
    join(BUILD_DIR, 'fixtures/run-bmc.js'),
    '--bus-address', options.busAddress,
    '--sensors', String(options.sensors),
    '--sensor-rate', String(options.sensorRate ?? 0),
    '--transition-ms', '50',
    '--image-dir', options.imageDir,
    '--dump-dir', options.dumpDir,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = stopper(child);
  try {
    const { output } = await watch(child, /^READY$/, 'simulated BMC');
    return { process: child, pid: child.pid ?? -1, output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface GatewayChildOptions {
  readonly busAddress: string;
  readonly dir: string;
  readonly imageDir: string;
  readonly dumpDir: string;
  readonly usersFile: string;
  /** node --cpu-prof into this directory. */
  readonly cpuProfileDir?: string;
  readonly extraFlags?: readonly string[];
}

export interface GatewayChild extends Child {
  readonly url: string;
  /** Spawn to `LISTENING` as the bench saw it. */
  readonly startupMs: number;
  /** The daemon's own `started in N ms, M ms since process start`. */
  readonly ownStartMs: number | undefined;
  readonly sinceProcessStartMs: number | undefined;
}

/** The repository (build/..), for systemd/. */
const REPO_DIR = join(BUILD_DIR, '..');

/**
 * The `Environment=` settings of the shipped service unit (memory tuning of
 * Node and glibc), so that the bench measures the daemon as a BMC runs it.
 * Values are `KEY=VALUE` words, optionally double-quoted, as systemd reads them.
 */
export async function unitEnvironment(): Promise<Record<string, string>> {
  const unit = await readFile(join(REPO_DIR, 'systemd/bmc-rest-gateway.service'), 'utf8');
  const env: Record<string, string> = {};
  for (const [, assignments = ''] of unit.matchAll(/^Environment=(.*)$/gm)) {
    for (const [, quoted, bare] of assignments.matchAll(/"([^"]*)"|(\S+)/g)) {
      const word = quoted ?? bare ?? '';
      const eq = word.indexOf('=');
      if (eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  }
  return env;
}

export async function startGatewayChild(options: GatewayChildOptions): Promise<GatewayChild> {
  // BENCH_GATEWAY_UNIT_ENV=0: run with Node's and glibc's defaults instead of the unit's settings.
  const env = process.env.BENCH_GATEWAY_UNIT_ENV === '0' ? process.env : { ...process.env, ...(await unitEnvironment()) };
  const nodeFlags = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  // BENCH_GATEWAY_NODE_FLAGS: V8/Node flags for the gateway only (e.g. --max-semi-space-size=1).
  nodeFlags.push(...(process.env.BENCH_GATEWAY_NODE_FLAGS ?? '').split(' ').filter(Boolean));
  const began = performance.now();
  const child = spawn(process.execPath, [
    ...nodeFlags,
    // BENCH_GATEWAY_MAIN: another build of the gateway (before/after comparisons).
    process.env.BENCH_GATEWAY_MAIN || join(BUILD_DIR, 'src/main.js'),
    '--host', '127.0.0.1', '--port', '0',
    '--bus-address', options.busAddress,
    '--tls-cert', join(options.dir, 'cert.pem'), '--tls-key', join(options.dir, 'key.pem'),
    '--auth-backend', 'users-file', '--users-file', options.usersFile,
    '--image-dir', options.imageDir, '--dump-dir', options.dumpDir,
    ...(options.extraFlags ?? []),
  ], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const stop = stopper(child);
  try {
    const { match, output } = await watch(child, /^LISTENING (\S+)$/, 'gateway');
    const startupMs = performance.now() - began;
    // The log line with the daemon's own figures goes to stderr just before LISTENING.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const own = /started in (\d+) ms, (\d+) ms since process start/.exec(output());
    return {
      process: child,
      pid: child.pid ?? -1,
      output,
      stop,
      url: match[1] ?? '',
      startupMs,
      ownStartMs: own ? Number(own[1]) : undefined,
      sinceProcessStartMs: own ? Number(own[2]) : undefined,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface Memory {
  /** kB */
  readonly rss: number;
  readonly hwm: number;
  /** Anonymous memory: the process's own, without the mapped node binary and libraries. */
  readonly anon: number;
}

export async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM'), anon: field('RssAnon') };
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") ": state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on Linux on every architecture the BMC and this bench run on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The whole machine's busy and total CPU time so far (all cores), from /proc/stat. */
export async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, v) => sum + v, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}
