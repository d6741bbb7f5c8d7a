/**
 * What the user may do on an object, as the gateway says (never guessed
 * from a role name): `GET <path>/attr/` flags each property `writable` for
 * this caller; `GET <path>/action/` flags each method `allowed`. Where the
 * gateway has no `/action/` listing (404), a method is offered when the
 * user may write a property of its interface, or, for an interface without
 * properties, some property of the object. The gateway checks every write
 * and call again in any case; this only decides what is offered.
 */
import { ApiError, get } from './api.js';

export interface Property {
  readonly access: string;
  readonly signature: string;
  readonly value: unknown;
  readonly writable: boolean;
}

/** interface → property → description */
export type Attributes = Record<string, Record<string, Property>>;

/** `interface.method` → allowed, or undefined when the gateway has no method listing. */
export type MethodPermissions = Map<string, boolean> | undefined;

export function attributes(path: string): Promise<Attributes> {
  return get<Attributes>(`${path === '/' ? '' : path}/attr/`);
}

/** Reads the method listing in either shape it may have (keyed by name, or a list of entries). */
export async function methodPermissions(path: string): Promise<MethodPermissions> {
  let data: unknown;
  try {
    data = await get(`${path === '/' ? '' : path}/action/`);
  } catch (err) {
    if (err instanceof ApiError && (err.httpStatus === 404 || err.httpStatus === 405)) return undefined;
    throw err;
  }
  const entries: unknown[] = Array.isArray(data) ? data
    : Object.entries((data ?? {}) as Record<string, unknown>).map(([name, entry]) => ({ name, ...(entry as object) }));
  const permissions = new Map<string, boolean>();
  for (const entry of entries) {
    const { name, interface: interfaceName, allowed } = entry as { name?: unknown; interface?: unknown; allowed?: unknown };
    if (typeof name !== 'string' || typeof allowed !== 'boolean') return undefined;
    permissions.set(typeof interfaceName === 'string' ? `${interfaceName}.${name}` : name, allowed);
  }
  return permissions;
}

export function mayCall(permissions: MethodPermissions, attrs: Attributes, interfaceName: string, method: string): boolean {
  if (permissions) return permissions.get(`${interfaceName}.${method}`) ?? permissions.get(method) ?? false;
  const properties = Object.values(attrs[interfaceName] ?? {});
  if (properties.length > 0) return properties.some((p) => p.writable);
  return Object.values(attrs).some((iface) => Object.values(iface).some((p) => p.writable));
}

/** The attributes after a PropertiesChanged of one interface (unknown interfaces and names are left out). */
export function withChanges(old: Attributes | undefined, interfaceName: string, changes: Record<string, unknown>): Attributes | undefined {
  const iface = old?.[interfaceName];
  if (!old || !iface) return old;
  const next = { ...iface };
  for (const [name, value] of Object.entries(changes)) {
    const property = next[name];
    if (property) next[name] = { ...property, value };
  }
  return { ...old, [interfaceName]: next };
}
