import test from 'ava';
import { type ObjectRouteKind, allowHeader, isObjectPath, normalizePath, parseObjectRoute } from '../../src/http/url.js';

const routes: Array<[string, ObjectRouteKind, string, string?]> = [
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
];

for (const [path, kind, objectPath, name] of routes) {
  test(`route ${path}`, (t) => {
    const route = parseObjectRoute(path);
    t.is(route.kind, kind);
    t.is(route.objectPath, objectPath);
    t.is(route.name, name);
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
  t.is(allowHeader('object'), 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
  t.is(allowHeader('attr'), 'GET, HEAD, PUT, OPTIONS');
  t.is(allowHeader('action'), 'POST, OPTIONS');
  t.is(allowHeader('list'), 'GET, HEAD, OPTIONS');
});
