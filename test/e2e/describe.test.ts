/**
 * The API describing itself, end to end: GET /version (the running BMC
 * firmware from the simulated software manager), the resource root at
 * /rest-api (every listed resource answers; GET / is unchanged), and
 * GET <path>/action/ with per-caller `allowed` from the policy.
 */
import { readFile } from 'node:fs/promises';
import test from 'ava';
import { FUNCTIONAL_VERSION } from '../../fixtures/services/software.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { TEST_USERS } from '../helpers/users.js';

let h: Harness;

test.before(async () => {
  h = await startHarness();
});

test.after.always(async () => {
  await h?.close();
});

const data = <T>(res: { json: unknown }): T => (res.json as { data: T }).data;

test('GET /version: gateway, API and running BMC firmware versions, features on', async (t) => {
  const res = await h.client.get('/version');
  t.is(res.status, 200);
  const manifest = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const version = data<{ gateway: string; api: string; bmc: { firmware: string }; features: string[] }>(res);
  t.is(version.gateway, manifest.version);
  t.is(version.api, '1.1');
  t.is(version.bmc.firmware, FUNCTIONAL_VERSION);
  t.deepEqual(version.features, ['etag', 'jobs', 'tls']);
  t.is((await h.clientAs(null).get('/version')).status, 401);
  t.is((await h.clientAs(TEST_USERS.readonly).get('/version')).status, 200);
});

test('the resource root lists the resources that are not D-Bus objects, each of which answers; GET / is unchanged', async (t) => {
  const list = data<Array<{ name: string; uri: string }>>(await h.client.get('/rest-api'));
  t.deepEqual(list.map((r) => r.name).sort(),
    ['console', 'download', 'enumerate', 'jobs', 'list', 'login', 'logout', 'resources', 'subscribe', 'upload', 'version']);
  for (const { uri } of list) {
    const res = await h.client.request('OPTIONS', uri.replace('<id>', '1'));
    t.is(res.status, 200, uri);
  }
  t.deepEqual(data(await h.client.get('/')), ['/xyz']);
  t.is((await h.client.request('POST', '/rest-api')).status, 405);
});

test('GET <path>/action/: methods with arguments, results, tracking and whether the caller may call them', async (t) => {
  const path = '/xyz/openbmc_project/dump/bmc';
  const listing = data<Array<Record<string, unknown>>>(await h.client.get(`${path}/action/`));
  const create = listing.find((m) => m.name === 'CreateDump');
  t.deepEqual(create, {
    allowed: true,
    args: [{ name: 'additionalData', signature: 'a{sv}' }],
    httpMethod: 'POST',
    interface: 'xyz.openbmc_project.Dump.Create',
    name: 'CreateDump',
    results: [{ name: 'path', signature: 'o' }],
    rule: 'dump-creation',
    tracked: true,
    uri: `${path}/action/CreateDump`,
  });
  const deleteAll = listing.find((m) => m.name === 'DeleteAll');
  t.is(deleteAll?.tracked, false);
  t.is(deleteAll?.rule, null);
  // Standard interfaces are not listed: action/Set cannot be called either.
  t.false(listing.some((m) => typeof m.interface === 'string' && m.interface.startsWith('org.freedesktop.DBus.')));
  const asReader = data<Array<{ allowed: boolean }>>(await h.clientAs(TEST_USERS.readonly).get(`${path}/action/`));
  t.true(asReader.length === listing.length && asReader.every((m) => m.allowed === false));
  t.is((await h.client.get('/xyz/openbmc_project/nonesuch/action/')).status, 404);
  t.is((await h.clientAs(TEST_USERS.noaccess).get(`${path}/action/`)).status, 403);
});
