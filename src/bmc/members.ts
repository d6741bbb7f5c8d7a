/**
 * The data interfaces of an object, as the REST routes see them: for each
 * owner (bus-name order), the interfaces the mapper lists for it, described
 * by the owner's introspection (cached), standard interfaces left out. Every
 * route that names a property or a method (attribute reads, writes, calls)
 * looks it up in this one list, in the order `GET <path>` merges the
 * properties, so they all agree on where a name lives.
 */
import { BusError } from '../dbus/bus.js';
import { DBUS_ERRORS, STANDARD_INTERFACES } from '../dbus/names.js';
import type { IntrospectedInterface, IntrospectedMember, IntrospectedNode, IntrospectedProperty } from './introspection.js';
import type { IntrospectionCache } from './introspection-cache.js';
import type { ServiceMap } from './mapper.js';

/** One data interface of one owner of an object. */
export interface OwnedInterface {
  readonly busName: string;
  readonly iface: IntrospectedInterface;
}

export interface PropertyTarget {
  readonly busName: string;
  readonly interfaceName: string;
  readonly property: IntrospectedProperty;
}

export interface MethodTarget {
  readonly busName: string;
  readonly interfaceName: string;
  readonly method: IntrospectedMember;
}

/** The owners' bus names in merge order, and their introspection (one call each, in parallel, cached). */
export async function introspectOwners(introspection: IntrospectionCache, objectPath: string, owners: ServiceMap):
  Promise<{ busNames: string[]; nodes: IntrospectedNode[] }> {
  const busNames = Object.keys(owners).sort();
  const nodes = await Promise.all(busNames.map((busName) => introspection.get(busName, objectPath)));
  return { busNames, nodes };
}

/** Interfaces worth reading, setting or calling: everything but the standard D-Bus ones. */
export function dataInterfaces(interfaces: readonly string[]): string[] {
  return interfaces.filter((name) => !STANDARD_INTERFACES.has(name));
}

/** The data interfaces of the owners (`nodes[i]` is `busNames[i]`'s introspection), in merge order. */
export function ownedInterfaces(busNames: readonly string[], nodes: readonly IntrospectedNode[], owners: ServiceMap): OwnedInterface[] {
  const found: OwnedInterface[] = [];
  busNames.forEach((busName, index) => {
    const node = nodes[index];
    for (const interfaceName of dataInterfaces(owners[busName] ?? [])) {
      const iface = node?.interfaces.find((candidate) => candidate.name === interfaceName);
      if (iface) found.push({ busName, iface });
    }
  });
  return found;
}

export function propertiesOf(interfaces: readonly OwnedInterface[]): PropertyTarget[] {
  return interfaces.flatMap(({ busName, iface }) => iface.properties.map((property) => ({ busName, interfaceName: iface.name, property })));
}

export function methodsOf(interfaces: readonly OwnedInterface[]): MethodTarget[] {
  return interfaces.flatMap(({ busName, iface }) => iface.methods.map((method) => ({ busName, interfaceName: iface.name, method })));
}

/** Exact match first, then the first case-insensitive one (phosphor-rest did only the latter). */
export function findName(names: readonly string[], wanted: string): string | undefined {
  if (names.includes(wanted)) return wanted;
  const lower = wanted.toLowerCase();
  return names.find((name) => name.toLowerCase() === lower);
}

/** The mapper does not know the object. */
export function isNotFound(err: unknown): boolean {
  return err instanceof BusError && err.errorName === DBUS_ERRORS.FileNotFound;
}
