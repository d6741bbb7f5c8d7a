/**
 * The `/subscribe` filter message: parsing, validation and matching. Pure.
 *
 * A client sends `{"paths": [...], "interfaces": [...], "events": [...]}`
 * (every key optional, `{}` = everything); a later message replaces the
 * filter. An event passes when
 *   - its kind is in `events` (default: PropertiesChanged and InterfacesAdded;
 *     InterfacesRemoved and JobChanged only when asked for), AND
 *   - its object path equals or lies below one of `paths`, compared by whole
 *     segments (`/a/b` covers `/a/b` and `/a/b/c`, not `/a/bc`), AND
 *   - one of its interfaces is in `interfaces`.
 * A missing or empty list does not restrict. For InterfacesAdded/Removed the
 * object path is the added/removed object (signal arg0), not the emitting
 * ObjectManager: the D-Bus spec puts managed objects at or below their
 * manager, so subscribing to the manager's path (phosphor-rest-server's exact
 * match) still sees them, and so does subscribing to a deeper path such as
 * `/xyz/openbmc_project/logging/entry` (which bmcweb never delivered).
 *
 * Errors are thrown as FilterError whose message is the websocket close
 * reason: it names the problem and fits the 123-byte limit of a close frame.
 */

export type EventName = 'PropertiesChanged' | 'InterfacesAdded' | 'InterfacesRemoved' | 'JobChanged';

export const EVENT_NAMES: readonly EventName[] = ['PropertiesChanged', 'InterfacesAdded', 'InterfacesRemoved', 'JobChanged'];
const DEFAULT_EVENTS: ReadonlySet<EventName> = new Set<EventName>(['PropertiesChanged', 'InterfacesAdded']);

export interface Filter {
  /** Normalised object paths (no trailing '/'), or undefined for all paths. */
  readonly paths: readonly string[] | undefined;
  /** Interface names, or undefined for all interfaces. */
  readonly interfaces: ReadonlySet<string> | undefined;
  readonly events: ReadonlySet<EventName>;
}

/** What matching needs to know about a signal (no values: they are converted only if someone matches). */
export interface EventSummary {
  readonly event: EventName;
  /** The object the event is about (for InterfacesAdded/Removed: the added/removed object). */
  readonly path: string;
  /** PropertiesChanged: its one interface; InterfacesAdded/Removed: the added/removed ones. */
  readonly interfaces: readonly string[];
}

export interface FilterLimits {
  readonly maxPaths: number;
  readonly maxInterfaces: number;
}

/** A rejected filter; the message is the close reason. */
export class FilterError extends Error {
  override readonly name = 'FilterError';
  constructor(reason: string) {
    super(closeReason(reason));
  }
}

/** Close frames carry at most 123 bytes of reason. */
export const MAX_CLOSE_REASON_BYTES = 123;

const KEYS = new Set(['paths', 'interfaces', 'events']);
const PATH_SEGMENT = /^[A-Za-z0-9_]+$/;
const INTERFACE_ELEMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_NAME_LENGTH = 255;

/**
 * Parses one filter message (the text of a websocket message).
 * @throws FilterError naming the problem.
 */
export function parseFilter(text: string, limits: FilterLimits): Filter {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FilterError('filter is not valid JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new FilterError('filter must be a JSON object such as {"paths": [...], "interfaces": [...]}');
  }
  const record = json as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KEYS.has(key)) throw new FilterError(`unknown filter key ${show(key)} (expected paths, interfaces, events)`);
  }
  const paths = stringList(record, 'paths', 'object paths', limits.maxPaths, normalisePath);
  const interfaces = stringList(record, 'interfaces', 'interface names', limits.maxInterfaces, checkInterface);
  const events = stringList(record, 'events', 'event names', EVENT_NAMES.length * 2, checkEvent);
  return {
    paths: paths.length > 0 ? [...new Set(paths)] : undefined,
    interfaces: interfaces.length > 0 ? new Set(interfaces) : undefined,
    events: events.length > 0 ? new Set(events as EventName[]) : DEFAULT_EVENTS,
  };
}

/** True when the event passes the filter (see the module comment). */
export function matches(filter: Filter, event: EventSummary): boolean {
  if (!filter.events.has(event.event)) return false;
  if (filter.paths !== undefined && !filter.paths.some((path) => isAtOrBelow(event.path, path))) return false;
  const wanted = filter.interfaces;
  return wanted === undefined || event.interfaces.some((name) => wanted.has(name));
}

/** `/a/b` is at or below `/a/b` and `/`, and below `/a`, but not below `/a/bc`. */
export function isAtOrBelow(objectPath: string, root: string): boolean {
  if (root === '/' || objectPath === root) return true;
  return objectPath.length > root.length && objectPath.startsWith(root) && objectPath[root.length] === '/';
}

/** Cuts `reason` to at most 123 UTF-8 bytes, never inside a character. */
export function closeReason(reason: string): string {
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  let cut = '';
  for (const ch of reason) {
    if (Buffer.byteLength(cut + ch + '...') > MAX_CLOSE_REASON_BYTES) break;
    cut += ch;
  }
  return cut + '...';
}

function stringList(
  record: Record<string, unknown>,
  key: string,
  what: string,
  max: number,
  check: (item: string, at: string) => string,
): string[] {
  const value = record[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new FilterError(`${key} must be an array of ${what}, got ${kind(value)}`);
  if (value.length > max) throw new FilterError(`too many ${key}: ${value.length} (at most ${max})`);
  return value.map((item: unknown, index) => {
    const at = `${key}[${index}]`;
    if (typeof item !== 'string') throw new FilterError(`${at} must be a string, got ${kind(item)}`);
    return check(item, at);
  });
}

/** Accepts one trailing '/' (bmcweb did), as the same path without it. */
function normalisePath(path: string, at: string): string {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const valid = trimmed === '/' || (trimmed.startsWith('/') && trimmed.slice(1).split('/').every((s) => PATH_SEGMENT.test(s)));
  if (!valid) throw new FilterError(`${at} is not a D-Bus object path: ${show(path)}`);
  return trimmed;
}

function checkInterface(name: string, at: string): string {
  const elements = name.split('.');
  const valid = name.length <= MAX_NAME_LENGTH && elements.length >= 2 && elements.every((e) => INTERFACE_ELEMENT.test(e));
  if (!valid) throw new FilterError(`${at} is not a D-Bus interface name: ${show(name)}`);
  return name;
}

function checkEvent(name: string, at: string): string {
  if (!(EVENT_NAMES as readonly string[]).includes(name)) {
    throw new FilterError(`${at} must be PropertiesChanged, InterfacesAdded, InterfacesRemoved or JobChanged, got ${show(name)}`);
  }
  return name;
}

/** A client-supplied string, quoted and cut so the reason stays readable and short. */
function show(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + '...' : text);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
