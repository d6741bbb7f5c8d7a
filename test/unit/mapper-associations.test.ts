/**
 * Association handling of the simulated mapper (MapperState), without a bus:
 * pending associations, endpoints appearing and vanishing, Definitions
 * changes, and what ends up in the tree for the mapper's own objects.
 */
import test from 'ava';
import { MapperState } from '../../fixtures/mapper/state.js';
import { DEFAULT_INTERFACES } from '../../fixtures/mapper/tree.js';

const MAPPER = 'xyz.openbmc_project.ObjectMapper';
const DEFS = 'xyz.openbmc_project.Association.Definitions';
const SENSOR = '/xyz/openbmc_project/sensors/temperature/inlet';
const CHASSIS = '/xyz/openbmc_project/inventory/system/chassis';

function setup(): { state: MapperState; published: Map<string, string[] | undefined> } {
  const published = new Map<string, string[] | undefined>();
  const state = new MapperState(MAPPER, { publish: (path, endpoints) => published.set(path, endpoints) });
  return { state, published };
}

const sensorAssociation = [{ forward: 'chassis', reverse: 'all_sensors', endpoint: CHASSIS }];

test('an association waits until its endpoint exists', (t) => {
  const { state, published } = setup();
  state.interfacesAdded(SENSOR, 'sensor.svc', [DEFS], sensorAssociation);
  state.flush();
  t.is(published.size, 0);
  state.interfacesAdded(CHASSIS, 'inventory.svc', ['xyz.openbmc_project.Inventory.Item']);
  state.flush();
  t.deepEqual(published.get(`${SENSOR}/chassis`), [CHASSIS]);
  t.deepEqual(published.get(`${CHASSIS}/all_sensors`), [SENSOR]);
  t.deepEqual(state.tree.getObject(`${CHASSIS}/all_sensors`, []), {
    [MAPPER]: [...DEFAULT_INTERFACES, 'xyz.openbmc_project.Association'],
  });
  // The real service and the mapper (default interfaces only) both own the sensor path.
  t.deepEqual(Object.keys(state.tree.getObject(SENSOR, [])), ['sensor.svc', MAPPER]);
  t.deepEqual(state.tree.getObject(SENSOR, [])[MAPPER], [...DEFAULT_INTERFACES]);
});

test('endpoints of many sources are published once per flush', (t) => {
  const updates: string[][] = [];
  const state = new MapperState(MAPPER, {
    publish: (path, endpoints) => {
      if (path === `${CHASSIS}/all_sensors` && endpoints) updates.push(endpoints);
    },
  });
  state.nodeIntrospected(CHASSIS, 'inventory.svc', ['i']);
  for (let i = 0; i < 50; i++) state.interfacesAdded(`/s/${i}`, 'sensor.svc', [DEFS], sensorAssociation);
  state.flush();
  t.is(updates.length, 1);
  t.is(updates[0]!.length, 50);
});

test('an endpoint that vanishes sends its associations back to pending', (t) => {
  const { state, published } = setup();
  state.interfacesAdded(CHASSIS, 'inventory.svc', ['i']);
  state.interfacesAdded(SENSOR, 'sensor.svc', [DEFS], sensorAssociation);
  state.flush();
  state.serviceGone('inventory.svc');
  state.flush();
  t.is(published.get(`${SENSOR}/chassis`), undefined);
  t.true(published.has(`${SENSOR}/chassis`), 'removal was published');
  t.false(state.tree.has(CHASSIS), 'only the mapper was left at the endpoint, so it is gone');
  t.false(state.tree.has(`${CHASSIS}/all_sensors`));
  state.interfacesAdded(CHASSIS, 'inventory.svc', ['i']);
  state.flush();
  t.deepEqual(published.get(`${SENSOR}/chassis`), [CHASSIS]);
});

test('removing the Definitions interface removes the association objects and the mapper parents', (t) => {
  const { state, published } = setup();
  state.interfacesAdded(CHASSIS, 'inventory.svc', ['i']);
  state.interfacesAdded(SENSOR, 'sensor.svc', [DEFS, 'v'], sensorAssociation);
  state.flush();
  state.interfacesRemoved(SENSOR, 'sensor.svc', [DEFS]);
  state.flush();
  t.is(published.get(`${CHASSIS}/all_sensors`), undefined);
  t.false(state.tree.has(`${SENSOR}/chassis`));
  t.deepEqual(Object.keys(state.tree.getObject(SENSOR, [])), ['sensor.svc']);
});

test('a Definitions change keeps unchanged endpoints and drops removed ones', (t) => {
  const { state, published } = setup();
  for (const path of ['/e/1', '/e/2']) state.nodeIntrospected(path, 'inv', ['i']);
  state.associationsChanged('/src', 'svc', [
    { forward: 'f', reverse: 'r', endpoint: '/e/1' },
    { forward: 'f', reverse: 'r', endpoint: '/e/2' },
  ]);
  state.flush();
  t.deepEqual(published.get('/src/f'), ['/e/1', '/e/2']);
  state.associationsChanged('/src', 'svc', [{ forward: 'f', reverse: 'r', endpoint: '/e/2' }]);
  state.flush();
  t.deepEqual(published.get('/src/f'), ['/e/2']);
  t.is(published.get('/e/1/r'), undefined);
  t.deepEqual(published.get('/e/2/r'), ['/src']);
});

test('empty forward or reverse names create only the other side', (t) => {
  const { state, published } = setup();
  state.nodeIntrospected('/e', 'inv', ['i']);
  state.associationsChanged('/src', 'svc', [{ forward: '', reverse: 'r', endpoint: '/e' }]);
  state.flush();
  t.deepEqual([...published.keys()], ['/e/r']);
});
