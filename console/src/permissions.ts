/**
 * What the user may do on an object, as the gateway says (never guessed
 * from a role name): `GET <path>/attr/` flags each property `writable` for
 * this caller; `GET <path>/action/` flags each method `allowed`. The gateway
 * checks every write and call again in any case; this only decides what is
 * offered.
 */
import { get } from './api.js';

export interface Property {
  readonly access: string;
  readonly signature: string;
  readonly value: unknown;
  readonly writable: boolean;
}

/** interface → property → description */
export type Attributes = Record<string, Record<string, Property>>;

/** `interface.method` → whether this caller may call it. */
export type MethodPermissions = ReadonlyMap<string, boolean>;

export function attributes(path: string): Promise<Attributes> {
  return get<Attributes>(`${path === '/' ? '' : path}/attr/`);
}

interface ListedMethod {
  readonly name: string;
  readonly interface: string;
  readonly allowed: boolean;
}

/** `GET <path>/action/`: one entry per method with its interface and `allowed`. */
export async function methodPermissions(path: string): Promise<MethodPermissions> {
  const listed = await get<ListedMethod[]>(`${path === '/' ? '' : path}/action/`);
  return new Map(listed.map((method) => [`${method.interface}.${method.name}`, method.allowed]));
}

export function mayCall(permissions: MethodPermissions, interfaceName: string, method: string): boolean {
  return permissions.get(`${interfaceName}.${method}`) ?? false;
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
