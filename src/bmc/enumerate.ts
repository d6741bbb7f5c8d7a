/**
 * `<path>/enumerate`: every object below a path with its merged properties.
 *
 * Cost is what made the original server take minutes, so the plan is:
 * 1. one GetSubTree for the paths and their owners;
 * 2. find, per owner, the ObjectManager that covers the subtree (an ancestor
 *    from GetAncestors, or managers inside the subtree) and call
 *    GetManagedObjects once per manager: one round trip for thousands of
 *    sensors;
 * 3. GetAll per interface only for (path, owner) pairs no manager covered.
 */
import { BusError, type BusConnection } from '../dbus/bus.js';
import type { Limiter } from './limit.js';
import { isAncestor, type Mapper, type ServiceMap, type SubTree } from './mapper.js';
import { dataInterfaces, type PropertyMap, type PropertyReader } from './properties.js';

const OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager';

type ManagedObjects = Record<string, Record<string, PropertyMap>>;

export interface EnumerateDeps {
  readonly bus: BusConnection;
  readonly mapper: Mapper;
  readonly properties: PropertyReader;
  readonly limiter: Limiter;
}

export async function enumerate(deps: EnumerateDeps, objectPath: string): Promise<Record<string, PropertyMap>> {
  const subtree = await deps.mapper.getSubTree(objectPath, 0);
  const paths = Object.keys(subtree);
  const result: Record<string, PropertyMap> = {};
  if (paths.length === 0) return result;

  const managers = await findManagers(deps.mapper, objectPath, subtree);
  // path → owners whose properties came from GetManagedObjects
  const covered = new Map<string, Set<string>>();
  await Promise.all([...managers].map(async ([busName, managerPath]) => {
    const managed = await getManagedObjects(deps, busName, managerPath);
    for (const [path, interfaces] of Object.entries(managed)) {
      if (!(path in subtree) || !(busName in (subtree[path] ?? {}))) continue;
      const merged = (result[path] ??= {});
      for (const properties of Object.values(interfaces)) Object.assign(merged, properties);
      let owners = covered.get(path);
      if (!owners) covered.set(path, (owners = new Set()));
      owners.add(busName);
    }
  }));

  // Fallback: GetAll for whatever no manager reported.
  await Promise.all(paths.map(async (path) => {
    const owners = subtree[path] ?? {};
    const uncovered: Record<string, readonly string[]> = {};
    for (const [busName, interfaces] of Object.entries(owners)) {
      if (!covered.get(path)?.has(busName) && dataInterfaces(interfaces).length > 0) uncovered[busName] = interfaces;
    }
    const properties = Object.keys(uncovered).length > 0 ? await deps.properties.readObject(path, uncovered) : {};
    result[path] = Object.assign(result[path] ?? {}, properties);
  }));
  return result;
}

/**
 * busName → the object path of the ObjectManager to ask. The nearest manager
 * at or above `objectPath` wins, because it covers the whole subtree; else the
 * shallowest one inside the subtree (a service managing several roots below
 * the requested path falls back to GetAll for the rest).
 */
async function findManagers(mapper: Mapper, objectPath: string, subtree: SubTree): Promise<Map<string, string>> {
  const managers = new Map<string, string>();
  const inside = Object.entries(subtree)
    .filter(([, owners]) => hasManager(owners))
    .sort(([a], [b]) => a.split('/').length - b.split('/').length);
  for (const [path, owners] of inside) {
    for (const busName of managerOwners(owners)) if (!managers.has(busName)) managers.set(busName, path);
  }
  const above = await mapper.getAncestors(objectPath, [OBJECT_MANAGER]).catch(ignoreNotFound);
  const self = await mapper.getObject(objectPath, [OBJECT_MANAGER]).catch(ignoreNotFound);
  const candidates: Array<[string, ServiceMap]> = [...Object.entries(above)];
  if (Object.keys(self).length > 0) candidates.push([objectPath, self]);
  // Deepest ancestor last, so it overrides shallower ones.
  candidates.sort(([a], [b]) => a.split('/').length - b.split('/').length);
  for (const [path, owners] of candidates) {
    if (path !== objectPath && !isAncestor(path, objectPath)) continue;
    for (const busName of managerOwners(owners)) managers.set(busName, path);
  }
  return managers;
}

function hasManager(owners: ServiceMap): boolean {
  return managerOwners(owners).length > 0;
}

function managerOwners(owners: ServiceMap): string[] {
  return Object.entries(owners).filter(([, interfaces]) => interfaces.includes(OBJECT_MANAGER)).map(([name]) => name);
}

function ignoreNotFound(err: unknown): Record<string, never> {
  if (err instanceof BusError && err.errorName === 'org.freedesktop.DBus.Error.FileNotFound') return {};
  throw err;
}

async function getManagedObjects(deps: EnumerateDeps, busName: string, managerPath: string): Promise<ManagedObjects> {
  try {
    const [objects] = await deps.limiter.run(() =>
      deps.bus.callJson({ busName, objectPath: managerPath, interfaceName: OBJECT_MANAGER, member: 'GetManagedObjects' }, 'a{oa{sa{sv}}}'),
    );
    return objects as ManagedObjects;
  } catch (err) {
    // A manager that fails is not fatal: its objects fall back to GetAll.
    if (err instanceof BusError && err.errorName !== 'org.freedesktop.DBus.Error.NoReply') return {};
    throw err;
  }
}
