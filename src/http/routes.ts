/**
 * The route table: every route the gateway answers, in precedence order,
 * with per verb its handler, whether it writes D-Bus members (and so gets
 * the policy's per-target check), and whether it is public. The path of a
 * request is parsed once against it (RouteTable.parse, kept in
 * `ctx.state.route`); the guard (guard-middleware.ts), the dispatcher
 * (dispatch.ts), `Allow`, the websocket upgrade and the audit line all read
 * the parsed route. Adding a route is adding a row here (docs/DECISIONS.md,
 * "Where to change what").
 *
 * Precedence: the fixed paths first (matched on the raw path, see url.ts),
 * then the D-Bus routes in phosphor-rest-server's order: a trailing slash
 * lists children; then `…/list`, `…/enumerate`, `…/action/<m>`,
 * `…/attr/<p>`, `…/schema`; anything else is an object. So an object whose
 * last path element is `list` can only be read through its parent's
 * listing, as before.
 */
import type { RouteKind } from '../auth/guard.js';
import { setPassword, setPasswordTarget } from './handlers/set-password.js';
import { callMethod, deleteObject, patchObject, putAttribute, putObject } from './handlers/write.js';
import { attributes, children, enumerate, getAttribute, getObject, list, schema } from './handlers/read.js';
import { listActions, resourceRoot, version } from './handlers/describe.js';
import { deleteJob, getJob, listJobs } from './handlers/jobs.js';
import { consoleFile, login, logout, notRedfish, notWebSocket, sendDump, uploadImage } from './handlers/fixed.js';
import type { RouteHandler, WriteHandler } from './handlers/services.js';
import { type PathMatch, type PathPattern, compilePattern, decodePath, firstElement, matchDbus, matchFixed, normalizePath } from './url.js';

/** The verbs a route can have (HEAD comes with GET, OPTIONS with every route). */
export type Verb = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';
const VERB_ORDER: readonly string[] = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'];

export type VerbRule =
  | {
    readonly handler: RouteHandler;
    readonly writes?: false;
    /** Answered without credentials (login, logout). */
    readonly public?: true;
  }
  | {
    /** Gets the policy's per-target check and the audit recorder as its last parameter. */
    readonly handler: WriteHandler;
    /** Touches D-Bus members: the guard lets a decision that waits on the interface and member through. */
    readonly writes: true;
    readonly public?: never;
  };

export interface RouteDefinition {
  /** Also what a policy rule's `route` field names (auth/guard.ts ROUTE_KINDS). */
  readonly kind: RouteKind;
  /** The path patterns (url.ts); the first is how docs/API.md's "Verbs per route" table names the route. */
  readonly patterns: readonly string[];
  /** An extra condition on a match (SetPassword only on user objects). */
  readonly where?: (match: PathMatch) => boolean;
  /**
   * What the policy matches `path` against: the D-Bus object path of a D-Bus
   * route, or the request path (`/upload/image`, `/subscribe`).
   */
  readonly policyPath: 'object' | 'request';
  readonly verbs: Readonly<Partial<Record<Verb, VerbRule>>>;
  /** The name under which the resource root (`/rest-api`) lists the route, at its first pattern. */
  readonly resource?: string;
  /** Answers every verb (OPTIONS too) the same, without credentials (`/redfish`). */
  readonly anyVerb?: RouteHandler;
}

/** A request's route: its row and what the path named. */
export interface Route extends PathMatch {
  readonly definition: RouteDefinition;
  /** The decoded, normalised request path (what the policy sees for `policyPath: 'request'`). */
  readonly path: string;
}

const get = (handler: RouteHandler): VerbRule => ({ handler });
const write = (handler: WriteHandler): VerbRule => ({ handler, writes: true });

/** The rows, in precedence order. */
export const ROUTES: readonly RouteDefinition[] = [
  // Clients switch to Redfish when this answers 200; this gateway is not Redfish.
  { kind: 'redfish', patterns: ['/redfish/**'], policyPath: 'request', verbs: {}, anyVerb: notRedfish },
  { kind: 'login', patterns: ['/login'], policyPath: 'request', resource: 'login', verbs: { POST: { handler: login, public: true } } },
  { kind: 'logout', patterns: ['/logout'], policyPath: 'request', resource: 'logout', verbs: { POST: { handler: logout, public: true } } },
  // PUT needs a name: `PUT /upload/image/` (or without the slash) is the empty name, a 400.
  { kind: 'upload', patterns: ['/upload/image', '/upload/image/'], policyPath: 'request', resource: 'upload',
    verbs: { POST: get(uploadImage), PUT: get(uploadImage) } },
  { kind: 'upload-named', patterns: ['/upload/image/<name>', '/upload/image/<name>/'], policyPath: 'request',
    verbs: { PUT: get(uploadImage) } },
  { kind: 'dump', patterns: ['/download/dump/<id>', '/download/dump/<id>/'], policyPath: 'request', resource: 'download', verbs: { GET: get(sendDump) } },
  // The websocket itself is served by the server's 'upgrade' listener (ws/service.ts), which parses
  // its path against this table too; a plain GET gets phosphor's 400.
  { kind: 'subscribe', patterns: ['/subscribe', '/subscribe/'], policyPath: 'request', resource: 'subscribe', verbs: { GET: get(notWebSocket) } },
  // Requests run as jobs (`Prefer: respond-async`); the guard lets every role through, the handler shows a job to its owner or an admin.
  { kind: 'jobs', patterns: ['/jobs', '/jobs/'], policyPath: 'request', resource: 'jobs', verbs: { GET: get(listJobs) } },
  { kind: 'job', patterns: ['/jobs/<id>', '/jobs/<id>/'], policyPath: 'request', verbs: { GET: get(getJob), DELETE: get(deleteJob) } },
  { kind: 'version', patterns: ['/version', '/version/'], policyPath: 'request', resource: 'version', verbs: { GET: get(version) } },
  // The resource root: `-` cannot occur in a D-Bus object path, so it shadows no object (`GET /` lists the root's children).
  { kind: 'resources', patterns: ['/rest-api', '/rest-api/'], policyPath: 'request', resource: 'resources', verbs: { GET: get(resourceRoot) } },
  // The browser console's static files (http/console-files.ts): public, the page logs in itself.
  { kind: 'console', patterns: ['/console', '/console/', '/console/<name>'], policyPath: 'request', resource: 'console',
    verbs: { GET: { handler: consoleFile, public: true } } },
  // An object's methods; before `<path>/` so that it is not the children of an object named `action`.
  { kind: 'actions', patterns: ['<path>/action/'], policyPath: 'object', verbs: { GET: get(listActions) } },
  // Before `<path>/`: the properties with signature, value and whether the caller may write them.
  { kind: 'attributes', patterns: ['<path>/attr/'], policyPath: 'object', verbs: { GET: get(attributes) } },
  { kind: 'children', patterns: ['<path>/'], policyPath: 'object', verbs: { GET: get(children) } },
  { kind: 'list', patterns: ['<path>/list'], policyPath: 'object', resource: 'list', verbs: { GET: get(list) } },
  // Written as text straight from the bus, shared between clients: http/enumerate-answers.ts.
  { kind: 'enumerate', patterns: ['<path>/enumerate'], policyPath: 'object', resource: 'enumerate', verbs: { GET: get(enumerate) } },
  // An action the gateway carries out itself: phosphor-user-manager has no SetPassword (handlers/set-password.ts).
  { kind: 'set-password', patterns: ['<path>/action/<name>'], where: (match) => setPasswordTarget(match) !== undefined,
    policyPath: 'object', verbs: { POST: write(setPassword) } },
  { kind: 'action', patterns: ['<path>/action/<name>'], policyPath: 'object', verbs: { POST: write(callMethod) } },
  { kind: 'attr', patterns: ['<path>/attr/<name>'], policyPath: 'object', verbs: { GET: get(getAttribute), PUT: write(putAttribute) } },
  { kind: 'schema', patterns: ['<path>/schema'], policyPath: 'object', verbs: { GET: get(schema) } },
  { kind: 'object', patterns: ['<path>'], policyPath: 'object',
    verbs: { GET: get(getObject), PUT: write(putObject), PATCH: write(patchObject), DELETE: write(deleteObject) } },
];

interface CompiledRow {
  readonly definition: RouteDefinition;
  readonly patterns: readonly PathPattern[];
}

export class RouteTable {
  readonly #fixed: readonly CompiledRow[];
  readonly #dbus: readonly CompiledRow[];
  /** First elements of the fixed patterns: every other path (almost all: the D-Bus paths) skips them. */
  readonly #fixedFirst: ReadonlySet<string>;
  readonly #allow = new Map<RouteDefinition, string>();
  /** Verbs some route implements (and HEAD, OPTIONS). */
  readonly implemented: ReadonlySet<string>;
  /** The same as an `Allow` value (the 405 of CONNECT, which no route takes). */
  readonly allVerbs: string;
  /** What the resource root (`/rest-api`) lists: every row with a `resource` name, at its first pattern (`<path>/list` is `/list`). */
  readonly resources: { name: string; uri: string }[];

  constructor(readonly definitions: readonly RouteDefinition[] = ROUTES) {
    const rows = definitions.map((definition) => ({ definition, patterns: definition.patterns.map(compilePattern) }));
    const fixed = (row: CompiledRow) => row.patterns.every((pattern) => pattern.type === 'fixed');
    this.#fixed = rows.filter(fixed);
    this.#dbus = rows.filter((row) => !fixed(row));
    if (this.#dbus.some((row) => row.patterns.some((pattern) => pattern.type === 'fixed'))) {
      throw new Error('a route mixes fixed and D-Bus patterns');
    }
    this.#fixedFirst = new Set(this.#fixed.flatMap((row) => row.patterns.map(firstElement)).filter((e): e is string => e !== undefined));
    for (const definition of definitions) this.#allow.set(definition, allowHeader(definition));
    this.implemented = new Set(['HEAD', 'OPTIONS', ...definitions.flatMap((definition) => Object.keys(definition.verbs))]);
    this.allVerbs = [...VERB_ORDER.filter((verb) => this.implemented.has(verb)), 'OPTIONS'].join(', ');
    this.resources = definitions.flatMap((row) => row.resource === undefined ? []
      : [{ name: row.resource, uri: row.patterns[0]!.replace(/^<path>/, '') }]);
  }

  /** The route of a raw request path (never throws: every path is some route, the object route at least). */
  parse(rawPath: string): Route {
    const normalized = normalizePath(rawPath);
    const end = normalized.indexOf('/', 1);
    if (this.#fixedFirst.has(normalized.slice(1, end === -1 ? undefined : end))) {
      const elements = normalized.slice(1).split('/');
      for (const row of this.#fixed) {
        for (const pattern of row.patterns) {
          const match = matchFixed(pattern as PathPattern & { type: 'fixed' }, elements);
          if (match && (!row.definition.where || row.definition.where(match))) return routeOf(match, row.definition, decodePath(normalized));
        }
      }
    }
    const path = normalizePath(decodePath(normalized));
    const trailingSlash = path.endsWith('/');
    const elements = path === '/' ? [] : (trailingSlash ? path.slice(1, -1) : path.slice(1)).split('/');
    for (const row of this.#dbus) {
      for (const pattern of row.patterns) {
        const match = matchDbus(pattern as PathPattern & { type: 'dbus' }, elements, trailingSlash);
        if (match && (!row.definition.where || row.definition.where(match))) return routeOf(match, row.definition, path);
      }
    }
    // The object pattern `<path>` matches every path without a trailing slash, and `<path>/` the others.
    throw new Error(`no route for ${path}`);
  }

  /** The rule for a verb of a route (HEAD is GET's); undefined: the route does not take it (405). */
  rule(route: Route, method: string): VerbRule | undefined {
    return route.definition.verbs[(method === 'HEAD' ? 'GET' : method) as Verb];
  }

  /** Whether the route answers this verb without credentials. */
  isPublic(route: Route, method: string): boolean {
    const definition = route.definition;
    if (definition.anyVerb) return true;
    const rule = this.rule(route, method);
    // OPTIONS and verbs the route does not take: public when all of the route is.
    if (rule) return rule.public === true;
    const rules = Object.values(definition.verbs);
    return rules.length > 0 && rules.every((r) => r.public === true);
  }

  /** The `Allow` header of a route, verbs in a fixed order. */
  allow(route: Route): string {
    return this.#allow.get(route.definition) ?? allowHeader(route.definition);
  }
}

/**
 * The route of a match: its fields, the row, the path. Written out rather than spread
 * (`{ ...match, ... }`): matches of several shapes made that spread V8's slow generic
 * copy, most of the time of a parse.
 */
function routeOf(match: PathMatch, definition: RouteDefinition, path: string): Route {
  const { objectPath, name } = match;
  if (objectPath === undefined) return name === undefined ? { definition, path } : { name, definition, path };
  return name === undefined ? { objectPath, definition, path } : { objectPath, name, definition, path };
}

function allowHeader(definition: RouteDefinition): string {
  const verbs = new Set<string>(Object.keys(definition.verbs));
  if (verbs.has('GET')) verbs.add('HEAD');
  return [...VERB_ORDER.filter((verb) => verbs.has(verb)), 'OPTIONS'].join(', ');
}
