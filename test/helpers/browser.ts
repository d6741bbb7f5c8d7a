/**
 * Debian's chromium, headless, driven by playwright-core (no browser is
 * downloaded: CHROMIUM or /usr/bin/chromium), for the console's tests. Each
 * page records console errors, uncaught page errors and CSP violations, so
 * a test can assert there were none; a failed test keeps a screenshot in
 * test-artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import type { Harness } from './harness.js';
import type { Credentials } from './http-client.js';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

export interface ConsolePage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors, page errors and CSP violations, as text. */
  readonly problems: string[];
}

export async function openConsole(browser: Browser, harness: Harness, viewport = { width: 1280, height: 800 }): Promise<ConsolePage> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport, baseURL: harness.gateway.url });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      problems.push(`console ${message.type()}: ${message.text()} (${message.location().url})`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.exposeFunction('reportCspViolation', (text: string) => problems.push(`CSP violation: ${text}`));
  // Runs in the page before its own scripts (a string: this file is compiled without DOM types).
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) => window.reportCspViolation(
      event.violatedDirective + ' ' + event.blockedURI + ' ' + event.sourceFile + ':' + event.lineNumber));`,
  });
  await page.goto('/console/');
  return { context, page, problems };
}

/**
 * The problems, less the error answers a test provoked on purpose: Chromium
 * logs every 4xx and 5xx answer to fetch as a console error naming its URL.
 */
export function unexpectedProblems(problems: readonly string[], expected: ReadonlyArray<{ status: number; url: RegExp }>): string[] {
  return problems.filter((problem) => {
    const match = /^console error: Failed to load resource: the server responded with a status of (\d+) .*\((.*)\)$/.exec(problem);
    return !match || !expected.some(({ status, url }) => status === Number(match[1]) && url.test(match[2]!));
  });
}

export async function logIn(page: Page, credentials: Credentials): Promise<void> {
  await page.getByLabel('User name').fill(credentials.user);
  await page.getByLabel('Password').fill(credentials.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Opens an object through the path field, as a user would. */
export async function openObject(page: Page, objectPath: string): Promise<void> {
  await page.getByRole('link', { name: 'Objects' }).click();
  await page.getByLabel('Object path').fill(objectPath);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.locator('section.object h2', { hasText: objectPath }).waitFor();
  await page.locator('section.interface').first().waitFor();
}

/** The value cell of a property row. */
export function propertyValue(page: Page, interfaceName: string, name: string) {
  return page.locator(`section.interface[data-interface="${interfaceName}"] tr[data-property="${name}"] td.value`);
}

/** Keeps a screenshot of a failed test in test-artifacts/. */
export async function screenshotIfFailed(t: ExecutionContext, page: Page | undefined): Promise<void> {
  if (t.passed || !page) return;
  await mkdir(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${t.title.replace(/[^\w-]+/g, '_').slice(0, 100)}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
  t.log(`screenshot: ${file}`);
}
