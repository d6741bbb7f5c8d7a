/**
 * Resilience: the gateway under faults and abuse, against the real daemon on
 * a private bus with the simulated BMC.
 * - a service dies while one of its calls is in flight;
 * - a method never answers (the deadline, while other requests are served);
 * - the mapper goes away and comes back;
 * - 2000 malformed requests from a seeded, table-driven fuzzer;
 * - 200 websocket connect/disconnect cycles.
 * Every wait is bounded; the only timing assertions are generous bounds.
 */
import { connect as tlsConnect } from 'node:tls';
import test from 'ava';
import { MAPPER_BUS_NAME } from '../../fixtures/mapper/service.js';
import { TEST_BUS_NAME } from '../../fixtures/services/test-service.js';
import { INVALIDATION_RULES } from '../../src/bmc/introspection-cache.js';
import { SUBSCRIPTION_RULES } from '../../src/ws/hub.js';
import { BusMonitor, matchRulesAtDaemon } from '../helpers/bus-monitor.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import type { Response } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';
import { bounded, connectSubscriber, expectRefusal, type Subscriber } from '../helpers/ws-client.js';

const CALL_TIMEOUT_MS = 2000;
const ECHO = '/xyz/openbmc_project/test/echo';
const HOST = '/xyz/openbmc_project/state/host0';
/** What the fuzzer must leave exactly as it was. */
const SNAPSHOT_PATHS = [
  '/xyz/openbmc_project/test/enumerate',
  '/xyz/openbmc_project/state/enumerate',
  '/xyz/openbmc_project/logging/enumerate',
  '/xyz/openbmc_project/software/enumerate',
  '/xyz/openbmc_project/control/enumerate',
  '/xyz/openbmc_project/user/enumerate',
  '/xyz/openbmc_project/network/enumerate',
  '/xyz/openbmc_project/led/enumerate',
  '/list',
];

let h: Harness;
let token = '';

test.before(async () => {
  h = await startHarness({ flags: ['--call-timeout-ms', String(CALL_TIMEOUT_MS), '--ws-max-connections', '64'] });
  const login = await h.clientAs(null).request('POST', '/login', { body: { data: [TEST_USERS.root.user, TEST_USERS.root.password] } });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${login.text}`);
  token = login.json.token as string;
});

test.after.always(async () => {
  await h?.close();
});

/** An error answer as the contract says: the envelope, its message agreeing with the status, no stack. */
function assertEnvelope(t: { true(v: boolean, m?: string): void; is(a: unknown, b: unknown, m?: string): void }, response: Response, what: string): void {
  t.is(response.json?.status, 'error', `${what}: ${response.text.slice(0, 200)}`);
  t.true(typeof response.json?.message === 'string' && response.json.message.startsWith(`${response.status} `), `${what}: message ${response.json?.message}`);
  t.true(typeof response.json?.data?.description === 'string', what);
  t.true(!hasStackTrace(response.text), `${what}: stack trace in ${response.text.slice(0, 300)}`);
}

function hasStackTrace(text: string): boolean {
  return /\n\s*at [^\n]*[(:]\S+:\d+/.test(text) || /\bat (?:async )?[\w.<>]+ \(/.test(text)
    || text.includes('node_modules') || text.includes('build/src') || text.includes('node:internal');
}

async function alive(t: { is(a: unknown, b: unknown, m?: string): void }): Promise<void> {
  const response = await h.client.get(HOST);
  t.is(response.status, 200, `the gateway still answers: ${response.text.slice(0, 200)}`);
}

/** Retries a read until it answers 200 (bounded): recovery is asynchronous. */
async function eventually200(path: string, timeoutMs = 10_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await h.client.get(path);
    if (response.status === 200 || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test.serial('a service killed while its call is in flight: a clean error, the daemon lives on', async (t) => {
  const monitor = await BusMonitor.start(h.bus.address, h.gateway.bus.uniqueName);
  try {
    const started = Date.now();
    const pending = h.client.request('POST', `${ECHO}/action/Slow`, { body: { data: [CALL_TIMEOUT_MS - 500] } });
    await monitor.waitFor((m) => m.type === 'call' && m.member === 'Slow');
    await h.sim.stopService(TEST_BUS_NAME);
    const response = await pending;
    t.log(`answer after ${Date.now() - started} ms: ${response.status} ${response.json?.data?.description}`);
    t.true(response.status >= 500 && response.status <= 504, `status ${response.status}`);
    assertEnvelope(t, response, 'killed service');
    await alive(t);
    // Its objects are gone, with the usual 404 or 503, never a 500.
    const gone = await h.client.get(`${ECHO}`);
    t.true([404, 503].includes(gone.status), `after the kill: ${gone.status} ${gone.text}`);
    assertEnvelope(t, gone, 'object of a stopped service');
  } finally {
    monitor.stop();
    await h.sim.startService(TEST_BUS_NAME).catch(() => undefined);
  }
  const back = await eventually200(`${ECHO}`);
  t.is(back.status, 200, 'the restarted service is served again');
});

test.serial('a hung method answers 504 within the deadline + 3 s; other requests are served meanwhile', async (t) => {
  const started = Date.now();
  let hungDone = 0;
  const hung = h.client.request('POST', `${ECHO}/action/Hang`, { body: { data: [] } }).then((response) => {
    hungDone = Date.now();
    return response;
  });
  const others = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    const response = await h.client.get(i % 2 ? HOST : `${HOST}/attr/CurrentHostState`);
    return { status: response.status, at: Date.now() };
  }));
  const response = await hung;
  const elapsed = hungDone - started;
  t.is(response.status, 504);
  assertEnvelope(t, response, 'hung method');
  t.true(elapsed < CALL_TIMEOUT_MS + 3000, `answered after ${elapsed} ms`);
  for (const other of others) {
    t.is(other.status, 200);
    t.true(other.at <= hungDone, 'served while the hung call waited');
  }
});

test.serial('the mapper stops and restarts: a clean 503 meanwhile, reads recover', async (t) => {
  await h.sim.stopService(MAPPER_BUS_NAME);
  try {
    const down = await h.client.get(`${HOST}/attr/CurrentHostState`);
    t.log(`mapper down: ${down.status} ${down.json?.data?.description}`);
    t.true([503, 504].includes(down.status), `status ${down.status}`);
    assertEnvelope(t, down, 'mapper down');
    const list = await h.client.get('/xyz/openbmc_project/state/list');
    t.true([503, 504].includes(list.status));
  } finally {
    await h.sim.startService(MAPPER_BUS_NAME);
  }
  t.is((await eventually200(`${HOST}/attr/CurrentHostState`)).status, 200);
  // And a restart while up.
  await h.sim.restartMapper();
  for (const path of [HOST, `${HOST}/attr/CurrentHostState`, '/xyz/openbmc_project/state/list', '/xyz/openbmc_project/sensors/enumerate']) {
    const response = await eventually200(path);
    t.is(response.status, 200, `${path}: ${response.status} ${response.text.slice(0, 200)}`);
  }
  t.true(Object.keys((await h.client.get('/xyz/openbmc_project/sensors/enumerate')).json.data).length >= 24);
});

// ---- the fuzzer ------------------------------------------------------------

/** mulberry32: small, seeded, good enough to pick table rows. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

type Pick = <T>(items: readonly T[]) => T;

const REAL_OBJECTS = [
  '/xyz/openbmc_project/test/values', '/xyz/openbmc_project/test/echo', '/xyz/openbmc_project/test/deletable',
  '/xyz/openbmc_project/state/host0', '/xyz/openbmc_project/state/chassis0', '/xyz/openbmc_project/state/bmc0',
  '/xyz/openbmc_project/logging', '/xyz/openbmc_project/software', '/xyz/openbmc_project/sensors/temperature/inlet',
  '/xyz/openbmc_project/user/root', '/xyz/openbmc_project/control/host0/boot', '/xyz/openbmc_project/led/groups/enclosure_identify',
];
const SUFFIXES = ['', '/', '/attr/Value', '/attr/RequestedHostTransition', '/attr/String', '/attr/', '/attr/%00', '/action/Reset',
  '/action/Delete', '/action/DeleteAll', '/action/EchoString', '/action/', '/enumerate', '/list', '/schema', '/attr/../..', '/action/..%2f..'];
const JUNK_PATHS = [
  '/../../etc/passwd', '/xyz/openbmc_project/../../../../etc/shadow', '/%2e%2e/%2e%2e/etc/passwd', '/xyz/%2e%2e%2f%2e%2e%2fetc',
  '/xyz/openbmc_project/%00', '/%ff%fe', '/%', '/%%32%65', '/xyz//openbmc_project///state', '/xyz/openbmc_project/state/host0%2Fattr',
  '/upload/image/..%2f..%2fetc', '/download/dump/../../etc/passwd', '/download/dump/%2e%2e', '/subscribe/../login', '/redfish/v1',
  '/login/../xyz', `/${'a'.repeat(5000)}`, `/xyz/${'b/'.repeat(400)}`, '/xyz/openbmc_project/with space', '/xyz/openbmc_project/ü/ß',
  '/\u0001\u0002', '/xyz/openbmc_project/state/host0/attr/CurrentHostState/extra/segments', '/.well-known/security.txt', '/index.html',
  '/xyz/openbmc_project/test/values/attr/ReadOnly?x=%zz', '/list?data=%7B', '/xyz/openbmc_project/enumerate#frag',
];
const METHODS = ['GET', 'GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'CONNECTX'];
const CONTENT_TYPES = [undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data', 'multipart/form-data; boundary=', 'application/octet-stream', 'application/json; charset=ebcdic', '*/*', ';;;', 'application/jsonx'];
/** Bodies that are never a valid request for a write (checked by the snapshot anyway). */
const BAD_JSON = ['{', '{"data": }', '[1, 2', 'nul', '{"data": 1}}', '\u0000\u0001\u0002', '{"data": NaN}', '{"data": Infinity}',
  '{"data": 1e99999}', '{"data": "\\ud800"}', '{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {}}}', '"just a string"', '12',
  'null', 'true', '[]', '{}', '{"dat": 1}', '{"data": {"__proto__": null}}'];

function junkValue(random: () => number, pick: Pick, depth = 0): unknown {
  const kind = Math.floor(random() * (depth > 2 ? 5 : 7));
  switch (kind) {
    case 0: return null;
    case 1: return pick([true, false]);
    case 2: return pick([0, -1, 1.5, 2 ** 64, -(2 ** 63), Number.MAX_SAFE_INTEGER + 2, 1e308]);
    case 3: return pick(['', 'x'.repeat(300), '\u0000', '../..', '%s%n', '<script>', '\ud83d\ude00']);
    case 4: return pick(['18446744073709551616', '-9223372036854775809', '1e3', '0x10']);
    case 5: return Array.from({ length: Math.floor(random() * 4) }, () => junkValue(random, pick, depth + 1));
    default: return Object.fromEntries(Array.from({ length: Math.floor(random() * 3) }, (_, i) => [pick(['data', 'x', '', `k${i}`]), junkValue(random, pick, depth + 1)]));
  }
}

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | Buffer;
}

const basicHeader = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * One request. Writes as an authorised user always carry a malformed body
 * (bad JSON, no JSON type, no `data`, or a junk value where an array is
 * needed) or go to a junk path, so that a correct gateway changes nothing.
 */
function fuzzRequest(random: () => number, pick: Pick): FuzzRequest {
  const method = pick(METHODS);
  const real = random() < 0.6;
  let path = real ? pick(REAL_OBJECTS) + pick(SUFFIXES) : pick(JUNK_PATHS);
  if (random() < 0.1) path += pick(['?', '?a=1&a=2', '?%', '?data=[1]']);
  const headers: Record<string, string> = {};
  const who = random();
  const write = !['GET', 'HEAD', 'OPTIONS'].includes(method);
  if (who < 0.6) headers['x-auth-token'] = token;
  else if (who < 0.7) headers.authorization = basicHeader(TEST_USERS.readonly.user, TEST_USERS.readonly.password);
  else if (who < 0.8) headers['x-auth-token'] = pick(['', 'x', 'A'.repeat(5000), '../../', token.slice(0, -1) + 'Z']);
  else if (who < 0.9) headers.authorization = pick(['Basic', 'Basic !!!', `Basic ${Buffer.from('root').toString('base64')}`, 'Bearer x', basicHeader('root', 'wrong'), 'Basic ' + 'A'.repeat(3000)]);
  else if (random() < 0.5) headers.cookie = pick(['__Host-BMCGW-SESSION=junk', `__Host-BMCGW-SESSION=${token}; __Host-BMCGW-XSRF-TOKEN=x`, `SESSION=${token}`, '=;=;', 'a'.repeat(2000)]);
  if (random() < 0.2) headers.origin = pick(['https://evil.example', 'null', 'file://', '']);
  if (random() < 0.1) headers['x-xsrf-token'] = pick(['', 'junk']);
  if (random() < 0.1) headers.range = pick(['bytes=0-', 'bytes=-1', 'bytes=9999999999-', 'lines=1-2', 'bytes=5-1']);
  if (random() < 0.05) headers['transfer-encoding'] = 'chunked';
  if (random() < 0.1) headers['x-forwarded-for'] = pick(['1.2.3.4', '::1, evil', '']);
  if (random() < 0.1) headers.accept = pick(['text/html', '*/*', 'application/xml', '']);
  let body: string | Buffer | undefined;
  const shape = random();
  if (shape < 0.35) body = pick(BAD_JSON);
  else if (shape < 0.5) body = JSON.stringify({ data: junkValue(random, pick) }).replace(/^\{"data":/, pick(['{"data":', '{"dta":', '{"data":{"x":']) );
  else if (shape < 0.6) body = Buffer.from(Array.from({ length: Math.floor(random() * 256) }, () => Math.floor(random() * 256)));
  else if (shape < 0.65) body = JSON.stringify({ data: 'x'.repeat(110 * 1024) });
  else if (shape < 0.85) body = JSON.stringify(junkValue(random, pick));
  const contentType = pick(CONTENT_TYPES);
  if (contentType !== undefined && body !== undefined) headers['content-type'] = contentType;
  const authorised = headers['x-auth-token'] === token;
  if (write && authorised) {
    // Keep root's writes malformed: valid-looking JSON goes to a junk path, under the wrong type, or without `data`.
    const jsonType = headers['content-type']?.startsWith('application/json') && !headers['content-type'].includes('ebcdic');
    const parsed = typeof body === 'string' ? safeParse(body) : undefined;
    const usable = jsonType && parsed !== undefined && typeof parsed === 'object' && parsed !== null && 'data' in parsed;
    if (usable || path.startsWith('/upload') || path.startsWith('/login') || path.startsWith('/logout')) {
      if (real) path = pick(JUNK_PATHS);
      else headers['content-type'] = 'text/plain';
      if (path.startsWith('/upload') || path.startsWith('/logout')) delete headers['x-auth-token'];
    }
    if (body === undefined && (method === 'DELETE' || method === 'POST')) path = pick(JUNK_PATHS);
  }
  // Node's client refuses raw control characters and spaces in a path: send them percent-encoded.
  path = path.replace(/[^\x21-\x7e]/gu, (ch) => encodeURIComponent(ch));
  return { method, path, headers, ...(body !== undefined ? { body } : {}) };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function snapshot(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const path of SNAPSHOT_PATHS) {
    const response = await h.client.get(path);
    out[path] = `${response.status} ${response.text}`;
  }
  return out;
}

test.serial('2000 malformed requests (seeded fuzzer): no bare 500, no stack trace, nothing changed, still alive', async (t) => {
  const seed = 20_261_122;
  const random = prng(seed);
  const pick: Pick = (items) => items[Math.floor(random() * items.length)]!;
  const before = await snapshot();
  const requests = Array.from({ length: 2000 }, () => fuzzRequest(random, pick));
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < requests.length) {
      const index = next++;
      const request = requests[index]!;
      let response: Response;
      try {
        response = await h.client.as(null).request(request.method, request.path, {
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
        });
      } catch (err) {
        // The server may cut a connection it refuses to read (e.g. a body it will not drain); never a crash.
        statuses.set(0, (statuses.get(0) ?? 0) + 1);
        if (!/ECONNRESET|socket hang up|EPIPE/.test(String(err))) failures.push(`#${index} ${request.method} ${request.path.slice(0, 80)}: ${String(err)}`);
        continue;
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const where = `#${index} ${request.method} ${request.path.slice(0, 80)} → ${response.status}`;
      if (hasStackTrace(response.text)) failures.push(`${where}: stack trace`);
      if (response.status >= 400 && request.method !== 'HEAD') {
        if (response.json?.status !== 'error') failures.push(`${where}: not the error envelope: ${response.text.slice(0, 120)}`);
      }
      if (response.status >= 500) {
        const description = String(response.json?.data?.description ?? '');
        // A 5xx must be a real D-Bus failure (named error) or a documented refusal (503 busy), never a bare 500.
        const dbusFailure = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+: /.test(description);
        if (response.status === 500 && !dbusFailure) failures.push(`${where}: ${description}`);
      }
    }
  }));
  t.log(`statuses (seed ${seed}): ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  t.deepEqual(failures.slice(0, 20), []);
  await alive(t);
  t.deepEqual(await snapshot(), before, 'the simulated BMC is unchanged');
});

/** One request written byte for byte over TLS (what Node's client refuses to send); the connection is closed after it. */
function rawRequest(text: string | Buffer): Promise<{ status: number; head: string; body: string }> {
  const url = new URL(h.gateway.url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: url.hostname, port: Number(url.port), ca: h.gateway.certificate, servername: 'localhost' }, () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks).toString('utf8');
      const split = all.indexOf('\r\n\r\n');
      const head = split === -1 ? all : all.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body: split === -1 ? '' : all.slice(split + 4) });
    });
  });
}

test.serial('requests the HTTP parser refuses get the error envelope too, and the connection is closed', async (t) => {
  const auth = `X-Auth-Token: ${token}\r\nHost: localhost`;
  const cases: Array<[string, string | Buffer, number]> = [
    ['unknown method', `BREW ${HOST} HTTP/1.1\r\n${auth}\r\n\r\n`, 400],
    ['Content-Length with Transfer-Encoding', `POST ${ECHO}/action/Void HTTP/1.1\r\n${auth}\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}`, 400],
    ['a header without a colon', `GET ${HOST} HTTP/1.1\r\n${auth}\r\nbroken header\r\n\r\n`, 400],
    ['a raw non-ASCII byte in the path', Buffer.concat([Buffer.from('GET /xyz/\u00ff'), Buffer.from(` HTTP/1.1\r\n${auth}\r\n\r\n`)]), 400],
    ['headers past the size limit', `GET /${'c'.repeat(20_000)} HTTP/1.1\r\n${auth}\r\n\r\n`, 431],
    ['not HTTP at all', '\u0016\u0003\u0001 hello\r\n\r\n', 400],
  ];
  for (const [name, request, status] of cases) {
    const response = await rawRequest(request);
    t.is(response.status, status, `${name}: ${response.head}`);
    t.regex(response.head, /\r\nConnection: close(\r\n|$)/i, name);
    t.regex(response.head, /\r\nX-Content-Type-Options: nosniff\r\n/i, name);
    const json = JSON.parse(response.body);
    t.is(json.status, 'error', name);
    t.true(String(json.message).startsWith(`${status} `), name);
    t.false(hasStackTrace(response.body), name);
  }
  const head = await rawRequest(`HEAD ${HOST} HTTP/1.1\r\n${auth}\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n`);
  t.is(head.status, 400);
  t.is(head.body, '', 'no body after the headers of a HEAD answer');
  await alive(t);
});

// ---- websocket churn ----------------------------------------------------------

test.serial('200 websocket connect/disconnect cycles leak no match rule and no subscriber', async (t) => {
  const subscriptions = h.gateway.subscriptions;
  await bounded(subscriptions.whenIdle(), 10_000, 'idle');
  const baseline = { daemon: await matchRulesAtDaemon(h.gateway.bus), held: h.gateway.bus.matchRules.size };
  const auth = { headers: { 'x-auth-token': token } };
  const open = () => connectSubscriber(h.gateway.url, h.gateway.certificate, auth);
  for (let round = 0; round < 20; round++) {
    await Promise.all(Array.from({ length: 10 }, async (_, i) => {
      switch (i % 6) {
        case 5: { // refused before the upgrade: never counted
          const refusal = await expectRefusal(h.gateway.url, h.gateway.certificate, { headers: { 'x-auth-token': 'nope' } });
          t.is(refusal.status, 401);
          return;
        }
        default:
      }
      let client: Subscriber;
      try {
        client = await open();
      } catch (err) {
        t.fail(`connect: ${String(err)}`);
        return;
      }
      switch (i % 6) {
        case 0:
          await client.setFilter({ paths: [HOST] });
          await client.close();
          break;
        case 1:
          await client.close();
          break;
        case 2:
          await client.setFilter({});
          client.ws.terminate();
          await client.closed;
          break;
        case 3:
          client.ws.send('{"paths": 1}');
          await client.closed;
          break;
        default:
          await client.setFilter({ interfaces: ['xyz.openbmc_project.State.Host'] });
          await client.setFilter({ events: ['InterfacesRemoved'] });
          client.ws.terminate();
          await client.closed;
      }
    }));
  }
  await bounded(subscriptions.whenIdle(), 10_000, 'idle');
  t.is(subscriptions.connections, 0);
  t.is(h.gateway.bus.matchRules.size, baseline.held);
  // InterfacesAdded/Removed are shared with the caches, which hold them for good.
  for (const rule of SUBSCRIPTION_RULES.filter((r) => !INVALIDATION_RULES.includes(r))) t.false(h.gateway.bus.matchRules.has(rule));
  t.is(await matchRulesAtDaemon(h.gateway.bus), baseline.daemon);
  await alive(t);
});
