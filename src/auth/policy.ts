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
 * - `except` (optional): path patterns, as `path`, that the rule does not
 *   grant although `path` matches them (`/**` except `/download/**`);
 * - `interface`, `member` (optional): the D-Bus interface and the property,
 *   method or `Delete` a write or call touches; `*` matches any characters.
 *   Only writes, calls and deletes can be matched on them (they are known
 *   after introspection); a rule with them never grants a read.
 * There are no deny rules: a request no rule grants is refused (403).
 */
import type { GuardedAction, Role } from './guard.js';

export const ROLES: readonly Role[] = ['priv-admin', 'priv-operator', 'priv-user', 'priv-noaccess'];

export interface PolicyRule {
  readonly methods: readonly string[];
  readonly path: string;
  readonly except?: readonly string[];
  readonly interface?: string;
  readonly member?: string;
  readonly roles: readonly Role[];
  /** Free text, ignored: why the rule exists. */
  readonly comment?: string;
}

interface CompiledRule {
  readonly rule: PolicyRule;
  readonly path: RegExp;
  readonly except: readonly RegExp[];
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

/** The built-in policy (config/policy.json is a copy, for editing). */
export const DEFAULT_RULES: readonly PolicyRule[] = [
  { comment: 'Reads, including /subscribe: every role but priv-noaccess. Dump downloads excepted.',
    methods: READ, path: '/**', except: ['/download/**'], roles: ['priv-admin', 'priv-operator', 'priv-user'] },
  { comment: 'Dump downloads (journals, configuration, crash data): administrators (bmcweb requires ConfigureManager).',
    methods: READ, path: '/download/**', roles: ['priv-admin'] },
  { comment: 'Writes, method calls, deletes and uploads: administrators.',
    methods: ['PUT', 'PATCH', 'POST', 'DELETE'], path: '/**', roles: ['priv-admin'] },
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
      if (!['methods', 'path', 'except', 'interface', 'member', 'roles', 'comment'].includes(key)) {
        throw new PolicyError(`${where}: unknown field '${key}'`);
      }
    }
    const methods = stringList(raw.methods, `${where}.methods`).map((m) => m.toUpperCase());
    const roles = stringList(raw.roles, `${where}.roles`);
    for (const role of roles) if (!ROLES.includes(role as Role)) throw new PolicyError(`${where}.roles: unknown role '${role}'`);
    if (typeof raw.path !== 'string' || !raw.path.startsWith('/')) throw new PolicyError(`${where}.path: expected a string starting with /`);
    if (raw.except !== undefined && !stringList(raw.except, `${where}.except`).every((path) => path.startsWith('/'))) {
      throw new PolicyError(`${where}.except: expected paths starting with /`);
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

export function decide(policy: Policy, role: Role, action: GuardedAction): Decision {
  const method = action.method.toUpperCase();
  const target = matchTarget(action.objectPath ?? action.path);
  let pending = false;
  for (const { rule, path, except, interfaceName, member } of policy.rules) {
    if (!rule.roles.includes(role)) continue;
    if (!rule.methods.includes('*') && !rule.methods.includes(method)) continue;
    if (!path.test(target) || except.some((pattern) => pattern.test(target))) continue;
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

function pathPattern(pattern: string): RegExp {
  const elements = matchTarget(pattern).split('/').slice(1);
  const source = elements
    .map((element) => (element === '**' ? '(?:/[^/]+)*' : '/' + escape(element).replace(/\\\*/g, '[^/]*')))
    .join('');
  return new RegExp(`^${source}$`);
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
