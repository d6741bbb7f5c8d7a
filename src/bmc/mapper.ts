/**
 * Client of xyz.openbmc_project.ObjectMapper, the OpenBMC service that knows
 * which bus names implement which interfaces at which object paths.
 *
 * The mapper is addressed by its WELL-KNOWN name on every call. The original
 * server bound its proxy to the mapper's unique name at start-up, so a mapper
 * restart broke every route until the REST server restarted too.
 *
 * Not-found answers (the C++ mapper's ResourceNotFound, the Python mapper's
 * FileNotFound) become one BusError with the historical text
 * `path or object not found: <path>` that scripts grep for.
 */
import { BusError, type BusConnection, type MethodCall } from '../dbus/bus.js';
import type { Json } from '../dbus/convert.js';
import { readBody, sharedDictEntries } from '../dbus/decode-json.js';
import { DBUS_ERRORS, OPENBMC_ERRORS } from '../dbus/names.js';
import { parseSingleType } from '../dbus/signature.js';

export const MAPPER_BUS_NAME = 'xyz.openbmc_project.ObjectMapper';
export const MAPPER_OBJECT_PATH = '/xyz/openbmc_project/object_mapper';
export const MAPPER_INTERFACE = 'xyz.openbmc_project.ObjectMapper';

const NOT_FOUND_ERRORS: ReadonlySet<string> = new Set([
  OPENBMC_ERRORS.ResourceNotFound,
  DBUS_ERRORS.FileNotFound,
]);

const SERVICE_MAP = parseSingleType('a{sas}');

/** bus name → interfaces it implements at one object path. */
export type ServiceMap = Readonly<Record<string, readonly string[]>>;
/** object path → ServiceMap. */
export type SubTree = Readonly<Record<string, ServiceMap>>;

export class Mapper {
  readonly #bus: BusConnection;

  constructor(bus: BusConnection) {
    this.#bus = bus;
  }

  /** Owners of `objectPath`; BusError FileNotFound if the mapper does not know it. */
  async getObject(objectPath: string, interfaces: readonly string[] = [], signal?: AbortSignal): Promise<ServiceMap> {
    const [owners] = await this.#call(objectPath, (call) => this.#bus.callWith(call, 'a{sas}', (reader) => readBody(reader, 'a{sas}')),
      'GetObject', 'sas', [objectPath, interfaces], signal);
    return owners as ServiceMap;
  }

  /** Every object below `objectPath` (not itself) up to `depth` levels (0 = all); the owner maps are frozen and shared. */
  async getSubTree(objectPath: string, depth: number, interfaces: readonly string[] = [], signal?: AbortSignal): Promise<SubTree> {
    const tree = await this.#subTree(objectPath, 'GetSubTree', 'sias', [objectPath, depth, interfaces], signal);
    return withoutRoot(tree, objectPath);
  }

  async getSubTreePaths(objectPath: string, depth: number, interfaces: readonly string[] = []): Promise<string[]> {
    const [paths] = await this.#call(objectPath, (call) => this.#bus.callWith(call, 'as', (reader) => readBody(reader, 'as')),
      'GetSubTreePaths', 'sias', [objectPath, depth, interfaces]);
    return (paths as string[]).filter((path) => path !== objectPath);
  }

  /**
   * Objects above `objectPath`. The real mapper matches by string prefix
   * (`/a/b` is reported as an ancestor of `/a/bc`), so keep true ancestors only.
   */
  async getAncestors(objectPath: string, interfaces: readonly string[] = [], signal?: AbortSignal): Promise<SubTree> {
    const tree = await this.#subTree(objectPath, 'GetAncestors', 'sas', [objectPath, interfaces], signal);
    const ancestors: Record<string, ServiceMap> = {};
    for (const [path, services] of Object.entries(tree)) {
      if (isAncestor(path, objectPath)) ancestors[path] = services;
    }
    return ancestors;
  }

  /**
   * GetSubTree and GetAncestors (`a{sa{sas}}`): read entry by entry as the
   * reply arrives (a 10,000-object subtree is a 4.7 MB message), equal owner
   * maps (all sensors of a daemon) read once and shared.
   */
  async #subTree(objectPath: string, member: string, signature: string, body: unknown[], signal?: AbortSignal): Promise<SubTree> {
    const tree: Record<string, ServiceMap> = {};
    const entry = sharedDictEntries(tree as Record<string, Json>, SERVICE_MAP);
    await this.#call(objectPath, (call) => this.#bus.callEntries(call, 'a{sa{sas}}', entry), member, signature, body, signal);
    return tree;
  }

  async #call<T>(objectPath: string, send: (call: MethodCall) => Promise<T>, member: string, signature: string, body: unknown[],
    signal?: AbortSignal): Promise<T> {
    try {
      return await send({
        busName: MAPPER_BUS_NAME,
        objectPath: MAPPER_OBJECT_PATH,
        interfaceName: MAPPER_INTERFACE,
        member,
        signature,
        body,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (err instanceof BusError && NOT_FOUND_ERRORS.has(err.errorName)) {
        throw new BusError(DBUS_ERRORS.FileNotFound, `path or object not found: ${objectPath}`);
      }
      throw err;
    }
  }
}

/** True when `ancestor` is `objectPath` minus one or more whole segments. */
export function isAncestor(ancestor: string, objectPath: string): boolean {
  if (ancestor === objectPath) return false;
  if (ancestor === '/') return true;
  return objectPath.startsWith(ancestor + '/');
}

/** GetSubTree('/') lists '/' itself; the REST routes never include the root. */
function withoutRoot(tree: SubTree, root: string): SubTree {
  if (!(root in tree)) return tree;
  const copy: Record<string, ServiceMap> = { ...tree };
  delete copy[root];
  return copy;
}
