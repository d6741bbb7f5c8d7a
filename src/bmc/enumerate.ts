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
 *
 * Steps 1–2 are `planEnumerate`: they tell how many objects the answer will
 * have before the expensive part (step 3 and the replies of step 2), which
 * `fetchEnumerate` does; in between, the caller can wait for memory (see
 * http/enumerate-answers.ts). The replies are read straight into
 * EnumeratedObjects (values as JSON text), never into JS values.
 *
 * Both steps take an AbortSignal: an enumerate nobody waits for any more
 * stops calling the bus, and the replies of calls in flight are dropped unread.
 */
import { BusError, type BusConnection, isBusError } from '../dbus/bus.js';
import { readManagedObjectText, readPropertyTexts } from '../dbus/decode-text.js';
import { compareKeys } from '../dbus/json-writer.js';
import { DBUS_ERRORS, OBJECT_MANAGER_INTERFACE as OBJECT_MANAGER, PROPERTIES_INTERFACE } from '../dbus/names.js';
import { EnumeratedObjects, SOURCES_PER_OWNER } from './enumerated-objects.js';
import type { Limiter } from './limit.js';
import { isAncestor, type Mapper, type ServiceMap, type SubTree } from './mapper.js';
import { dataInterfaces, isNotFound } from './members.js';
import { NO_PROPERTIES } from './properties.js';
const NO_OWNERS: ServiceMap = Object.freeze({});

export interface EnumerateDeps {
  readonly bus: BusConnection;
  readonly mapper: Mapper;
  readonly limiter: Limiter;
}

/** What an enumerate will read: the objects and their owners, and the manager to ask per owner. */
export interface EnumeratePlan {
  readonly objectPath: string;
  readonly subtree: SubTree;
  readonly owners: Owners;
  /** busName → object path of its ObjectManager. */
  readonly managers: ReadonlyMap<string, string>;
  readonly objectCount: number;
}

export async function planEnumerate(deps: EnumerateDeps, objectPath: string, signal?: AbortSignal): Promise<EnumeratePlan> {
  const subtree = await deps.mapper.getSubTree(objectPath, 0, [], signal);
  const objectCount = Object.keys(subtree).length;
  const owners = new Owners(subtree);
  const managers = objectCount === 0 ? new Map<string, string>() : await findManagers(deps.mapper, objectPath, subtree, owners, signal);
  return { objectPath, subtree, owners, managers, objectCount };
}

/** Reads every object's properties; `depth` is where the caller will write the data object. */
export async function fetchEnumerate(deps: EnumerateDeps, plan: EnumeratePlan, depth: number, signal?: AbortSignal): Promise<EnumeratedObjects> {
  const { subtree, owners } = plan;
  const objects = new EnumeratedObjects(Object.keys(subtree).sort(compareKeys), depth);
  if (objects.paths.length === 0) return objects;
  await Promise.all([...plan.managers].map(([busName, managerPath]) =>
    getManagedObjects(deps, objects, subtree, busName, managerPath, owners.rank(busName), signal)));
  await getAllUncovered(deps, objects, subtree, owners, signal);
  return objects;
}

/** One owner of an object, as enumerate reads it. */
interface Owner {
  readonly busName: string;
  /** Place in bus-name order: owners merge in that order, as GET <path> merges them. */
  readonly rank: number;
  /** The interfaces worth a GetAll (no standard ones). */
  readonly interfaces: readonly string[];
  readonly manager: boolean;
}

/**
 * What enumerate needs of each owner map of the subtree, worked out once per
 * distinct map: the mapper's maps are shared between objects with the same
 * owners (every sensor of a daemon, see Mapper.getSubTree), so a
 * 10,000-object subtree has only a few.
 */
export class Owners {
  readonly #ranks = new Map<string, number>();
  readonly #owners = new Map<ServiceMap, readonly Owner[]>();

  constructor(subtree: SubTree) {
    const busNames = new Set<string>();
    for (const map of new Set(Object.values(subtree))) for (const busName in map) busNames.add(busName);
    for (const busName of [...busNames].sort()) this.#ranks.set(busName, this.#ranks.size);
  }

  rank(busName: string): number {
    return this.#ranks.get(busName) ?? 0;
  }

  /** The owners of a map, in merge order. */
  of(map: ServiceMap): readonly Owner[] {
    let owners = this.#owners.get(map);
    if (owners === undefined) {
      owners = Object.keys(map).sort().map((busName) => ({
        busName,
        rank: this.rank(busName),
        interfaces: dataInterfaces(map[busName] ?? []),
        manager: (map[busName] ?? []).includes(OBJECT_MANAGER),
      }));
      this.#owners.set(map, owners);
    }
    return owners;
  }
}

/**
 * busName → the object path of the ObjectManager to ask. The nearest manager
 * at or above `objectPath` wins, because it covers the whole subtree; else the
 * shallowest one inside the subtree (a service managing several roots below
 * the requested path falls back to GetAll for the rest).
 */
async function findManagers(mapper: Mapper, objectPath: string, subtree: SubTree, owners: Owners, signal?: AbortSignal):
  Promise<Map<string, string>> {
  const managers = new Map<string, string>();
  const depth = (path: string) => path.split('/').length;
  const inside = Object.keys(subtree)
    .filter((path) => owners.of(subtree[path]!).some((owner) => owner.manager))
    .sort((a, b) => depth(a) - depth(b));
  for (const path of inside) {
    for (const owner of owners.of(subtree[path]!)) if (owner.manager && !managers.has(owner.busName)) managers.set(owner.busName, path);
  }
  const above = await mapper.getAncestors(objectPath, [OBJECT_MANAGER], signal).catch(ignoreNotFound);
  const self = await mapper.getObject(objectPath, [OBJECT_MANAGER], signal).catch(ignoreNotFound);
  const candidates: Array<[string, ServiceMap]> = [...Object.entries(above)];
  if (Object.keys(self).length > 0) candidates.push([objectPath, self]);
  // Deepest ancestor last, so it overrides shallower ones.
  candidates.sort(([a], [b]) => depth(a) - depth(b));
  for (const [path, map] of candidates) {
    if (path !== objectPath && !isAncestor(path, objectPath)) continue;
    for (const [busName, interfaces] of Object.entries(map)) if (interfaces.includes(OBJECT_MANAGER)) managers.set(busName, path);
  }
  return managers;
}

function ignoreNotFound(err: unknown): Record<string, never> {
  if (isNotFound(err)) return {};
  throw err;
}

/**
 * One manager's objects, those of the subtree that this owner serves, read
 * as the reply arrives (megabytes for a sensor daemon). A failing manager is
 * not fatal: what it gave is forgotten, and GetAll covers its objects.
 */
async function getManagedObjects(deps: EnumerateDeps, objects: EnumeratedObjects, subtree: SubTree, busName: string,
  managerPath: string, rank: number, signal?: AbortSignal): Promise<void> {
  const order = rank * SOURCES_PER_OWNER;
  const taken: string[] = [];
  try {
    await deps.limiter.run(() => deps.bus.callEntries(
      { busName, objectPath: managerPath, interfaceName: OBJECT_MANAGER, member: 'GetManagedObjects', ...(signal ? { signal } : {}) },
      'a{oa{sa{sv}}}',
      (reader) => readManagedObjectText(reader, objects.target, (path, readProperties) => {
        if (!subtree[path]?.[busName]) return;
        objects.object(path, order, readProperties);
        taken.push(path);
      }),
    ));
  } catch (err) {
    objects.forget(order, taken);
    if (err instanceof BusError && !isBusError(err, DBUS_ERRORS.NoReply)) return;
    throw err;
  }
}

/**
 * GetAll, per data interface, for every (path, owner) no manager covered, in
 * path order, as many at once as the limiter allows, and none after the
 * first failure. They are sent in batches: whenever half of them have
 * answered, the free places are filled at once, so the calls leave in few
 * writes (bus.ts writes each event-loop turn's calls together) and their
 * replies come back together, while the service always has work queued. A
 * thousand association objects cost a thousand round trips; this keeps each
 * one cheap for the gateway.
 */
async function getAllUncovered(deps: EnumerateDeps, objects: EnumeratedObjects, subtree: SubTree, owners: Owners,
  signal?: AbortSignal): Promise<void> {
  const most = deps.limiter.max;
  let inFlight = 0;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const answered = () => {
    inFlight--;
    if (inFlight <= most / 2) wake?.();
  };
  const failed = (error: unknown) => {
    failure ??= { error };
    answered();
  };
  // Where the next read is: object, owner, interface (the managers have all answered: coverage is known).
  let [pathIndex, ownerIndex, interfaceIndex] = [0, 0, 0];
  const next = (): boolean => {
    for (; pathIndex < objects.paths.length; pathIndex++, ownerIndex = 0) {
      const objectPath = objects.paths[pathIndex]!;
      const list = owners.of(subtree[objectPath] ?? NO_OWNERS);
      for (; ownerIndex < list.length; ownerIndex++, interfaceIndex = 0) {
        const owner = list[ownerIndex]!;
        if (interfaceIndex === 0 && objects.hasOwner(objectPath, owner.rank)) continue;
        if (interfaceIndex < owner.interfaces.length) {
          const index = interfaceIndex++;
          getAll(deps, objects, objectPath, owner.busName, owner.interfaces[index]!, owner.rank * SOURCES_PER_OWNER + index).then(answered, failed);
          return true;
        }
      }
    }
    return false;
  };
  for (;;) {
    // Checked here rather than given to each call: a thousand small calls need no abort listener
    // each, and the few in flight when the client leaves are small.
    signal?.throwIfAborted();
    if (failure) throw failure.error;
    while (inFlight < most && next()) inFlight++;
    if (inFlight === 0) return;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

/** One GetAll into `objects`; an interface without readable properties here is no failure (as for GET <path>). */
async function getAll(deps: EnumerateDeps, objects: EnumeratedObjects, objectPath: string, busName: string, interfaceName: string,
  order: number): Promise<void> {
  try {
    await deps.limiter.run(() => deps.bus.callWith(
      { busName, objectPath, interfaceName: PROPERTIES_INTERFACE, member: 'GetAll', signature: 's', body: [interfaceName] },
      'a{sv}',
      (reader) => objects.object(objectPath, order, (sink) => readPropertyTexts(reader, objects.target, sink)),
    ));
  } catch (err) {
    if (!(err instanceof BusError && NO_PROPERTIES.has(err.errorName))) throw err;
  }
}
