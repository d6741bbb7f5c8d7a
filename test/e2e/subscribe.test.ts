/**
 * /subscribe end to end: real ws clients against the real gateway over HTTPS,
 * on a private bus with the simulated BMC. No sleeps: every wait is on an
 * event (message, pong, close, the service becoming idle) with a bound.
 */
import { request } from 'node:https';
import test from 'ava';
import dbus from 'dbus-next';
import { connect } from '../../fixtures/dbus-daemon.js';
import { waitForConnect } from '../../fixtures/lib/bus-call.js';
import { SUBSCRIPTION_RULES } from '../../src/ws/hub.js';
import { matchRulesAtDaemon } from '../helpers/bus-monitor.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import type { Credentials } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';
import { type ConnectOptions, type Subscriber, bounded, connectSubscriber, expectRefusal } from '../helpers/ws-client.js';

const HOST = '/xyz/openbmc_project/state/host0';
const HOST_IFACE = 'xyz.openbmc_project.State.Host';
const HOST_STATE = (state: string) => `xyz.openbmc_project.State.Host.HostState.${state}`;
const LOGGING = '/xyz/openbmc_project/logging';
const ENTRY_IFACE = 'xyz.openbmc_project.Logging.Entry';
const SENSOR_IFACE = 'xyz.openbmc_project.Sensor.Value';
const BURST_PATH = '/xyz/openbmc_project/sensors/temperature/burst_test';
const WEB_UI_FILTER = { paths: [HOST], interfaces: [HOST_IFACE] };

const basic = ({ user, password }: Credentials) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const AUTH = basic(TEST_USERS.root);

function open(h: Harness, options: ConnectOptions = {}): Promise<Subscriber> {
  return connectSubscriber(h.gateway.url, h.gateway.certificate, { headers: AUTH, ...options });
}

function refused(h: Harness, options: ConnectOptions = {}) {
  return expectRefusal(h.gateway.url, h.gateway.certificate, options);
}

async function rest(h: Harness, method: string, path: string, body?: unknown): Promise<any> {
  const response = await h.client.request(method, path, body === undefined ? {} : { body });
  if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
  return response.json;
}

/** Powers the host on if it is off and vice versa; resolves with the state reached, seen by `witness`. */
async function toggleHost(h: Harness, witness: Subscriber): Promise<string> {
  const current = (await rest(h, 'GET', `${HOST}/attr/CurrentHostState`)).data as string;
  const on = current !== HOST_STATE('Running');
  const target = HOST_STATE(on ? 'Running' : 'Off');
  await rest(h, 'PUT', `${HOST}/attr/RequestedHostTransition`, { data: `xyz.openbmc_project.State.Host.Transition.${on ? 'On' : 'Off'}` });
  await witness.until((m) => m.path === HOST && m.properties?.CurrentHostState === target);
  return target;
}

async function createLogEntry(h: Harness, message: string): Promise<void> {
  await rest(h, 'POST', `${LOGGING}/action/Create`, { data: [message, 'xyz.openbmc_project.Logging.Entry.Level.Error', {}] });
}

/** A test-owned bus connection that emits PropertiesChanged like a sensor daemon, in order. */
async function emitter(h: Harness) {
  const bus = connect(h.bus.address);
  bus.on('error', () => undefined);
  await waitForConnect(bus);
  return {
    emit(value: dbus.Variant, objectPath = BURST_PATH): void {
      this.changed({ Value: value }, objectPath);
    },
    changed(properties: Record<string, dbus.Variant>, objectPath = BURST_PATH): void {
      bus.send(dbus.Message.newSignal(objectPath, 'org.freedesktop.DBus.Properties', 'PropertiesChanged', 'sa{sv}as',
        [SENSOR_IFACE, properties, []]));
    },
    removed(objectPath: string, interfaces: string[], manager = '/xyz/openbmc_project/sensors'): void {
      bus.send(dbus.Message.newSignal(manager, 'org.freedesktop.DBus.ObjectManager', 'InterfacesRemoved', 'oas',
        [objectPath, interfaces]));
    },
    close: () => bus.disconnect(),
  };
}

let main: Harness;
const opened: Subscriber[] = [];
const track = (subscriber: Subscriber): Subscriber => (opened.push(subscriber), subscriber);

test.before(async () => {
  main = await startHarness({ flags: ['--ws-max-connections', '64'] });
});

test.afterEach.always(async () => {
  await Promise.all(opened.splice(0).map((subscriber) => subscriber.close()));
});

test.after.always(async () => {
  await main?.close();
});

test.serial('host power-on is seen as PropertiesChanged with the web UI filter', async (t) => {
  const client = track(await open(main));
  await client.setFilter(WEB_UI_FILTER);
  const target = await toggleHost(main, client);
  const states = client.messages.map((m) => m.properties?.CurrentHostState).filter(Boolean);
  t.is(states.at(-1), target);
  if (target === HOST_STATE('Running')) t.true(states.includes(HOST_STATE('TransitioningToRunning')));
  for (const message of client.messages) {
    t.deepEqual(Object.keys(message).sort(), ['event', 'interface', 'path', 'properties']);
    t.is(message.event, 'PropertiesChanged');
    t.is(message.path, HOST);
    t.is(message.interface, HOST_IFACE);
  }
});

test.serial('a new log entry is seen as InterfacesAdded with the new object path', async (t) => {
  const manager = track(await open(main));
  const deeper = track(await open(main));
  await manager.setFilter({ paths: [LOGGING] });
  await deeper.setFilter({ paths: [`${LOGGING}/entry`], interfaces: [ENTRY_IFACE] });
  await createLogEntry(main, 'fan 3 failed');
  for (const client of [manager, deeper]) {
    const event = await client.until((m) => m.event === 'InterfacesAdded');
    t.regex(event.path, /^\/xyz\/openbmc_project\/logging\/entry\/\d+$/);
    t.is(event.interfaces[ENTRY_IFACE]?.Message, 'fan 3 failed');
    t.is(event.interfaces[ENTRY_IFACE]?.Resolved, false);
    // The full interfaces dict of the new object, not only the filtered interface.
    t.true(Object.keys(event.interfaces).length >= 1);
  }
});

test.serial('a filtered-out path sends nothing (the next matching event is the first message)', async (t) => {
  const witness = track(await open(main));
  const filtered = track(await open(main));
  await witness.setFilter(WEB_UI_FILTER);
  // A sibling, a string prefix of host0 that is not its parent, and the log manager as the sentinel.
  await filtered.setFilter({ paths: ['/xyz/openbmc_project/state/host1', '/xyz/openbmc_project/state/host', LOGGING] });
  await toggleHost(main, witness);
  await createLogEntry(main, 'sentinel');
  const first = await filtered.next();
  t.is(first.event, 'InterfacesAdded');
  t.is(first.interfaces[ENTRY_IFACE]?.Message, 'sentinel');
});

test.serial('a later filter replaces the earlier one', async (t) => {
  const witness = track(await open(main));
  const client = track(await open(main));
  await witness.setFilter(WEB_UI_FILTER);
  await client.setFilter(WEB_UI_FILTER);
  await client.setFilter({ paths: [LOGGING], interfaces: [ENTRY_IFACE] });
  await toggleHost(main, witness);
  await createLogEntry(main, 'after replacement');
  const first = await client.next();
  t.is(first.event, 'InterfacesAdded');
  t.is(first.interfaces[ENTRY_IFACE]?.Message, 'after replacement');
  // And back: host events flow again.
  await client.setFilter(WEB_UI_FILTER);
  const target = await toggleHost(main, witness);
  await client.until((m) => m.properties?.CurrentHostState === target);
  t.pass();
});

const badFilters: Array<[string, string, RegExp]> = [
  ['not JSON', '{paths: x}', /^filter is not valid JSON$/],
  ['paths not a list', '{"paths": "/xyz"}', /^paths must be an array of object paths, got a string$/],
  ['invalid object path', '{"paths": ["/xyz/open-bmc"]}', /^paths\[0\] is not a D-Bus object path/],
  ['unknown key', '{"path": ["/xyz"]}', /^unknown filter key "path"/],
  ['unknown event', '{"events": ["NameOwnerChanged"]}', /^events\[0\] must be/],
];
for (const [name, text, reason] of badFilters) {
  test.serial(`bad filter (${name}) closes with 1008 and the reason`, async (t) => {
    const client = track(await open(main));
    client.ws.send(text);
    const closed = await bounded(client.closed, 10_000, 'close');
    t.is(closed.code, 1008);
    t.regex(closed.reason, reason);
  });
}

test.serial('a bad filter after a good one also closes', async (t) => {
  const client = track(await open(main));
  await client.setFilter({});
  client.ws.send('[]');
  const closed = await bounded(client.closed, 10_000, 'close');
  t.is(closed.code, 1008);
  t.regex(closed.reason, /must be a JSON object/);
});

test.serial('an unauthenticated upgrade is refused with 401 and the envelope, never a 101', async (t) => {
  const cases: Array<Record<string, string>> = [
    {},
    basic({ user: 'root', password: 'wrong password' }),
    { 'x-auth-token': 'NoSuchSession0123456789abcdefABCDEF' },
    { cookie: '__Host-BMCGW-SESSION=NoSuchSession0123456789abcdefABCDEF' },
  ];
  for (const headers of cases) {
    const refusal = await refused(main, { headers });
    t.is(refusal.status, 401, JSON.stringify(headers));
    t.is(refusal.json?.status, 'error');
    t.is(refusal.json?.message, '401 Unauthorized');
    t.is(typeof refusal.json?.data?.description, 'string');
    t.is(refusal.headers['x-content-type-options'], 'nosniff');
  }
  // The wrong password is audited like a failed login, with the name tried and never the password.
  const audit = main.logLines.filter((line) => line.includes('path=/subscribe') && line.includes('status=401'));
  t.true(audit.some((line) => line.includes('user=root')));
  t.false(main.logLines.some((line) => line.includes('wrong password')));
});

test.serial('roles: a read-only user may subscribe, priv-noaccess gets 403', async (t) => {
  const reader = track(await open(main, { headers: basic(TEST_USERS.readonly) }));
  await reader.setFilter({});
  const refusal = await refused(main, { headers: basic(TEST_USERS.noaccess) });
  t.is(refusal.status, 403);
  t.is(refusal.json?.message, '403 Forbidden');
});

test.serial('sessions: X-Auth-Token; a browser cookie needs the XSRF token as subprotocol', async (t) => {
  const login = await main.clientAs(null).request('POST', '/login', { body: { data: [TEST_USERS.root.user, TEST_USERS.root.password] } });
  t.is(login.status, 200);
  const token = login.json.token as string;
  const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []).map((c) => c.split(';')[0] ?? '');
  const xsrf = cookies.find((c) => c.startsWith('__Host-BMCGW-XSRF-TOKEN='))?.slice('__Host-BMCGW-XSRF-TOKEN='.length) ?? '';
  const cookie = cookies.join('; ');
  t.truthy(xsrf);

  const script = track(await open(main, { headers: { 'x-auth-token': token } }));
  await script.setFilter({});
  // A page of another origin riding on the cookie: refused before the upgrade.
  const crossSite = { cookie, origin: 'https://evil.example' };
  t.is((await refused(main, { headers: crossSite })).status, 403);
  // The web UI's way: the XSRF token as the subprotocol, echoed back.
  const browser = track(await open(main, { headers: crossSite, protocols: [xsrf] }));
  t.is(browser.ws.protocol, xsrf);
  await browser.setFilter(WEB_UI_FILTER);
  // A script with a cookie jar and no Origin.
  const jar = track(await open(main, { headers: { cookie } }));
  await jar.setFilter({});
  t.pass();
});

test.serial('a plain GET /subscribe (no upgrade) is 400 when logged in, 401 when not', async (t) => {
  for (const path of ['/subscribe', '/subscribe/']) {
    const plain = await main.client.get(path);
    t.is(plain.status, 400);
    t.is(plain.json?.data?.description, 'Expected WebSocket request.');
    t.is((await main.clientAs(null).get(path)).status, 401);
  }
});

test.serial('an upgrade elsewhere is 404, a broken handshake 400, both with the envelope', async (t) => {
  const url = new URL(main.gateway.url);
  const raw = (path: string, headers: Record<string, string>) => new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, ca: main.gateway.certificate, servername: 'localhost', agent: false,
      headers: { ...AUTH, connection: 'Upgrade', upgrade: 'websocket', ...headers } });
    req.on('upgrade', () => reject(new Error('upgraded')));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end();
  });
  const key = { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' };
  const elsewhere = await raw('/xyz/openbmc_project', key);
  t.is(elsewhere.status, 404);
  t.is(elsewhere.body.message, '404 Not Found');
  const noKey = await raw('/subscribe', { 'sec-websocket-version': '13' });
  t.is(noKey.status, 400);
  t.is(noKey.body.status, 'error');
  t.regex(noKey.body.data.description, /Sec-WebSocket-Key/);
});

test.serial('values: 64-bit integers exact, booleans true/false', async (t) => {
  const client = track(await open(main));
  await client.setFilter({ paths: [BURST_PATH] });
  const source = await emitter(main);
  source.changed({
    Big: new dbus.Variant('t', 18446744073709551615n),
    Negative: new dbus.Variant('x', -9007199254740993n),
    On: new dbus.Variant('b', true),
    Off: new dbus.Variant('b', false),
  });
  const text = await client.next().then(() => client.texts.at(-1) ?? '');
  source.close();
  t.is(text, `{"event":"PropertiesChanged","interface":"${SENSOR_IFACE}","path":"${BURST_PATH}",`
    + '"properties":{"Big":18446744073709551615,"Negative":-9007199254740993,"Off":false,"On":true}}');
});

test.serial('InterfacesRemoved only when the filter asks for it', async (t) => {
  const plain = track(await open(main));
  const asking = track(await open(main));
  await plain.setFilter({ paths: [BURST_PATH] });
  await asking.setFilter({ paths: [BURST_PATH], events: ['InterfacesRemoved', 'PropertiesChanged'] });
  const source = await emitter(main);
  source.removed(BURST_PATH, [SENSOR_IFACE]);
  source.emit(new dbus.Variant('d', 1));
  t.deepEqual(await asking.next(), { event: 'InterfacesRemoved', path: BURST_PATH, interfaces: [SENSOR_IFACE] });
  t.is((await asking.next()).event, 'PropertiesChanged');
  // The sentinel is the first thing the other client sees.
  t.is((await plain.next()).event, 'PropertiesChanged');
  source.close();
});

test.serial('50 concurrent clients each receive every event of a burst, in order', async (t) => {
  const clients = await Promise.all(Array.from({ length: 50 }, () => open(main).then(track)));
  await Promise.all(clients.map((client) => client.setFilter({ paths: [BURST_PATH], interfaces: [SENSOR_IFACE] })));
  const source = await emitter(main);
  const count = 500;
  for (let i = 0; i < count; i++) source.emit(new dbus.Variant('d', i));
  await Promise.all(clients.map((client) => client.until((m) => m.properties?.Value === count - 1, 30_000)));
  source.close();
  const expected = Array.from({ length: count }, (_, i) => i);
  for (const client of clients) t.deepEqual(client.messages.map((m) => m.properties.Value), expected);
});

test.serial('no match rule leaks after 200 connect/disconnect cycles', async (t) => {
  const subscriptions = main.gateway.subscriptions;
  await bounded(subscriptions.whenIdle(), 10_000, 'idle');
  const baseline = { daemon: await matchRulesAtDaemon(main.gateway.bus), held: main.gateway.bus.matchRules.size };
  t.false(main.gateway.bus.matchRules.has(SUBSCRIPTION_RULES[0] ?? ''));

  const during = track(await open(main));
  await during.setFilter({});
  t.true(main.gateway.bus.matchRules.has(SUBSCRIPTION_RULES[0] ?? ''));
  t.true((await matchRulesAtDaemon(main.gateway.bus)) > baseline.daemon);
  await during.close();

  // 20 rounds of 10 at once, ending in every way a client can end.
  for (let round = 0; round < 20; round++) {
    await Promise.all(Array.from({ length: 10 }, async (_, i) => {
      const client = await open(main);
      switch (i % 5) {
        case 0: // a filter, then a clean close
          await client.setFilter(WEB_UI_FILTER);
          await client.close();
          break;
        case 1: // closes without a filter
          await client.close();
          break;
        case 2: // drops the TCP connection
          await client.setFilter({});
          client.ws.terminate();
          await client.closed;
          break;
        case 3: // a bad filter: the server closes
          client.ws.send('nope');
          await client.closed;
          break;
        default: // several filters
          await client.setFilter({ paths: [LOGGING] });
          await client.setFilter({ events: ['InterfacesRemoved'] });
          await client.close();
      }
    }));
  }
  await bounded(subscriptions.whenIdle(), 10_000, 'idle');
  t.is(subscriptions.connections, 0);
  t.is(main.gateway.bus.matchRules.size, baseline.held);
  t.false(main.gateway.bus.matchRules.has(SUBSCRIPTION_RULES[0] ?? ''));
  t.is(await matchRulesAtDaemon(main.gateway.bus), baseline.daemon);
});

test.serial('the per-user cap: one user cannot take every slot; an administrator still gets in', async (t) => {
  const h = await startHarness({ flags: ['--ws-max-connections', '6', '--ws-max-connections-per-user', '2'] });
  const clients: Subscriber[] = [];
  try {
    const readonly = basic(TEST_USERS.readonly);
    for (let i = 0; i < 2; i++) clients.push(await connectSubscriber(h.gateway.url, h.gateway.certificate, { headers: readonly }));
    const refusal = await refused(h, { headers: readonly });
    t.is(refusal.status, 503);
    t.is(refusal.json?.data.description, "Too many subscriptions for user 'readonly': at most 2 may be open");
    t.truthy(refusal.headers['retry-after']);
    clients.push(await connectSubscriber(h.gateway.url, h.gateway.certificate, { headers: AUTH }));
    // A slot freed by the user is theirs again (once the server has seen the close).
    await clients[0]?.close();
    const until = Date.now() + 5000;
    let again: Subscriber | undefined;
    while (!again && Date.now() < until) {
      again = await connectSubscriber(h.gateway.url, h.gateway.certificate, { headers: readonly }).catch(() => undefined);
    }
    t.truthy(again, 'the freed slot is usable');
    if (again) clients.push(again);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await h.close();
  }
});

test.serial('a slow reader is closed with 1008; the connection cap answers 503', async (t) => {
  // The default bound (1 MiB): a reader that keeps up never gets near it, a stopped one passes it.
  const h = await startHarness({ flags: ['--ws-max-connections', '2'] });
  const clients: Subscriber[] = [];
  try {
    const witness = await open(h);
    clients.push(witness);
    const slow = await open(h);
    clients.push(slow);
    const filter = { paths: [BURST_PATH] };
    await witness.setFilter(filter);
    await slow.setFilter(filter);

    // Cap: both slots are taken.
    const refusal = await refused(h, { headers: AUTH });
    t.is(refusal.status, 503);
    t.is(refusal.json?.message, '503 Service Unavailable');
    t.truthy(refusal.headers['retry-after']);

    // The slow reader stops reading; 64 events of 256 KiB (16 MiB) outgrow the socket buffers and the bound.
    const socket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    const source = await emitter(h);
    const count = 64;
    const padding = 'x'.repeat(256 * 1024);
    for (let i = 0; i < count; i++) source.emit(new dbus.Variant('s', `${i} ${padding}`));
    await witness.until((m) => String(m.properties?.Value).startsWith(`${count - 1} `), 30_000);
    source.close();
    t.is(witness.messages.length, count);
    socket.resume();
    const closed = await bounded(slow.closed, 30_000, 'the slow reader to be closed');
    t.is(closed.code, 1008);
    t.regex(closed.reason, /too slow/);
    t.log(`the slow reader got ${slow.messages.length} of ${count} events before the close`);
    t.true(slow.messages.length < count);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await h.close();
  }
});

test.serial('a peer that stops answering pings is dropped; one that answers stays until shutdown (1001)', async (t) => {
  const h = await startHarness({ flags: ['--ws-ping-interval-ms', '50'] });
  const clients: Subscriber[] = [];
  try {
    const silent = await open(h, { headers: AUTH, ws: { autoPong: false } });
    clients.push(silent);
    const alive = await open(h);
    clients.push(alive);
    let pings = 0;
    const enoughPings = new Promise<void>((resolve) => alive.ws.on('ping', () => ++pings === 5 && resolve()));
    const closed = await bounded(silent.closed, 10_000, 'the silent peer to be dropped');
    t.is(closed.code, 1006);
    await bounded(enoughPings, 10_000, 'five pings');
    t.is(alive.ws.readyState, alive.ws.OPEN);
    // Shutting the gateway down says goodbye with 1001.
    await h.close();
    t.is((await bounded(alive.closed, 10_000, 'close on shutdown')).code, 1001);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await h.close();
  }
});
