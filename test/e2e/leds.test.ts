/**
 * The simulated LED manager through the gateway, as LED tooling sees a BMC:
 * the groups of a real system's phosphor-led-manager configuration, each with
 * Asserted, and the physical LEDs with State, DutyOn, Period and Color.
 * Asserting a group drives its physical LEDs over D-Bus; where asserted
 * groups disagree, the LED's priority action wins; power_on follows the
 * chassis power state.
 */
import test, { type ExecutionContext } from 'ava';
import { LED_GROUPS, PHYSICAL_LEDS } from '../../fixtures/services/leds.js';
import { startHarness, type Harness } from '../helpers/harness.js';

const GROUPS = '/xyz/openbmc_project/led/groups';
const PHYSICAL = '/xyz/openbmc_project/led/physical';
const ACTION = (action: string) => `xyz.openbmc_project.Led.Physical.Action.${action}`;
const BOUND_MS = 10_000;

let harness: Harness;
test.before(async () => {
  harness = await startHarness();
});
test.after.always(() => harness?.close());

type Led = { State: string; DutyOn: number; Period: number; Color: string };

async function leds(): Promise<Record<string, Led>> {
  const res = await harness.client.get(`${PHYSICAL}/enumerate`);
  return Object.fromEntries(Object.entries(res.json.data as Record<string, Led>).map(([path, led]) => [path.slice(PHYSICAL.length + 1), led]));
}

async function assert(group: string, value: boolean): Promise<void> {
  const res = await harness.client.request('PUT', `${GROUPS}/${group}/attr/Asserted`, { body: { data: value } });
  if (res.status !== 200) throw new Error(`${group}: ${res.status} ${res.text}`);
}

/** Polls the physical LEDs until `expected` (name → State action) holds; bounded. */
async function settle(t: ExecutionContext, expected: Record<string, string>, what: string): Promise<Record<string, Led>> {
  const deadline = Date.now() + BOUND_MS;
  let now = await leds();
  while (Object.entries(expected).some(([led, action]) => now[led]?.State !== ACTION(action)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    now = await leds();
  }
  for (const [led, action] of Object.entries(expected)) t.is(now[led]?.State, ACTION(action), `${what}: ${led}`);
  return now;
}

test.serial('every group of the configuration and every physical LED is there, with their properties', async (t) => {
  const groups = (await harness.client.get(`${GROUPS}/enumerate`)).json.data as Record<string, { Asserted: boolean }>;
  t.deepEqual(Object.keys(groups).sort(), Object.keys(LED_GROUPS).map((g) => `${GROUPS}/${g}`).sort());
  for (const name of ['enclosure_identify', 'enclosure_identify_blink', 'enclosure_fault', 'bmc_booted', 'power_on', 'fan0_fault', 'fan0_identify', 'cpu1_fault']) {
    t.true(`${GROUPS}/${name}` in groups, name);
  }
  t.is(groups[`${GROUPS}/bmc_booted`]?.Asserted, true, 'the BMC has booted');
  t.is(groups[`${GROUPS}/enclosure_identify`]?.Asserted, false);
  const now = await settle(t, { heartbeat: 'On', power: 'Off', front_id: 'Off' }, 'at start');
  t.deepEqual(Object.keys(now).sort(), Object.keys(PHYSICAL_LEDS).sort());
  t.deepEqual(Object.keys(now.front_id ?? {}).sort(), ['Color', 'DutyOn', 'Period', 'State']);
  t.is(now.front_id?.Color, 'xyz.openbmc_project.Led.Physical.Palette.Blue');
  t.is(now.fan2?.Color, 'xyz.openbmc_project.Led.Physical.Palette.Yellow');
});

test.serial('each group drives exactly its physical LEDs, and they go Off when it is deasserted', async (t) => {
  for (const [group, members] of Object.entries(LED_GROUPS)) {
    if (group === 'bmc_booted' || group === 'power_on') continue;
    const untouched = Object.keys(PHYSICAL_LEDS).filter((led) => !members.some((m) => m.led === led) && led !== 'heartbeat');
    await assert(group, true);
    const lit = await settle(t, Object.fromEntries(members.map((m) => [m.led, m.action])), `${group} asserted`);
    for (const member of members.filter((m) => m.action === 'Blink')) {
      t.is(lit[member.led]?.DutyOn, member.dutyOn, `${group}: ${member.led} duty`);
      t.is(lit[member.led]?.Period, member.period, `${group}: ${member.led} period`);
    }
    for (const led of untouched) t.is(lit[led]?.State, ACTION('Off'), `${group} leaves ${led} alone`);
    await assert(group, false);
    await settle(t, Object.fromEntries(members.map((m) => [m.led, 'Off'])), `${group} deasserted`);
  }
});

test.serial('two groups on one LED: the priority action wins, the other shows when the first goes', async (t) => {
  await assert('enclosure_identify', true);
  await settle(t, { front_id: 'On', rear_id: 'On' }, 'identify');
  await assert('enclosure_identify_blink', true);
  await settle(t, { front_id: 'Blink', rear_id: 'Blink' }, 'identify and blink: Blink is the priority');
  await assert('enclosure_identify_blink', false);
  await settle(t, { front_id: 'On', rear_id: 'On' }, 'back to steady');
  await assert('enclosure_identify', false);
  await settle(t, { front_id: 'Off', rear_id: 'Off' }, 'off');

  await assert('fan1_identify', true);
  await assert('fan1_fault', true);
  await settle(t, { fan1: 'Blink' }, 'identify beats fault on the fan LED');
  await assert('fan1_identify', false);
  await settle(t, { fan1: 'On' }, 'the fault light stays');
  await assert('fan1_fault', false);
  await settle(t, { fan1: 'Off' }, 'off');
});

test.serial('power_on follows the chassis: the power LED lights with chassis power', async (t) => {
  const chassis = '/xyz/openbmc_project/state/chassis0/attr/RequestedPowerTransition';
  const send = (transition: string) => harness.client.request('PUT', chassis, { body: { data: `xyz.openbmc_project.State.Chassis.Transition.${transition}` } });
  t.is((await send('On')).status, 200);
  await settle(t, { power: 'On' }, 'chassis on');
  t.is((await harness.client.get(`${GROUPS}/power_on/attr/Asserted`)).json.data, true);
  t.is((await send('Off')).status, 200);
  await settle(t, { power: 'Off' }, 'chassis off');
  t.is((await harness.client.get(`${GROUPS}/power_on/attr/Asserted`)).json.data, false);
});
