/**
 * The console's session edges, in Debian's chromium against the real
 * gateway (own XSRF cookie name, the smallest websocket send buffer, the
 * simulated user manager's account file shared with the gateway):
 * - a hash path that is not a D-Bus object path is refused, never requested;
 * - the XSRF cookie is found by its exact name (the gateway says which in
 *   the page), not by a suffix: a reload keeps the session and a cookie
 *   of another server on the same host (bmcweb's XSRF-TOKEN) is ignored;
 * - a websocket closed as too slow (1008) is not a session end: the page
 *   asks the gateway, stays logged in and reconnects;
 * - an expired password: the restricted session says so and the password
 *   can be changed from the page;
 * - an account that needs a one-time code logs in with it (last: switching
 *   codes on restricts root too).
 */
import { readFile, writeFile } from 'node:fs/promises';
import test from 'ava';
import dbus from 'dbus-next';
import type { Browser, Request } from 'playwright-core';
import { connect } from '../../fixtures/dbus-daemon.js';
import { waitForConnect } from '../../fixtures/lib/bus-call.js';
import { currentCode } from '../../src/auth/one-time-code.js';
import { type ConsolePage, launchChromium, logIn, openConsole, openObject, screenshotIfFailed, unexpectedProblems } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { TEST_USERS } from '../helpers/users.js';

// The page's globals, for the functions evaluated in it (this file is compiled without DOM types).
declare const document: { cookie: string };

const HOST = '/xyz/openbmc_project/state/host0';
const LED = '/xyz/openbmc_project/led/groups/enclosure_identify';
const XSRF_COOKIE = 'BMCGW-CSRF';
const LONG = { timeout: 30_000 };

let harness: Harness;
let browser: Browser;
let current: ConsolePage | undefined;
test.before(async () => {
  harness = await startHarness({
    shareUsersFile: true,
    flags: ['--role-source', 'dbus', '--ws-send-buffer-bytes', '1024', '--xsrf-cookie', XSRF_COOKIE],
  });
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await harness?.close();
});
test.afterEach.always((t) => screenshotIfFailed(t, current?.page));

async function open(): Promise<ConsolePage> {
  current = await openConsole(browser, harness);
  return current;
}

/** Changes one user's entry in the users file, as `chage` or an administrator's shell would. */
async function editUser(user: string, edit: (entry: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await readFile(harness.usersFile, 'utf8')) as { users: Record<string, Record<string, unknown>> };
  edit(json.users[user] ?? {});
  await writeFile(harness.usersFile, JSON.stringify(json));
}

test.serial('a hash path that is not a D-Bus object path is refused with a message and never requested', async (t) => {
  const { page, problems, context } = await open();
  await logIn(page, TEST_USERS.root);
  const requested: string[] = [];
  page.on('request', (request: Request) => requested.push(request.url()));
  for (const hash of [`#/objects${HOST}?x=`, `#/objects${HOST}/../../logging`, '#/objects/xyz//openbmc_project', '#/objects/xyz/a-b']) {
    await page.evaluate((h) => { location.hash = h; }, hash);
    const error = page.locator('section.object .error[role="alert"]');
    await error.waitFor(LONG);
    t.regex(String(await error.textContent()), /is not a D-Bus object path/, hash);
    t.is(await page.getByRole('button', { name: /^Edit / }).count(), 0, hash);
  }
  t.deepEqual(requested.filter((url) => /\?x=|\.\.|\/\/openbmc|a-b/.test(url.slice(harness.gateway.url.length))), []);
  await openObject(page, HOST);
  t.deepEqual(unexpectedProblems(problems, []), []);
  await context.close();
});
declare const location: { hash: string };

test.serial('the XSRF cookie by its exact name: a reload keeps the session, another server\'s XSRF-TOKEN is ignored', async (t) => {
  const { page, problems, context } = await open();
  // bmcweb's cookie on the same host, before ours.
  await context.addCookies([{ name: 'XSRF-TOKEN', value: 'bmcweb-token', url: harness.gateway.url }]);
  await logIn(page, TEST_USERS.root);
  await page.reload();
  await page.getByRole('button', { name: 'Log out' }).waitFor(LONG);
  await page.locator('header .live.on').waitFor(LONG);
  const ours = (await context.cookies()).find((c) => c.name === XSRF_COOKIE)!.value;
  t.truthy(ours);
  const sent = page.waitForRequest((request) => request.method() === 'PUT');
  await openObject(page, LED);
  await page.getByRole('button', { name: 'Edit Asserted' }).click();
  await page.getByLabel('New value of Asserted').selectOption('false');
  await page.getByRole('button', { name: 'Save' }).click();
  t.is((await sent).headers()['x-xsrf-token'], ours);
  await page.getByRole('button', { name: 'Edit Asserted' }).waitFor(LONG);
  t.is(await page.evaluate(() => document.cookie.includes('XSRF-TOKEN=bmcweb-token')), true, 'the other cookie is still there');
  t.deepEqual(unexpectedProblems(problems, []), []);
  await context.close();
});

test.serial('a websocket closed as too slow (1008) keeps the session: the page reconnects and says so', async (t) => {
  const { page, problems, context } = await open();
  await logIn(page, TEST_USERS.root);
  await page.locator('header .live.on').waitFor(LONG);
  const bus = connect(harness.bus.address);
  bus.on('error', () => undefined);
  await waitForConnect(bus);
  try {
    // The page's main thread is busy while 32 events of 256 KiB arrive: more than 1 KiB stays unsent.
    const busy = page.evaluate(() => { const end = Date.now() + 3000; while (Date.now() < end); });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const padding = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 32; i++) {
      bus.send(dbus.Message.newSignal('/xyz/openbmc_project/sensors/temperature/slow_test', 'org.freedesktop.DBus.Properties',
        'PropertiesChanged', 'sa{sv}as', ['xyz.openbmc_project.Sensor.Value', { Value: new dbus.Variant('s', `${i} ${padding}`) }, []]));
    }
    await busy;
  } finally {
    bus.disconnect();
  }
  const notice = page.locator('#live-notice');
  await notice.waitFor(LONG);
  t.regex(String(await notice.textContent()), /too slow/);
  await page.locator('header .live.on').waitFor(LONG);
  t.is(await page.locator('#session-notice').count(), 0, 'still logged in');
  t.true(await page.getByRole('button', { name: 'Log out' }).isVisible());
  t.true(harness.logLines.some((line) => /closed, more than 1024 bytes of events unsent/.test(line)), 'the gateway closed it as too slow');
  t.deepEqual(unexpectedProblems(problems, []), []);
  await context.close();
});

test.serial('an expired password: the restricted session says so, and the password is changed from the page', async (t) => {
  const { user } = TEST_USERS.operator;
  await editUser(user, (entry) => void (entry.passwordExpired = true));
  const { page, problems, context } = await open();
  await logIn(page, TEST_USERS.operator);
  const restricted = page.locator('#restricted');
  await restricted.waitFor(LONG);
  t.regex(String(await restricted.textContent()), /The password for this account must be changed/);
  await page.getByLabel('New password', { exact: true }).fill('n3w-0perator-pw');
  await page.getByLabel('New password again').fill('n3w-0perator-pw');
  await page.getByRole('button', { name: 'Change password' }).click();
  await restricted.waitFor({ state: 'detached', ...LONG });
  await openObject(page, HOST);
  await page.locator('header .live.on').waitFor(LONG);
  t.true(await page.getByRole('button', { name: 'Edit RequestedHostTransition' }).isVisible());
  t.deepEqual(unexpectedProblems(problems, [{ status: 403, url: /./ }]), []);
  await context.close();
});

test.serial('an account that needs a one-time code: the form says so, and the code logs it in', async (t) => {
  const { user, password } = TEST_USERS.readonly;
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const on = await harness.client.request('PUT', '/xyz/openbmc_project/user/attr/Enabled',
    { body: { data: 'xyz.openbmc_project.User.MultiFactorAuthConfiguration.Type.GoogleAuthenticator' } });
  t.is(on.status, 200, on.text);
  // Switching codes on clears every secret; then the account's secret is set up, as VerifyOTP would commit it.
  await editUser(user, (entry) => void (entry.totpSecret = secret));
  const { page, problems, context } = await open();
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  const error = page.locator('form .error[role="alert"]');
  await error.waitFor(LONG);
  t.regex(String(await error.textContent()), /^A one-time code is required for this account/);
  await page.getByLabel('One-time code').fill(await currentCode(secret));
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor(LONG);
  await openObject(page, HOST);
  t.is(await page.locator('#restricted').count(), 0);
  t.deepEqual(unexpectedProblems(problems, [{ status: 401, url: /\/login$/ }]), []);
  await context.close();
});
