/**
 * The console's roles and session ends, in Debian's chromium against the
 * real gateway: the controls follow what the gateway says each user may do
 * (a reader gets a read-only console, an operator only the power controls),
 * a write forged from the page's own context is refused by the gateway, and
 * a session ended elsewhere (logout from another client: the websocket's
 * 1008) or a request answered 401 returns the page to the login form,
 * saying why; and a phone-sized screen.
 */
import test from 'ava';
import type { Browser } from 'playwright-core';
import { type ConsolePage, launchChromium, logIn, openConsole, openObject, screenshotIfFailed, unexpectedProblems } from '../helpers/browser.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { TEST_USERS, type TestUser } from '../helpers/users.js';

// The page's globals, for the functions evaluated in it (this file is compiled without DOM types).
declare const document: { cookie: string; documentElement: { scrollWidth: number; clientWidth: number } };
declare function getComputedStyle(element: unknown): { outlineStyle: string };

const HOST = '/xyz/openbmc_project/state/host0';
const LONG = { timeout: 20_000 };

let harness: Harness;
let browser: Browser;
const views: ConsolePage[] = [];
test.before(async () => {
  // Roles from the simulated user manager, so that an account can be disabled while its page is open.
  harness = await startHarness({ flags: ['--role-source', 'dbus'] });
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await harness?.close();
});

async function open(): Promise<ConsolePage> {
  const view = await openConsole(browser, harness);
  views.push(view);
  return view;
}
let current: ConsolePage | undefined;
test.afterEach.always((t) => screenshotIfFailed(t, current?.page));

/** The answers to the forged requests and the ended sessions are expected. */
const EXPECTED = [{ status: 403, url: /./ }, { status: 401, url: /./ }];

test.serial('a reader gets a read-only console, and a write forged from the page is refused', async (t) => {
  current = await open();
  const { page } = current;
  await logIn(page, TEST_USERS.readonly);
  await openObject(page, HOST);
  t.is(await page.getByRole('button', { name: /^Edit / }).count(), 0, 'no editors');
  t.is(await page.locator('form.method').count(), 0, 'no method forms');
  await openObject(page, '/xyz/openbmc_project/led/groups/enclosure_identify');
  t.is(await page.getByRole('button', { name: /^Edit / }).count(), 0);
  await page.getByRole('link', { name: 'Power & firmware' }).click();
  await page.getByText('Your account may not change the host\'s power.').waitFor(LONG);
  await page.getByText('Your account may not update the firmware.').waitFor(LONG);
  t.is(await page.getByRole('button', { name: 'Power on' }).count(), 0);
  t.is(await page.getByLabel('Image file (.tar)').count(), 0);

  // The page's own context, with its cookies and the XSRF token it may read: the gateway still says no.
  const before = (await harness.client.get(`${HOST}/attr/RequestedHostTransition`)).json.data;
  const forged = await page.evaluate(async (path) => {
    const token = document.cookie.split('; ').find((c: string) => c.startsWith('__Host-BMCGW-XSRF-TOKEN='))?.split('=')[1] ?? '';
    const put = await fetch(`${path}/attr/RequestedHostTransition`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json', 'X-XSRF-TOKEN': token },
      body: JSON.stringify({ data: 'xyz.openbmc_project.State.Host.Transition.On' }),
    });
    const call = await fetch('/xyz/openbmc_project/logging/action/DeleteAll', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-XSRF-TOKEN': token }, body: JSON.stringify({ data: [] }),
    });
    return { put: put.status, putBody: await put.json() as { status: string }, call: call.status };
  }, HOST);
  t.is(forged.put, 403);
  t.is(forged.putBody.status, 'error');
  t.is(forged.call, 403);
  t.is((await harness.client.get(`${HOST}/attr/RequestedHostTransition`)).json.data, before, 'nothing changed');
  t.deepEqual(unexpectedProblems(current.problems, EXPECTED), []);
  await current.context.close();
});

test.serial('an operator gets the power controls and the identify LED, nothing else', async (t) => {
  current = await open();
  const { page } = current;
  await logIn(page, TEST_USERS.operator);
  await openObject(page, HOST);
  const editors = await page.getByRole('button', { name: /^Edit / }).allTextContents();
  t.is(editors.length, 1);
  t.true(await page.getByRole('button', { name: 'Edit RequestedHostTransition' }).isVisible());
  await openObject(page, '/xyz/openbmc_project/led/groups/enclosure_identify');
  t.deepEqual(await page.getByRole('button', { name: /^Edit / }).allTextContents(), ['Edit']);
  t.true(await page.getByRole('button', { name: 'Edit Asserted' }).isVisible());
  await openObject(page, '/xyz/openbmc_project/led/groups/enclosure_fault');
  t.is(await page.getByRole('button', { name: /^Edit / }).count(), 0, 'not every LED group');
  await page.getByRole('link', { name: 'Power & firmware' }).click();
  await page.getByRole('button', { name: 'Power on' }).waitFor(LONG);
  await page.getByText('Your account may not update the firmware.').waitFor(LONG);
  t.deepEqual(unexpectedProblems(current.problems, EXPECTED), []);
  await current.context.close();
});

test.serial('method forms follow the method listing: an administrator gets them, an operator none', async (t) => {
  const LOGGING = '/xyz/openbmc_project/logging';
  const listing = async (user: TestUser) => {
    const answer = await harness.clientAs(user).request('GET', `${LOGGING}/action/`);
    t.is(answer.status, 200, answer.text);
    return (answer.json.data as { name: string; allowed: boolean }[]).filter((m) => m.allowed).map((m) => `Call ${m.name}`).sort();
  };
  const calls = async (user: TestUser) => {
    current = await open();
    await logIn(current.page, user);
    await openObject(current.page, LOGGING);
    const buttons = (await current.page.getByRole('button', { name: /^Call / }).allTextContents()).sort();
    t.deepEqual(unexpectedProblems(current.problems, EXPECTED), []);
    await current.context.close();
    return buttons;
  };
  const adminCalls = await calls(TEST_USERS.root);
  t.true(adminCalls.includes('Call DeleteAll'), adminCalls.join());
  t.deepEqual(adminCalls, await listing(TEST_USERS.root));
  t.deepEqual(await calls(TEST_USERS.operator), []);
  t.deepEqual(await listing(TEST_USERS.operator), []);
});

test.serial('a logout from another client returns the page to the login form, saying why', async (t) => {
  current = await open();
  const { page, context } = current;
  await logIn(page, TEST_USERS.root);
  await page.locator('header .live.on').waitFor(LONG);
  const token = (await context.cookies()).find((c) => c.name === '__Host-BMCGW-SESSION')!.value;
  const out = await harness.clientAs(null).request('POST', '/logout', { headers: { 'X-Auth-Token': token }, body: { data: [] } });
  t.is(out.status, 200, out.text);
  const notice = page.locator('#session-notice');
  await notice.waitFor(LONG);
  t.regex(String(await notice.textContent()), /session ended/);
  t.true(await page.getByLabel('Password').isVisible());
  t.deepEqual(unexpectedProblems(current.problems, EXPECTED), []);
  await current.context.close();
});

test.serial('a request answered 401 (the session is gone) returns the page to the login form too', async (t) => {
  current = await open();
  const { page, context } = current;
  await logIn(page, TEST_USERS.root);
  await page.locator('header .live.on').waitFor(LONG);
  // The session cookie disappears (as when the browser drops it): the next request is a 401.
  const cookies = (await context.cookies()).filter((c) => c.name !== '__Host-BMCGW-SESSION');
  await context.clearCookies();
  await context.addCookies(cookies);
  await page.getByLabel('Object path').fill(HOST);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  const notice = page.locator('#session-notice');
  await notice.waitFor(LONG);
  t.regex(String(await notice.textContent()), /401/);
  t.deepEqual(unexpectedProblems(current.problems, EXPECTED), []);
  await current.context.close();
});

test.serial('an account disabled while its page is open: back to the login form, saying so', async (t) => {
  current = await open();
  const { page } = current;
  await logIn(page, TEST_USERS.readonly);
  await page.locator('header .live.on').waitFor(LONG);
  const disable = await harness.client.request('PUT', '/xyz/openbmc_project/user/readonly/attr/UserEnabled', { body: { data: false } });
  t.is(disable.status, 200, disable.text);
  try {
    const notice = page.locator('#session-notice');
    await notice.waitFor(LONG);
    t.is(await notice.textContent(), 'Your session ended: account disabled');
  } finally {
    await harness.client.request('PUT', '/xyz/openbmc_project/user/readonly/attr/UserEnabled', { body: { data: true } });
  }
  t.deepEqual(unexpectedProblems(current.problems, EXPECTED), []);
  await current.context.close();
});

test.serial('keyboard only: log in, open a tree node and an object, with a visible focus ring', async (t) => {
  current = await open();
  const { page } = current;
  await page.waitForFunction("document.activeElement && document.activeElement.id === 'username'", undefined, LONG);
  await page.keyboard.type(TEST_USERS.root.user); // the user name field has the focus
  await page.keyboard.press('Tab');
  await page.keyboard.type(TEST_USERS.root.password);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Log out' }).waitFor(LONG);
  const tree = page.getByRole('button', { name: 'Open /', exact: true });
  await tree.focus();
  const outline = await tree.evaluate((element) => getComputedStyle(element).outlineStyle);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Close /', exact: true }).waitFor(LONG);
  t.not(outline, 'none', 'the focused button shows a focus ring');
  await page.keyboard.press('Tab'); // the name "/" itself
  await page.keyboard.press('Tab'); // the twisty of /xyz
  await page.keyboard.press('Tab'); // the name "xyz"
  await page.keyboard.press('Enter');
  await page.locator('section.object h2', { hasText: /^\/xyz$/ }).waitFor(LONG);
  t.is(new URL(page.url()).hash, '#/objects/xyz');
  await current.context.close();
});

test.serial('on a phone-sized screen the console is usable: the tree stacks above the object', async (t) => {
  current = await openConsole(browser, harness, { width: 390, height: 844 });
  const { page } = current;
  await logIn(page, TEST_USERS.root);
  await openObject(page, HOST);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  t.true(overflow <= 0, `no horizontal scrolling (${overflow} px too wide)`);
  const aside = await page.locator('.objects aside').boundingBox();
  const object = await page.locator('section.object').boundingBox();
  t.true(aside!.y + aside!.height <= object!.y + 1, 'stacked');
  await current.context.close();
});
