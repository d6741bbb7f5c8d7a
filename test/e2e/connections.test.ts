/**
 * Every accepted socket has an owner and an end, end to end with the built
 * CLI under a small fd limit (prlimit), as an attacker on the management
 * network would try it: TCP that says nothing, TLS that stops after its
 * ClientHello, TLS without a request, request heads that never end. The
 * gateway's fds are counted in /proc/<pid>/fd and its TCP states read from
 * /proc/net/tcp: after the limits pass, and after the clients leave, nothing
 * of theirs is held (no CLOSE-WAIT), and real requests are served during and
 * after. Also: the connection caps, and SIGTERM with such sockets open.
 */
import { Agent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { type CliProcess, startCli } from '../helpers/cli.js';
import { requestHeaders } from '../helpers/cli-auth.js';
import { startCliWorld } from '../helpers/cli-world.js';
import { fdCount, pollUntil, tcpStates } from '../helpers/proc.js';
import { type Target, closedWithin, partialHead, silentTcp, silentTls, tlsNoRequest } from '../helpers/raw-connections.js';

const HOST0 = '/xyz/openbmc_project/state/host0';
/** The fd limit the gateway runs under: a few dozen for itself, the rest for the test's connections. */
const FD_LIMIT = 160;

interface Running {
  readonly cli: CliProcess;
  readonly pid: number;
  readonly target: Target;
}

async function start(t: ExecutionContext, flags: readonly string[]): Promise<Running> {
  const w = await startCliWorld(t);
  // All test clients share 127.0.0.1: the per-address cap is set high unless a test sets it.
  const cli = startCli([...w.args, '--max-connections-per-address', '1000', ...flags], { wrapper: ['prlimit', `--nofile=${FD_LIMIT}:${FD_LIMIT}`, '--'] });
  t.teardown(() => cli.stop());
  const url = await cli.listening;
  return { cli, pid: cli.child.pid ?? -1, target: { url, ca: await w.certificate() } };
}

/** One real request on a fresh connection (Basic, as root); resolves with the status. */
function get(target: Target, path = HOST0, agent: Agent | false = false): Promise<number> {
  const { hostname, port } = new URL(target.url);
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: hostname, port, path, ca: target.ca, servername: 'localhost', agent, headers: requestHeaders() }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** `perKind` connections of each misbehaving kind, opened in parallel (quickly, so that none passes its limit meanwhile). */
async function openAll(target: Target, perKind: number): Promise<Socket[]> {
  const kinds = [silentTcp, silentTls, tlsNoRequest, partialHead];
  return (await Promise.all(kinds.map((open) => Promise.all(Array.from({ length: perKind }, () => open(target)))))).flat();
}

test.serial('silent TCP, silent TLS, TLS without a request, unfinished heads: cut at their limits, nothing held after, requests served', async (t) => {
  const { cli, pid, target } = await start(t, [
    '--tls-handshake-timeout-ms', '5000', '--headers-timeout-ms', '6000', '--keep-alive-timeout-ms', '1000',
  ]);
  t.is(await get(target), 200);
  const baseline = await pollUntil(() => fdCount(pid), () => false, 300);
  const sockets = await openAll(target, 25);
  // The client side is connected once the kernel completed the handshake; the gateway accepts a moment later.
  const held = await pollUntil(() => fdCount(pid), (n) => n >= baseline + sockets.length, 3000);
  t.log(`baseline ${baseline} fds; with ${sockets.length} misbehaving connections: ${held}`);
  t.true(held >= baseline + sockets.length, 'the connections are held while their limits run');
  t.is(await get(target), 200, 'a real request is served while they are held');

  // Past the limits the gateway has cut every one of them, while the clients still hold their side.
  const after = await pollUntil(() => fdCount(pid), (n) => n <= baseline, 15_000);
  t.true(after <= baseline, `fds back at the baseline ${baseline} (now ${after})`);
  const cut = await Promise.all(sockets.map((socket) => closedWithin(socket, 5000)));
  t.deepEqual(cut.filter((state) => state === 'open').length, 0, 'every client socket was closed by the gateway');
  t.deepEqual((await tcpStates(pid)).filter((state) => state !== 'LISTEN'), [], 'no socket left, none in CLOSE-WAIT');
  t.is(await get(target), 200);
  t.regex(cli.stderr(), /listening/);
});

test.serial('clients that leave before the limits: nothing stays in CLOSE-WAIT', async (t) => {
  const { pid, target } = await start(t, ['--tls-handshake-timeout-ms', '60000', '--headers-timeout-ms', '60000']);
  t.is(await get(target), 200);
  const baseline = await fdCount(pid);
  const sockets = await openAll(target, 20);
  for (const socket of sockets) socket.end();
  const after = await pollUntil(() => fdCount(pid), (n) => n <= baseline, 10_000);
  t.true(after <= baseline, `fds back at the baseline ${baseline} (now ${after})`);
  t.deepEqual((await tcpStates(pid)).filter((state) => state === 'CLOSE_WAIT'), []);
  for (const socket of sockets) socket.destroy();
  t.is(await get(target), 200);
});

test.serial('more connections than the fd limit allows, held past the limits: the gateway still serves after they leave', async (t) => {
  // Without the caps these would exhaust the descriptors (the cap keeps a reserve).
  const { pid, target } = await start(t, ['--max-connections', '100',
    '--tls-handshake-timeout-ms', '1000', '--headers-timeout-ms', '1500']);
  t.is(await get(target), 200);
  const baseline = await fdCount(pid);
  const sockets: Socket[] = [];
  for (let i = 0; i < FD_LIMIT + 20; i++) sockets.push(await silentTcp(target));
  t.true(await fdCount(pid) < FD_LIMIT, 'the cap keeps the gateway below its fd limit');
  const after = await pollUntil(() => fdCount(pid), (n) => n <= baseline, 10_000);
  t.true(after <= baseline, `fds back at the baseline ${baseline} (now ${after})`);
  t.is(await get(target), 200);
  for (const socket of sockets) socket.destroy();
  t.deepEqual((await tcpStates(pid)).filter((state) => state === 'CLOSE_WAIT'), []);
});

test.serial('the connection cap: excess connections are closed at once, established ones are served', async (t) => {
  const { cli, target } = await start(t, ['--max-connections', '12',
    '--tls-handshake-timeout-ms', '60000', '--headers-timeout-ms', '60000', '--keep-alive-timeout-ms', '60000']);
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => keepAlive.destroy());
  t.is(await get(target, HOST0, keepAlive), 200);
  const held: Socket[] = [];
  for (let i = 0; i < 11; i++) held.push(await silentTcp(target));
  const excess = await silentTcp(target).catch(() => undefined);
  t.is(excess ? await closedWithin(excess, 3000) : 'closed', 'closed', 'the 13th connection is closed at once');
  t.deepEqual(await Promise.all(held.map((socket) => closedWithin(socket, 200))), held.map(() => 'open'), 'the held ones are untouched');
  t.is(await get(target, HOST0, keepAlive), 200, 'an established keep-alive connection is still served');
  await cli.waitForStderr(/connections: refused 1 connection\(s\) \(12 connections open/);
  for (const socket of held) socket.destroy();
  // Once the gateway has seen the closes (a connection refused meanwhile counts as 0).
  t.is(await pollUntil(() => get(target).catch(() => 0), (status) => status === 200, 5000), 200, 'new connections are accepted again');
});

test.serial('the per-address cap: one address cannot take every connection', async (t) => {
  const { target } = await start(t, ['--max-connections', '100', '--max-connections-per-address', '5',
    '--tls-handshake-timeout-ms', '60000']);
  const held: Socket[] = [];
  for (let i = 0; i < 5; i++) held.push(await silentTcp(target));
  const excess = await silentTcp(target).catch(() => undefined);
  t.is(excess ? await closedWithin(excess, 3000) : 'closed', 'closed');
  const other = await tlsNoRequest({ ...target, localAddress: '127.0.0.2' });
  t.is(await closedWithin(other, 300), 'open', 'another address still gets in');
  other.destroy();
  for (const socket of held) socket.destroy();
});

test.serial('SIGTERM with misbehaving connections open: exit 0 within the shutdown timeout', async (t) => {
  const { cli, target } = await start(t, ['--shutdown-timeout-ms', '1500',
    '--tls-handshake-timeout-ms', '60000', '--headers-timeout-ms', '60000', '--keep-alive-timeout-ms', '60000']);
  const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => keepAlive.destroy());
  t.is(await get(target, HOST0, keepAlive), 200);
  const sockets = await openAll(target, 5);
  const began = Date.now();
  cli.child.kill('SIGTERM');
  const exit = await Promise.race([cli.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 8000))]);
  t.deepEqual(exit, { code: 0, signal: null }, cli.stderr());
  t.log(`exited ${Date.now() - began} ms after SIGTERM`);
  t.deepEqual((await Promise.all(sockets.map((socket) => closedWithin(socket, 1000)))).filter((s) => s === 'open'), []);
});
