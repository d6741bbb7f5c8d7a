/**
 * The route table (src/http/routes.ts): how paths parse, and that the table
 * agrees with itself and with docs/API.md. Adding a route is adding a row;
 * these checks say when the row is incomplete.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { ROUTE_KINDS } from '../../src/auth/guard.js';
import { isObjectPath } from '../../src/dbus/names.js';
import { ROUTES, RouteTable, type Verb } from '../../src/http/routes.js';
import { normalizePath } from '../../src/http/url.js';

const routes = new RouteTable();

const dbusRoutes: Array<[string, string, string, string?]> = [
  // path, kind, objectPath, name
  ['/', 'children', '/'],
  ['/xyz/openbmc_project/', 'children', '/xyz/openbmc_project'],
  ['//xyz//openbmc_project//', 'children', '/xyz/openbmc_project'],
  ['/list', 'list', '/'],
  ['/enumerate', 'enumerate', '/'],
  ['/xyz/openbmc_project/list', 'list', '/xyz/openbmc_project'],
  ['/xyz/openbmc_project/enumerate', 'enumerate', '/xyz/openbmc_project'],
  ['/xyz/openbmc_project/list/', 'children', '/xyz/openbmc_project/list'],
  ['/xyz/openbmc_project/state/host0', 'object', '/xyz/openbmc_project/state/host0'],
  ['/xyz/openbmc_project/state/host0/attr/', 'attributes', '/xyz/openbmc_project/state/host0'],
  ['/attr/', 'attributes', '/'],
  ['/console/a/b', 'object', '/console/a/b'],
  ['/xyz/openbmc_project/state/host0/attr/CurrentHostState', 'attr', '/xyz/openbmc_project/state/host0', 'CurrentHostState'],
  ['/xyz/openbmc_project/logging/action/DeleteAll', 'action', '/xyz/openbmc_project/logging', 'DeleteAll'],
  ['/xyz/openbmc_project/state/host0/schema', 'schema', '/xyz/openbmc_project/state/host0'],
  ['/attr/Foo', 'attr', '/', 'Foo'],
  ['/action/Foo', 'action', '/', 'Foo'],
  // Names that are route words: the last two segments decide, as in the original.
  ['/xyz/attr', 'object', '/xyz/attr'],
  ['/xyz/action', 'object', '/xyz/action'],
  ['/xyz/attr/list', 'list', '/xyz/attr'],
  ['/xyz/action/attr/x', 'attr', '/xyz/action', 'x'],
  ['/xyz/attr/action/list', 'list', '/xyz/attr/action'],
  ['/xyz/a/attr/enumerate', 'enumerate', '/xyz/a/attr'],
  ['/xyz/a/action/schema', 'action', '/xyz/a', 'schema'],
  ['xyz/no_leading_slash', 'object', '/xyz/no_leading_slash'],
  // Decoded before it is classified: encoded slashes are slashes.
  ['/xyz%2Fopenbmc_project%2Fstate%2Fhost0%2Fattr%2FX', 'attr', '/xyz/openbmc_project/state/host0', 'X'],
  // A malformed escape is left as it came (it cannot be an object path: 404).
  ['/xyz/%ZZ', 'object', '/xyz/%ZZ'],
  // The gateway's own action, only on user objects and only for plausible user names.
  ['/xyz/openbmc_project/user/root/action/SetPassword', 'set-password', '/xyz/openbmc_project/user/root', 'SetPassword'],
  ['/xyz/openbmc_project/user/root/action/setpassword', 'set-password', '/xyz/openbmc_project/user/root', 'setpassword'],
  ['/xyz/openbmc_project/user/action/SetPassword', 'action', '/xyz/openbmc_project/user', 'SetPassword'],
  ['/xyz/openbmc_project/user/a/b/action/SetPassword', 'action', '/xyz/openbmc_project/user/a/b', 'SetPassword'],
  ['/xyz/openbmc_project/test/action/SetPassword', 'action', '/xyz/openbmc_project/test', 'SetPassword'],
  // Paths under a fixed route's first element that are no fixed route are D-Bus paths.
  ['/upload/other', 'object', '/upload/other'],
  ['/login/x', 'object', '/login/x'],
  ['/subscriber', 'object', '/subscriber'],
];

for (const [path, kind, objectPath, name] of dbusRoutes) {
  test(`route ${path}`, (t) => {
    const route = routes.parse(path);
    t.is(route.definition.kind as string, kind);
    t.is(route.objectPath, objectPath);
    t.is(route.name, name);
    t.is(route.definition.policyPath, 'object');
  });
}

const fixedRoutes: Array<[string, string, string?]> = [
  ['/login', 'login'],
  ['/logout', 'logout'],
  ['/upload/image', 'upload'],
  ['/upload/image/', 'upload'],
  ['//upload//image', 'upload'],
  ['/upload/image/img-1.tar', 'upload-named', 'img-1.tar'],
  // A parameter is one element of the raw path, decoded after matching: an escaped slash stays in it.
  ['/upload/image/..%2F..%2Fetc', 'upload-named', '../../etc'],
  ['/upload/image/%ZZ', 'upload-named', '%ZZ'],
  ['/download/dump/7', 'dump', '7'],
  ['/download/dump/7/', 'dump', '7'],
  ['/subscribe', 'subscribe'],
  ['/subscribe/', 'subscribe'],
  ['/redfish', 'redfish'],
  ['/console', 'console'],
  ['/console/', 'console'],
  ['/console/main-ABCD1234.js', 'console', 'main-ABCD1234.js'],
  ['/console/..%2Fpackage.json', 'console', '../package.json'],
  ['/redfish/v1', 'redfish'],
  ['/redfish/v1/Systems/system', 'redfish'],
];

for (const [path, kind, name] of fixedRoutes) {
  test(`fixed route ${path}`, (t) => {
    const route = routes.parse(path);
    t.is(route.definition.kind as string, kind);
    t.is(route.name, name);
    t.is(route.objectPath, undefined);
    t.is(route.definition.policyPath, 'request');
  });
}

test('normalizePath collapses slashes and keeps a trailing one', (t) => {
  t.is(normalizePath('//a///b/'), '/a/b/');
  t.is(normalizePath('/'), '/');
  t.is(normalizePath('///'), '/');
});

const objectPaths: Array<[string, boolean]> = [
  ['/', true], ['/a', true], ['/a/b_c/D9', true], ['', false], ['a', false], ['/a/', false],
  ['//a', false], ['/a b', false], ['/a-b', false], ['/a.b', false], ['/../etc', false], ['/é', false],
];
for (const [path, valid] of objectPaths) {
  test(`isObjectPath ${JSON.stringify(path)} is ${valid}`, (t) => t.is(isObjectPath(path), valid));
}

test('Allow lists verbs in a fixed order', (t) => {
  const allow = (path: string) => routes.allow(routes.parse(path));
  t.is(allow('/xyz'), 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
  t.is(allow('/xyz/attr/A'), 'GET, HEAD, PUT, OPTIONS');
  t.is(allow('/xyz/action/A'), 'POST, OPTIONS');
  t.is(allow('/list'), 'GET, HEAD, OPTIONS');
  t.is(allow('/upload/image'), 'PUT, POST, OPTIONS');
  t.is(routes.allVerbs, 'GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS');
});

test('public routes: login and logout (every verb), redfish, the console\'s files; nothing else', (t) => {
  const isPublic = (method: string, path: string) => routes.isPublic(routes.parse(path), method);
  for (const method of ['POST', 'OPTIONS', 'GET', 'PROPFIND']) {
    t.true(isPublic(method, '/login'), method);
    t.true(isPublic(method, '/logout'), method);
    t.true(isPublic(method, '/redfish/v1'), method);
    t.true(isPublic(method, '/console/index.html'), method);
  }
  for (const path of ['/', '/xyz', '/xyz/attr/A', '/xyz/attr/', '/console/a/b', '/upload/image', '/download/dump/1', '/subscribe']) {
    for (const method of ['GET', 'POST', 'OPTIONS', 'TRACE']) t.false(isPublic(method, path), `${method} ${path}`);
  }
});

// ---- the table agrees with itself and with the docs

const VERBS: readonly Verb[] = ['GET', 'PUT', 'PATCH', 'POST', 'DELETE'];

test('every verb in Allow has a handler, and every handler is in Allow', (t) => {
  for (const definition of ROUTES) {
    const route = { definition, path: '/' };
    const allow = routes.allow(route).split(', ');
    t.is(allow[allow.length - 1], 'OPTIONS', definition.kind);
    for (const verb of allow) {
      if (verb === 'OPTIONS') continue;
      t.truthy(routes.rule(route, verb)?.handler, `${definition.kind}: ${verb} is in Allow without a handler`);
    }
    for (const verb of VERBS) {
      if (definition.verbs[verb]) t.true(allow.includes(verb), `${definition.kind}: ${verb} has a handler but is not in Allow`);
    }
  }
});

test('every verb that can change a D-Bus object is hooked: it writes, so it gets the per-target check', (t) => {
  for (const definition of ROUTES) {
    if (definition.policyPath !== 'object') continue;
    for (const verb of ['PUT', 'PATCH', 'POST', 'DELETE'] as const) {
      const rule = definition.verbs[verb];
      if (rule) t.true(rule.writes, `${definition.kind}: ${verb} changes D-Bus objects but is not marked writes`);
    }
    // Reads never touch members the policy would have to check one by one.
    t.not(definition.verbs.GET?.writes, true, definition.kind);
  }
});

test('fixed routes are not D-Bus writes (a public writing verb does not type-check)', (t) => {
  for (const definition of ROUTES) {
    if (definition.policyPath !== 'request') continue;
    for (const rule of Object.values(definition.verbs)) t.not(rule.writes, true, definition.kind);
  }
});

test('the precedence: every D-Bus path is some route, and a route is found for every row', (t) => {
  for (const definition of ROUTES) {
    const sample = definition.patterns[0]!.replace('<path>', '/xyz/a').replace('<name>', 'SetPassword').replace('<id>', '7')
      .replace('/**', '/v1');
    const path = definition.kind === 'set-password' ? '/xyz/openbmc_project/user/root/action/SetPassword' : sample || '/';
    t.is(routes.parse(path).definition.kind, definition.kind, `${definition.kind} from ${path}`);
  }
});

test('docs/API.md lists every route with its Allow in "Verbs per route"', (t) => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/API.md', import.meta.url)), 'utf8');
  const section = doc.slice(doc.indexOf('### Verbs per route'), doc.indexOf('## 2. Reads'));
  t.true(section.length > 0, 'the section exists');
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  for (const definition of ROUTES) {
    const name = definition.kind === 'set-password' ? '/xyz/openbmc_project/user/<name>/action/SetPassword' : definition.patterns[0]!;
    const row = rows.find((line) => line.split('|')[1]?.includes(`\`${name}\``));
    t.truthy(row, `${name} (${definition.kind}) is not in docs/API.md's "Verbs per route"`);
    const allow = definition.anyVerb ? '—' : `\`${routes.allow({ definition, path: '/' })}\``;
    t.is(row?.split('|')[3]?.trim(), allow, `${name}: the Allow column`);
  }
});

test('ROUTE_KINDS (what a policy rule may name in `route`) are exactly the kinds of the route table', (t) => {
  t.deepEqual([...new Set(ROUTES.map((row) => row.kind))].sort(), [...ROUTE_KINDS].sort());
});
