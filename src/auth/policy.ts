/**
 * The authorisation policy: which roles may do what. Pure: parsing,
 * validation and matching; reading the file is the caller's business.
 *
 * A rule grants its roles every request that matches all of its fields:
 * - `methods`: HTTP verbs (`"*"` for any);
 * - `path`: a pattern matched against the D-Bus object path of a D-Bus route
 *   (`/xyz/openbmc_project/state/host0` for `.../host0/attr/X` too), or the
 *   request path of other routes (`/subscribe`, `/upload/image`). `*` matches
 *   within one path element, a `**` element matches any number of elements
 *   (also none): `/**` is everything, `/xyz/**` is `/xyz` and all below it;
 *   a `{user}` element matches only the requesting user's own name
 *   (`/xyz/openbmc_project/user/{user}`: your own account object);
 * - `route` (optional): the kind of route the rule applies to (`job`,
 *   `object`, `upload`...: the `kind` column of http/routes.ts, ROUTE_KINDS
 *   in guard.ts); without it, every kind. Request paths of fixed routes and
 *   D-Bus object paths share one namespace (`DELETE /jobs%2Ffoo` is a
 *   Delete of the object `/jobs/foo`), so a rule for a fixed route names it;
 * - `except` (optional): path patterns, as `path`, that the rule does not
 *   grant although `path` matches them (`/**` except `/download/**`);
 * - `interface`, `member` (optional): the D-Bus interface and the property,
 *   method or `Delete` a write or call touches; `*` matches any characters.
 *   Only writes, calls and deletes can be matched on them (they are known
 *   after introspection); a rule with them never grants a read;
 * - `configureSelf` (optional): the rule also grants its roles to a principal
 *   that may only configure itself, bmcweb's "ConfigureSelf-only" session
 *   (an expired password to change, a one-time code secret to set up); no
 *   other rule grants such a principal anything.
 * There are no deny rules: a request no rule grants is refused (403).
 */
import { type GuardedAction, ROUTE_KINDS, type Role, type RouteKind, type SelfOnlyReason } from './guard.js';

export const ROLES: readonly Role[] = ['priv-admin', 'priv-operator', 'priv-user', 'priv-noaccess'];

export interface PolicyRule {
  readonly methods: readonly string[];
  readonly path: string;
  /** Only requests parsed as this kind of route. */
  readonly route?: RouteKind;
  readonly except?: readonly string[];
  readonly interface?: string;
  readonly member?: string;
  readonly roles: readonly Role[];
  readonly configureSelf?: boolean;
  /** Free text, ignored: why the rule exists. */
  readonly comment?: string;
}

/** Who asks, as the policy sees it (a Principal is one). */
export interface PolicySubject {
  readonly role: Role;
  /** For `{user}` path elements. */
  readonly user?: string;
  /** Set when the principal may only configure itself: only `configureSelf` rules apply. */
  readonly selfOnly?: SelfOnlyReason;
}

/** A path pattern; `{user}` elements are capture groups that must all equal the user. */
interface PathPattern {
  readonly regex: RegExp;
  readonly hasUser: boolean;
}

interface CompiledRule {
  readonly rule: PolicyRule;
  readonly path: PathPattern;
  readonly except: readonly PathPattern[];
  readonly interfaceName?: RegExp;
  readonly member?: RegExp;
}

export interface Policy {
  readonly rules: readonly CompiledRule[];
}

/**
 * `allow`: granted. `deny`: refused. `pending`: a rule could grant it but
 * names an interface or member not known yet; decide again once they are.
 */
export type Decision = 'allow' | 'deny' | 'pending';

const READ = ['GET', 'HEAD', 'OPTIONS'];
const PROPERTY_WRITE = ['PUT', 'PATCH'];

/** The path element that matches the requesting user's own name. */
const USER_ELEMENT = '{user}';
const SELF_SERVICE: readonly Role[] = ['priv-admin', 'priv-operator', 'priv-user'];
const USER_OBJECT = '/xyz/openbmc_project/user/{user}';
const TOTP = 'xyz.openbmc_project.User.TOTPAuthenticator';

/** The built-in policy (config/policy.json is a copy, for editing). */
export const DEFAULT_RULES: readonly PolicyRule[] = [
  { comment: 'Reads, including /subscribe: every role but priv-noaccess. Dump downloads excepted.',
    methods: READ, path: '/**', except: ['/download/**'], roles: ['priv-admin', 'priv-operator', 'priv-user'] },
  { comment: 'Dump downloads (journals, configuration, crash data): administrators (bmcweb requires ConfigureManager).',
    methods: READ, path: '/download/**', roles: ['priv-admin'] },
  { comment: 'Writes, method calls, deletes and uploads: administrators.',
    methods: ['PUT', 'PATCH', 'POST', 'DELETE'], path: '/**', roles: ['priv-admin'] },
  { comment: 'Every role but priv-noaccess: cancelling and forgetting jobs (the gateway lets only their owner or an administrator do so).',
    methods: ['DELETE'], route: 'job', path: '/jobs/*', roles: ['priv-admin', 'priv-operator', 'priv-user'] },
  { comment: 'Operators: host power on, off and reboot.',
    methods: PROPERTY_WRITE, path: '/xyz/openbmc_project/state/host*',
    interface: 'xyz.openbmc_project.State.Host', member: 'RequestedHostTransition', roles: ['priv-operator'] },
  { comment: 'Operators: chassis power.',
    methods: PROPERTY_WRITE, path: '/xyz/openbmc_project/state/chassis*',
    interface: 'xyz.openbmc_project.State.Chassis', member: 'RequestedPowerTransition', roles: ['priv-operator'] },
  { comment: 'Operators: identify LEDs on and off.',
    methods: PROPERTY_WRITE, path: '/xyz/openbmc_project/led/groups/*identify*',
    interface: 'xyz.openbmc_project.Led.Group', member: 'Asserted', roles: ['priv-operator'] },
  { comment: 'Operators: mark log entries resolved (deleting entries stays with administrators).',
    methods: PROPERTY_WRITE, path: '/xyz/openbmc_project/logging/entry/*',
    interface: 'xyz.openbmc_project.Logging.Entry', member: 'Resolved', roles: ['priv-operator'] },
  { comment: 'Every user: reading their own account object, also while they may only configure themselves.',
    methods: READ, path: USER_OBJECT, roles: SELF_SERVICE, configureSelf: true },
  { comment: 'Every user: their own password (SetPassword, carried out by the gateway through PAM), also when it has expired. '
      + 'Administrators change anybody\'s through the rule for writes.',
    methods: ['POST'], path: USER_OBJECT, interface: 'xyz.openbmc_project.User.Password', member: 'SetPassword',
    roles: SELF_SERVICE, configureSelf: true },
  { comment: 'Every user: setting up their own one-time code secret (CreateSecretKey, then VerifyOTP with a code), '
      + 'also while that is required before anything else.',
    methods: ['POST'], path: USER_OBJECT, interface: TOTP, member: 'CreateSecretKey', roles: SELF_SERVICE, configureSelf: true },
  { comment: 'Every user: confirming their own one-time code secret with a code.',
    methods: ['POST'], path: USER_OBJECT, interface: TOTP, member: 'VerifyOTP', roles: SELF_SERVICE, configureSelf: true },
];

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

export function compilePolicy(rules: readonly PolicyRule[]): Policy {
  return {
    rules: rules.map((rule) => ({
      rule,
      path: pathPattern(rule.path),
      except: (rule.except ?? []).map(pathPattern),
      ...(rule.interface !== undefined ? { interfaceName: namePattern(rule.interface) } : {}),
      ...(rule.member !== undefined ? { member: namePattern(rule.member) } : {}),
    })),
  };
}

export const DEFAULT_POLICY: Policy = compilePolicy(DEFAULT_RULES);

/** Validates a parsed policy file `{"rules": [...]}`; errors name the rule and field. */
export function parsePolicy(json: unknown): Policy {
  if (!isObject(json) || !Array.isArray(json.rules)) throw new PolicyError('expected an object {"rules": [...]}');
  const rules = json.rules.map((raw: unknown, index: number): PolicyRule => {
    const where = `rules[${index}]`;
    if (!isObject(raw)) throw new PolicyError(`${where}: expected an object`);
    for (const key of Object.keys(raw)) {
      if (!['methods', 'path', 'route', 'except', 'interface', 'member', 'roles', 'configureSelf', 'comment'].includes(key)) {
        throw new PolicyError(`${where}: unknown field '${key}'`);
      }
    }
    const methods = stringList(raw.methods, `${where}.methods`).map((m) => m.toUpperCase());
    const roles = stringList(raw.roles, `${where}.roles`);
    for (const role of roles) if (!ROLES.includes(role as Role)) throw new PolicyError(`${where}.roles: unknown role '${role}'`);
    if (typeof raw.path !== 'string' || !validPath(raw.path)) {
      throw new PolicyError(`${where}.path: expected a string starting with /, braces only as a whole {user} element`);
    }
    if (raw.route !== undefined && !ROUTE_KINDS.includes(raw.route as RouteKind)) {
      throw new PolicyError(`${where}.route: unknown kind of route ${JSON.stringify(raw.route)}; expected one of ${ROUTE_KINDS.join(', ')}`);
    }
    if (raw.except !== undefined && !stringList(raw.except, `${where}.except`).every(validPath)) {
      throw new PolicyError(`${where}.except: expected paths starting with /, braces only as a whole {user} element`);
    }
    if (raw.configureSelf !== undefined && typeof raw.configureSelf !== 'boolean') {
      throw new PolicyError(`${where}.configureSelf: expected true or false`);
    }
    for (const key of ['interface', 'member', 'comment'] as const) {
      if (raw[key] !== undefined && (typeof raw[key] !== 'string' || raw[key] === '')) {
        throw new PolicyError(`${where}.${key}: expected a non-empty string`);
      }
    }
    return { ...(raw as unknown as PolicyRule), methods, roles: roles as Role[] };
  });
  return compilePolicy(rules);
}

export function decide(policy: Policy, subject: PolicySubject, action: GuardedAction): Decision {
  const method = action.method.toUpperCase();
  const target = matchTarget(action.objectPath ?? action.path);
  let pending = false;
  for (const { rule, path, except, interfaceName, member } of policy.rules) {
    if (!rule.roles.includes(subject.role)) continue;
    if (subject.selfOnly !== undefined && rule.configureSelf !== true) continue;
    if (!rule.methods.includes('*') && !rule.methods.includes(method)) continue;
    if (rule.route !== undefined && rule.route !== action.route) continue;
    if (!matches(path, target, subject.user) || except.some((pattern) => matches(pattern, target, subject.user))) continue;
    if ((interfaceName && action.interfaceName === undefined) || (member && action.member === undefined)) {
      pending = true;
      continue;
    }
    if (interfaceName && !interfaceName.test(action.interfaceName ?? '')) continue;
    if (member && !member.test(action.member ?? '')) continue;
    return 'allow';
  }
  return pending ? 'pending' : 'deny';
}

/** `/` becomes '' so that `/**` (any number of `/element`s) matches the root too. */
function matchTarget(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  const trimmed = collapsed.length > 1 ? collapsed.replace(/\/$/, '') : collapsed;
  return trimmed === '/' ? '' : trimmed;
}

function validPath(path: string): boolean {
  return path.startsWith('/') && path.split('/').every((element) => element === USER_ELEMENT || !/[{}]/.test(element));
}

function pathPattern(pattern: string): PathPattern {
  const elements = matchTarget(pattern).split('/').slice(1);
  const source = elements
    .map((element) => {
      if (element === '**') return '(?:/[^/]+)*';
      if (element === USER_ELEMENT) return '/([^/]+)';
      return '/' + escape(element).replace(/\\\*/g, '[^/]*');
    })
    .join('');
  return { regex: new RegExp(`^${source}$`), hasUser: elements.includes(USER_ELEMENT) };
}

/** The path matches, and each `{user}` element is the subject's own name. */
function matches(pattern: PathPattern, target: string, user: string | undefined): boolean {
  const match = pattern.regex.exec(target);
  if (!match) return false;
  return !pattern.hasUser || (user !== undefined && match.slice(1).every((element) => element === user));
}

function namePattern(pattern: string): RegExp {
  return new RegExp(`^${escape(pattern).replace(/\\\*/g, '.*')}$`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function stringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new PolicyError(`${where}: expected a non-empty array of strings`);
  }
  return value as string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
