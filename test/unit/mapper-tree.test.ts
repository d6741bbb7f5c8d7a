/**
 * The simulated mapper's tree against phosphor-objmgr's semantics, in the
 * spirit of its src/test/handler.cpp: a fabricated map, then tables of
 * requests and expected answers.
 */
import test from 'ava';
import { DEFAULT_INTERFACES, MapperTree, ResourceNotFoundError, type InterfaceMap } from '../../fixtures/mapper/tree.js';

const STD = [...DEFAULT_INTERFACES];

/** /test/object_path_0 with a chain of descendants, one connection per level (as handler.cpp). */
function fabricatedTree(): MapperTree {
  const tree = new MapperTree();
  tree.addInterfaces('/', 'conn_0', STD);
  tree.addInterfaces('/test', 'conn_0', STD);
  tree.addInterfaces('/test/object_path_0', 'conn_0', ['test_interface_0']);
  tree.addInterfaces('/test/object_path_0/child', 'conn_1', ['test_interface_1']);
  tree.addInterfaces('/test/object_path_0/child/grandchild', 'conn_2', ['test_interface_2']);
  tree.addInterfaces('/test/object_path_0/child/grandchild/dog', 'conn_3', ['test_interface_3']);
  tree.addInterfaces('/test/object_path_0/child/grandchild/dog', 'conn_4', ['test_interface_4', 'test_interface_0']);
  // A string-prefix sibling, and an introspected node without interfaces.
  tree.addInterfaces('/test/object_path_01', 'conn_5', ['test_interface_5']);
  tree.ensurePath('/test/empty');
  return tree;
}

const subTreeCases: ReadonlyArray<{ title: string; path: string; depth: number; interfaces: string[]; paths: string[] }> = [
  {
    title: 'depth 0 is unlimited and the root itself is excluded',
    path: '/test/object_path_0',
    depth: 0,
    interfaces: [],
    paths: ['/test/object_path_0/child', '/test/object_path_0/child/grandchild', '/test/object_path_0/child/grandchild/dog'],
  },
  { title: 'negative depth is unlimited too', path: '/test/object_path_0', depth: -1, interfaces: [], paths: ['/test/object_path_0/child', '/test/object_path_0/child/grandchild', '/test/object_path_0/child/grandchild/dog'] },
  { title: 'depth 1 gives direct children', path: '/test/object_path_0', depth: 1, interfaces: [], paths: ['/test/object_path_0/child'] },
  { title: 'depth 2', path: '/test/object_path_0', depth: 2, interfaces: [], paths: ['/test/object_path_0/child', '/test/object_path_0/child/grandchild'] },
  { title: 'a trailing slash is accepted', path: '/test/object_path_0/', depth: 1, interfaces: [], paths: ['/test/object_path_0/child'] },
  { title: 'subtree is segment-aware (object_path_01 is not below object_path_0)', path: '/test/object_path_0', depth: 0, interfaces: ['test_interface_5'], paths: [] },
  { title: 'interface filter', path: '/test/object_path_0', depth: 0, interfaces: ['test_interface_2'], paths: ['/test/object_path_0/child/grandchild'] },
  { title: 'filter matching one of two owners', path: '/test', depth: 0, interfaces: ['test_interface_0'], paths: ['/test/object_path_0', '/test/object_path_0/child/grandchild/dog'] },
  { title: "'/' lists '/' itself (depth 1: '/' and '/test')", path: '/', depth: 1, interfaces: [], paths: ['/', '/test'] },
];

for (const c of subTreeCases) {
  test(`GetSubTree: ${c.title}`, (t) => {
    t.deepEqual(Object.keys(fabricatedTree().getSubTree(c.path, c.depth, c.interfaces)), c.paths);
  });
}

test('GetSubTree: a path without owners is left out, GetSubTreePaths without filter keeps it', (t) => {
  const tree = fabricatedTree();
  t.false('/test/empty' in tree.getSubTree('/test', 1, []));
  t.deepEqual(tree.getSubTreePaths('/test', 1, []), ['/test/empty', '/test/object_path_0', '/test/object_path_01']);
  t.deepEqual(tree.getSubTreePaths('/test', 1, ['test_interface_5']), ['/test/object_path_01']);
});

test('GetSubTree: with a filter each owner keeps its full interface list', (t) => {
  const result: InterfaceMap = fabricatedTree().getSubTree('/test/object_path_0/child', 0, ['test_interface_4']);
  t.deepEqual(result, { '/test/object_path_0/child/grandchild/dog': { conn_4: ['test_interface_0', 'test_interface_4'] } });
});

for (const path of ['/nope', '/test/object_path', '/test/object_path_0/child/cat']) {
  test(`GetSubTree / GetSubTreePaths of unknown root ${path} is ResourceNotFound`, (t) => {
    const tree = fabricatedTree();
    t.throws(() => tree.getSubTree(path, 0, []), { instanceOf: ResourceNotFoundError });
    t.throws(() => tree.getSubTreePaths(path, 0, []), { instanceOf: ResourceNotFoundError });
  });
}

const getObjectCases: ReadonlyArray<{ title: string; path: string; interfaces: string[]; expected: Record<string, string[]> | 'not found' }> = [
  { title: 'all owners', path: '/test/object_path_0/child/grandchild/dog', interfaces: [], expected: { conn_3: ['test_interface_3'], conn_4: ['test_interface_0', 'test_interface_4'] } },
  { title: 'filter keeps matching owners with their full list', path: '/test/object_path_0/child/grandchild/dog', interfaces: ['test_interface_4'], expected: { conn_4: ['test_interface_0', 'test_interface_4'] } },
  { title: 'filter matching nothing', path: '/test/object_path_0', interfaces: ['test_interface_9'], expected: 'not found' },
  { title: 'unknown path', path: '/test/object_path_9', interfaces: [], expected: 'not found' },
  { title: 'no trailing-slash stripping', path: '/test/object_path_0/', interfaces: [], expected: 'not found' },
  { title: 'a node without interfaces exists, with no owners', path: '/test/empty', interfaces: [], expected: {} },
];

for (const c of getObjectCases) {
  test(`GetObject: ${c.title}`, (t) => {
    const tree = fabricatedTree();
    if (c.expected === 'not found') t.throws(() => tree.getObject(c.path, c.interfaces), { instanceOf: ResourceNotFoundError });
    else t.deepEqual(tree.getObject(c.path, c.interfaces), c.expected);
  });
}

const ancestorCases: ReadonlyArray<{ title: string; path: string; interfaces: string[]; paths: string[] | 'not found' }> = [
  {
    title: 'every entry that is a prefix, the request excluded',
    path: '/test/object_path_0/child/grandchild',
    interfaces: [],
    paths: ['/', '/test', '/test/object_path_0', '/test/object_path_0/child'],
  },
  { title: 'interface filter', path: '/test/object_path_0/child/grandchild/dog', interfaces: ['test_interface_1'], paths: ['/test/object_path_0/child'] },
  { title: 'string prefix, not segment-aware', path: '/test/object_path_01', interfaces: [], paths: ['/', '/test', '/test/object_path_0'] },
  { title: 'trailing slash is stripped', path: '/test/object_path_0/', interfaces: [], paths: ['/', '/test'] },
  { title: "'/' has no ancestors", path: '/', interfaces: [], paths: [] },
  { title: 'unknown path', path: '/test/object_path_0/nothing', interfaces: [], paths: 'not found' },
];

for (const c of ancestorCases) {
  test(`GetAncestors: ${c.title}`, (t) => {
    const tree = fabricatedTree();
    if (c.paths === 'not found') t.throws(() => tree.getAncestors(c.path, c.interfaces), { instanceOf: ResourceNotFoundError });
    else t.deepEqual(Object.keys(tree.getAncestors(c.path, c.interfaces)), c.paths);
  });
}

test('GetAncestors without filter returns whole entries, empty ones included', (t) => {
  const tree = fabricatedTree();
  tree.addInterfaces('/test/empty/leaf', 'conn_6', ['x']);
  t.deepEqual(tree.getAncestors('/test/empty/leaf', [])['/test/empty'], {});
});

test('results are sorted bytewise like the C++ flat_map', (t) => {
  const tree = new MapperTree();
  tree.addInterfaces('/a', 'z.service', ['b.iface', 'B.iface', 'a.iface']);
  tree.addInterfaces('/a', 'A.service', ['x']);
  t.deepEqual(Object.keys(tree.getObject('/a', [])), ['A.service', 'z.service']);
  t.deepEqual(tree.getObject('/a', [])['z.service'], ['B.iface', 'a.iface', 'b.iface']);
});

test('addParents gives missing ancestors the default interfaces and stops at an existing entry', (t) => {
  const tree = fabricatedTree();
  tree.addInterfaces('/test/object_path_0/new/deep/leaf', 'conn_0', ['leaf_iface']);
  tree.addParents('/test/object_path_0/new/deep/leaf', 'conn_0');
  t.deepEqual(tree.getObject('/test/object_path_0/new/deep', []), { conn_0: STD });
  t.deepEqual(tree.getObject('/test/object_path_0/new', []), { conn_0: STD });
  // /test/object_path_0 already had conn_0, so it is untouched.
  t.deepEqual(tree.getObject('/test/object_path_0', []), { conn_0: ['test_interface_0'] });
});

test('removeUnneededParents drops default-only parents without other children of that owner', (t) => {
  const tree = new MapperTree();
  for (const leaf of ['/a/b/c1', '/a/b/c2']) {
    tree.addInterfaces(leaf, 'svc', ['leaf']);
    tree.addParents(leaf, 'svc');
  }
  t.true(tree.removeInterface('/a/b/c1', 'svc', 'leaf'));
  tree.deletePathIfEmpty('/a/b/c1');
  tree.removeUnneededParents('/a/b/c1', 'svc');
  t.true(tree.has('/a/b'), 'c2 still needs /a/b');
  tree.removeInterface('/a/b/c2', 'svc', 'leaf');
  tree.deletePathIfEmpty('/a/b/c2');
  tree.removeUnneededParents('/a/b/c2', 'svc');
  t.false(tree.has('/a/b'));
  t.false(tree.has('/a'));
  t.is(tree.size, 0);
});

test('pathsOf lists every entry of one owner', (t) => {
  t.deepEqual(fabricatedTree().pathsOf('conn_0').sort(), ['/', '/test', '/test/object_path_0']);
});
