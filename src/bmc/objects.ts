/**
 * The read operations of the REST API in D-Bus terms. Knows OpenBMC and
 * D-Bus, never HTTP: failures are GatewayErrors or BusErrors, which the HTTP
 * layer renders.
 */
import type { BusConnection } from '../dbus/bus.js';
import type { Json } from '../dbus/convert.js';
import { GatewayError } from '../errors.js';
import { enumerate } from './enumerate.js';
import { IntrospectionCache } from './introspection-cache.js';
import type { IntrospectedInterface } from './introspection.js';
import { Limiter } from './limit.js';
import { Mapper, type ServiceMap } from './mapper.js';
import { type PropertyMap, PropertyReader } from './properties.js';

export interface BmcOptions {
  /** At most this many bus calls of the gateway in flight at once. */
  readonly maxConcurrentCalls: number;
}

export class Bmc {
  readonly bus: BusConnection;
  readonly mapper: Mapper;
  readonly introspection: IntrospectionCache;
  readonly properties: PropertyReader;
  readonly limiter: Limiter;

  constructor(bus: BusConnection, options: BmcOptions) {
    this.bus = bus;
    this.limiter = new Limiter(options.maxConcurrentCalls);
    this.mapper = new Mapper(bus);
    this.introspection = new IntrospectionCache(bus);
    this.properties = new PropertyReader(bus, this.limiter);
  }

  async start(): Promise<void> {
    await this.introspection.start();
  }

  async stop(): Promise<void> {
    await this.introspection.stop();
  }

  /** Owners of an object; 404 with the historical mapper text if unknown. */
  owners(objectPath: string): Promise<ServiceMap> {
    return this.mapper.getObject(objectPath);
  }

  /** `GET <path>`: all properties of all owners, merged. */
  async getObject(objectPath: string): Promise<PropertyMap> {
    return this.properties.readObject(objectPath, await this.owners(objectPath));
  }

  /** `GET <path>/attr/<name>`: exact name first, then case-insensitive. */
  async getProperty(objectPath: string, name: string): Promise<Json> {
    const properties = await this.getObject(objectPath);
    const found = findName(Object.keys(properties), name);
    if (found === undefined) throw new GatewayError(404, `The specified property cannot be found: '${name}'`);
    return properties[found] ?? null;
  }

  /** `GET <path>/list`: every path below, sorted. */
  async list(objectPath: string): Promise<string[]> {
    return Object.keys(await this.mapper.getSubTree(objectPath, 0)).sort();
  }

  /** `GET <path>/`: direct children, sorted. */
  async children(objectPath: string): Promise<string[]> {
    return (await this.mapper.getSubTreePaths(objectPath, 1)).sort();
  }

  /** `GET <path>/enumerate`. */
  enumerate(objectPath: string): Promise<Record<string, PropertyMap>> {
    return enumerate(this, objectPath);
  }

  /** `GET <path>/schema`: methods, signals and properties of every interface. */
  async schema(objectPath: string): Promise<Record<string, Json>> {
    const owners = await this.owners(objectPath);
    const schema: Record<string, Json> = {};
    const nodes = await Promise.all(
      Object.keys(owners).sort().map((busName) => this.introspection.get(busName, objectPath)),
    );
    for (const node of nodes) {
      for (const iface of node.interfaces) schema[iface.name] = describeInterface(iface);
    }
    return schema;
  }
}

/** Exact match first, then the first case-insensitive one (phosphor-rest did only the latter). */
export function findName(names: readonly string[], wanted: string): string | undefined {
  if (names.includes(wanted)) return wanted;
  const lower = wanted.toLowerCase();
  return names.find((name) => name.toLowerCase() === lower);
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
