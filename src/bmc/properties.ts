/**
 * Reading properties: Properties.GetAll per interface per owner, merged into
 * the one flat object the REST API has always returned (interface names
 * disappear; on a name clash the later owner/interface wins, as in the
 * original server).
 */
import { BusError, type BusConnection } from '../dbus/bus.js';
import type { Json } from '../dbus/convert.js';
import type { Limiter } from './limit.js';
import { DBUS_ERRORS, PROPERTIES_INTERFACE } from '../dbus/names.js';
import { setOwn } from '../dbus/convert-out.js';
import type { ServiceMap } from './mapper.js';
import { dataInterfaces } from './members.js';

/** Errors that mean "this interface has no readable properties here". */
export const NO_PROPERTIES: ReadonlySet<string> = new Set([
  DBUS_ERRORS.UnknownInterface,
  DBUS_ERRORS.UnknownMethod,
  DBUS_ERRORS.UnknownObject,
  DBUS_ERRORS.UnknownProperty,
]);

export type PropertyMap = Record<string, Json>;

export class PropertyReader {
  readonly #bus: BusConnection;
  readonly #limiter: Limiter;

  constructor(bus: BusConnection, limiter: Limiter) {
    this.#bus = bus;
    this.#limiter = limiter;
  }

  /** GetAll of one interface, as JSON; `{}` when it has none. */
  async getAll(busName: string, objectPath: string, interfaceName: string): Promise<PropertyMap> {
    try {
      const [values] = await this.#limiter.run(() =>
        this.#bus.callJson({
          busName,
          objectPath,
          interfaceName: PROPERTIES_INTERFACE,
          member: 'GetAll',
          signature: 's',
          body: [interfaceName],
        }, 'a{sv}'),
      );
      return values as PropertyMap;
    } catch (err) {
      if (err instanceof BusError && NO_PROPERTIES.has(err.errorName)) return {};
      throw err;
    }
  }

  /** Properties.Get of one property, as JSON (errors are the caller's). */
  async get(busName: string, objectPath: string, interfaceName: string, name: string): Promise<Json> {
    const [value] = await this.#limiter.run(() =>
      this.#bus.callJson({
        busName,
        objectPath,
        interfaceName: PROPERTIES_INTERFACE,
        member: 'Get',
        signature: 'ss',
        body: [interfaceName, name],
      }, 'v'),
    );
    return value ?? null;
  }

  /** Every property of every data interface of every owner, merged. */
  async readObject(objectPath: string, owners: ServiceMap): Promise<PropertyMap> {
    const reads: Array<Promise<PropertyMap>> = [];
    for (const busName of Object.keys(owners).sort()) {
      for (const interfaceName of dataInterfaces(owners[busName] ?? [])) {
        reads.push(this.getAll(busName, objectPath, interfaceName));
      }
    }
    return mergeProperties(await Promise.all(reads));
  }
}

/**
 * The property maps of an object's interfaces as one map, later maps winning, key by key as own
 * properties: Object.assign would run the `__proto__` setter for a property of that name (a valid
 * D-Bus member that enumerate shows), dropping it or making its value the prototype.
 */
export function mergeProperties(maps: readonly PropertyMap[]): PropertyMap {
  const merged: PropertyMap = {};
  for (const properties of maps) {
    for (const [name, value] of Object.entries(properties)) setOwn(merged, name, value);
  }
  return merged;
}
