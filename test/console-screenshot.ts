/**
 * `npm run screenshot`: regenerates docs/console.png (1280×800) from the
 * same stack as the console's tests: a private bus, the simulated BMC, the
 * real gateway, Debian's chromium. It logs in as root, turns the host on
 * and opens state/host0 as an administrator sees it.
 */
import { fileURLToPath } from 'node:url';
import { launchChromium, logIn, openConsole, openObject } from './helpers/browser.js';
import { startHarness } from './helpers/harness.js';
import { TEST_USERS } from './helpers/users.js';

const OUT = fileURLToPath(new URL('../../docs/console.png', import.meta.url));
const HOST = '/xyz/openbmc_project/state/host0';

const harness = await startHarness();
const browser = await launchChromium();
try {
  const { page } = await openConsole(browser, harness);
  await logIn(page, TEST_USERS.root);
  await page.locator('header .live.on').waitFor();
  await harness.client.request('PUT', `${HOST}/attr/RequestedHostTransition`, { body: { data: 'xyz.openbmc_project.State.Host.Transition.On' } });
  await openObject(page, HOST);
  // Open the tree down to the object, as someone who browsed there would have.
  for (const name of ['/', '/xyz', '/xyz/openbmc_project', '/xyz/openbmc_project/state']) {
    await page.getByRole('button', { name: `Open ${name}`, exact: true }).click();
    await page.getByRole('button', { name: `Close ${name}`, exact: true }).waitFor();
  }
  await page.locator('td.value', { hasText: 'HostState.Running' }).waitFor({ timeout: 20_000 });
  await page.screenshot({ path: OUT });
  process.stdout.write(`wrote ${OUT}\n`);
} finally {
  await browser.close();
  await harness.close();
}
