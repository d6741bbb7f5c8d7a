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
import { BusError, type BusConnection } from '../dbus/bus.js';
import { readManagedObjectTexts, readPropertyTexts } from '../dbus/decode-text.js';
import { compareKeys } from '../dbus/json-writer.js';
import { EnumeratedObjects, SOURCES_PER_OWNER } from './enumerated-objects.js';
import type { Limiter } from './limit.js';
import { isAncestor, type Mapper, type ServiceMap, type SubTree } from './mapper.js';
import { dataInterfaces, NO_PROPERTIES, PROPERTIES_INTERFACE } from './properties.js';

const OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager';

export interface EnumerateDeps {
  readonly bus: BusConnection;
  readonly mapper: Mapper;
  readonly limiter: Limiter;
}

/** What an enumerate will read: the objects and their owners, and the manager to ask per owner. */
export interface EnumeratePlan {
  readonly objectPath: string;
  readonly subtree: SubTree;
  /** busName → object path of its ObjectManager. */
  readonly managers: ReadonlyMap<string, string>;
  readonly objectCount: number;
}

export async function planEnumerate(deps: EnumerateDeps, objectPath: string, signal?: AbortSignal): Promise<EnumeratePlan> {
  const subtree = await deps.mapper.getSubTree(objectPath, 0, [], signal);
  const objectCount = Object.keys(subtree).length;
  const managers = objectCount === 0 ? new Map<string, string>() : await findManagers(deps.mapper, objectPath, subtree, signal);
  return { objectPath, subtree, managers, objectCount };
}

/** Reads every object's properties; `depth` is where the caller will write the data object. */
export async function fetchEnumerate(deps: EnumerateDeps, plan: EnumeratePlan, depth: number, signal?: AbortSignal): Promise<EnumeratedObjects> {
  const { subtree } = plan;
  const objects = new EnumeratedObjects(Object.keys(subtree).sort(compareKeys), depth);
  if (objects.paths.length === 0) return objects;
  // Owners merge in bus-name order, as GET <path> merges them.
  const ranks = new Map<string, number>();
  for (const busName of [...new Set(Object.values(subtree).flatMap((owners) => Object.keys(owners)))].sort()) {
    ranks.set(busName, ranks.size);
  }
  await Promise.all([...plan.managers].map(([busName, managerPath]) =>
    getManagedObjects(deps, objects, subtree, busName, managerPath, ranks.get(busName) ?? 0, signal)));
  await getAllUncovered(deps, objects, subtree, ranks, signal);
  return objects;
}

/**
 * busName → the object path of the ObjectManager to ask. The nearest manager
 * at or above `objectPath` wins, because it covers the whole subtree; else the
 * shallowest one inside the subtree (a service managing several roots below
 * the requested path falls back to GetAll for the rest).
 */
async function findManagers(mapper: Mapper, objectPath: string, subtree: SubTree, signal?: AbortSignal): Promise<Map<string, string>> {
  const managers = new Map<string, string>();
  const inside = Object.entries(subtree)
    .filter(([, owners]) => hasManager(owners))
    .sort(([a], [b]) => a.split('/').length - b.split('/').length);
  for (const [path, owners] of inside) {
    for (const busName of managerOwners(owners)) if (!managers.has(busName)) managers.set(busName, path);
  }
  const above = await mapper.getAncestors(objectPath, [OBJECT_MANAGER], signal).catch(ignoreNotFound);
  const self = await mapper.getObject(objectPath, [OBJECT_MANAGER], signal).catch(ignoreNotFound);
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

/** One manager's objects, those of the subtree that this owner serves; a failing manager is not fatal (GetAll covers its objects). */
async function getManagedObjects(deps: EnumerateDeps, objects: EnumeratedObjects, subtree: SubTree, busName: string,
  managerPath: string, rank: number, signal?: AbortSignal): Promise<void> {
  try {
    await deps.limiter.run(() => deps.bus.callWith(
      { busName, objectPath: managerPath, interfaceName: OBJECT_MANAGER, member: 'GetManagedObjects', ...(signal ? { signal } : {}) },
      'a{oa{sa{sv}}}',
      (reader) => objects.collect((open) => readManagedObjectTexts(reader, objects.text, objects.valueDepth,
        (path) => (subtree[path]?.[busName] ? open(path, rank * SOURCES_PER_OWNER) : undefined))),
    ));
  } catch (err) {
    if (err instanceof BusError && err.errorName !== 'org.freedesktop.DBus.Error.NoReply') return;
    throw err;
  }
}

/** One GetAll to read: the object, its owner and interface, and the source's merge order. */
type Read = readonly [objectPath: string, busName: string, interfaceName: string, order: number];

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
async function getAllUncovered(deps: EnumerateDeps, objects: EnumeratedObjects, subtree: SubTree,
  ranks: ReadonlyMap<string, number>, signal?: AbortSignal): Promise<void> {
  const reads = uncovered(objects, subtree, ranks);
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
  for (;;) {
    // Checked here rather than given to each call: a thousand small calls need no abort listener
    // each, and the few in flight when the client leaves are small.
    signal?.throwIfAborted();
    if (failure) throw failure.error;
    while (inFlight < most) {
      const next = reads.next();
      if (next.done) break;
      inFlight++;
      getAll(deps, objects, next.value).then(answered, failed);
    }
    if (inFlight === 0) return;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

/** One GetAll into `objects`; an interface without readable properties here is no failure (as for GET <path>). */
async function getAll(deps: EnumerateDeps, objects: EnumeratedObjects, [objectPath, busName, interfaceName, order]: Read): Promise<void> {
  try {
    await deps.limiter.run(() => deps.bus.callWith(
      { busName, objectPath, interfaceName: PROPERTIES_INTERFACE, member: 'GetAll', signature: 's', body: [interfaceName] },
      'a{sv}',
      (reader) => objects.collectObject(objectPath, order, (sink) => readPropertyTexts(reader, objects.text, objects.valueDepth, sink)),
    ));
  } catch (err) {
    if (!(err instanceof BusError && NO_PROPERTIES.has(err.errorName))) throw err;
  }
}

/** The GetAll reads still needed, in path order (checked as they are taken, after the managers answered). */
function* uncovered(objects: EnumeratedObjects, subtree: SubTree, ranks: ReadonlyMap<string, number>): Generator<Read> {
  for (const objectPath of objects.paths) {
    const owners = subtree[objectPath] ?? {};
    for (const busName of Object.keys(owners).sort()) {
      const rank = ranks.get(busName) ?? 0;
      if (objects.hasOwner(objectPath, rank)) continue;
      const interfaces = dataInterfaces(owners[busName] ?? []);
      for (let index = 0; index < interfaces.length; index++) {
        yield [objectPath, busName, interfaces[index]!, rank * SOURCES_PER_OWNER + index];
      }
    }
  }
}
