/**
 * The gateway's benchmark:
 *
 *   npm run bench [-- --quick] [-- --profile] [-- --only enumerate,enumerate-memory,get,ws,memory,startup]
 *
 * Starts a private bus, the simulated BMC (its own process,
 * build/fixtures/run-bmc.js) and the gateway as the CLI runs it
 * (build/src/main.js, its own process: RSS and CPU profiles are its own), and
 * prints one `RESULT <name> <value> <unit>` line per figure plus a table.
 * `--quick` runs fewer iterations and shorter loads (same figures, < 60 s).
 * `--profile` runs the enumerate and attribute-GET gateways under
 * `node --cpu-prof` and prints where their CPU time went (the profiler costs
 * a few percent, so the figures of a --profile run are slightly pessimistic).
 *
 * The gateway runs with the `Environment=` lines of systemd/bmc-rest-gateway.service
 * (memory settings), as on a BMC; BENCH_GATEWAY_UNIT_ENV=0 runs it with Node's
 * defaults, BENCH_GATEWAY_NODE_FLAGS adds flags, BENCH_GATEWAY_MAIN runs another build.
 *
 * Enumerate CPU is compared with a dbus-python client doing the same bus work
 * (bench/python/dbus_enumerate.py, Debian's python3-dbus, installed when
 * missing); the enumerate memory phase is bench/lib/enumerate-memory.ts.
 * Attribute GET runs in the shipped configuration (roles from D-Bus) beside
 * users-file roles.
 *
 * Authentication: the bench logs in once (POST /login) and sends the session
 * token as X-Auth-Token, as openbmctool and scripts do. HTTP Basic checks the
 * password (scrypt, 2 at a time) on every request; its rate is printed too,
 * for contrast.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { create as createTar } from 'tar';
import { startPrivateBus } from '../fixtures/dbus-daemon.js';
import { hashPassword } from '../src/auth/passwords.js';
import { directBus, directEnumerate, directGetRate } from './lib/direct.js';
import { enumerateMemoryPhase } from './lib/enumerate-memory.js';
import { measureFanout } from './lib/fanout.js';
import { gatewayClient, login, send, upload } from './lib/http.js';
import { BUILD_DIR, type GatewayChild, type Child, cpuSecondsOf, machineCpu, memoryOf, startGatewayChild, startSimChild, unitEnvironment } from './lib/processes.js';
import type { Figure, PhaseContext } from './lib/phase.js';
import { formatSummary, summariseProfile } from './lib/profile.js';
import { ensurePythonDbus, pythonEnumerate } from './lib/python-baseline.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
  strict: true,
});
const QUICK = args.quick === true;
const PHASES = new Set((args.only ?? 'enumerate,enumerate-memory,get,ws,memory,startup').split(','));
const USER = 'root';
const PASSWORD = '0penBmc';
const ATTR = {
  service: 'xyz.openbmc_project.HwmonTempSensor',
  path: '/xyz/openbmc_project/sensors/temperature/inlet',
  iface: 'xyz.openbmc_project.Sensor.Value',
  name: 'Value',
};

const PLAN = QUICK
  ? { sizes: [100, 1000, 5000], runs: { 100: 5, 1000: 3, 5000: 1 } as Record<number, number>, warmUp: false, getSeconds: 1,
    concurrency: [1, 16, 64], wsClients: 100, wsSensors: 200, wsSeconds: 3, wsRate: 1000, requests: 10_000, settleSeconds: 0, uploadMiB: 16, starts: 2 }
  : { sizes: [100, 1000, 5000], runs: { 100: 15, 1000: 9, 5000: 5 } as Record<number, number>, warmUp: true, getSeconds: 8,
    concurrency: [1, 16, 64], wsClients: 100, wsSensors: 1000, wsSeconds: 10, wsRate: 1000, requests: 50_000, settleSeconds: 30, uploadMiB: 64, starts: 5 };

const figures: Figure[] = [];

function result(figure: Figure): void {
  figures.push(figure);
  const value = Number.isInteger(figure.value) ? String(figure.value) : figure.value.toFixed(figure.value < 10 ? 3 : 1);
  process.stdout.write(`RESULT ${figure.name} ${value} ${figure.unit}\n`);
}

function note(text: string): void {
  process.stdout.write(`# ${text}\n`);
}

function median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : ((sorted[mid - 1]! + sorted[mid]!) / 2);
}

const began = performance.now();
const dir = await mkdtemp(join(tmpdir(), 'gateway-bench-'));
const imageDir = join(dir, 'images');
const dumpDir = join(dir, 'dumps');
const profileDir = join(dir, 'profiles');
await mkdir(imageDir);
await mkdir(dumpDir);
const usersFile = join(dir, 'users.json');
// The default scrypt cost, as `bmc-rest-gateway-users` would write it.
await writeFile(usersFile, JSON.stringify({ users: { [USER]: { password: await hashPassword(PASSWORD), role: 'priv-admin' } } }), { mode: 0o600 });
const bus = await startPrivateBus();
const children = new Set<Child>();
const starts: GatewayChild[] = [];
let ca = '';

async function sim(sensors: number, sensorRate = 0): Promise<Child> {
  const child = await startSimChild({ busAddress: bus.address, sensors, sensorRate, imageDir, dumpDir });
  children.add(child);
  return child;
}

async function gateway(options: { profile?: string; flags?: string[] } = {}): Promise<GatewayChild> {
  const child = await startGatewayChild({
    busAddress: bus.address, dir, imageDir, dumpDir, usersFile,
    ...(options.profile ? { cpuProfileDir: join(profileDir, options.profile) } : {}),
    // Every bench client is 127.0.0.1 and root: the per-address and per-user caps would refuse
    // the 64 GET connections and the 100 websockets (bench/connections.ts measures the caps).
    extraFlags: ['--max-connections-per-address', '1000', '--ws-max-connections-per-user', '1000', ...(options.flags ?? [])],
  });
  children.add(child);
  if (!options.profile) starts.push(child);
  ca ||= await readFile(join(dir, 'cert.pem'), 'utf8');
  return child;
}

async function stop(child: Child | undefined): Promise<void> {
  if (!child) return;
  await child.stop();
  children.delete(child);
}

/** What the phases in bench/lib/ get. */
const context: PhaseContext = {
  busAddress: bus.address, quick: QUICK, user: USER, password: PASSWORD,
  sim, gateway, stop, ca: () => ca, result, note,
};

const profiles: string[] = [];
const KEPT_PROFILES = join(BUILD_DIR, 'bench-profiles');
async function profileSummary(name: string, title: string): Promise<void> {
  const files = (await readdir(join(profileDir, name)).catch(() => [])).filter((f) => f.endsWith('.cpuprofile'));
  if (!files[0]) return;
  profiles.push(formatSummary(title, await summariseProfile(join(profileDir, name, files[0]))));
  // Kept for a closer look (e.g. Chrome DevTools → Performance → Load profile).
  await mkdir(KEPT_PROFILES, { recursive: true });
  await copyFile(join(profileDir, name, files[0]), join(KEPT_PROFILES, `${name}.cpuprofile`));
  note(`CPU profile kept at ${join(KEPT_PROFILES, `${name}.cpuprofile`)}`);
}

async function enumeratePhase(): Promise<void> {
  const gw = await gateway(args.profile ? { profile: 'enumerate' } : {});
  const client = gatewayClient(gw.url, ca);
  await login(client, USER, PASSWORD);
  const direct = await directBus(bus.address);
  const python = await ensurePythonDbus(note);
  let simChild: Child | undefined;
  try {
    for (const size of PLAN.sizes) {
      const t0 = performance.now();
      simChild = await sim(size);
      note(`simulated BMC with ${size} sensors ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const runs = PLAN.runs[size] ?? 3;
      const gatewayMs: number[] = [];
      const directMs: number[] = [];
      let gatewayCpuSeconds = 0;
      let objects = 0;
      let directObjects = 0;
      let answerBytes = 0;
      // One warm-up each, then interleaved so both see the same background load.
      for (let i = PLAN.warmUp || size < 5000 ? -1 : 0; i < runs; i++) {
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
      if (objects !== directObjects) note(`WARNING: gateway returned ${objects} objects, direct ${directObjects}`);
      note(`enumerate /xyz/openbmc_project with ${size} sensors: ${objects} objects, ${answerBytes} bytes, ${runs} runs`);
      const g = median(gatewayMs);
      const d = median(directMs);
      const targeted = size >= 1000;
      result({ name: `enumerate_${size}_gateway`, value: g, unit: 'ms' });
      result({ name: `enumerate_${size}_direct`, value: d, unit: 'ms' });
      result({ name: `enumerate_${size}_ratio`, value: g / d, unit: 'x', ...(targeted ? { target: '<= 1.2', ok: g / d <= 1.2 } : {}), note: 'wall time against direct dbus-next' });
      const gatewayCpuMs = (1000 * gatewayCpuSeconds) / runs;
      result({ name: `enumerate_${size}_gateway_cpu`, value: gatewayCpuMs, unit: 'ms', note: 'gateway process CPU per request (user + system, TLS included)' });
      if (python) {
        // One more iteration than measured: the first is a warm-up (imports, first introspection of the proxies).
        const iterations = (await pythonEnumerate(bus.address, '/xyz/openbmc_project', runs + 1)).slice(1);
        const pythonCpuMs = iterations.reduce((sum, it) => sum + it.cpuMs, 0) / iterations.length;
        result({ name: `enumerate_${size}_python_cpu`, value: pythonCpuMs, unit: 'ms', note: 'dbus-python client CPU per enumerate, same bus work + sorted json.dumps' });
        result({ name: `enumerate_${size}_python_wall`, value: median(iterations.map((it) => it.wallMs)), unit: 'ms', note: 'its GetAll calls are sequential' });
        result({ name: `enumerate_${size}_cpu_ratio`, value: gatewayCpuMs / pythonCpuMs, unit: 'x', ...(targeted ? { target: '<= 0.33', ok: gatewayCpuMs / pythonCpuMs <= 0.33 } : {}), note: 'gateway CPU / dbus-python CPU' });
        if (Math.abs((iterations[0]?.bytes ?? 0) - answerBytes) > answerBytes * 0.01) note(`WARNING: dbus-python's answer has ${iterations[0]?.bytes} bytes, the gateway's ${answerBytes}`);
      }
      await stop(simChild);
      simChild = undefined;
    }
  } finally {
    direct.disconnect();
    await stop(simChild);
    await stop(gw);
  }
  if (args.profile) await profileSummary('enumerate', 'CPU profile of the gateway during the enumerate runs');
}

/** One attribute-GET load against a gateway: rate, p99, the gateway's CPU per request, how busy the machine was. */
async function attrLoad(gw: GatewayChild, token: string, connections: number, label: string) {
  const url = `${gw.url}${ATTR.path}/attr/${ATTR.name}`;
  // Warm-up, then the measured run.
  if (PLAN.warmUp) await autocannon({ url, connections, duration: 1, headers: { 'x-auth-token': token }, servername: 'localhost' });
  const [cpuBefore, machineBefore] = [await cpuSecondsOf(gw.pid), await machineCpu()];
  const run = await autocannon({ url, connections, duration: PLAN.getSeconds, headers: { 'x-auth-token': token }, servername: 'localhost' });
  const [cpuAfter, machineAfter] = [await cpuSecondsOf(gw.pid), await machineCpu()];
  if (run.non2xx > 0 || run.errors > 0) note(`WARNING: ${run.non2xx} non-2xx and ${run.errors} errors at ${connections} connections (${label})`);
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
async function getPhase(): Promise<void> {
  const simChild = await sim(24);
  const gw = await gateway(args.profile ? { profile: 'get' } : {});
  const shipped = await gateway({ flags: ['--role-source', 'dbus'] });
  const direct = await directBus(bus.address);
  try {
    const client = gatewayClient(gw.url, ca);
    const token = await login(client, USER, PASSWORD);
    const shippedClient = gatewayClient(shipped.url, ca);
    const shippedToken = await login(shippedClient, USER, PASSWORD);
    for (const c of [client, shippedClient]) {
      const check = await send(c, 'GET', `${ATTR.path}/attr/${ATTR.name}`);
      if (check.status !== 200) throw new Error(`attr GET: ${check.status} ${check.body.toString()}`);
    }
    const directRates = new Map<number, number>();
    for (const connections of PLAN.concurrency) {
      const usersFile = await attrLoad(gw, token, connections, 'users-file roles');
      const dbusRoles = await attrLoad(shipped, shippedToken, connections, 'shipped configuration');
      const directMachineBefore = await machineCpu();
      const directRate = await directGetRate(direct, ATTR, connections, PLAN.getSeconds);
      const directMachineAfter = await machineCpu();
      result({ name: `get_attr_c${connections}_gateway`, value: usersFile.rate, unit: 'req/s', note: 'roles from the users file' });
      result({ name: `get_attr_c${connections}_gateway_p99`, value: usersFile.p99, unit: 'ms' });
      result({ name: `get_attr_c${connections}_direct`, value: directRate, unit: 'calls/s' });
      result({ name: `get_attr_c${connections}_ratio`, value: usersFile.rate / directRate, unit: 'x', target: '>= 0.5', ok: usersFile.rate / directRate >= 0.5 });
      // Where the time goes: the gateway's own CPU per request, and how busy the two cores were
      // (load generator, bus daemon, simulated daemons and gateway share them).
      result({ name: `get_attr_c${connections}_gateway_cpu_per_request`, value: usersFile.cpuPerRequest, unit: 'us', note: 'gateway process, user + system' });
      result({ name: `get_attr_c${connections}_machine_busy`, value: usersFile.busy, unit: '%', note: `all ${cpus().length} cores, during the gateway run` });
      result({ name: `get_attr_c${connections}_shipped`, value: dbusRoles.rate, unit: 'req/s', note: 'roles from D-Bus (GetUserInfo), users-file passwords' });
      result({ name: `get_attr_c${connections}_shipped_p99`, value: dbusRoles.p99, unit: 'ms' });
      result({ name: `get_attr_c${connections}_shipped_ratio`, value: dbusRoles.rate / directRate, unit: 'x', target: '>= 0.5', ok: dbusRoles.rate / directRate >= 0.5 });
      result({ name: `get_attr_c${connections}_shipped_cpu_per_request`, value: dbusRoles.cpuPerRequest, unit: 'us', note: 'gateway process, user + system' });
      result({ name: `get_attr_c${connections}_direct_machine_busy`, value: busy(directMachineBefore, directMachineAfter), unit: '%', note: 'during the direct run' });
      directRates.set(connections, directRate);
    }
    // Contrast: HTTP Basic pays a scrypt check per request.
    const url = `${gw.url}${ATTR.path}/attr/${ATTR.name}`;
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
    const run = await autocannon({ url, connections: 16, duration: Math.min(3, PLAN.getSeconds), headers: { authorization: basic }, servername: 'localhost' });
    result({ name: 'get_attr_c16_basic_auth', value: run['2xx'] / run.duration, unit: 'req/s', note: 'HTTP Basic, scrypt N=16384 per request' });
    // Where the gap to the bus is: the same reads from a gateway serving plain HTTP (--no-tls, as
    // behind a TLS-terminating proxy), against the direct rates measured above.
    await plainHttpRates(url.replace(gw.url, ''), directRates);
  } finally {
    direct.disconnect();
    await stop(gw);
    await stop(shipped);
    await stop(simChild);
  }
  if (args.profile) await profileSummary('get', 'CPU profile of the gateway during the attribute GET runs');
}

async function plainHttpRates(path: string, directRates: ReadonlyMap<number, number>): Promise<void> {
  const gw = await gateway({ flags: ['--no-tls'] });
  try {
    const answer = await fetch(`${gw.url}/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: [USER, PASSWORD] }),
    });
    const token = ((await answer.json()) as { token?: string }).token;
    if (!token) throw new Error(`plain HTTP login: ${answer.status}`);
    for (const connections of QUICK ? [16] : PLAN.concurrency) {
      const options = { url: `${gw.url}${path}`, connections, headers: { 'x-auth-token': token } };
      if (PLAN.warmUp) await autocannon({ ...options, duration: 1 });
      const run = await autocannon({ ...options, duration: PLAN.getSeconds });
      if (run.non2xx > 0 || run.errors > 0) note(`WARNING: ${run.non2xx} non-2xx and ${run.errors} errors (plain HTTP, ${connections} connections)`);
      const rate = run['2xx'] / run.duration;
      result({ name: `get_attr_c${connections}_plain_http`, value: rate, unit: 'req/s', note: '--no-tls' });
      const direct = directRates.get(connections);
      if (direct) result({ name: `get_attr_c${connections}_plain_http_ratio`, value: rate / direct, unit: 'x', note: 'against the direct rate above' });
    }
  } finally {
    await stop(gw);
  }
}

async function wsPhase(): Promise<void> {
  const flags = ['--ws-max-connections', String(PLAN.wsClients + 10)];
  const gw = await gateway(args.profile ? { profile: 'ws', flags } : { flags });
  let emitting: Child | undefined;
  try {
    const client = gatewayClient(gw.url, ca);
    const token = await login(client, USER, PASSWORD);
    const fan = await measureFanout({
      url: gw.url, ca, token, busAddress: bus.address, clients: PLAN.wsClients, emitSeconds: PLAN.wsSeconds,
      startSensors: async () => {
        emitting = await sim(PLAN.wsSensors, PLAN.wsRate);
        return async () => {
          await stop(emitting);
          emitting = undefined;
        };
      },
    });
    note(`websocket: ${fan.clients} clients, ${PLAN.wsSensors} sensors emitting for ${fan.emitSeconds.toFixed(1)} s (from the simulated BMC's READY); `
      + `${fan.expectedPerClient} matching events emitted (${(fan.expectedPerClient / fan.emitSeconds).toFixed(0)}/s)`);
    result({ name: 'ws_events_expected', value: fan.expected, unit: 'events' });
    result({ name: 'ws_events_delivered', value: fan.delivered, unit: 'events' });
    result({ name: 'ws_events_lost', value: fan.lost, unit: 'events', target: '0', ok: fan.lost === 0 });
    result({ name: 'ws_events_mismatched', value: fan.mismatched, unit: 'events' });
    result({ name: 'ws_clients_closed_early', value: fan.closedEarly, unit: 'clients' });
    result({ name: 'ws_latency_p50', value: fan.p50, unit: 'ms' });
    result({ name: 'ws_latency_p99', value: fan.p99, unit: 'ms' });
    result({ name: 'ws_latency_max', value: fan.max, unit: 'ms' });
    result({ name: 'ws_latency_p50_second_half', value: fan.steadyP50, unit: 'ms', note: 'events of the 2nd half of the stream' });
    result({ name: 'ws_latency_p99_second_half', value: fan.steadyP99, unit: 'ms', note: 'events of the 2nd half of the stream' });
  } finally {
    await stop(emitting);
    await stop(gw);
  }
  if (args.profile) await profileSummary('ws', 'CPU profile of the gateway during the websocket fan-out');
}

async function memoryPhase(): Promise<void> {
  const simChild = await sim(24);
  const gw = await gateway();
  const mb = (kb: number) => kb / 1024;
  try {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idle = await memoryOf(gw.pid);
    result({ name: 'rss_idle', value: mb(idle.rss), unit: 'MB', note: '2 s after start' });
    result({ name: 'rss_idle_anon', value: mb(idle.anon), unit: 'MB', note: 'RssAnon (without the mapped node binary and libraries), 2 s after start' });
    // A daemon idle on a BMC has been idle for a while: V8's memory reducer gives back what start-up
    // grew (its young generation, free pages) once allocation has been quiet for some seconds.
    // Sampled until RssAnon has dropped and held for 3 s, for at most 60 s (not in --quick).
    if (PLAN.settleSeconds > 0) {
      const from = performance.now();
      let settled = idle;
      let steady = 0;
      while (performance.now() - from < 60_000 && steady < 3) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const now = await memoryOf(gw.pid);
        steady = now.anon < idle.anon - 1024 && Math.abs(now.anon - settled.anon) < 256 ? steady + 1 : 0;
        settled = now;
      }
      const waited = 2 + (performance.now() - from) / 1000;
      result({ name: 'rss_idle_settled', value: mb(settled.rss), unit: 'MB', target: '<= 60', ok: mb(settled.rss) <= 60, note: `+${waited.toFixed(0)} s after start` });
      result({ name: 'rss_idle_settled_anon', value: mb(settled.anon), unit: 'MB', target: '<= 20', ok: mb(settled.anon) <= 20, note: 'RssAnon' });
    }
    const client = gatewayClient(gw.url, ca);
    const token = await login(client, USER, PASSWORD);
    // The users-file backend's scrypt (N=16384, r=8) takes 16 MiB of native memory for the check,
    // which the allocator keeps; PAM (the production backend) does not do this.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const loggedIn = await memoryOf(gw.pid);
    result({ name: 'rss_after_login', value: mb(loggedIn.rss), unit: 'MB', note: 'one users-file (scrypt) login' });
    const run = await autocannon({
      url: `${gw.url}${ATTR.path}/attr/${ATTR.name}`, connections: 16, amount: PLAN.requests,
      headers: { 'x-auth-token': token }, servername: 'localhost',
    });
    if (run.non2xx > 0 || run.errors > 0) note(`WARNING: ${run.non2xx} non-2xx and ${run.errors} errors during the ${PLAN.requests} requests`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = await memoryOf(gw.pid);
    note(`${run['2xx']} requests answered; VmHWM so far ${mb(after.hwm).toFixed(1)} MB`);
    result({ name: 'rss_after_requests', value: mb(after.rss), unit: 'MB', note: `${PLAN.requests} GET attr, 16 connections, +2 s` });
    result({ name: 'rss_growth_requests', value: mb(after.rss - idle.rss), unit: 'MB', target: '<= 10', ok: mb(after.rss - idle.rss) <= 10, note: 'from rss_idle' });
    result({ name: 'rss_growth_requests_after_login', value: mb(after.rss - loggedIn.rss), unit: 'MB', note: 'from rss_after_login' });
    // V8's memory reducer gives free heap pages back some seconds after the load stops (it
    // waits for a quiet allocation rate); what the daemon keeps once a burst is over is this
    // figure: sampled every 0.5 s until it is back within 10 MB of idle or settleSeconds pass.
    // Not in --quick (it would not fit in 60 s).
    if (PLAN.settleSeconds > 0) {
      const waitFrom = performance.now();
      let settled = await memoryOf(gw.pid);
      while (mb(settled.rss - idle.rss) > 10 && performance.now() - waitFrom < PLAN.settleSeconds * 1000) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        settled = await memoryOf(gw.pid);
      }
      const waited = 2 + (performance.now() - waitFrom) / 1000;
      const settledGrowth = mb(settled.rss - idle.rss);
      result({ name: 'rss_after_requests_settled', value: mb(settled.rss), unit: 'MB', note: `+${waited.toFixed(1)} s after the requests` });
      result({ name: 'rss_settle_seconds', value: waited, unit: 's', note: `until within 10 MB of idle, at most +${2 + PLAN.settleSeconds} s` });
      result({ name: 'rss_growth_requests_settled', value: settledGrowth, unit: 'MB', target: '<= 10', ok: settledGrowth <= 10, note: 'from rss_idle' });
    }

    // A real image: a tar with a MANIFEST the simulated software manager accepts.
    const stage = join(dir, 'stage');
    await mkdir(stage, { recursive: true });
    await writeFile(join(stage, 'MANIFEST'), `purpose=xyz.openbmc_project.Software.Version.VersionPurpose.BMC\nversion=bench-${Date.now()}\n`);
    const blob = join(stage, 'image-bmc');
    await writeFile(blob, Buffer.alloc(0));
    for (let i = 0; i < PLAN.uploadMiB; i++) await writeFile(blob, randomBytes(1024 * 1024), { flag: 'a' });
    const tarFile = join(dir, 'image.tar');
    await createTar({ file: tarFile, cwd: stage }, ['MANIFEST', 'image-bmc']);
    await rm(stage, { recursive: true });
    // Reset the high-water mark (Linux: 5 > clear_refs), then sample while the upload runs.
    await writeFile(`/proc/${gw.pid}/clear_refs`, '5').catch(() => note('could not reset VmHWM; sampling VmRSS only'));
    const before = await memoryOf(gw.pid);
    let peak = before.rss;
    const sampler = setInterval(() => void memoryOf(gw.pid).then((m) => (peak = Math.max(peak, m.rss)), () => undefined), 5);
    const t = performance.now();
    const answer = await upload(client, tarFile);
    const uploadSeconds = (performance.now() - t) / 1000;
    clearInterval(sampler);
    const end = await memoryOf(gw.pid);
    peak = Math.max(peak, end.hwm, end.rss);
    note(`upload of ${PLAN.uploadMiB} MiB: ${answer.status} ${answer.body.toString().replace(/\s+/g, ' ').slice(0, 160)} in ${uploadSeconds.toFixed(1)} s`);
    result({ name: 'upload_status', value: answer.status, unit: 'http', note: `${PLAN.uploadMiB} MiB tar, octet-stream` });
    result({ name: 'rss_peak_upload', value: mb(peak), unit: 'MB' });
    result({ name: 'rss_growth_upload', value: mb(peak - before.rss), unit: 'MB', target: '<= 16', ok: mb(peak - before.rss) <= 16 });
  } finally {
    await stop(gw);
    await stop(simChild);
  }
}

async function startupPhase(): Promise<void> {
  const simChild = await sim(24);
  try {
    for (let i = 0; i < PLAN.starts; i++) await stop(await gateway());
  } finally {
    await stop(simChild);
  }
}

try {
  note(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GB RAM, Node ${process.version}${QUICK ? ', --quick' : ''}`);
  const unitEnv = Object.entries(await unitEnvironment()).map(([key, value]) => `${key}=${value}`).join(' ');
  note(process.env.BENCH_GATEWAY_UNIT_ENV === '0'
    ? 'gateway environment: Node and glibc defaults (BENCH_GATEWAY_UNIT_ENV=0)'
    : `gateway environment from systemd/bmc-rest-gateway.service: ${unitEnv || '(none)'}`);
  const phases: Array<[string, () => Promise<void>]> = [
    ['enumerate', enumeratePhase], ['enumerate-memory', () => enumerateMemoryPhase(context)], ['get', getPhase], ['ws', wsPhase],
    ['memory', memoryPhase], ['startup', startupPhase],
  ];
  for (const [name, phase] of phases) {
    if (!PHASES.has(name)) continue;
    const t = performance.now();
    await phase();
    note(`phase ${name} took ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  // Every gateway start (first one generates the TLS certificate and is left out when there are others).
  const measured = starts.length > 1 ? starts.slice(1) : starts;
  if (measured.length > 0) {
    result({ name: 'startup_to_listening', value: median(measured.map((s) => s.startupMs)), unit: 'ms', note: `spawn → LISTENING, median of ${measured.length}` });
    const own = measured.map((s) => s.ownStartMs).filter((v): v is number => v !== undefined);
    const since = measured.map((s) => s.sinceProcessStartMs).filter((v): v is number => v !== undefined);
    if (own.length) result({ name: 'startup_gateway_own', value: median(own), unit: 'ms', note: 'the daemon\'s "started in"' });
    if (since.length) result({ name: 'startup_since_process_start', value: median(since), unit: 'ms' });
  }
  const seconds = (performance.now() - began) / 1000;
  const rows = figures.map((f) => [f.name, `${Number.isInteger(f.value) ? f.value : f.value.toFixed(f.value < 10 ? 3 : 1)} ${f.unit}`,
    f.target ?? '', f.ok === undefined ? '' : f.ok ? 'ok' : 'MISSED', f.note ?? '']);
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length), 6));
  process.stdout.write('\n' + ['figure', 'value', 'target', 'status'].map((h, c) => h.padEnd(widths[c]!)).join('  ') + '\n');
  for (const row of rows) process.stdout.write(row.map((cell, c) => (c < 4 ? cell.padEnd(widths[c]!) : cell)).join('  ').trimEnd() + '\n');
  for (const profile of profiles) process.stdout.write('\n' + profile + '\n');
  process.stdout.write(`\nbench finished in ${seconds.toFixed(1)} s (authentication: POST /login once, X-Auth-Token on every request)\n`);
} finally {
  for (const child of children) await child.stop();
  await bus.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
