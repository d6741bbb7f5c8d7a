/**
 * The browser console in Debian's chromium against the real gateway and the
 * simulated BMC, as an administrator: log in; open state/host0; power on and
 * see CurrentHostState become Running without a reload; edit a writable
 * property; call a method with arguments; a wrong value shows the
 * envelope's error; upload an image, the progress bar reaches 100 % and the
 * activation finishes; sensors and live events; and no console error or CSP
 * violation in the whole run.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { Browser } from 'playwright-core';
import { create as createTar } from 'tar';
import { type ConsolePage, launchChromium, logIn, openConsole, openObject, propertyValue, screenshotIfFailed, unexpectedProblems } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { TEST_USERS } from '../helpers/users.js';

const HOST = '/xyz/openbmc_project/state/host0';
const HOST_IFACE = 'xyz.openbmc_project.State.Host';
const LONG = { timeout: 20_000 };

let harness: Harness;
let browser: Browser;
let view: ConsolePage;
test.before(async () => {
  harness = await startHarness();
  browser = await launchChromium();
  view = await openConsole(browser, harness);
});
test.after.always(async () => {
  await browser?.close();
  await harness?.close();
});
test.afterEach.always((t) => screenshotIfFailed(t, view?.page));

test.serial('log in with the session cookie and XSRF header; the live connection opens', async (t) => {
  const { page, context } = view;
  await logIn(page, TEST_USERS.root);
  await page.locator('header .live.on').waitFor(LONG);
  t.is(await page.locator('header .user').textContent(), 'root');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === '__Host-BMCGW-SESSION');
  t.truthy(session);
  t.true(session!.httpOnly, 'the page cannot read the session token');
  t.false(cookies.find((c) => c.name === '__Host-BMCGW-XSRF-TOKEN')!.httpOnly, 'the page echoes the XSRF token');
});

test.serial('open state/host0: properties with their D-Bus types and values', async (t) => {
  const { page } = view;
  await openObject(page, HOST);
  const state = await harness.client.get(`${HOST}/attr/CurrentHostState`);
  t.is((await propertyValue(page, HOST_IFACE, 'CurrentHostState').textContent())?.trim(), state.json.data);
  t.is(await page.locator(`section.interface[data-interface="${HOST_IFACE}"] tr[data-property="CurrentHostState"] code`).textContent(), 's');
  t.true(await page.getByRole('button', { name: 'Edit RequestedHostTransition' }).isVisible());
  t.false(await page.getByRole('button', { name: 'Edit CurrentHostState' }).isVisible(), 'read-only properties have no editor');
});

test.serial('power on from the Power view: CurrentHostState becomes Running without a reload', async (t) => {
  const { page } = view;
  await page.getByRole('link', { name: 'Power & firmware' }).click();
  await page.locator('#host-state', { hasText: /^Off$/ }).waitFor(LONG);
  await page.getByRole('button', { name: 'Power on' }).click();
  await page.locator('#host-state', { hasText: /^Running$/ }).waitFor(LONG);
  t.is((await harness.client.get(`${HOST}/attr/CurrentHostState`)).json.data, `${HOST_IFACE}.HostState.Running`);
});

test.serial('edit a writable property in the object view: soft off, and the live value follows, highlighted', async (t) => {
  const { page } = view;
  await openObject(page, HOST);
  await page.getByRole('button', { name: 'Edit RequestedHostTransition' }).click();
  await page.getByLabel('New value of RequestedHostTransition').fill(`${HOST_IFACE}.Transition.Off`);
  await page.getByRole('button', { name: 'Save' }).click();
  await propertyValue(page, HOST_IFACE, 'RequestedHostTransition').filter({ hasText: `${HOST_IFACE}.Transition.Off` }).waitFor(LONG);
  const current = propertyValue(page, HOST_IFACE, 'CurrentHostState');
  await current.filter({ hasText: `${HOST_IFACE}.HostState.Off` }).waitFor(LONG);
  t.is(await current.locator('span.changed').count(), 1, 'the changed value is highlighted');
  t.is((await harness.client.get(`${HOST}/attr/RequestedHostTransition`)).json.data, `${HOST_IFACE}.Transition.Off`);
});

test.serial('a wrong value shows the envelope\'s error and changes nothing', async (t) => {
  const { page } = view;
  const sensors = (await harness.client.get('/xyz/openbmc_project/sensors/enumerate')).json.data as Record<string, Record<string, unknown>>;
  const [sensor] = Object.entries(sensors).find(([, props]) => typeof props.WarningHigh === 'number')!;
  const before = (await harness.client.get(`${sensor}/attr/WarningHigh`)).json.data;
  await openObject(page, sensor);
  await page.getByRole('button', { name: 'Edit WarningHigh' }).click();
  await page.getByLabel('New value of WarningHigh').fill('warm');
  await page.getByRole('button', { name: 'Save' }).click();
  const error = page.locator('tr[data-property="WarningHigh"] .error');
  await error.waitFor(LONG);
  t.is(String(await error.textContent()), 'property \'WarningHigh\' ($): expected double, got "warm"', 'the envelope\'s description');
  t.is((await harness.client.get(`${sensor}/attr/WarningHigh`)).json.data, before);
});

test.serial('call a method with arguments: the result is shown and the object changes live', async (t) => {
  const { page } = view;
  let created;
  for (const deadline = Date.now() + 10_000; ;) {
    created = await harness.client.request('POST', '/xyz/openbmc_project/dump/bmc/action/CreateDump', { body: { data: [{}] } });
    if (created.status !== 503 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.is(created.status, 200, created.text);
  const entry = created.json.data as string;
  await openObject(page, entry);
  const form = page.locator('form.method[data-method="InitiateOffload"]');
  await form.getByLabel('offloadUri').fill('sftp://collector.example/dumps');
  await form.getByRole('button', { name: 'Call InitiateOffload' }).click();
  await form.locator('pre.result').waitFor(LONG);
  t.is((await form.locator('pre.result').textContent())?.trim(), 'null');
  await propertyValue(page, 'xyz.openbmc_project.Dump.Entry', 'OffloadUri').filter({ hasText: 'sftp://collector.example/dumps' }).waitFor(LONG);
  t.is((await harness.client.get(`${entry}/attr/OffloadUri`)).json.data, 'sftp://collector.example/dumps');
});

test.serial('upload an image: the progress bar reaches 100 %, then the activation runs to Active', async (t) => {
  const { page } = view;
  const staging = await mkdtemp(join(tmpdir(), 'console-image-'));
  try {
    const version = `console-${Date.now()}`;
    await writeFile(join(staging, 'MANIFEST'), `purpose=xyz.openbmc_project.Software.Version.VersionPurpose.BMC\nversion=${version}\nKeyType=OpenBMC\nHashType=RSA-SHA256\n`);
    await writeFile(join(staging, 'image-rofs'), Buffer.alloc(4 * 1024 * 1024, 7));
    await createTar({ file: join(staging, 'image.tar'), cwd: staging, portable: true }, ['MANIFEST', 'image-rofs']);
    await page.getByRole('link', { name: 'Power & firmware' }).click();
    await page.getByLabel('Image file (.tar)').setInputFiles(join(staging, 'image.tar'));
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('#upload-percent', { hasText: '100 %' }).waitFor(LONG);
    t.is(await page.locator('#upload-progress').getAttribute('value'), '100');
    const size = (await readFile(join(staging, 'image.tar'))).length;
    t.regex(String(await page.locator('.firmware').textContent()), new RegExp(`${size} of ${size} bytes`));
    await page.locator('#activation-state', { hasText: 'Ready' }).waitFor(LONG);
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.locator('#activation-state', { hasText: 'Activating' }).waitFor(LONG);
    // ActivationProgress appears with the activation, live from the websocket (and goes when it is done).
    await page.locator('#activation-progress').waitFor({ state: 'attached', ...LONG });
    await page.locator('#activation-state', { hasText: /^Active$/ }).waitFor(LONG);
    const versionId = await page.locator('.activation').getAttribute('data-version');
    t.is((await harness.client.get(`/xyz/openbmc_project/software/${versionId}/attr/Activation`)).json.data,
      'xyz.openbmc_project.Software.Activation.Activations.Active');
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
});

test.serial('sensors at a glance: every Sensor.Value with value, unit, threshold state and a chart', async (t) => {
  const { page } = view;
  const sensors = (await harness.client.get('/xyz/openbmc_project/sensors/enumerate')).json.data as Record<string, Record<string, unknown>>;
  const withValue = Object.entries(sensors).filter(([, props]) => 'Value' in props);
  await page.getByRole('link', { name: 'Sensors' }).click();
  await page.locator('li.sensor').first().waitFor(LONG);
  t.is(await page.locator('li.sensor').count(), withValue.length);
  const [path, props] = withValue[0]!;
  const card = page.locator(`li.sensor[data-sensor="${path}"]`);
  t.regex(String(await card.textContent()), new RegExp(String(props.Unit).split('.').pop()!));
  t.regex(String(await card.locator('.badge').textContent()), /normal|warning|critical/);
  t.is(await card.locator('.chart canvas').count(), 1, 'a uPlot chart');
});

test.serial('live events: PropertiesChanged arrive, filters, pause and clear', async (t) => {
  const { page } = view;
  await page.getByRole('link', { name: 'Events' }).click();
  await page.getByLabel('Path starts with').fill(HOST);
  await harness.client.request('PUT', `${HOST}/attr/RequestedHostTransition`, { body: { data: `${HOST_IFACE}.Transition.On` } });
  const rows = page.locator('table.event-list tbody tr');
  await rows.first().waitFor(LONG);
  for (const path of await page.locator('table.event-list td.path').allTextContents()) t.true(path.startsWith(HOST), path);
  await page.getByRole('button', { name: 'Pause' }).click();
  const count = await rows.count();
  await harness.client.request('PUT', `${HOST}/attr/RequestedHostTransition`, { body: { data: `${HOST_IFACE}.Transition.Off` } });
  await page.locator('text=/[1-9][0-9]* events while paused/').waitFor(LONG);
  t.is(await rows.count(), count, 'nothing is added while paused');
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByRole('button', { name: 'Clear' }).click();
  t.is(await rows.count(), 0);

  // InterfacesRemoved only when asked; the interface filter.
  await page.getByLabel('Path starts with').fill('/xyz/openbmc_project/logging');
  await page.getByLabel('Interface contains').fill('Logging.Entry');
  const create = (message: string) => harness.client.request('POST', '/xyz/openbmc_project/logging/action/Create',
    { body: { data: [message, 'xyz.openbmc_project.Logging.Entry.Level.Informational', {}] } });
  const first = await create('xyz.openbmc_project.Common.Error.InternalFailure');
  t.is(first.status, 200, first.text);
  // Entry numbers are reused after a delete: count the rows rather than look for a path.
  const added = page.locator('tr[data-event="InterfacesAdded"] td.path');
  await added.nth(0).waitFor(LONG);
  t.is(await added.nth(0).textContent(), first.json.data);
  t.is((await harness.client.request('DELETE', first.json.data as string)).status, 200);
  // Events arrive in order: once a later one is shown, the removal has been seen and left out.
  const marker = await create('xyz.openbmc_project.Common.Error.InternalFailure');
  await added.nth(1).waitFor(LONG);
  t.is(await added.nth(0).textContent(), marker.json.data, 'the newest first');
  t.is(await page.locator('tr[data-event="InterfacesRemoved"]').count(), 0, 'not shown unless asked');
  await page.getByLabel('InterfacesRemoved').check();
  const second = await create('xyz.openbmc_project.Common.Error.InternalFailure');
  t.is((await harness.client.request('DELETE', second.json.data as string)).status, 200);
  const removed = page.locator('tr[data-event="InterfacesRemoved"] td.path');
  await removed.nth(0).waitFor(LONG);
  t.is(await removed.nth(0).textContent(), second.json.data);
  t.is(await removed.count(), 1, 'only the removal after the box was ticked');
});

test.serial('no console errors and no CSP violations during the run', (t) => {
  t.deepEqual(unexpectedProblems(view.problems, [
    // The wrong value above, answered 400 on purpose.
    { status: 400, url: /\/attr\/WarningHigh$/ },
  ]), []);
});
