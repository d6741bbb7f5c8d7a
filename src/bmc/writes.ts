/**
 * The write operations: property Set (one, some or all), method calls and
 * Object.Delete. Every value is converted from the introspected signature
 * BEFORE anything is sent, so a bad value anywhere in a request changes
 * nothing (the original guessed types, sent, and retried on InvalidArgs).
 */
import { BusError } from '../dbus/bus.js';
import { ConversionError, type Json, fromJson, toJson } from '../dbus/convert.js';
import { parseSingleType } from '../dbus/signature.js';
import { variant } from '../dbus/variant.js';
import { GatewayError } from '../errors.js';
import type { IntrospectedMember, IntrospectedProperty } from './introspection.js';
import { STANDARD_INTERFACES } from './introspection.js';
import type { ServiceMap } from './mapper.js';
import { type Bmc, findName } from './objects.js';
import { PROPERTIES_INTERFACE } from './properties.js';

export const DELETE_INTERFACE = 'xyz.openbmc_project.Object.Delete';

/**
 * The authorisation hook of the write path: called with every interface and
 * member (property, method, or `Delete`) a request is about to touch, after
 * introspection and before anything is sent; it throws to refuse. The HTTP
 * layer builds it from the policy, so this folder stays free of HTTP.
 */
export type WriteCheck = (target: { readonly interfaceName: string; readonly member: string }) => void;

/**
 * What a write sends, told to the caller just before it goes out (for the
 * audit line: http/audit-middleware.ts, auth/audit.ts, which redacts
 * secrets). Values are the client's JSON, after conversion succeeded.
 */
export type WrittenValue =
  | { readonly interfaceName: string; readonly member: string; readonly value: unknown }
  | { readonly interfaceName: string; readonly member: string; readonly args: ReadonlyArray<{ readonly name: string; readonly value: unknown }> };
export type WriteRecord = (written: WrittenValue) => void;

/** A property located on the bus. */
interface PropertyTarget {
  readonly busName: string;
  readonly interfaceName: string;
  readonly property: IntrospectedProperty;
}

/** A converted value ready for Properties.Set. */
interface PreparedSet extends PropertyTarget {
  readonly value: unknown;
  /** The client's JSON for it. */
  readonly json: unknown;
}

/** Rewrites a ConversionError with a label: `property 'Foo' ($[1]): expected ..., got ...`. */
function labelled(label: string, err: unknown): unknown {
  if (!(err instanceof ConversionError)) return err;
  return new GatewayError(400, `${label} (${err.at}): expected ${err.expected}, got ${err.got}`, { cause: err });
}

/** Owners for a write: an unknown object cannot be created (403, as the original). */
async function ownersForWrite(bmc: Bmc, objectPath: string): Promise<ServiceMap> {
  try {
    return await bmc.owners(objectPath);
  } catch (err) {
    if (err instanceof BusError && err.errorName === 'org.freedesktop.DBus.Error.FileNotFound') {
      throw new GatewayError(403, `The specified resource cannot be created: '${objectPath}'`);
    }
    throw err;
  }
}

/** Every property of every data interface, per owner, from (cached) introspection. */
async function introspectProperties(bmc: Bmc, objectPath: string, owners: ServiceMap): Promise<PropertyTarget[]> {
  const targets: PropertyTarget[] = [];
  for (const busName of Object.keys(owners).sort()) {
    const listed = new Set(owners[busName] ?? []);
    const node = await bmc.introspection.get(busName, objectPath);
    for (const iface of node.interfaces) {
      if (STANDARD_INTERFACES.has(iface.name) || !listed.has(iface.name)) continue;
      for (const property of iface.properties) targets.push({ busName, interfaceName: iface.name, property });
    }
  }
  return targets;
}

function prepare(target: PropertyTarget, json: unknown): PreparedSet {
  const { name, type, access } = target.property;
  if (access === 'read') {
    throw new GatewayError(403, `org.freedesktop.DBus.Error.PropertyReadOnly: Property '${name}' is not writable.`);
  }
  try {
    return { ...target, value: fromJson(parseSingleType(type), json), json };
  } catch (err) {
    throw labelled(`property '${name}'`, err);
  }
}

async function applySets(bmc: Bmc, objectPath: string, sets: readonly PreparedSet[], record?: WriteRecord): Promise<void> {
  // Sequential on purpose: the order of the request is the order of the writes.
  for (const set of sets) {
    record?.({ interfaceName: set.interfaceName, member: set.property.name, value: set.json });
    await bmc.bus.call({
      busName: set.busName,
      objectPath,
      interfaceName: PROPERTIES_INTERFACE,
      member: 'Set',
      signature: 'ssv',
      body: [set.interfaceName, set.property.name, variant(set.property.type, set.value)],
    });
  }
}

/** `PUT <path>/attr/<name>`. */
export async function setProperty(bmc: Bmc, objectPath: string, name: string, json: unknown, check: WriteCheck, record?: WriteRecord):
  Promise<null> {
  const targets = await introspectProperties(bmc, objectPath, await ownersForWrite(bmc, objectPath));
  const found = findName(targets.map((t) => t.property.name), name);
  const target = targets.find((t) => t.property.name === found);
  if (!target) throw new GatewayError(403, `The specified property cannot be created: '${name}'`);
  check({ interfaceName: target.interfaceName, member: target.property.name });
  await applySets(bmc, objectPath, [prepare(target, json)], record);
  return null;
}

/**
 * `PATCH <path>` (mode 'some') and `PUT <path>` (mode 'all': every writable
 * property must be given). All values are checked first; then written.
 */
export async function setProperties(bmc: Bmc, objectPath: string, data: unknown, mode: 'some' | 'all', check: WriteCheck,
  record?: WriteRecord): Promise<null> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new GatewayError(400, `Expecting 'data' to be an object of property names to values, got ${describe(data)}`);
  }
  const targets = await introspectProperties(bmc, objectPath, await ownersForWrite(bmc, objectPath));
  const names = targets.map((t) => t.property.name);
  const given = new Set<string>();
  const sets: PreparedSet[] = [];
  for (const [key, json] of Object.entries(data)) {
    const found = findName(names, key);
    const target = targets.find((t) => t.property.name === found);
    if (!target) throw new GatewayError(400, `The specified property cannot be created: '${key}'`);
    check({ interfaceName: target.interfaceName, member: target.property.name });
    given.add(target.property.name);
    sets.push(prepare(target, json));
  }
  if (mode === 'all') {
    const missing = targets.filter((t) => t.property.access !== 'read' && !given.has(t.property.name));
    if (missing.length > 0) {
      const list = missing.map((t) => `'${t.property.name}'`).join(', ');
      throw new GatewayError(400, `PUT replaces the whole object: missing writable properties ${list} (use PATCH to set some)`);
    }
  }
  await applySets(bmc, objectPath, sets, record);
  return null;
}

/** `POST <path>/action/<method>`. */
export async function callMethod(bmc: Bmc, objectPath: string, name: string, args: unknown, check: WriteCheck, record?: WriteRecord):
  Promise<Json> {
  if (!Array.isArray(args)) {
    throw new GatewayError(400, `Expecting 'data' to be an array of method arguments, got ${describe(args)}`);
  }
  const owners = await bmc.owners(objectPath);
  const target = await findMethod(bmc, objectPath, owners, name);
  if (!target) throw new GatewayError(404, `The specified method cannot be found: '${name}'`);
  const { busName, interfaceName, method } = target;
  check({ interfaceName, member: method.name });
  const inArgs = method.args.filter((arg) => arg.direction !== 'out');
  const outArgs = method.args.filter((arg) => arg.direction === 'out');
  const signature = inArgs.map((arg) => arg.type).join('');
  if (args.length !== inArgs.length) {
    throw new GatewayError(400,
      `Invalid number of args: ${method.name} takes ${inArgs.length} (signature '${signature}'), got ${args.length}`);
  }
  const body = inArgs.map((arg, index) => {
    try {
      return fromJson(parseSingleType(arg.type), args[index]);
    } catch (err) {
      throw labelled(`argument ${index + 1}${arg.name ? ` '${arg.name}'` : ''}`, err);
    }
  });
  record?.({ interfaceName, member: method.name, args: inArgs.map((arg, index) => ({ name: arg.name ?? '', value: args[index] })) });
  const reply = await bmc.bus.call({ busName, objectPath, interfaceName, member: method.name, signature, body });
  const out = outArgs.map((arg, index) => toJson(parseSingleType(arg.type), reply[index]));
  return out.length === 0 ? null : out.length === 1 ? (out[0] ?? null) : out;
}

/**
 * The first owner (in name order) with a data interface declaring the method:
 * exact name first, then case-insensitive. Standard interfaces are left out,
 * so `action/Set` cannot bypass the property rules.
 */
async function findMethod(bmc: Bmc, objectPath: string, owners: ServiceMap, name: string):
  Promise<{ busName: string; interfaceName: string; method: IntrospectedMember } | undefined> {
  const candidates: Array<{ busName: string; interfaceName: string; method: IntrospectedMember }> = [];
  for (const busName of Object.keys(owners).sort()) {
    const listed = new Set(owners[busName] ?? []);
    const node = await bmc.introspection.get(busName, objectPath);
    for (const iface of node.interfaces) {
      if (STANDARD_INTERFACES.has(iface.name) || !listed.has(iface.name)) continue;
      for (const method of iface.methods) candidates.push({ busName, interfaceName: iface.name, method });
    }
  }
  const found = findName(candidates.map((c) => c.method.name), name);
  return candidates.find((c) => c.method.name === found);
}

/** `DELETE <path>`: Object.Delete on every owner that implements it. */
export async function deleteObject(bmc: Bmc, objectPath: string, check: WriteCheck): Promise<null> {
  const owners = await bmc.owners(objectPath);
  const deleters = Object.keys(owners).sort().filter((busName) => owners[busName]?.includes(DELETE_INTERFACE));
  if (deleters.length === 0) throw new GatewayError(403, `The specified resource cannot be removed: '${objectPath}'`);
  check({ interfaceName: DELETE_INTERFACE, member: 'Delete' });
  for (const busName of deleters) {
    await bmc.bus.call({ busName, objectPath, interfaceName: DELETE_INTERFACE, member: 'Delete' });
  }
  return null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

