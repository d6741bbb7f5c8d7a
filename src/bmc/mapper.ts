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
import { type BodyReader, BusError, type BusConnection } from '../dbus/bus.js';
import { readBody, readDictOfSharedDicts } from '../dbus/decode-json.js';
import { parseSingleType } from '../dbus/signature.js';

export const MAPPER_BUS_NAME = 'xyz.openbmc_project.ObjectMapper';
export const MAPPER_OBJECT_PATH = '/xyz/openbmc_project/object_mapper';
export const MAPPER_INTERFACE = 'xyz.openbmc_project.ObjectMapper';

const NOT_FOUND_ERRORS: ReadonlySet<string> = new Set([
  'xyz.openbmc_project.Common.Error.ResourceNotFound',
  'org.freedesktop.DBus.Error.FileNotFound',
]);

const SERVICE_MAP = parseSingleType('a{sas}');
/** GetSubTree and GetAncestors: equal owner maps (all sensors of a daemon) are read once and shared. */
const readSubTree = (reader: BodyReader) => readDictOfSharedDicts(reader, SERVICE_MAP);

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
    const [owners] = await this.#call(objectPath, 'GetObject', 'sas', [objectPath, interfaces], 'a{sas}',
      (reader) => readBody(reader, 'a{sas}'), signal);
    return owners as ServiceMap;
  }

  /** Every object below `objectPath` (not itself) up to `depth` levels (0 = all); the owner maps are frozen and shared. */
  async getSubTree(objectPath: string, depth: number, interfaces: readonly string[] = [], signal?: AbortSignal): Promise<SubTree> {
    const tree = await this.#call(objectPath, 'GetSubTree', 'sias', [objectPath, depth, interfaces], 'a{sa{sas}}', readSubTree, signal);
    return withoutRoot(tree as SubTree, objectPath);
  }

  async getSubTreePaths(objectPath: string, depth: number, interfaces: readonly string[] = []): Promise<string[]> {
    const [paths] = await this.#call(objectPath, 'GetSubTreePaths', 'sias', [objectPath, depth, interfaces], 'as',
      (reader) => readBody(reader, 'as'));
    return (paths as string[]).filter((path) => path !== objectPath);
  }

  /**
   * Objects above `objectPath`. The real mapper matches by string prefix
   * (`/a/b` is reported as an ancestor of `/a/bc`), so keep true ancestors only.
   */
  async getAncestors(objectPath: string, interfaces: readonly string[] = [], signal?: AbortSignal): Promise<SubTree> {
    const tree = await this.#call(objectPath, 'GetAncestors', 'sas', [objectPath, interfaces], 'a{sa{sas}}', readSubTree, signal);
    const ancestors: Record<string, ServiceMap> = {};
    for (const [path, services] of Object.entries(tree as SubTree)) {
      if (isAncestor(path, objectPath)) ancestors[path] = services;
    }
    return ancestors;
  }

  async #call<T>(objectPath: string, member: string, signature: string, body: unknown[], replySignature: string,
    read: (reader: BodyReader) => T, signal?: AbortSignal): Promise<T> {
    try {
      return await this.#bus.callWith({
        busName: MAPPER_BUS_NAME,
        objectPath: MAPPER_OBJECT_PATH,
        interfaceName: MAPPER_INTERFACE,
        member,
        signature,
        body,
        ...(signal ? { signal } : {}),
      }, replySignature, read);
    } catch (err) {
      if (err instanceof BusError && NOT_FOUND_ERRORS.has(err.errorName)) {
        throw new BusError('org.freedesktop.DBus.Error.FileNotFound', `path or object not found: ${objectPath}`);
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
