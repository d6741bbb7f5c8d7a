/**
 * What the gateway's start-up spends, on each node given (this machine's
 * and the armv7l build under qemu-user that .ci/arm/fetch-runtime.sh sets
 * up), so the phases can be compared in one run (docs/PERFORMANCE.md,
 * "Start-up under emulation").
 *
 *   npm run build && node build/bench/arm-startup.js [--runs 3] [--node /path/to/node]...
 *
 * Phases, each the median of --runs fresh processes:
 *  - boot: `node -e 0`, Node's own start-up, nothing of ours;
 *  - module loading: `await import(...)` timed inside a fresh process, for the
 *    gateway's whole graph (build/src/server.js) and for each runtime
 *    dependency alone (they share nothing much, so they roughly add up);
 *  - bus and match rules: BusConnection.connect and Bmc.start, the first
 *    D-Bus work startGateway does (the mapper is not called before a request);
 *  - TLS: the self-signed certificate generated (first start) and loaded
 *    (every later start);
 *  - the CLI as systemd starts it: "started in" (startGateway) and the time
 *    since process start from its log line, with and without a certificate,
 *    and startGateway split at its "authentication:" log line;
 *  - first requests: the first GET of an object (mapper GetObject,
 *    Introspect, GetAll, TLS handshake) and the next one.
 * The simulated BMC runs natively on a private bus (its default 24 sensors).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BUILD = fileURLToPath(new URL('../', import.meta.url));
const ROOT = join(BUILD, '..');
const SELF = fileURLToPath(import.meta.url);
const DEPENDENCIES = ['dbus-next', 'koa', '@koa/router', 'ws', 'busboy', 'selfsigned', 'basic-auth'];
const OBJECT = '/xyz/openbmc_project/state/host0';
const USER = 'bench';
const PASSWORD = 'bench-startup-pw';
const TIMEOUT_MS = 300_000;

/** Runs `node args` to its end; resolves with stdout and the wall time. */
function run(node: string, args: readonly string[]): Promise<{ stdout: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(node, args, { cwd: ROOT, timeout: TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${node} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve({ stdout, ms: performance.now() - started });
    });
  });
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function repeat(runs: number, once: () => Promise<number>): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < runs; i++) values.push(await once());
  return median(values);
}

/** ms of `await import(specifier)` in a fresh process of `node`. */
async function importMs(node: string, specifier: string): Promise<number> {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  return Number((await run(node, ['--input-type=module', '-e', code])).stdout);
}

// ------------------------------------------------ probes (run inside the measured node)

async function probeBus(busAddress: string): Promise<void> {
  const { BusConnection } = await import('../src/dbus/bus.js');
  const { Bmc } = await import('../src/bmc/objects.js');
  const t0 = performance.now();
  const bus = await BusConnection.connect({ address: busAddress, callTimeoutMs: 5_000 });
  const t1 = performance.now();
  const bmc = new Bmc(bus, { maxConcurrentCalls: 16 });
  await bmc.start();
  const t2 = performance.now();
  await bmc.stop();
  await bus.close();
  process.stdout.write(JSON.stringify({ connect: t1 - t0, start: t2 - t1 }));
}

async function probeTls(dir: string): Promise<void> {
  const { loadOrCreateCertificate } = await import('../src/tls.js');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const t0 = performance.now();
  await loadOrCreateCertificate(cert, key);
  const t1 = performance.now();
  await loadOrCreateCertificate(cert, key);
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ generate: t1 - t0, load: t2 - t1 }));
}

// ------------------------------------------------ the CLI and the BMC as processes

interface Running {
  readonly child: ChildProcess;
  line(pattern: RegExp): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

function start(command: string, args: readonly string[]): Running {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const seen: string[] = [];
  const waiting = new Set<() => void>();
  const onLine = (text: string) => {
    seen.push(text);
    for (const wake of waiting) wake();
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const line = (pattern: RegExp) => new Promise<RegExpExecArray>((resolve, reject) => {
    const check = () => {
      for (const text of seen) {
        const match = pattern.exec(text);
        if (match) return done(undefined, match);
      }
    };
    const timer = setTimeout(() => done(new Error(`${command}: no line like ${pattern}:\n${seen.join('\n')}`)), TIMEOUT_MS);
    function done(error?: Error, match?: RegExpExecArray): void {
      clearTimeout(timer);
      waiting.delete(check);
      if (match) resolve(match);
      else reject(error);
    }
    waiting.add(check);
    void exited.then(() => done(new Error(`${command} exited:\n${seen.join('\n')}`)));
    check();
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return { child, line, stop };
}

function get(url: string, ca: string): Promise<number> {
  const started = performance.now();
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, headers: { authorization: `Basic ${auth}` } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`GET ${url}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

interface CliStart {
  readonly listening: number;
  /** From the log line createAuth ends with to the "listening on" line: the app, TLS, the server. */
  readonly authToListening: number;
  readonly startedIn: number;
  readonly sinceProcessStart: number;
  readonly firstGet: number;
  readonly secondGet: number;
}

async function cliStart(node: string, busAddress: string, dir: string): Promise<CliStart> {
  const t0 = performance.now();
  const cli = start(node, [join(BUILD, 'src/main.js'), '--bus-address', busAddress, '--host', '127.0.0.1', '--port', '0',
    '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'),
    '--auth-backend', 'users-file', '--users-file', join(dir, 'users.json')]);
  try {
    const url = (await cli.line(/^LISTENING (\S+)$/))[1]!;
    const listening = performance.now() - t0;
    const [, listeningAt, startedIn, since] = await cli.line(/^(\S+) info: listening on .* started in (\d+) ms, (\d+) ms since process start/);
    const [, authAt] = await cli.line(/^(\S+) info: authentication: /);
    const ca = await readFile(join(dir, 'cert.pem'), 'utf8');
    const firstGet = await get(url + OBJECT, ca);
    const secondGet = await get(url + OBJECT, ca);
    const authToListening = Date.parse(listeningAt!) - Date.parse(authAt!);
    return { listening, authToListening, startedIn: Number(startedIn), sinceProcessStart: Number(since), firstGet, secondGet };
  } finally {
    await cli.stop();
  }
}

// ------------------------------------------------ orchestration

type Figures = Record<string, number>;

async function measure(node: string, busAddress: string, runs: number): Promise<{ label: string; figures: Figures }> {
  const label = (await run(node, ['-p', 'process.version + " " + process.arch'])).stdout.trim();
  const figures: Figures = {};
  figures['boot: node -e 0 (wall)'] = await repeat(runs, async () => (await run(node, ['-e', '0'])).ms);
  figures['module loading: an empty module (the ESM loader\'s first use)'] = await repeat(runs, () => importMs(node, 'data:text/javascript,export{}'));
  figures['module loading: build/src/server.js (all of it)'] = await repeat(runs, () => importMs(node, join(BUILD, 'src/server.js')));
  for (const name of DEPENDENCIES) figures[`module loading: ${name} alone`] = await repeat(runs, () => importMs(node, name));
  const bus = JSON.parse((await run(node, [SELF, '--probe-bus', busAddress])).stdout) as { connect: number; start: number };
  figures['bus: connect (Hello)'] = bus.connect;
  figures['bus: Bmc.start (match rules)'] = bus.start;
  const tlsDir = await mkdtemp(join(tmpdir(), 'arm-startup-tls-'));
  try {
    const tls = JSON.parse((await run(node, [SELF, '--probe-tls', tlsDir])).stdout) as { generate: number; load: number };
    figures['TLS: generate the self-signed certificate'] = tls.generate;
    figures['TLS: load it'] = tls.load;
  } finally {
    await rm(tlsDir, { recursive: true, force: true });
  }
  const dir = await mkdtemp(join(tmpdir(), 'arm-startup-cli-'));
  try {
    const { hashPassword } = await import('../src/auth/passwords.js');
    await writeFile(join(dir, 'users.json'), JSON.stringify({ users: { [USER]: { password: await hashPassword(PASSWORD), role: 'priv-admin' } } }), { mode: 0o600 });
    const first = await cliStart(node, busAddress, dir);
    figures['CLI, no certificate yet: startGateway ("started in")'] = first.startedIn;
    figures['CLI, no certificate yet: since process start'] = first.sinceProcessStart;
    const later: CliStart[] = [];
    for (let i = 0; i < runs; i++) later.push(await cliStart(node, busAddress, dir));
    figures['CLI, certificate kept: startGateway ("started in")'] = median(later.map((s) => s.startedIn));
    figures['  of which bus, match rules and auth set-up (to the "authentication:" log line)'] = median(later.map((s) => s.startedIn - s.authToListening));
    figures['  of which the app, TLS and the server (to the "listening on" line)'] = median(later.map((s) => s.authToListening));
    figures['CLI, certificate kept: since process start'] = median(later.map((s) => s.sinceProcessStart));
    figures['CLI, certificate kept: spawn to LISTENING (wall)'] = median(later.map((s) => s.listening));
    figures['first GET of an object (new TLS connection, mapper, Introspect, GetAll)'] = median(later.map((s) => s.firstGet));
    figures['second GET of it (new TLS connection, caches warm)'] = median(later.map((s) => s.secondGet));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { label, figures };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      node: { type: 'string', multiple: true }, runs: { type: 'string', default: '3' },
      'probe-bus': { type: 'string' }, 'probe-tls': { type: 'string' },
    },
    strict: true,
  });
  if (values['probe-bus']) return probeBus(values['probe-bus']);
  if (values['probe-tls']) return probeTls(values['probe-tls']);
  const runs = Number(values.runs);
  const bmc = start(process.execPath, [join(BUILD, 'fixtures/run-bmc.js')]);
  try {
    const busAddress = (await bmc.line(/^BUS (\S+)$/))[1]!;
    await bmc.line(/^READY$/);
    const results = [];
    for (const node of values.node ?? [process.execPath]) {
      const result = await measure(node, busAddress, runs);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      results.push(result);
    }
    const rows = [`| phase (ms, median of ${runs}) | ${results.map((r) => r.label).join(' | ')} |`, `|---|${results.map(() => '---:').join('|')}|`];
    for (const phase of Object.keys(results[0]?.figures ?? {})) {
      rows.push(`| ${phase} | ${results.map((r) => Math.round(r.figures[phase] ?? NaN)).join(' | ')} |`);
    }
    process.stdout.write(`\n${rows.join('\n')}\n`);
  } finally {
    await bmc.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`arm-startup: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
