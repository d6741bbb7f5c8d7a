/**
 * The layers of src/ and who may import whom (README.md, "Layout"):
 *
 *   main → server → app, ws → http → auth → bmc → errors → dbus
 *
 * (main's and server's helpers, socket-activation.ts, tls.ts and
 * tls-policy.ts, sit just below server). An import may point down any
 * number of layers, never up or sideways (app and ws are beside each other:
 * server.ts puts them together). config.ts and
 * log.ts are read by every layer; they import nothing but the cookie-name
 * rules and the system bus address. koa is imported only in http/ and
 * app.ts, dbus-next only in dbus/.
 *
 * The imports are read with TypeScript's own parser (static, type-only,
 * re-exports and dynamic import()), from the sources, not the build. Files
 * must not import each other in a cycle, type-only imports aside (they are
 * erased: a state type may name the route type that names handlers).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import ts from 'typescript';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/** Top to bottom; a module's layer is its directory under src/, or its file name at the top. */
const LAYERS: readonly (readonly string[])[] = [
  ['main.ts'],
  ['server.ts'],
  ['socket-activation.ts', 'tls.ts', 'tls-policy.ts'],
  ['app.ts', 'ws'],
  ['http'],
  ['auth'],
  ['bmc'],
  ['errors.ts'],
  ['dbus'],
];
/** Imported by every layer. */
const SHARED = new Set(['config.ts', 'log.ts', 'version.ts']);
/** What the shared modules may import themselves. */
const SHARED_MAY_IMPORT = new Set(['config.ts', 'auth/cookies.ts', 'dbus/bus.ts']);
/** Packages, by the place that alone may import them. */
const PACKAGE_HOMES: Readonly<Record<string, (file: string) => boolean>> = {
  koa: (file) => file.startsWith('http/') || file === 'app.ts',
  '@koa/router': (file) => file.startsWith('http/') || file === 'app.ts',
  'dbus-next': (file) => file.startsWith('dbus/'),
};

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

interface Import {
  readonly from: string;
  /** A file under src/ ('http/url.ts'), or a package name. */
  readonly to: string;
  readonly local: boolean;
  /** `import type` / `export type`: gone at run time. */
  readonly typeOnly?: boolean;
}

function isTypeOnly(node: ts.Node): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly;
  if (!ts.isImportDeclaration(node)) return false;
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return !clause.name && bindings !== undefined && ts.isNamedImports(bindings)
    && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(join(SRC, file), 'utf8'), ts.ScriptTarget.Latest);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: isTypeOnly(node) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteral(argument)) found.push({ specifier: argument.text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found.map(({ specifier, typeOnly }) => {
    if (!specifier.startsWith('.')) {
      const parts = specifier.split('/');
      const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      return { from: file, to: name, local: false, typeOnly };
    }
    const target = relative(SRC, resolve(dirname(join(SRC, file)), specifier)).replace(/\.js$/, '.ts');
    return { from: file, to: target, local: true, typeOnly };
  });
}

const FILES = sources();
const IMPORTS = FILES.flatMap(importsOf);

function unit(file: string): string {
  return file.includes('/') ? file.split('/')[0]! : file;
}

function layerOf(file: string): number {
  const index = LAYERS.findIndex((layer) => layer.includes(unit(file)));
  if (index === -1) throw new Error(`src/${file} is in no layer: add it to LAYERS and README.md`);
  return index;
}

/** Why an import breaks the layering, or undefined when it is fine. */
function violation({ from, to, local }: Import): string | undefined {
  if (!local) {
    const home = PACKAGE_HOMES[to];
    return home && !home(from) ? `${from} imports ${to}` : undefined;
  }
  if (SHARED.has(from)) return SHARED_MAY_IMPORT.has(to) ? undefined : `${from} (shared) imports ${to}`;
  if (SHARED.has(to) || unit(from) === unit(to)) return undefined;
  const [a, b] = [layerOf(from), layerOf(to)];
  if (a === b) return `${from} imports ${to} beside it`;
  return a > b ? `${from} imports ${to} above it` : undefined;
}

test('every source file is in a layer, and the imports were found', (t) => {
  for (const file of FILES) {
    if (!SHARED.has(file)) t.notThrows(() => layerOf(file), file);
  }
  t.true(FILES.length > 80, `${FILES.length} files`);
  t.true(IMPORTS.filter((i) => i.local).length > 300, `${IMPORTS.length} imports`);
  // Dynamic and type-only imports are seen too (ws is loaded at the first /subscribe).
  t.true(IMPORTS.some((i) => i.from === 'ws/service.ts' && i.to === 'ws' && !i.typeOnly));
  t.true(IMPORTS.some((i) => i.from === 'ws/service.ts' && i.to === 'ws' && i.typeOnly));
});

test('imports point down the layers; koa only in http/ and app.ts, dbus-next only in dbus/', (t) => {
  t.deepEqual(IMPORTS.map(violation).filter((v) => v !== undefined), []);
});

test('no import cycles between files (run-time imports)', (t) => {
  const edges = new Map<string, string[]>();
  for (const i of IMPORTS) if (i.local && !i.typeOnly) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
  const done = new Set<string>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]): void => {
    if (path.includes(file)) {
      cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
      return;
    }
    if (done.has(file)) return;
    for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
    done.add(file);
  };
  for (const file of FILES) visit(file, []);
  t.deepEqual(cycles, []);
});

// The checker itself, on imports that must be refused and ones that must pass.
const CASES: readonly [Import, boolean][] = [
  [{ from: 'bmc/objects.ts', to: 'http/url.ts', local: true }, false],
  [{ from: 'dbus/bus.ts', to: 'bmc/mapper.ts', local: true }, false],
  [{ from: 'auth/policy.ts', to: 'http/routes.ts', local: true }, false],
  [{ from: 'errors.ts', to: 'bmc/objects.ts', local: true }, false],
  [{ from: 'ws/service.ts', to: 'app.ts', local: true }, false],
  [{ from: 'app.ts', to: 'ws/service.ts', local: true }, false],
  [{ from: 'config.ts', to: 'http/url.ts', local: true }, false],
  [{ from: 'bmc/objects.ts', to: 'koa', local: false }, false],
  [{ from: 'ws/service.ts', to: '@koa/router', local: false }, false],
  [{ from: 'bmc/objects.ts', to: 'dbus-next', local: false }, false],
  [{ from: 'http/respond.ts', to: 'koa', local: false }, true],
  [{ from: 'app.ts', to: 'koa', local: false }, true],
  [{ from: 'dbus/bus.ts', to: 'dbus-next', local: false }, true],
  [{ from: 'http/dispatch.ts', to: 'dbus/names.ts', local: true }, true],
  [{ from: 'bmc/objects.ts', to: 'config.ts', local: true }, true],
  [{ from: 'main.ts', to: 'server.ts', local: true }, true],
];
for (const [imported, allowed] of CASES) {
  test(`layering: ${imported.from} → ${imported.to} is ${allowed ? 'allowed' : 'refused'}`, (t) => {
    t.is(violation(imported) === undefined, allowed);
  });
}
