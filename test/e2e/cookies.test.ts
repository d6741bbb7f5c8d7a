/**
 * Two servers on one host share one browser cookie jar: cookies are kept
 * per host, not per port. A gateway beside bmcweb (played here by a second
 * gateway with --bmcweb-cookies, bmcweb's names) must keep its session when
 * the user logs in to the other one, and the other way round. The jar is
 * tough-cookie's RFC 6265 jar, with the `__Host-` prefix rules enforced.
 */
import test from 'ava';
import { CookieJar } from 'tough-cookie';
import { startHarness, type Harness } from '../helpers/harness.js';
import type { RequestOptions, Response } from '../helpers/http-client.js';

const LED = '/xyz/openbmc_project/led/groups/enclosure_identify';
const BMC_STATE = '/xyz/openbmc_project/state/bmc0/attr/CurrentBMCState';

/** Ours (default names), two standing in for bmcweb (its names), one with names given on the command line. */
let ours: Harness;
let bmcweb: Harness;
let bmcwebTwin: Harness;
let custom: Harness;
test.before(async () => {
  [ours, bmcweb, bmcwebTwin, custom] = await Promise.all([
    startHarness(),
    startHarness({ flags: ['--bmcweb-cookies'] }),
    startHarness({ flags: ['--bmcweb-cookies'] }),
    startHarness({ flags: ['--session-cookie', 'GW-A,GW-B', '--xsrf-cookie', 'GW-XSRF'] }),
  ]);
});
test.after.always(async () => {
  await Promise.all([ours, bmcweb, bmcwebTwin, custom].map((h) => h?.close()));
});

/** A browser-like client: every request carries the jar's cookies for the URL, every answer's Set-Cookie goes into the jar. */
class Browser {
  readonly jar = new CookieJar(undefined, { prefixSecurity: 'strict', rejectPublicSuffixes: false });

  async request(h: Harness, method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = h.gateway.url + path;
    const cookie = await this.jar.getCookieString(url);
    const response = await h.clientAs(null).request(method, path, {
      ...options,
      headers: { ...(cookie ? { cookie } : {}), ...options.headers },
    });
    for (const setCookie of ([] as string[]).concat(response.headers['set-cookie'] ?? [])) await this.jar.setCookie(setCookie, url);
    return response;
  }

  login(h: Harness): Promise<Response> {
    return this.request(h, 'POST', '/login', { body: { username: 'root', password: '0penBmc' } });
  }

  /** The value of a cookie the jar would send to this gateway. */
  async cookie(h: Harness, name: string): Promise<string | undefined> {
    return (await this.jar.getCookies(h.gateway.url)).find((c) => c.key === name)?.value;
  }

  /** A write as the web UI makes it: same origin, X-XSRF-TOKEN from the readable cookie. */
  async write(h: Harness, xsrfCookie: string, value: boolean): Promise<Response> {
    return this.request(h, 'PUT', `${LED}/attr/Asserted`, {
      body: { data: value },
      headers: { origin: h.gateway.url, 'sec-fetch-site': 'same-origin', 'x-xsrf-token': (await this.cookie(h, xsrfCookie)) ?? '' },
    });
  }
}

test.serial('beside a bmcweb-named server on the same host, one cookie jar keeps both sessions', async (t) => {
  t.is(new URL(ours.gateway.url).hostname, new URL(bmcweb.gateway.url).hostname, 'one host, two ports');
  const browser = new Browser();

  const loginOurs = await browser.login(ours);
  t.is(loginOurs.status, 200);
  t.regex(loginOurs.json.token, /^[A-Za-z0-9]{32}$/, 'the token stays in the body');
  t.is(await browser.cookie(ours, '__Host-BMCGW-SESSION'), loginOurs.json.token, 'the jar took the __Host- cookie');
  const loginBmcweb = await browser.login(bmcweb);
  t.is(loginBmcweb.status, 200);
  t.is(await browser.cookie(bmcweb, 'BMCWEB-SESSION'), loginBmcweb.json.token);
  t.is(await browser.cookie(bmcweb, 'SESSION'), loginBmcweb.json.token, 'the pre-2025 name too');

  // Both sessions are alive, with nothing but the jar's cookies.
  t.is((await browser.request(ours, 'GET', BMC_STATE)).status, 200);
  t.is((await browser.request(bmcweb, 'GET', BMC_STATE)).status, 200);
  t.is((await browser.write(ours, '__Host-BMCGW-XSRF-TOKEN', true)).status, 200);
  t.is((await browser.write(bmcweb, 'XSRF-TOKEN', true)).status, 200);

  // Logging in to the other again, and out of it, leaves ours alone.
  t.is((await browser.login(bmcweb)).status, 200);
  t.is((await browser.request(bmcweb, 'POST', '/logout', { headers: { origin: bmcweb.gateway.url } })).json.data, "User 'root' logged out");
  t.is(await browser.cookie(bmcweb, 'BMCWEB-SESSION'), undefined, 'the other server cleared its cookies');
  t.is((await browser.request(bmcweb, 'GET', BMC_STATE)).status, 401);
  t.is((await browser.request(ours, 'GET', BMC_STATE)).status, 200, 'our session survived');
  t.is((await browser.write(ours, '__Host-BMCGW-XSRF-TOKEN', false)).status, 200);
});

test.serial("with bmcweb's names on both servers, the second login logs the first out (why the default differs)", async (t) => {
  const [first, second] = [bmcweb, bmcwebTwin];
  const browser = new Browser();
  t.is((await browser.login(first)).status, 200);
  t.is((await browser.request(first, 'GET', BMC_STATE)).status, 200);
  t.is((await browser.login(second)).status, 200);
  t.is((await browser.request(second, 'GET', BMC_STATE)).status, 200);
  t.is((await browser.request(first, 'GET', BMC_STATE)).status, 401, 'the jar now holds the second server\'s token under the shared name');
});

test.serial('--bmcweb-cookies: either session name alone logs in, by exact name; configured names work the same', async (t) => {
  const compat = bmcweb;
  const login = await compat.clientAs(null).request('POST', '/login', { body: { data: ['root', '0penBmc'] } });
  const token: string = login.json.token;
  const names = ([] as string[]).concat(login.headers['set-cookie'] ?? []).map((c) => c.split('=')[0]);
  t.deepEqual(names, ['BMCWEB-SESSION', 'SESSION', 'XSRF-TOKEN']);
  const get = (cookie: string) => compat.clientAs(null).get(BMC_STATE, { headers: { cookie } });
  t.is((await get(`BMCWEB-SESSION=${token}`)).status, 200);
  t.is((await get(`SESSION=${token}`)).status, 200);
  t.is((await get(`CCFWSESSION=${token}`)).status, 401, 'a name that merely ends in SESSION is another cookie');
  t.is((await get(`__Host-BMCGW-SESSION=${token}`)).status, 401, 'our own name is off in this mode');

  const customLogin = await custom.clientAs(null).request('POST', '/login', { body: { data: ['root', '0penBmc'] } });
  t.deepEqual(([] as string[]).concat(customLogin.headers['set-cookie'] ?? []).map((c) => c.split('=')[0]), ['GW-A', 'GW-B', 'GW-XSRF']);
  t.is((await custom.clientAs(null).get(BMC_STATE, { headers: { cookie: `GW-B=${customLogin.json.token}` } })).status, 200);
});
