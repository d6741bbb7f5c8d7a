/**
 * The write operations: property Set (one, some or all), method calls and
 * Object.Delete. Every value is converted from the introspected signature
 * BEFORE anything is sent, so a bad value anywhere in a request changes
 * nothing (the original guessed types, sent, and retried on InvalidArgs).
 * The Bmc facade (objects.ts) offers them as its methods.
 */
import type { BusConnection } from '../dbus/bus.js';
import { ConversionError, type Json, fromJson, toJson } from '../dbus/convert.js';
import { PROPERTIES_INTERFACE } from '../dbus/names.js';
import { parseSingleType } from '../dbus/signature.js';
import { variant } from '../dbus/variant.js';
import { GatewayError, errors } from '../errors.js';
import type { ServiceMap } from './mapper.js';
import { type OwnedInterface, type PropertyTarget, findName, isNotFound, methodsOf, propertiesOf } from './members.js';

export const DELETE_INTERFACE = 'xyz.openbmc_project.Object.Delete';

/** A write or call about to touch this interface and member (property, method, or `Delete`). */
export interface WriteTarget {
  readonly interfaceName: string;
  readonly member: string;
}

/**
 * What a write sends, told to the caller just before it goes out (for the
 * audit line: http/audit-middleware.ts, auth/audit.ts, which redacts
 * secrets). Values are the client's JSON, after conversion succeeded.
 */
export type WrittenValue =
  | WriteTarget & { readonly value: unknown }
  | WriteTarget & { readonly args: ReadonlyArray<{ readonly name: string; readonly value: unknown }> };

/**
 * How a write is authorised and recorded, given by its caller (the HTTP
 * layer builds it from the policy and the audit line, so this folder stays
 * free of HTTP):
 * - `check` is called with every interface and member the request is about
 *   to touch, after introspection and before anything is sent; it throws to
 *   refuse;
 * - `record` is told every value just before it is sent.
 */
export interface WriteAccess {
  readonly check: (target: WriteTarget) => void;
  readonly record: (written: WrittenValue) => void;
  /**
   * Follows the caller's right to these targets while the write waits (for a
   * lock, or queued as a job): the account may be disabled or demoted, the
   * session may end meanwhile (docs/SECURITY.md, "Authorisation follows the
   * account"). Whoever sends after a wait asks it first.
   */
  readonly follow: (targets: readonly WriteTarget[]) => Authority;
}

/** The caller's right to a write, followed while it waits. */
export interface Authority {
  /** Why the caller may no longer send the write ('account disabled', 'session ended', ...), or undefined. */
  lapsed(): string | undefined;
  /** Stops following (the write was sent, refused or abandoned). */
  stop(): void;
}

/**
 * A write checked, converted and authorised, not yet sent: bad values, unknown
 * names and refusals are found before anything goes out, so a job can be
 * refused at submission and its lock taken before the first message.
 */
export interface PreparedWrite {
  readonly objectPath: string;
  /** Every interface and member it will touch, with the client's values. */
  readonly targets: readonly WrittenValue[];
  /** Sends it; the reply converted as the REST answer (`null` for writes). */
  send(timeoutMs?: number): Promise<Json>;
}

/** What the writes need of the Bmc. */
export interface WriteDeps {
  readonly bus: BusConnection;
  /** The mapper's owners of an object (never cached: a write must see the object as it is). */
  owners(objectPath: string): Promise<ServiceMap>;
  /** The data interfaces of an object with those owners (members.ts). */
  interfaces(objectPath: string, owners: ServiceMap): Promise<OwnedInterface[]>;
}

/** A converted value ready for Properties.Set. */
interface PreparedSet extends PropertyTarget {
  readonly value: unknown;
  /** The client's JSON for it. */
  readonly json: unknown;
}

export class Writes {
  readonly #deps: WriteDeps;

  constructor(deps: WriteDeps) {
    this.#deps = deps;
  }

  /** `PUT <path>/attr/<name>`. */
  async setProperty(objectPath: string, name: string, json: unknown, access: WriteAccess): Promise<PreparedWrite> {
    const targets = propertiesOf(await this.#interfaces(objectPath));
    const found = findName(targets.map((t) => t.property.name), name);
    const target = targets.find((t) => t.property.name === found);
    if (!target) throw errors.propertyNotCreatable(403, name);
    access.check({ interfaceName: target.interfaceName, member: target.property.name });
    return this.#sets(objectPath, [prepare(target, json)], access);
  }

  /**
   * `PATCH <path>` (mode 'some') and `PUT <path>` (mode 'all': every writable
   * property must be given). All values are checked first; then written.
   */
  async setProperties(objectPath: string, data: unknown, mode: 'some' | 'all', access: WriteAccess): Promise<PreparedWrite> {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new GatewayError(400, `Expecting 'data' to be an object of property names to values, got ${describe(data)}`);
    }
    const targets = propertiesOf(await this.#interfaces(objectPath));
    const names = targets.map((t) => t.property.name);
    const given = new Set<string>();
    const sets: PreparedSet[] = [];
    for (const [key, json] of Object.entries(data)) {
      const found = findName(names, key);
      const target = targets.find((t) => t.property.name === found);
      if (!target) throw errors.propertyNotCreatable(400, key);
      access.check({ interfaceName: target.interfaceName, member: target.property.name });
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
    return this.#sets(objectPath, sets, access);
  }

  /**
   * `POST <path>/action/<method>`: the first owner (in name order) with a
   * data interface declaring the method, exact name first, then
   * case-insensitive. Standard interfaces are left out, so `action/Set`
   * cannot bypass the property rules.
   */
  async callMethod(objectPath: string, name: string, args: unknown, access: WriteAccess): Promise<PreparedWrite> {
    if (!Array.isArray(args)) {
      throw new GatewayError(400, `Expecting 'data' to be an array of method arguments, got ${describe(args)}`);
    }
    const owners = await this.#deps.owners(objectPath);
    const candidates = methodsOf(await this.#deps.interfaces(objectPath, owners));
    const found = findName(candidates.map((c) => c.method.name), name);
    const target = candidates.find((c) => c.method.name === found);
    if (!target) throw errors.methodNotFound(name);
    const { busName, interfaceName, method } = target;
    access.check({ interfaceName, member: method.name });
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
    const written: WrittenValue = { interfaceName, member: method.name, args: inArgs.map((arg, index) => ({ name: arg.name ?? '', value: args[index] })) };
    return {
      objectPath,
      targets: [written],
      send: async (timeoutMs) => {
        access.record(written);
        const reply = await this.#deps.bus.call({ busName, objectPath, interfaceName, member: method.name, signature, body, timeoutMs });
        const out = outArgs.map((arg, index) => toJson(parseSingleType(arg.type), reply[index]));
        return out.length === 0 ? null : out.length === 1 ? (out[0] ?? null) : out;
      },
    };
  }

  /** `DELETE <path>`: Object.Delete on every owner that implements it. */
  async deleteObject(objectPath: string, access: WriteAccess): Promise<PreparedWrite> {
    const owners = await this.#deps.owners(objectPath);
    const deleters = Object.keys(owners).sort().filter((busName) => owners[busName]?.includes(DELETE_INTERFACE));
    if (deleters.length === 0) throw new GatewayError(403, `The specified resource cannot be removed: '${objectPath}'`);
    access.check({ interfaceName: DELETE_INTERFACE, member: 'Delete' });
    return {
      objectPath,
      targets: [{ interfaceName: DELETE_INTERFACE, member: 'Delete', args: [] }],
      send: async (timeoutMs) => {
        for (const busName of deleters) {
          await this.#deps.bus.call({ busName, objectPath, interfaceName: DELETE_INTERFACE, member: 'Delete', timeoutMs });
        }
        return null;
      },
    };
  }

  /** The data interfaces of an object to write; an unknown object cannot be created (403, as the original). */
  async #interfaces(objectPath: string): Promise<OwnedInterface[]> {
    let owners: ServiceMap;
    try {
      owners = await this.#deps.owners(objectPath);
    } catch (err) {
      if (isNotFound(err)) throw new GatewayError(403, `The specified resource cannot be created: '${objectPath}'`);
      throw err;
    }
    return this.#deps.interfaces(objectPath, owners);
  }

  #sets(objectPath: string, sets: readonly PreparedSet[], access: WriteAccess): PreparedWrite {
    return {
      objectPath,
      targets: sets.map((set) => ({ interfaceName: set.interfaceName, member: set.property.name, value: set.json })),
      send: async (timeoutMs) => {
        // Sequential on purpose: the order of the request is the order of the writes.
        for (const set of sets) {
          access.record({ interfaceName: set.interfaceName, member: set.property.name, value: set.json });
          await this.#deps.bus.call({
            busName: set.busName,
            objectPath,
            interfaceName: PROPERTIES_INTERFACE,
            member: 'Set',
            signature: 'ssv',
            body: [set.interfaceName, set.property.name, variant(set.property.type, set.value)],
            timeoutMs,
          });
        }
        return null;
      },
    };
  }
}

/** Rewrites a ConversionError with a label: `property 'Foo' ($[1]): expected ..., got ...`. */
function labelled(label: string, err: unknown): unknown {
  if (!(err instanceof ConversionError)) return err;
  return new GatewayError(400, `${label} (${err.at}): expected ${err.expected}, got ${err.got}`, { cause: err });
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

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

