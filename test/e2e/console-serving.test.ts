/**
 * The console's static files as the gateway serves them (the browser tests
 * are console.test.ts and console-roles.test.ts): public, only the built
 * files (no traversal), their content types, the console's CSP and cache
 * headers, gzip; `GET /` sends browsers to /console/ and leaves JSON
 * clients alone; the whole console stays within its size budget. And
 * `GET <path>/attr/`, which tells the console what each user may write.
 */
import { readdirSync } from 'node:fs';
import test from 'ava';
import { CONSOLE_CSP, CONSOLE_DIR, ConsoleFiles } from '../../src/http/console-files.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { TEST_USERS } from '../helpers/users.js';

const HOST = '/xyz/openbmc_project/state/host0';
const BUDGET_BYTES = 150 * 1024;

let harness: Harness;
test.before(async () => {
  harness = await startHarness();
});
test.after.always(() => harness?.close());

const anonymous = () => harness.clientAs(null);

test('the console is built: index.html, one hashed script and one hashed stylesheet', (t) => {
  const names = readdirSync(CONSOLE_DIR).sort();
  t.true(names.includes('index.html'));
  t.is(names.filter((name) => /^main-[A-Z0-9]{8}\.js$/.test(name)).length, 1, names.join(', '));
  t.is(names.filter((name) => /^main-[A-Z0-9]{8}\.css$/.test(name)).length, 1, names.join(', '));
});

test(`the whole console is at most ${BUDGET_BYTES} bytes gzip-compressed`, (t) => {
  const bytes = new ConsoleFiles().gzipBytes;
  t.log(`console: ${bytes} bytes compressed`);
  t.true(bytes > 10_000, 'the bundle holds the UI library and uPlot');
  t.true(bytes <= BUDGET_BYTES, `${bytes} bytes`);
});

test('GET /console/ is public and serves index.html with the strict CSP, revalidated every time', async (t) => {
  const res = await anonymous().get('/console/');
  t.is(res.status, 200, res.text);
  t.is(res.headers['content-type'], 'text/html; charset=utf-8');
  t.is(res.headers['content-security-policy'], CONSOLE_CSP);
  t.regex(CONSOLE_CSP, /script-src 'self';/);
  t.regex(CONSOLE_CSP, /style-src 'self';/);
  t.is(res.headers['cache-control'], 'no-cache');
  t.is(res.headers['x-frame-options'], 'DENY');
  t.is(res.headers['x-content-type-options'], 'nosniff');
  // No inline script or style: only files of this origin, by relative name.
  t.notRegex(res.text, /<script>|<style|\sstyle=|\son[a-z]+=/i);
  const assets = [...res.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  t.true(assets.length >= 3, assets.join(', '));
  for (const asset of assets) {
    t.notRegex(asset, /^(https?:)?\/\//, 'no other origin');
    const file = await anonymous().get(`/console/${asset}`);
    t.is(file.status, 200, asset);
    if (/-[A-Z0-9]{8}\./.test(asset)) t.is(file.headers['cache-control'], 'public, max-age=31536000, immutable', asset);
    t.regex(String(file.headers['content-type']), asset.endsWith('.js') ? /^text\/javascript/ : asset.endsWith('.css') ? /^text\/css/ : /^image\/svg/);
  }
});

test('gzip when the browser takes it, and Vary says so', async (t) => {
  const index = await anonymous().get('/console/');
  const script = /src="([^"]+\.js)"/.exec(index.text)![1]!;
  const plain = await anonymous().get(`/console/${script}`);
  const zipped = await anonymous().get(`/console/${script}`, { headers: { 'Accept-Encoding': 'gzip' } });
  t.is(zipped.headers['content-encoding'], 'gzip');
  t.regex(String(zipped.headers.vary), /Accept-Encoding/);
  t.is(plain.headers['content-encoding'], undefined);
  t.true(Number(zipped.headers['content-length']) < Number(plain.headers['content-length']));
});

test('/console without the slash is moved to /console/', async (t) => {
  const res = await anonymous().get('/console');
  t.is(res.status, 301);
  t.is(res.headers.location, '/console/');
});

const notServed = [
  '/console/nothing.js', '/console/..%2Fsrc%2Fmain.js', '/console/..%2F..%2Fpackage.json', '/console/%2e%2e%2fconsole-files.js',
  '/console/../build/src/main.js', '/console/.', '/console/%00', '/console/index.html%00.js',
];
for (const path of notServed) {
  test(`${path} is a 404 envelope, nothing from elsewhere`, async (t) => {
    const res = await anonymous().get(path);
    // `/console/../x` is normalised by the client or the URL parser to `/x`: a D-Bus path needing credentials.
    t.true(res.status === 404 || res.status === 401, `${res.status} ${res.text}`);
    t.is(res.json?.status, 'error');
    t.notRegex(res.text, /import|function|"name": "bmc-rest-gateway"/);
  });
}

test('other verbs on the console are 405 with Allow, without credentials', async (t) => {
  const res = await anonymous().request('POST', '/console/index.html', { body: { data: [] } });
  t.is(res.status, 405);
  t.is(res.headers.allow, 'GET, HEAD, OPTIONS');
});

test('GET / from a browser redirects to the console; JSON clients get the root children as before', async (t) => {
  const browser = await anonymous().get('/', { headers: { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
  t.is(browser.status, 302);
  t.is(browser.headers.location, '/console/');
  for (const accept of ['application/json', '*/*', undefined]) {
    const res = await harness.client.get('/', accept === undefined ? {} : { headers: { Accept: accept } });
    t.is(res.status, 200, String(accept));
    t.deepEqual(res.json.data, ['/xyz'], String(accept));
  }
  // Without credentials a JSON client is still asked to log in.
  t.is((await anonymous().get('/', { headers: { Accept: 'application/json' } })).status, 401);
});

type Attributes = Record<string, Record<string, { access: string; signature: string; value: unknown; writable: boolean }>>;

test('GET <path>/attr/ lists properties per interface with signature, value and the caller\'s writable flag', async (t) => {
  const as = async (user: keyof typeof TEST_USERS) => {
    const res = await harness.clientAs(TEST_USERS[user]).get(`${HOST}/attr/`);
    t.is(res.status, 200, `${user}: ${res.text}`);
    return res.json.data as Attributes;
  };
  const root = await as('root');
  const host = root['xyz.openbmc_project.State.Host']!;
  t.like(host.CurrentHostState, { access: 'read', signature: 's', writable: false });
  t.regex(String(host.CurrentHostState?.value), /^xyz\.openbmc_project\.State\.Host\.HostState\./);
  t.like(host.RequestedHostTransition, { access: 'readwrite', signature: 's', writable: true });
  // The same values as GET <path>.
  const object = (await harness.client.get(HOST)).json.data as Record<string, unknown>;
  t.is(host.CurrentHostState?.value, object.CurrentHostState);
  // The operator may only request transitions; the reader nothing.
  const operator = await as('operator');
  t.true(operator['xyz.openbmc_project.State.Host']!.RequestedHostTransition!.writable);
  const operatorWritable = Object.values(operator).flatMap((iface) => Object.entries(iface).filter(([, p]) => p.writable).map(([n]) => n));
  t.deepEqual(operatorWritable, ['RequestedHostTransition']);
  const reader = await as('readonly');
  t.deepEqual(Object.values(reader).flatMap((iface) => Object.values(iface).filter((p) => p.writable)), []);
  t.is((await harness.clientAs(TEST_USERS.noaccess).get(`${HOST}/attr/`)).status, 403);
  t.is((await anonymous().get(`${HOST}/attr/`)).status, 401);
});

test('GET <path>/attr/ of an object that does not exist is the mapper\'s 404', async (t) => {
  const res = await harness.client.get('/xyz/openbmc_project/nothing/attr/');
  t.is(res.status, 404);
  t.regex(res.json.data.description, /path or object not found: \/xyz\/openbmc_project\/nothing/);
});
