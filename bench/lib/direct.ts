/**
 * The D-Bus reference figures: what a client talking to the bus directly
 * with dbus-next pays for the same data the gateway serves.
 */
import dbus from 'dbus-next';
import { connect } from '../../fixtures/dbus-daemon.js';
import { callMethod, waitForConnect } from '../../fixtures/lib/bus-call.js';

const MAPPER = 'xyz.openbmc_project.ObjectMapper';
const MAPPER_PATH = '/xyz/openbmc_project/object_mapper';
const OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager';
const STANDARD = new Set(['org.freedesktop.DBus.Introspectable', 'org.freedesktop.DBus.Peer', 'org.freedesktop.DBus.Properties', OBJECT_MANAGER]);

export async function directBus(address: string): Promise<dbus.MessageBus> {
  const bus = connect(address);
  bus.on('error', () => undefined);
  await waitForConnect(bus);
  return bus;
}

type SubTree = Record<string, Record<string, string[]>>;

/** A bounded pool, as the gateway bounds its calls. */
async function pool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

/**
 * Enumerate done by hand: GetSubTree, the ObjectManagers (in the subtree,
 * and GetAncestors above it), one GetManagedObjects per owning service, GetAll
 * for (path, service) pairs no manager covered. Values stay as dbus-next
 * decodes them (no JSON): this is the bus's cost, not a REST answer.
 * Returns the number of objects.
 */
export async function directEnumerate(bus: dbus.MessageBus, root: string, concurrency = 32): Promise<number> {
  const mapper = (member: string, signature: string, body: unknown[]) =>
    callMethod(bus, { destination: MAPPER, objectPath: MAPPER_PATH, interfaceName: MAPPER, member, signature, body });
  const [[treeBody], [ancestorsBody]] = await Promise.all([
    mapper('GetSubTree', 'sias', [root, 0, []]),
    mapper('GetAncestors', 'sas', [root, [OBJECT_MANAGER]]),
  ]);
  const tree = treeBody as SubTree;
  const managers = new Map<string, string>();
  const byDepth = Object.entries(tree).sort(([a], [b]) => a.split('/').length - b.split('/').length);
  for (const [path, owners] of byDepth) {
    for (const [service, interfaces] of Object.entries(owners)) {
      if (interfaces.includes(OBJECT_MANAGER) && !managers.has(service)) managers.set(service, path);
    }
  }
  for (const [path, owners] of Object.entries(ancestorsBody as SubTree)) {
    for (const [service, interfaces] of Object.entries(owners)) if (interfaces.includes(OBJECT_MANAGER)) managers.set(service, path);
  }
  const covered = new Set<string>();
  const result = new Map<string, Record<string, unknown>>();
  await Promise.all([...managers].map(async ([service, path]) => {
    const [objects] = await callMethod(bus, { destination: service, objectPath: path, interfaceName: OBJECT_MANAGER, member: 'GetManagedObjects' });
    for (const [objectPath, interfaces] of Object.entries(objects as Record<string, Record<string, Record<string, unknown>>>)) {
      if (!tree[objectPath]?.[service]) continue;
      covered.add(`${service}\0${objectPath}`);
      const merged = result.get(objectPath) ?? {};
      for (const properties of Object.values(interfaces)) Object.assign(merged, properties);
      result.set(objectPath, merged);
    }
  }));
  const gets: Array<[string, string, string]> = [];
  for (const [path, owners] of Object.entries(tree)) {
    if (path === root) continue;
    for (const [service, interfaces] of Object.entries(owners)) {
      if (covered.has(`${service}\0${path}`)) continue;
      for (const iface of interfaces) if (!STANDARD.has(iface)) gets.push([path, service, iface]);
    }
  }
  await pool(gets, concurrency, async ([path, service, iface]) => {
    const [values] = await callMethod(bus, {
      destination: service, objectPath: path, interfaceName: 'org.freedesktop.DBus.Properties', member: 'GetAll', signature: 's', body: [iface],
    }).catch(() => [{}]);
    result.set(path, Object.assign(result.get(path) ?? {}, values as object));
  });
  for (const path of Object.keys(tree)) if (path !== root && !result.has(path)) result.set(path, {});
  return result.size;
}

/** Properties.Get calls/s at `concurrency` calls in flight on one connection, for `seconds`. */
export async function directGetRate(bus: dbus.MessageBus, target: { service: string; path: string; iface: string; name: string },
  concurrency: number, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let calls = 0;
  const began = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await callMethod(bus, {
        destination: target.service, objectPath: target.path, interfaceName: 'org.freedesktop.DBus.Properties',
        member: 'Get', signature: 'ss', body: [target.iface, target.name],
      });
      calls++;
    }
  }));
  return calls / ((performance.now() - began) / 1000);
}
