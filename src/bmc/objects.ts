/**
 * The BMC as the REST API sees it: one facade over the mapper, the
 * introspection and owner caches, the property reader, enumerate, the writes
 * and the software manager's signals. Its methods are the REST operations in
 * D-Bus terms; its parts stay private, so nothing above it reaches the bus.
 * Knows OpenBMC and D-Bus, never HTTP: failures are GatewayErrors or
 * BusErrors, which the HTTP layer renders.
 */
import { BusError, type BusConnection, isBusError } from '../dbus/bus.js';
import type { Json } from '../dbus/convert.js';
import { DBUS_ERRORS } from '../dbus/names.js';
import { errors } from '../errors.js';
import { type EnumerateDeps, type EnumeratePlan, fetchEnumerate, planEnumerate } from './enumerate.js';
import type { EnumeratedObjects } from './enumerated-objects.js';
import { SOFTWARE_ROOT, VERSION_INTERFACE, type VersionWatch, watchForNewVersion } from './image-version.js';
import { IntrospectionCache } from './introspection-cache.js';
import type { IntrospectedInterface, IntrospectedNode } from './introspection.js';
import { Limiter } from './limit.js';
import { Mapper, type ServiceMap } from './mapper.js';
import { type OwnedInterface, findName, introspectOwners, methodsOf, ownedInterfaces } from './members.js';
import type { IntrospectedMember } from './introspection.js';
import { OwnersCache } from './owners-cache.js';
import { NO_PROPERTIES, type PropertyMap, PropertyReader } from './properties.js';
import { type PropertyChange, type PropertyWatch, watchProperties } from './property-watch.js';
import { type PreparedWrite, type WriteAccess, Writes } from './writes.js';

/** What a read gets when the owners it was given are out of date. */
const STALE_OWNER_ERRORS: ReadonlySet<string> = new Set([
  DBUS_ERRORS.ServiceUnknown,
  DBUS_ERRORS.NameHasNoOwner,
  DBUS_ERRORS.UnknownObject,
]);

/** Property names remembered per owners answer (see Bmc.#sources). */
const MAX_REMEMBERED_NAMES = 32;

/** Where a property is read from: the owner, its interface and the property's exact name. */
interface PropertySource {
  readonly busName: string;
  readonly interfaceName: string;
  readonly name: string;
}

/** A write or call as the REST routes name it. */
export type WriteRequest =
  | { readonly kind: 'attr'; readonly objectPath: string; readonly name: string; readonly value: unknown }
  | { readonly kind: 'object'; readonly objectPath: string; readonly data: unknown; readonly mode: 'some' | 'all' }
  | { readonly kind: 'action'; readonly objectPath: string; readonly name: string; readonly args: unknown }
  | { readonly kind: 'delete'; readonly objectPath: string };

export interface OwnedMethod {
  readonly interfaceName: string;
  readonly method: IntrospectedMember;
}

/** One interface's properties, as `GET <path>/attr/` lists them. */
export interface InterfaceProperties {
  readonly interfaceName: string;
  readonly properties: ReadonlyArray<{ readonly name: string; readonly signature: string; readonly access: string; readonly value: Json }>;
}

/** A #propertySource answer, and the owners' introspection it was found in (`nodes[i]` is `busNames[i]`'s). */
interface RememberedSource {
  readonly busNames: readonly string[];
  readonly nodes: readonly IntrospectedNode[];
  readonly source: PropertySource | undefined;
}

export interface BmcOptions {
  /** At most this many bus calls of the gateway in flight at once. */
  readonly maxConcurrentCalls: number;
}

export class Bmc {
  readonly #bus: BusConnection;
  readonly #mapper: Mapper;
  readonly #introspection: IntrospectionCache;
  readonly #properties: PropertyReader;
  /** GetObject answers for the read routes (short-lived, signal-invalidated). */
  readonly #readOwners: OwnersCache;
  readonly #enumerate: EnumerateDeps;
  readonly #writes: Writes;
  /**
   * #propertySource answers per owners answer (the owners cache hands out the
   * same object while it is fresh), kept as long as introspection gives the
   * same nodes: an attribute poll then skips rebuilding the candidate list.
   */
  readonly #sources = new WeakMap<ServiceMap, Map<string, RememberedSource>>();

  constructor(bus: BusConnection, options: BmcOptions) {
    this.#bus = bus;
    // One bound for the reads and enumerates of every request: a BMC's services are small.
    const limiter = new Limiter(options.maxConcurrentCalls);
    this.#mapper = new Mapper(bus);
    this.#introspection = new IntrospectionCache(bus);
    this.#properties = new PropertyReader(bus, limiter);
    this.#readOwners = new OwnersCache(bus, this.#mapper);
    this.#enumerate = { bus, mapper: this.#mapper, limiter };
    this.#writes = new Writes({
      bus,
      owners: (objectPath) => this.#mapper.getObject(objectPath),
      interfaces: (objectPath, owners) => this.#interfaces(objectPath, owners),
    });
  }

  async start(): Promise<void> {
    await this.#introspection.start();
    await this.#readOwners.start();
  }

  async stop(): Promise<void> {
    await this.#readOwners.stop();
    await this.#introspection.stop();
  }

  /** `GET <path>`: all properties of all owners, merged. */
  getObject(objectPath: string): Promise<PropertyMap> {
    return this.#withOwners(objectPath, (owners) => this.#properties.readObject(objectPath, owners));
  }

  /**
   * Runs a read with the (possibly cached) owners of `objectPath`. If cached
   * owners turn out to be gone (the owner or the object is unknown), the entry
   * is dropped and the read runs once more with the mapper's current answer.
   */
  async #withOwners<T>(objectPath: string, read: (owners: ServiceMap) => Promise<T>): Promise<T> {
    // Cached owners without a wait (the usual case); else the cache asks the mapper.
    let owners = this.#readOwners.peek(objectPath);
    if (owners === undefined) {
      const answer = await this.#readOwners.get(objectPath);
      if (!answer.cached) return read(answer.owners);
      owners = answer.owners;
    }
    try {
      return await read(owners);
    } catch (err) {
      if (!(err instanceof BusError && STALE_OWNER_ERRORS.has(err.errorName))) throw err;
      this.#readOwners.drop(objectPath);
      return read((await this.#readOwners.get(objectPath)).owners);
    }
  }

  /**
   * `GET <path>/attr/<name>`: exact name first, then case-insensitive.
   *
   * One Properties.Get on the owner and interface that introspection (cached)
   * names, instead of a GetAll of every interface of every owner: the answer
   * is the one `GET <path>` would give for that name (the same owner and
   * interface win a clash). When introspection does not list the property,
   * or the Get is refused as unknown, the GetAll merge decides as before.
   */
  getProperty(objectPath: string, name: string): Promise<Json> {
    return this.#withOwners(objectPath, (owners) => this.#readProperty(objectPath, owners, name));
  }

  async #readProperty(objectPath: string, owners: ServiceMap, name: string): Promise<Json> {
    const known = this.#knownSource(objectPath, owners, name);
    const source = known !== undefined ? known.source : await this.#propertySource(objectPath, owners, name);
    if (source) {
      try {
        return await this.#properties.get(source.busName, objectPath, source.interfaceName, source.name);
      } catch (err) {
        // UnknownObject: the object is gone (404, or a fresh try when the owners were cached).
        if (!(err instanceof BusError && NO_PROPERTIES.has(err.errorName)) || STALE_OWNER_ERRORS.has(err.errorName)) throw err;
      }
    }
    const properties = await this.#properties.readObject(objectPath, owners);
    const found = findName(Object.keys(properties), name);
    if (found === undefined) throw errors.propertyNotFound(name);
    return properties[found] ?? null;
  }

  /**
   * Which owner and interface `GET <path>` would take the property from, by
   * introspection (findSource); undefined when introspection cannot tell (the
   * caller falls back to GetAll).
   */
  async #propertySource(objectPath: string, owners: ServiceMap, wanted: string): Promise<PropertySource | undefined> {
    let introspected: { busNames: string[]; nodes: IntrospectedNode[] };
    try {
      introspected = await introspectOwners(this.#introspection, objectPath, owners);
    } catch (err) {
      // A service that does not answer in time would not answer GetAll either.
      if (isBusError(err, DBUS_ERRORS.NoReply)) throw err;
      return undefined;
    }
    const { busNames, nodes } = introspected;
    let known = this.#sources.get(owners);
    const memo = known?.get(wanted);
    if (memo && memo.nodes.length === nodes.length && memo.nodes.every((node, i) => node === nodes[i])) return memo.source;
    const source = findSource(ownedInterfaces(busNames, nodes, owners), wanted);
    if (!known) this.#sources.set(owners, (known = new Map()));
    // Names are the client's choice: keep a few per object, not one per name ever asked.
    if (known.size < MAX_REMEMBERED_NAMES) known.set(wanted, { busNames, nodes, source });
    return source;
  }

  /**
   * True when the mapper knows `objectPath` with an owner implementing
   * `interfaceName`; false when it does not know the object or no owner
   * implements it (other bus failures are thrown).
   */
  async hasInterface(objectPath: string, interfaceName: string): Promise<boolean> {
    try {
      await this.#mapper.getObject(objectPath, [interfaceName]);
      return true;
    } catch (err) {
      if (err instanceof BusError && err.errorName === DBUS_ERRORS.FileNotFound) return false;
      throw err;
    }
  }

  /**
   * #propertySource's remembered answer without a wait: when every owner's
   * introspection is cached, finished and still the node the answer was found
   * in. Undefined: not known so (ask #propertySource, which introspects).
   */
  #knownSource(objectPath: string, owners: ServiceMap, wanted: string): RememberedSource | undefined {
    const memo = this.#sources.get(owners)?.get(wanted);
    if (memo === undefined) return undefined;
    const { busNames, nodes } = memo;
    for (let i = 0; i < busNames.length; i++) {
      if (this.#introspection.peek(busNames[i]!, objectPath) !== nodes[i]) return undefined;
    }
    return memo;
  }

  /** `GET <path>/list`: every path below, sorted. */
  async list(objectPath: string): Promise<string[]> {
    return Object.keys(await this.#mapper.getSubTree(objectPath, 0)).sort();
  }

  /** `GET <path>/`: direct children, sorted. */
  async children(objectPath: string): Promise<string[]> {
    return (await this.#mapper.getSubTreePaths(objectPath, 1)).sort();
  }

  /** `GET <path>/enumerate`, first step: the objects below and the managers to ask (enumerate.ts). */
  planEnumerate(objectPath: string, signal?: AbortSignal): Promise<EnumeratePlan> {
    return planEnumerate(this.#enumerate, objectPath, signal);
  }

  /** Second step: their properties, ready to be written as a data object at `depth`. */
  fetchEnumerate(plan: EnumeratePlan, depth: number, signal?: AbortSignal): Promise<EnumeratedObjects> {
    return fetchEnumerate(this.#enumerate, plan, depth, signal);
  }

  /** `GET <path>/schema`: methods, signals and properties of every interface (standard ones too). */
  async schema(objectPath: string): Promise<Record<string, Json>> {
    const { nodes } = await introspectOwners(this.#introspection, objectPath, await this.#mapper.getObject(objectPath));
    const schema: Record<string, Json> = {};
    for (const node of nodes) {
      for (const iface of node.interfaces) schema[iface.name] = describeInterface(iface);
    }
    return schema;
  }

  /**
   * `GET <path>/attr/`: every data interface of every owner with its
   * properties' signature, access and value (one GetAll per interface that
   * has properties; a write-only property has the value null).
   */
  propertiesByInterface(objectPath: string): Promise<InterfaceProperties[]> {
    return this.#withOwners(objectPath, async (owners) => {
      const interfaces = await this.#interfaces(objectPath, owners);
      return Promise.all(interfaces.map(async ({ busName, iface }) => {
        const values = iface.properties.length === 0 ? {} : await this.#properties.getAll(busName, objectPath, iface.name);
        return {
          interfaceName: iface.name,
          properties: iface.properties.map((p) => ({ name: p.name, signature: p.type, access: p.access, value: values[p.name] ?? null })),
        };
      }));
    });
  }

  /**
   * A write or call checked, converted and authorised (`access.check`), ready
   * to send: `PUT <path>/attr/<name>` (exact name first, then
   * case-insensitive), `PATCH <path>` / `PUT <path>` (every writable property
   * given), `POST <path>/action/<method>`, `DELETE <path>`.
   */
  prepareWrite(request: WriteRequest, access: WriteAccess): Promise<PreparedWrite> {
    switch (request.kind) {
      case 'attr': return this.#writes.setProperty(request.objectPath, request.name, request.value, access);
      case 'object': return this.#writes.setProperties(request.objectPath, request.data, request.mode, access);
      case 'action': return this.#writes.callMethod(request.objectPath, request.name, request.args, access);
      case 'delete': return this.#writes.deleteObject(request.objectPath, access);
    }
  }

  /** The methods `POST <path>/action/<name>` can call (the data interfaces' methods, as callMethod finds them). */
  async methods(objectPath: string): Promise<OwnedMethod[]> {
    const owners = await this.#mapper.getObject(objectPath);
    return methodsOf(await this.#interfaces(objectPath, owners)).map(({ interfaceName, method }) => ({ interfaceName, method }));
  }

  /**
   * The version of the BMC firmware running now: the software manager's
   * `functional` association names the running images; the one of purpose
   * BMC is it. Undefined when the software manager does not say.
   */
  async runningFirmwareVersion(): Promise<string | undefined> {
    let endpoints: Json;
    try {
      endpoints = await this.getProperty(`${SOFTWARE_ROOT}/functional`, 'endpoints');
    } catch {
      return undefined;
    }
    if (!Array.isArray(endpoints)) return undefined;
    for (const endpoint of endpoints) {
      if (typeof endpoint !== 'string') continue;
      const image = await this.getObject(endpoint).catch(() => undefined);
      if (typeof image?.Version === 'string' && image.Purpose === `${VERSION_INTERFACE}.VersionPurpose.BMC`) return image.Version;
    }
    return undefined;
  }

  /**
   * Follows PropertiesChanged of the objects at or below `pathNamespace`
   * from now on (the match rule is in place when this resolves): subscribe
   * BEFORE writing, so no change between the write and the first signal is
   * missed. Always `dispose()`.
   */
  watchProperties(pathNamespace: string, listener: (change: PropertyChange) => void): Promise<PropertyWatch> {
    return watchProperties(this.#bus, pathNamespace, listener);
  }

  /**
   * Starts watching for the software manager's next new image (upload):
   * resolve `next()` after the file is written; always `dispose()`.
   */
  watchForNewVersion(): Promise<VersionWatch> {
    return watchForNewVersion(this.#bus);
  }

  async #interfaces(objectPath: string, owners: ServiceMap): Promise<OwnedInterface[]> {
    const { busNames, nodes } = await introspectOwners(this.#introspection, objectPath, owners);
    return ownedInterfaces(busNames, nodes, owners);
  }
}

/**
 * Which owner and interface `GET <path>` would take the property from:
 * candidates in the order readObject merges them; the name is the exact one
 * if any has it, else the first case-insensitive match; the last candidate
 * with that name wins, as the last GetAll wins the merge.
 */
function findSource(interfaces: readonly OwnedInterface[], wanted: string): PropertySource | undefined {
  const candidates: PropertySource[] = [];
  for (const { busName, iface } of interfaces) {
    for (const property of iface.properties) {
      if (property.access !== 'write') candidates.push({ busName, interfaceName: iface.name, name: property.name });
    }
  }
  const found = findName(candidates.map((candidate) => candidate.name), wanted);
  if (found === undefined) return undefined;
  return candidates.findLast((candidate) => candidate.name === found);
}

function describeInterface(iface: IntrospectedInterface): Json {
  const members = (list: IntrospectedInterface['methods']) =>
    Object.fromEntries(list.map((member) => [member.name, member.args.map((arg) => ({ ...arg }))]));
  return {
    method: members(iface.methods),
    property: Object.fromEntries(iface.properties.map((p) => [p.name, { access: p.access, type: p.type }])),
    signal: members(iface.signals),
  };
}
