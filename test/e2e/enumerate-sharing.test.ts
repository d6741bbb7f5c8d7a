/**
 * Enumerates on the real gateway and bus (1,000 simulated sensors): identical
 * enumerates in flight share one computation (one GetSubTree, the same
 * answer for all); a client that leaves in the middle stops the bus work of
 * an enumerate nobody else waits for; a memory budget too small for two
 * enumerates at once makes the second wait, and both answers are right.
 * A bus monitor on the gateway's connection counts its calls.
 */
import { request } from 'node:https';
import test from 'ava';
import { BusMonitor, type MonitoredMessage } from '../helpers/bus-monitor.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { TEST_USERS } from '../helpers/users.js';

const SENSORS = '/xyz/openbmc_project/sensors';
const MAPPER = 'xyz.openbmc_project.ObjectMapper';
let h: Harness;
let monitor: BusMonitor;

test.before(async () => {
  // A budget of 2 MiB (2,048 objects at the estimate): one sensors enumerate at a time.
  h = await startHarness({ sim: { sensorCount: 1000 }, flags: ['--enumerate-memory-mb', '2', '--call-timeout-ms', '10000'] });
  monitor = await BusMonitor.start(h.bus.address, h.gateway.bus.uniqueName);
});

test.after.always(async () => {
  monitor?.stop();
  await h?.close();
});

const calls = (member: string, from: number, match: (m: MonitoredMessage) => boolean = () => true) =>
  monitor.messages.slice(from).filter((m) => m.type === 'call' && m.member === member && match(m)).length;

/**
 * Forgets what the monitor saw so far: a marker call of the gateway's own
 * connection arrives after everything it sent before, so once the monitor
 * has it, nothing older can come later.
 */
async function settle(): Promise<void> {
  await h.gateway.bus.call({ busName: 'org.freedesktop.DBus', objectPath: '/org/freedesktop/DBus', interfaceName: 'org.freedesktop.DBus.Peer', member: 'Ping' });
  await monitor.waitFor((m) => m.type === 'call' && m.member === 'Ping');
  monitor.messages.splice(0);
}

test.serial('four identical enumerates at once: one computation, one answer for all', async (t) => {
  await settle();
  const answers = await Promise.all([1, 2, 3, 4].map(() => h.client.get(`${SENSORS}/enumerate`)));
  for (const answer of answers) t.is(answer.status, 200, answer.text.slice(0, 200));
  t.true(answers.every((a) => a.text === answers[0]?.text), 'the same bytes');
  t.true(Object.keys(answers[0]?.json.data as object).length > 1000);
  t.is(calls('GetSubTree', 0, (m) => m.body[0] === SENSORS), 1, 'one GetSubTree for the four requests');
  // One after the other, each is its own computation (nothing is cached).
  const again = await h.client.get(`${SENSORS}/enumerate`);
  t.is(calls('GetSubTree', 0, (m) => m.body[0] === SENSORS), 2);
  t.is(again.status, 200);
});

test.serial('a client that leaves in the middle: the enumerate nobody waits for stops calling the bus', async (t) => {
  await settle();
  // How many GetAll calls a whole enumerate of the sensors makes (the mapper's association objects).
  const whole = await h.client.get(`${SENSORS}/enumerate`);
  t.is(whole.status, 200);
  const needed = calls('GetAll', 0, (m) => m.destination === MAPPER);
  t.true(needed > 500, `${needed} GetAll calls in a whole enumerate`);
  monitor.messages.splice(0);

  const req = request({
    host: '127.0.0.1', port: new URL(h.gateway.url).port, path: `${SENSORS}/enumerate`, method: 'GET', ca: h.gateway.certificate,
    servername: 'localhost', agent: false,
    headers: { authorization: 'Basic ' + Buffer.from(`${TEST_USERS.root.user}:${TEST_USERS.root.password}`).toString('base64') },
  });
  req.on('error', () => undefined);
  req.end();
  // Leave as soon as the gateway is reading the objects no manager covers.
  await monitor.waitFor((m) => m.type === 'call' && m.member === 'GetAll');
  req.destroy();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const afterLeaving = calls('GetAll', 0);
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.is(calls('GetAll', 0), afterLeaving, 'no GetAll after the enumerate stopped');
  t.true(afterLeaving < needed / 2, `${afterLeaving} of ${needed} GetAll calls made`);
  // The gateway is fine, and the next enumerate is whole.
  const next = await h.client.get(`${SENSORS}/enumerate`);
  t.is(next.status, 200);
  t.deepEqual(Object.keys(next.json.data as object), Object.keys(whole.json.data as object));
});

test.serial('a budget too small for two enumerates at once: the second waits, both answers are right', async (t) => {
  const [sensors, inventory] = [SENSORS, '/xyz/openbmc_project'].map((path) => `${path}/enumerate`);
  const alone = await Promise.all([h.client.get(sensors!), h.client.get(inventory!)].map(async (p) => (await p).json.data as object));
  await settle();
  const [a, b] = await Promise.all([h.client.get(sensors!), h.client.get(inventory!)]);
  t.is(a.status, 200);
  t.is(b.status, 200);
  t.deepEqual(Object.keys(a.json.data as object), Object.keys(alone[0]!));
  t.deepEqual(Object.keys(b.json.data as object), Object.keys(alone[1]!));
  // Not interleaved: the second enumerate's GetManagedObjects calls all come after the first's GetAll calls.
  const kinds = monitor.messages.filter((m) => m.type === 'call' && (m.member === 'GetManagedObjects' || m.member === 'GetAll')).map((m) => m.member);
  const firstGetAll = kinds.indexOf('GetAll');
  const lastManaged = kinds.lastIndexOf('GetManagedObjects');
  t.true(firstGetAll >= 0 && lastManaged > firstGetAll, 'the waiting enumerate read its managers after the first had read its objects');
});
