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
 * missing). Each phase is a module of bench/phases/; this file starts and
 * stops what they share and prints the summary.
 * Attribute GET runs in the shipped configuration (roles from D-Bus) beside
 * users-file roles.
 *
 * Authentication: the bench logs in once (POST /login) and sends the session
 * token as X-Auth-Token, as openbmctool and scripts do. HTTP Basic checks the
 * password (scrypt, 2 at a time) on every request; its rate is printed too,
 * for contrast.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startPrivateBus } from '../fixtures/dbus-daemon.js';
import { hashPassword } from '../src/auth/passwords.js';
import { median, planOf, type Figure, type PhaseContext } from './lib/phase.js';
import { BUILD_DIR, type GatewayChild, type Child, startGatewayChild, startSimChild, unitEnvironment } from './lib/processes.js';
import { formatSummary, summariseProfile } from './lib/profile.js';
import { enumeratePhase } from './phases/enumerate.js';
import { enumerateMemoryPhase } from './phases/enumerate-memory.js';
import { getPhase } from './phases/get.js';
import { memoryPhase } from './phases/memory.js';
import { startupPhase } from './phases/startup.js';
import { wsPhase } from './phases/ws.js';

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

const figures: Figure[] = [];

function result(figure: Figure): void {
  figures.push(figure);
  const value = Number.isInteger(figure.value) ? String(figure.value) : figure.value.toFixed(figure.value < 10 ? 3 : 1);
  process.stdout.write(`RESULT ${figure.name} ${value} ${figure.unit}\n`);
}

function note(text: string): void {
  process.stdout.write(`# ${text}\n`);
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

/** What the phases in bench/phases/ get. */
const context: PhaseContext = {
  busAddress: bus.address, quick: QUICK, plan: planOf(QUICK), profile: args.profile === true, dir, user: USER, password: PASSWORD,
  sim, gateway, stop, profileSummary, ca: () => ca, result, note,
};

try {
  note(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GB RAM, Node ${process.version}${QUICK ? ', --quick' : ''}`);
  const unitEnv = Object.entries(await unitEnvironment()).map(([key, value]) => `${key}=${value}`).join(' ');
  note(process.env.BENCH_GATEWAY_UNIT_ENV === '0'
    ? 'gateway environment: Node and glibc defaults (BENCH_GATEWAY_UNIT_ENV=0)'
    : `gateway environment from systemd/bmc-rest-gateway.service: ${unitEnv || '(none)'}`);
  const phases: Array<[string, (ctx: PhaseContext) => Promise<void>]> = [
    ['enumerate', enumeratePhase], ['enumerate-memory', enumerateMemoryPhase], ['get', getPhase], ['ws', wsPhase],
    ['memory', memoryPhase], ['startup', startupPhase],
  ];
  for (const [name, phase] of phases) {
    if (!PHASES.has(name)) continue;
    const t = performance.now();
    await phase(context);
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
