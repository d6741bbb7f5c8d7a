import { readFile } from 'node:fs/promises';
import test from 'ava';
import type { GuardedAction, Role } from '../../src/auth/guard.js';
import { DEFAULT_POLICY, DEFAULT_RULES, type Decision, PolicyError, compilePolicy, decide, parsePolicy } from '../../src/auth/policy.js';
import { policyAction } from '../../src/http/guard-middleware.js';
import { RouteTable } from '../../src/http/routes.js';

const HOST = 'xyz.openbmc_project.State.Host';
const LED = 'xyz.openbmc_project.Led.Group';
const ENTRY = 'xyz.openbmc_project.Logging.Entry';

/** [role, method, request path, interface, member] → decision of the built-in policy. */
const table: Array<[Role, string, string, string | undefined, string | undefined, Decision]> = [
  // Reads: everyone but noaccess, any path, websocket included.
  ['priv-admin', 'GET', '/xyz/openbmc_project/sensors/enumerate', undefined, undefined, 'allow'],
  ['priv-operator', 'GET', '/xyz/openbmc_project/state/host0/attr/CurrentHostState', undefined, undefined, 'allow'],
  ['priv-user', 'GET', '/', undefined, undefined, 'allow'],
  ['priv-user', 'HEAD', '/list', undefined, undefined, 'allow'],
  ['priv-user', 'GET', '/subscribe', undefined, undefined, 'allow'],
  ['priv-noaccess', 'GET', '/xyz/openbmc_project/state/host0', undefined, undefined, 'deny'],
  ['priv-noaccess', 'GET', '/subscribe', undefined, undefined, 'deny'],
  // Dump downloads hold journals, configuration and crash data: administrators only.
  ['priv-admin', 'GET', '/download/dump/1', undefined, undefined, 'allow'],
  ['priv-admin', 'HEAD', '/download/dump/1', undefined, undefined, 'allow'],
  ['priv-operator', 'GET', '/download/dump/1', undefined, undefined, 'deny'],
  ['priv-user', 'GET', '/download/dump/1', undefined, undefined, 'deny'],
  ['priv-user', 'HEAD', '/download/dump/1', undefined, undefined, 'deny'],
  ['priv-user', 'GET', '/xyz/openbmc_project/dump/bmc/entry/1', undefined, undefined, 'allow'],
  // Writes: admin everywhere.
  ['priv-admin', 'PUT', '/xyz/openbmc_project/sensors/x/attr/Value', undefined, undefined, 'allow'],
  ['priv-admin', 'DELETE', '/xyz/openbmc_project/logging/entry/1', undefined, undefined, 'allow'],
  ['priv-admin', 'POST', '/upload/image', undefined, undefined, 'allow'],
  ['priv-user', 'PUT', '/xyz/openbmc_project/state/host0/attr/RequestedHostTransition', undefined, undefined, 'deny'],
  ['priv-user', 'POST', '/upload/image', undefined, undefined, 'deny'],
  ['priv-noaccess', 'DELETE', '/xyz/openbmc_project/logging/entry/1', undefined, undefined, 'deny'],
  // Operators: pending on the path, decided on interface/member.
  ['priv-operator', 'PUT', '/xyz/openbmc_project/state/host0/attr/RequestedHostTransition', undefined, undefined, 'pending'],
  ['priv-operator', 'PUT', '/xyz/openbmc_project/state/host0/attr/RequestedHostTransition', HOST, 'RequestedHostTransition', 'allow'],
  ['priv-operator', 'PATCH', '/xyz/openbmc_project/state/host0', HOST, 'RequestedHostTransition', 'allow'],
  ['priv-operator', 'PATCH', '/xyz/openbmc_project/state/host0', HOST, 'RequestedRestartCause', 'deny'],
  ['priv-operator', 'PUT', '/xyz/openbmc_project/state/host0/attr/X', 'xyz.openbmc_project.Other', 'RequestedHostTransition', 'deny'],
  ['priv-operator', 'PUT', '/xyz/openbmc_project/state/chassis0/attr/RequestedPowerTransition',
    'xyz.openbmc_project.State.Chassis', 'RequestedPowerTransition', 'allow'],
  ['priv-operator', 'PUT', '/xyz/openbmc_project/state/bmc0/attr/RequestedBMCTransition', undefined, undefined, 'deny'],
  ['priv-operator', 'PUT', '/xyz/openbmc_project/led/groups/enclosure_identify/attr/Asserted', LED, 'Asserted', 'allow'],
  ['priv-operator', 'PUT', '/xyz/openbmc_project/led/groups/enclosure_identify_blink/attr/Asserted', LED, 'Asserted', 'allow'],
  ['priv-operator', 'PUT', '/xyz/openbmc_project/led/groups/power_on/attr/Asserted', undefined, undefined, 'deny'],
  ['priv-operator', 'PUT', '/xyz/openbmc_project/logging/entry/7/attr/Resolved', ENTRY, 'Resolved', 'allow'],
  ['priv-operator', 'PUT', '/xyz/openbmc_project/logging/entry/7/attr/Message', ENTRY, 'Message', 'deny'],
  ['priv-operator', 'DELETE', '/xyz/openbmc_project/logging/entry/7', undefined, undefined, 'deny'],
  ['priv-operator', 'POST', '/xyz/openbmc_project/logging/action/DeleteAll', undefined, undefined, 'deny'],
  ['priv-operator', 'POST', '/xyz/openbmc_project/state/host0/action/Anything', undefined, undefined, 'deny'],
  // Jobs: every role but noaccess may ask to cancel one (the handler checks ownership), only on the job route.
  ['priv-user', 'DELETE', '/jobs/7f3a', undefined, undefined, 'allow'],
  ['priv-operator', 'DELETE', '/jobs/7f3a/', undefined, undefined, 'allow'],
  ['priv-noaccess', 'DELETE', '/jobs/7f3a', undefined, undefined, 'deny'],
  ['priv-user', 'PUT', '/jobs/7f3a', undefined, undefined, 'deny'],
  // ...not on the D-Bus object `/jobs/foo` that `/jobs%2Ffoo` names: the object route.
  ['priv-user', 'DELETE', '/jobs%2Ffoo', undefined, undefined, 'deny'],
  ['priv-user', 'DELETE', '/jobs%2Ffoo', 'xyz.openbmc_project.Object.Delete', 'Delete', 'deny'],
  ['priv-operator', 'DELETE', '/jobs%2Ffoo', 'xyz.openbmc_project.Object.Delete', 'Delete', 'deny'],
  ['priv-admin', 'DELETE', '/jobs%2Ffoo', 'xyz.openbmc_project.Object.Delete', 'Delete', 'allow'],
  // `*` stays inside one element: host0's children are not host0.
  ['priv-operator', 'PUT', '/xyz/openbmc_project/state/host0/sub/attr/RequestedHostTransition', HOST, 'RequestedHostTransition', 'deny'],
  ['priv-operator', 'PUT', '/xyz/openbmc_project/logging/entry/7/x/attr/Resolved', ENTRY, 'Resolved', 'deny'],
];

for (const [role, method, path, interfaceName, member, expected] of table) {
  test(`${role} ${method} ${path} ${interfaceName ?? ''} ${member ?? ''} → ${expected}`, (t) => {
    const { action } = guardedAction(method, path);
    const full: GuardedAction = {
      ...action,
      ...(interfaceName !== undefined ? { interfaceName } : {}),
      ...(member !== undefined ? { member } : {}),
    };
    t.is(decide(DEFAULT_POLICY, { role }, full), expected);
  });
}

test('path patterns: ** spans elements and matches none; * stays in one element', (t) => {
  const policy = compilePolicy([
    { methods: ['GET'], path: '/a/**', roles: ['priv-user'] },
    { methods: ['*'], path: '/b/*/c', roles: ['priv-user'] },
  ]);
  const at = (method: string, path: string) => decide(policy, { role: 'priv-user' }, { method, route: 'object', path, objectPath: path });
  t.is(at('GET', '/a'), 'allow');
  t.is(at('GET', '/a/x/y/z'), 'allow');
  t.is(at('GET', '/ab'), 'deny');
  t.is(at('DELETE', '/b/x/c'), 'allow');
  t.is(at('GET', '/b/x/y/c'), 'deny');
  t.is(at('GET', '/'), 'deny');
});

const USER = '/xyz/openbmc_project/user';
const PASSWORD = { interfaceName: 'xyz.openbmc_project.User.Password', member: 'SetPassword' };
const TOTP = 'xyz.openbmc_project.User.TOTPAuthenticator';

/** [subject, method, request path, interface, member] → decision: your own account, and principals that may only configure themselves. */
const selfTable: Array<[{ role: Role; user?: string; selfOnly?: 'password-change-required' | 'secret-key-required' }, string, string,
  { interfaceName: string; member: string } | undefined, Decision]> = [
  [{ role: 'priv-user', user: 'alice' }, 'POST', `${USER}/alice/action/SetPassword`, PASSWORD, 'allow'],
  [{ role: 'priv-user', user: 'alice' }, 'POST', `${USER}/alice/action/SetPassword`, undefined, 'pending'],
  [{ role: 'priv-user', user: 'alice' }, 'POST', `${USER}/bob/action/SetPassword`, PASSWORD, 'deny'],
  [{ role: 'priv-user' }, 'POST', `${USER}/alice/action/SetPassword`, PASSWORD, 'deny'],
  [{ role: 'priv-operator', user: 'alice' }, 'POST', `${USER}/alice/action/SetPassword`, PASSWORD, 'allow'],
  [{ role: 'priv-noaccess', user: 'alice' }, 'POST', `${USER}/alice/action/SetPassword`, PASSWORD, 'deny'],
  [{ role: 'priv-admin', user: 'root' }, 'POST', `${USER}/alice/action/SetPassword`, PASSWORD, 'allow'],
  [{ role: 'priv-user', user: 'alice' }, 'POST', `${USER}/alice/action/CreateSecretKey`, { interfaceName: TOTP, member: 'CreateSecretKey' }, 'allow'],
  [{ role: 'priv-user', user: 'alice' }, 'POST', `${USER}/alice/action/VerifyOTP`, { interfaceName: TOTP, member: 'VerifyOTP' }, 'allow'],
  [{ role: 'priv-user', user: 'alice' }, 'POST', `${USER}/alice/action/ClearSecretKey`, { interfaceName: TOTP, member: 'ClearSecretKey' }, 'deny'],
  [{ role: 'priv-user', user: 'alice' }, 'PUT', `${USER}/alice/attr/UserPrivilege`, { interfaceName: 'xyz.openbmc_project.User.Attributes', member: 'UserPrivilege' }, 'deny'],
  [{ role: 'priv-user', user: 'alice' }, 'DELETE', `${USER}/alice`, { interfaceName: 'xyz.openbmc_project.Object.Delete', member: 'Delete' }, 'deny'],
  // An expired password: only the configureSelf rules, whatever the role.
  [{ role: 'priv-admin', user: 'root', selfOnly: 'password-change-required' }, 'POST', `${USER}/root/action/SetPassword`, PASSWORD, 'allow'],
  [{ role: 'priv-admin', user: 'root', selfOnly: 'password-change-required' }, 'GET', `${USER}/root`, undefined, 'allow'],
  [{ role: 'priv-admin', user: 'root', selfOnly: 'password-change-required' }, 'GET', `${USER}/root/attr/UserPasswordExpired`, undefined, 'allow'],
  [{ role: 'priv-admin', user: 'root', selfOnly: 'password-change-required' }, 'POST', `${USER}/alice/action/SetPassword`, PASSWORD, 'deny'],
  [{ role: 'priv-admin', user: 'root', selfOnly: 'password-change-required' }, 'GET', `${USER}/alice`, undefined, 'deny'],
  [{ role: 'priv-admin', user: 'root', selfOnly: 'password-change-required' }, 'GET', '/xyz/openbmc_project/state/host0', undefined, 'deny'],
  [{ role: 'priv-admin', user: 'root', selfOnly: 'password-change-required' }, 'GET', '/subscribe', undefined, 'deny'],
  [{ role: 'priv-admin', user: 'root', selfOnly: 'password-change-required' }, 'PUT', `${USER}/root/attr/UserEnabled`, undefined, 'deny'],
  [{ role: 'priv-admin', user: 'root', selfOnly: 'password-change-required' }, 'POST', '/upload/image', undefined, 'deny'],
  [{ role: 'priv-user', user: 'alice', selfOnly: 'secret-key-required' }, 'POST', `${USER}/alice/action/CreateSecretKey`, { interfaceName: TOTP, member: 'CreateSecretKey' }, 'allow'],
  [{ role: 'priv-user', user: 'alice', selfOnly: 'secret-key-required' }, 'GET', '/xyz/openbmc_project/sensors/enumerate', undefined, 'deny'],
];

for (const [subject, method, path, target, expected] of selfTable) {
  test(`${JSON.stringify(subject)} ${method} ${path} ${target?.member ?? ''} → ${expected}`, (t) => {
    const { action } = guardedAction(method, path);
    t.is(decide(DEFAULT_POLICY, subject, { ...action, ...(target ?? {}) }), expected);
  });
}

test('{user} matches only the user\'s own name, in path and except', (t) => {
  const policy = compilePolicy([{ methods: ['GET'], path: '/home/{user}/**', except: ['/home/{user}/secret'], roles: ['priv-user'] }]);
  const at = (user: string | undefined, path: string) =>
    decide(policy, { role: 'priv-user', ...(user !== undefined ? { user } : {}) }, { method: 'GET', route: 'object', path, objectPath: path });
  t.is(at('alice', '/home/alice'), 'allow');
  t.is(at('alice', '/home/alice/x/y'), 'allow');
  t.is(at('alice', '/home/alice/secret'), 'deny');
  t.is(at('bob', '/home/alice/secret'), 'deny');
  t.is(at('bob', '/home/alice'), 'deny');
  t.is(at(undefined, '/home/alice'), 'deny');
  t.is(at('a.b', '/home/a.b'), 'allow', 'the name is compared, not read as a pattern');
  t.is(at('a.b', '/home/aXb'), 'deny');
});

test('except: the rule does not grant what an except pattern matches', (t) => {
  const policy = compilePolicy([{ methods: ['GET'], path: '/**', except: ['/secret/**', '/a/*/private'], roles: ['priv-user'] }]);
  const at = (path: string) => decide(policy, { role: 'priv-user' }, { method: 'GET', route: 'object', path, objectPath: path });
  t.is(at('/public'), 'allow');
  t.is(at('/secret'), 'deny');
  t.is(at('/secret/x/y'), 'deny');
  t.is(at('/a/b/private'), 'deny');
  t.is(at('/a/b/public'), 'allow');
  t.is(at('/secretary'), 'allow');
});

const routes = new RouteTable();
const guardedAction = (method: string, path: string) => ({ action: policyAction(routes.parse(path), method) });

test('percent-escapes are decoded before matching, as the routes decode them', (t) => {
  const { action } = guardedAction('PUT', '/xyz/openbmc_project/state/host%30/attr/RequestedHostTransition');
  t.is(action.objectPath, '/xyz/openbmc_project/state/host0');
  t.is(decide(DEFAULT_POLICY, { role: 'priv-operator' }, { ...action, interfaceName: HOST, member: 'RequestedHostTransition' }), 'allow');
});

test('non-D-Bus routes are matched on the request path', (t) => {
  t.deepEqual(guardedAction('POST', '/upload/image').action, { method: 'POST', route: 'upload', path: '/upload/image' });
  t.deepEqual(guardedAction('GET', '/subscribe').action, { method: 'GET', route: 'subscribe', path: '/subscribe' });
  t.is(guardedAction('GET', '/subscriber').action.objectPath, '/subscriber');
});

test('a rule with `route` matches only that kind of route: the jobs rule is not a rule for objects under /jobs', (t) => {
  const escaped = guardedAction('DELETE', '/jobs%2Ffoo').action;
  t.deepEqual(escaped, { method: 'DELETE', route: 'object', path: '/jobs/foo', objectPath: '/jobs/foo' });
  t.is(guardedAction('DELETE', '/jobs/foo').action.route, 'job');
  const user = { role: 'priv-user' } as const;
  t.is(decide(DEFAULT_POLICY, user, { method: 'DELETE', route: 'job', path: '/jobs/foo' }), 'allow');
  t.is(decide(DEFAULT_POLICY, user, { method: 'DELETE', route: 'object', path: '/jobs/foo', objectPath: '/jobs/foo' }), 'deny');
  const policy = parsePolicy({ rules: [{ methods: ['POST'], route: 'upload', path: '/upload/**', roles: ['priv-user'] }] });
  t.is(decide(policy, user, { method: 'POST', route: 'upload', path: '/upload/image' }), 'allow');
  t.is(decide(policy, user, { method: 'POST', route: 'action', path: '/upload/image', objectPath: '/upload/image' }), 'deny');
  t.is(decide(policy, user, { method: 'POST', route: 'object', path: '/upload/image', objectPath: '/upload/image' }), 'deny');
});

test('config/policy.json is the built-in policy', async (t) => {
  const shipped = JSON.parse(await readFile(new URL('../../../config/policy.json', import.meta.url), 'utf8')) as unknown;
  t.deepEqual(parsePolicy(shipped).rules.map((r) => r.rule), DEFAULT_RULES.map((rule) => ({ ...rule })));
});

const badPolicies: Array<[unknown, RegExp]> = [
  [[], /expected an object/],
  [{ rules: [{ methods: ['GET'], path: '/**', roles: ['root'] }] }, /rules\[0\]\.roles: unknown role 'root'/],
  [{ rules: [{ methods: [], path: '/**', roles: ['priv-user'] }] }, /rules\[0\]\.methods/],
  [{ rules: [{ methods: ['GET'], path: 'xyz', roles: ['priv-user'] }] }, /rules\[0\]\.path/],
  [{ rules: [{ methods: ['GET'], path: '/', roles: ['priv-user'], iface: 'x' }] }, /unknown field 'iface'/],
  [{ rules: [{ methods: ['GET'], path: '/', roles: ['priv-user'], member: '' }] }, /rules\[0\]\.member/],
  [{ rules: [{ methods: ['GET'], path: '/', roles: ['priv-user'], except: '/x' }] }, /rules\[0\]\.except: expected a non-empty array/],
  [{ rules: [{ methods: ['GET'], path: '/', roles: ['priv-user'], except: ['x'] }] }, /rules\[0\]\.except: expected paths starting with \//],
  [{ rules: [{ methods: ['GET'], path: '/user/x{user}', roles: ['priv-user'] }] }, /rules\[0\]\.path: .*braces only as a whole \{user\} element/],
  [{ rules: [{ methods: ['GET'], path: '/user/{name}', roles: ['priv-user'] }] }, /rules\[0\]\.path/],
  [{ rules: [{ methods: ['DELETE'], path: '/jobs/*', roles: ['priv-user'], route: 'jobz' }] },
    /rules\[0\]\.route: unknown kind of route "jobz"; expected one of .*\bjob\b/],
  [{ rules: [{ methods: ['DELETE'], path: '/jobs/*', roles: ['priv-user'], route: ['job'] }] }, /rules\[0\]\.route: unknown kind of route \["job"\]/],
  [{ rules: [{ methods: ['GET'], path: '/', roles: ['priv-user'], configureSelf: 'yes' }] }, /rules\[0\]\.configureSelf: expected true or false/],
];
for (const [json, message] of badPolicies) {
  test(`parsePolicy refuses ${JSON.stringify(json)}`, (t) => {
    const error = t.throws(() => parsePolicy(json), { instanceOf: PolicyError });
    t.regex(error?.message ?? '', message);
  });
}

test('parsePolicy upper-cases verbs', (t) => {
  const policy = parsePolicy({ rules: [{ methods: ['get'], path: '/**', roles: ['priv-user'] }] });
  t.is(decide(policy, { role: 'priv-user' }, { method: 'GET', route: 'object', path: '/x', objectPath: '/x' }), 'allow');
});
