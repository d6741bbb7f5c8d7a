/**
 * What silent connections cost the gateway, and how fast it serves again
 * once they leave (docs/SECURITY.md, "Connections"). A separate script from
 * `npm run bench`: `npm run bench:connections`.
 *
 * On a private bus with the simulated BMC, the built gateway as a child
 * process with the unit's environment:
 * 1. caps raised to hold them (--max-connections 1100, per address 1100):
 *    1,000 silent TCP connections, then 1,000 TLS connections that finished
 *    the handshake and send nothing; the gateway's fds and RSS with each
 *    held; then the clients leave, and the time until a new request is
 *    answered 200 and until the fds are back at the baseline;
 * 2. the shipped caps (200, 64 per address): 1,000 silent connections from
 *    one address, how many the gateway holds, and a request from another
 *    address meanwhile.
 * Reads /proc: Linux only. RESULT lines as `npm run bench` prints them.
 */
import { request as httpsRequest } from 'node:https';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { startPrivateBus } from '../fixtures/dbus-daemon.js';
import { hashPassword } from '../src/auth/passwords.js';
import { fdCount, rssBytes } from '../test/helpers/proc.js';
import { type Target, silentTcp, tlsNoRequest } from '../test/helpers/raw-connections.js';
import { type GatewayChild, startGatewayChild, startSimChild } from './lib/processes.js';

const CONNECTIONS = 1000;
const USER = 'root';
const PASSWORD = '0penBmc';
const PATH = '/xyz/openbmc_project/state/host0/attr/CurrentHostState';

function result(name: string, value: number, unit: string, note = ''): void {
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(1);
  process.stdout.write(`RESULT ${name} ${shown} ${unit}${note ? `  # ${note}` : ''}\n`);
}

/** One GET on a fresh connection; resolves with the status (0: the connection failed). */
function get(target: Target, token: string, localAddress?: string): Promise<number> {
  const { hostname, port } = new URL(target.url);
  return new Promise((resolve) => {
    const req = httpsRequest({
      host: hostname, port, path: PATH, ca: target.ca, servername: 'localhost', agent: false,
      headers: { 'x-auth-token': token }, ...(localAddress ? { localAddress } : {}),
    }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(10_000, () => req.destroy());
    req.end();
  });
}

async function login(target: Target): Promise<string> {
  const { hostname, port } = new URL(target.url);
  const body = JSON.stringify({ data: [USER, PASSWORD] });
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: hostname, port, path: '/login', method: 'POST', ca: target.ca, servername: 'localhost', agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
    }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve(String((JSON.parse(text) as { token: string }).token)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Milliseconds until `probe` holds, polling every 5 ms (bounded). */
async function msUntil(probe: () => Promise<boolean>, boundMs = 30_000): Promise<number> {
  const began = performance.now();
  while (!(await probe())) {
    if (performance.now() - began > boundMs) return NaN;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - began;
}

async function hold(kind: 'tcp' | 'tls', target: Target, count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    // In batches, so that the accept backlog never overflows.
    const batch = Math.min(50, count - i);
    sockets.push(...await Promise.all(Array.from({ length: batch }, () => (kind === 'tcp' ? silentTcp(target) : tlsNoRequest(target)))));
    i += batch - 1;
  }
  return sockets;
}

const mb = (bytes: number) => bytes / 1024 / 1024;

const dir = await mkdtemp(join(tmpdir(), 'gateway-connections-'));
const bus = await startPrivateBus();
const children: Array<{ stop(): Promise<void> }> = [];
try {
  const imageDir = join(dir, 'images');
  const dumpDir = join(dir, 'dumps');
  await mkdir(imageDir);
  await mkdir(dumpDir);
  const usersFile = join(dir, 'users.json');
  await writeFile(usersFile, JSON.stringify({ users: { [USER]: { password: await hashPassword(PASSWORD), role: 'priv-admin' } } }), { mode: 0o600 });
  children.push(await startSimChild({ busAddress: bus.address, sensors: 24, imageDir, dumpDir }));
  const start = async (flags: string[]): Promise<{ gateway: GatewayChild; target: Target; token: string }> => {
    const gateway = await startGatewayChild({ busAddress: bus.address, dir, imageDir, dumpDir, usersFile, extraFlags: flags });
    children.push(gateway);
    const target = { url: gateway.url, ca: await readFile(join(dir, 'cert.pem'), 'utf8') };
    const token = await login(target);
    for (let i = 0; i < 20; i++) await get(target, token);
    return { gateway, target, token };
  };

  // 1. Caps raised: what 1,000 held connections cost, and serving again after they leave.
  {
    const { gateway, target, token } = await start(['--max-connections', '1100', '--max-connections-per-address', '1100',
      '--tls-handshake-timeout-ms', '60000', '--headers-timeout-ms', '60000']);
    const baseFds = await fdCount(gateway.pid);
    const baseRss = await rssBytes(gateway.pid);
    result('connections_baseline_fds', baseFds, 'fds');
    result('connections_baseline_rss', mb(baseRss), 'MB');
    for (const kind of ['tcp', 'tls'] as const) {
      const sockets = await hold(kind, target, CONNECTIONS);
      await msUntil(async () => (await fdCount(gateway.pid)) >= baseFds + CONNECTIONS, 10_000);
      result(`connections_${kind}_${CONNECTIONS}_fds`, await fdCount(gateway.pid), 'fds',
        kind === 'tcp' ? 'silent TCP' : 'TLS handshake done, no request');
      result(`connections_${kind}_${CONNECTIONS}_rss`, mb(await rssBytes(gateway.pid)), 'MB');
      result(`connections_${kind}_${CONNECTIONS}_rss_per_connection`, (await rssBytes(gateway.pid) - baseRss) / CONNECTIONS / 1024, 'kB');
      const served = await get(target, token);
      result(`connections_${kind}_${CONNECTIONS}_request_while_held`, served, 'status');
      for (const socket of sockets) socket.destroy();
      result(`connections_${kind}_served_again_after_leaving`, await msUntil(async () => (await get(target, token)) === 200), 'ms');
      result(`connections_${kind}_fds_back_after_leaving`, await msUntil(async () => (await fdCount(gateway.pid)) <= baseFds), 'ms');
    }
    await gateway.stop();
  }

  // 2. The shipped caps: 1,000 silent connections from one address.
  {
    const { gateway, target, token } = await start([]);
    const baseFds = await fdCount(gateway.pid);
    const sockets = await hold('tcp', target, CONNECTIONS);
    await new Promise((resolve) => setTimeout(resolve, 500));
    result('connections_default_caps_held', (await fdCount(gateway.pid)) - baseFds, 'connections', `of ${CONNECTIONS} from one address`);
    result('connections_default_caps_rss', mb(await rssBytes(gateway.pid)), 'MB');
    const began = performance.now();
    const status = await get(target, token, '127.0.0.2');
    result('connections_default_caps_other_address_status', status, 'status');
    result('connections_default_caps_other_address_ms', performance.now() - began, 'ms');
    for (const socket of sockets) socket.destroy();
    await gateway.stop();
  }
} finally {
  for (const child of children.reverse()) await child.stop().catch(() => undefined);
  await bus.stop();
  await rm(dir, { recursive: true, force: true });
}
