/**
 * Maps a request path onto a D-Bus REST route. Pure.
 *
 * Precedence follows phosphor-rest-server's route table (section 1.3 of the
 * behaviour reference): a trailing slash lists children; then `…/list`,
 * `…/enumerate`, `…/action/<m>`, `…/attr/<p>`, `…/schema`; anything else is
 * an object. So an object whose last path element is `list` can only be read
 * through its parent's listing, as before.
 */

export type ObjectRouteKind = 'children' | 'list' | 'enumerate' | 'action' | 'attr' | 'schema' | 'object';

export interface ObjectRoute {
  readonly kind: ObjectRouteKind;
  /** The D-Bus object path ('/' for the root forms `/list`, `/enumerate`). */
  readonly objectPath: string;
  /** Method name for `action`, property name for `attr`. */
  readonly name?: string;
}

/** The verbs each route answers (HEAD and OPTIONS come with them); used for 405 and `Allow`. */
export const ROUTE_METHODS: Readonly<Record<ObjectRouteKind, readonly string[]>> = {
  children: ['GET', 'HEAD'],
  list: ['GET', 'HEAD'],
  enumerate: ['GET', 'HEAD'],
  schema: ['GET', 'HEAD'],
  attr: ['GET', 'HEAD', 'PUT'],
  action: ['POST'],
  object: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'],
};

/** The `Allow` header value for a route kind, in a fixed order. */
export function allowHeader(kind: ObjectRouteKind): string {
  return [...ROUTE_METHODS[kind], 'OPTIONS'].join(', ');
}

/** Collapses repeated slashes, keeps a trailing one (`//a//b/` → `/a/b/`). */
export function normalizePath(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.startsWith('/') ? collapsed : '/' + collapsed;
}

const SEGMENT = /^[A-Za-z0-9_]+$/;

/** The D-Bus specification's object path rule. */
export function isObjectPath(path: string): boolean {
  if (path === '/') return true;
  if (!path.startsWith('/') || path.endsWith('/')) return false;
  return path.slice(1).split('/').every((segment) => SEGMENT.test(segment));
}

/** Classifies a normalised path; `objectPath` may still be invalid (see isObjectPath). */
export function parseObjectRoute(path: string): ObjectRoute {
  const normalized = normalizePath(path);
  if (normalized.length > 1 && normalized.endsWith('/')) {
    return { kind: 'children', objectPath: normalized.slice(0, -1) };
  }
  if (normalized === '/') return { kind: 'children', objectPath: '/' };
  const segments = normalized.slice(1).split('/');
  const last = segments[segments.length - 1] ?? '';
  const parent = (count: number) => '/' + segments.slice(0, segments.length - count).join('/');
  if (last === 'list') return { kind: 'list', objectPath: parent(1) };
  if (last === 'enumerate') return { kind: 'enumerate', objectPath: parent(1) };
  const marker = segments[segments.length - 2];
  if (marker === 'action' && segments.length >= 2) return { kind: 'action', objectPath: parent(2), name: last };
  if (marker === 'attr' && segments.length >= 2) return { kind: 'attr', objectPath: parent(2), name: last };
  if (last === 'schema') return { kind: 'schema', objectPath: parent(1) };
  return { kind: 'object', objectPath: normalized };
}
