/**
 * The path patterns of the route table (routes.ts) and how a request path
 * is matched against them. Pure.
 *
 * Two kinds of pattern:
 * - fixed paths, `/upload/image/<name>`, `/redfish/**`: matched on the raw
 *   path (repeated slashes collapsed), element by element; a `<param>` is one
 *   element, percent-decoded after matching (so `..%2F` stays inside it);
 *   `**` is any rest, also none;
 * - D-Bus routes, `<path>/attr/<name>`, `<path>/`: matched on the decoded
 *   path (encoded slashes are slashes, as WSGI did), by its last elements;
 *   what comes before them is the object path. A pattern ending in `/`
 *   matches only a path that ends in `/`.
 */

export interface PathMatch {
  /** The D-Bus object path (D-Bus routes; '/' for the root forms `/list`, `/enumerate`). */
  readonly objectPath?: string;
  /** The pattern's one `<param>`: method or property name, image name, dump id. */
  readonly name?: string;
}

/** A compiled pattern. */
export type PathPattern =
  | { readonly type: 'fixed'; readonly elements: readonly string[]; readonly rest: boolean }
  | {
    readonly type: 'dbus';
    readonly suffix: readonly string[];
    readonly trailingSlash: boolean;
    /** Where in `suffix` the `<param>` is, -1 for none (known once, not tested per request). */
    readonly param: number;
  };

const PARAM = /^<[a-z]+>$/;
const DBUS_PREFIX = '<path>';

export function compilePattern(pattern: string): PathPattern {
  if (pattern.startsWith(DBUS_PREFIX)) {
    const rest = pattern.slice(DBUS_PREFIX.length);
    const trailingSlash = rest.endsWith('/');
    const body = trailingSlash ? rest.slice(0, -1) : rest;
    const suffix = body === '' ? [] : body.slice(1).split('/');
    if (suffix.filter((element) => PARAM.test(element)).length > 1) throw new Error(`route pattern '${pattern}' has more than one <param>`);
    return { type: 'dbus', suffix, trailingSlash, param: suffix.findIndex((element) => PARAM.test(element)) };
  }
  if (!pattern.startsWith('/')) throw new Error(`route pattern '${pattern}' must start with / or <path>`);
  const elements = pattern.slice(1).split('/');
  const rest = elements[elements.length - 1] === '**';
  return { type: 'fixed', elements: rest ? elements.slice(0, -1) : elements, rest };
}

/** The first element of a fixed pattern (`upload` of `/upload/image`): a quick filter. */
export function firstElement(pattern: PathPattern): string | undefined {
  return pattern.type === 'fixed' ? pattern.elements[0] : undefined;
}

/** Matches a fixed pattern against the raw path's elements (after the leading `/`). */
export function matchFixed(pattern: PathPattern & { type: 'fixed' }, elements: readonly string[]): PathMatch | undefined {
  const wanted = pattern.elements;
  if (pattern.rest ? elements.length < wanted.length : elements.length !== wanted.length) return undefined;
  let name: string | undefined;
  for (let i = 0; i < wanted.length; i++) {
    const element = wanted[i]!;
    const given = elements[i]!;
    if (PARAM.test(element)) {
      if (given === '') return undefined;
      name = decodePath(given);
    } else if (element !== given) {
      return undefined;
    }
  }
  return name === undefined ? {} : { name };
}

/**
 * Matches a D-Bus pattern against a normalised, decoded path: `elements` are
 * its elements without a trailing empty one, `trailingSlash` whether it ended
 * in `/` (the root `/` counts as ending in `/`).
 */
export function matchDbus(pattern: PathPattern & { type: 'dbus' }, elements: readonly string[], trailingSlash: boolean):
  PathMatch | undefined {
  if (pattern.trailingSlash !== trailingSlash) return undefined;
  const suffix = pattern.suffix;
  const at = elements.length - suffix.length;
  if (at < 0) return undefined;
  const param = pattern.param;
  for (let i = 0; i < suffix.length; i++) {
    if (i !== param && suffix[i] !== elements[at + i]) return undefined;
  }
  const name = param === -1 ? undefined : elements[at + param]!;
  const objectPath = at === elements.length ? joinPath(elements) : '/' + elements.slice(0, at).join('/');
  return name === undefined ? { objectPath } : { objectPath, name };
}

/** `/a/b` from ['a', 'b'], `/` from []. */
function joinPath(elements: readonly string[]): string {
  return '/' + elements.join('/');
}

/** Collapses repeated slashes, keeps a trailing one (`//a//b/` → `/a/b/`). */
export function normalizePath(path: string): string {
  const collapsed = path.includes('//') ? path.replace(/\/{2,}/g, '/') : path;
  return collapsed.startsWith('/') ? collapsed : '/' + collapsed;
}

/** Percent-decodes; a malformed escape is left as it came (it cannot name a D-Bus object, so it answers 404). */
export function decodePath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
