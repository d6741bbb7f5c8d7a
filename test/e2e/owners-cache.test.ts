/**
 * The owners cache of the read routes (src/bmc/owners-cache.ts) against the
 * simulated BMC: it must never serve an owner list the mapper has changed
 * since, however long its TTL. The cache under test gets a TTL of a minute,
 * so only the invalidating signals can make these tests pass; the gateway's
 * own cache (1 s) is checked through HTTP right after each change.
 */
import test from 'ava';
import { TEST_BUS_NAME, TEST_SHARED_PATH } from '../../fixtures/services/test-service.js';
import { TEST_SECOND_BUS_NAME } from '../../fixtures/services/test-second.js';
import { Mapper } from '../../src/bmc/mapper.js';
import { OwnersCache } from '../../src/bmc/owners-cache.js';
import { type Harness, startHarness } from '../helpers/harness.js';

let h: Harness;
let cache: OwnersCache;

test.before(async () => {
  h = await startHarness();
  cache = new OwnersCache(h.gateway.bus, new Mapper(h.gateway.bus), { ttlMs: 60_000 });
  await cache.start();
});

test.after.always(async () => {
  await cache?.stop();
  await h?.close();
});

const owners = async (path: string) => {
  const { owners: map, cached } = await cache.get(path);
  return { busNames: Object.keys(map).sort(), cached };
};

test.serial('a second owner that stops and starts again is seen at once, by the cache and by GET', async (t) => {
  t.deepEqual(await owners(TEST_SHARED_PATH), { busNames: [TEST_BUS_NAME, TEST_SECOND_BUS_NAME].sort(), cached: false });
  t.deepEqual(await owners(TEST_SHARED_PATH), { busNames: [TEST_BUS_NAME, TEST_SECOND_BUS_NAME].sort(), cached: true });
  t.is((await h.client.get(`${TEST_SHARED_PATH}/attr/B1`)).status, 200);

  // stopService resolves once the mapper has dropped the name (NameOwnerChanged).
  await h.sim.stopService(TEST_SECOND_BUS_NAME);
  t.deepEqual(await owners(TEST_SHARED_PATH), { busNames: [TEST_BUS_NAME], cached: false });
  const without = await h.client.get(TEST_SHARED_PATH);
  t.is(without.status, 200, without.text);
  t.false('B1' in (without.json.data as object), 'the stopped owner\'s property is gone');
  t.is((await h.client.get(`${TEST_SHARED_PATH}/attr/B1`)).status, 404);

  // startService resolves on the mapper's IntrospectionComplete for the name.
  await h.sim.startService(TEST_SECOND_BUS_NAME);
  t.deepEqual(await owners(TEST_SHARED_PATH), { busNames: [TEST_BUS_NAME, TEST_SECOND_BUS_NAME].sort(), cached: false });
  const back = await h.client.get(`${TEST_SHARED_PATH}/attr/B1`);
  t.is(back.status, 200, back.text);
  t.is(back.json.data, 7);
});

test.serial('an object removed (InterfacesRemoved) is asked for afresh: the mapper no longer knows it', async (t) => {
  const created = await h.client.request('POST', '/xyz/openbmc_project/logging/action/Create', {
    body: { data: ['xyz.openbmc_project.Common.Error.InternalFailure', 'xyz.openbmc_project.Logging.Entry.Level.Error', {}] },
  });
  t.is(created.status, 200, created.text);
  const list = (await h.client.get('/xyz/openbmc_project/logging/entry/list')).json.data as string[];
  const entry = list.at(-1)!;
  t.is((await owners(entry)).cached, false);
  t.is((await owners(entry)).cached, true);
  const deleted = await h.client.request('POST', `${entry}/action/Delete`, { body: { data: [] } });
  t.is(deleted.status, 200, deleted.text);
  // The entry's InterfacesRemoved dropped it: the mapper is asked again and no longer knows the path.
  await t.throwsAsync(cache.get(entry), { message: /not found|FileNotFound|path/i });
  t.is((await h.client.get(entry)).status, 404);
});

test.serial('not-found is never kept, and drop() forgets one path', async (t) => {
  const missing = '/xyz/openbmc_project/test/no-such-object';
  await t.throwsAsync(cache.get(missing));
  await t.throwsAsync(cache.get(missing));
  t.is((await owners(TEST_SHARED_PATH)).cached, true);
  cache.drop(TEST_SHARED_PATH);
  t.is((await owners(TEST_SHARED_PATH)).cached, false);
});
