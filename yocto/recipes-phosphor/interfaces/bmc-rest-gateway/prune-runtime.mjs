#!/usr/bin/env node
/**
 * Reduces an installed node_modules tree to what the gateway needs at run
 * time, using package-lock.json (lockfile v2/v3 "packages") as the truth:
 * keeps what is reachable from the root's dependencies and
 * optionalDependencies (never devDependencies), following npm's lookup
 * (nearest node_modules first, then up), minus the packages named with
 * --drop and everything reachable only through them; removes the rest and
 * node_modules/.bin. Plain Node, no dependencies: it runs in the Yocto build
 * (nodejs-native) and in the footprint measurement.
 *
 *   node prune-runtime.mjs <project dir> [--drop name]... [--trim] [--dry-run]
 *
 * --trim also deletes what Node never loads at run time: source maps,
 * TypeScript declarations and sources, markdown, and xml2js's 3.4 MB browser
 * bundle (lib/xml2js.bc.js; its package "main" is lib/xml2js.js). Licence
 * files stay.
 *
 * Why --drop: dbus-next's optional `usocket` (native; only needed to pass
 * unix fds, which the gateway refuses) pulls in node-gyp 7, request and ~95
 * more packages at run time.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const dir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--drop');
const drop = new Set(args.flatMap((a, i) => (args[i - 1] === '--drop' ? [a] : [])));
const dryRun = args.includes('--dry-run');
const trim = args.includes('--trim');
if (!dir) {
  process.stderr.write('usage: prune-runtime.mjs <project dir> [--drop name]... [--trim] [--dry-run]\n');
  process.exit(2);
}

const lockPath = ['npm-shrinkwrap.json', 'package-lock.json'].map((f) => join(dir, f)).find((p) => existsSync(p));
if (!lockPath) throw new Error(`no package-lock.json or npm-shrinkwrap.json in ${dir}`);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
if (!lock.packages) throw new Error(`${lockPath}: lockfile v2 or v3 ("packages") needed`);
const packages = lock.packages;

/** npm's lookup: `name` required from the package at `from` ('' = root). */
function resolve(from, name) {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

const keep = new Set();
const missing = [];
function visit(from, deps, optional) {
  for (const name of Object.keys(deps ?? {})) {
    if (drop.has(name)) continue;
    const location = resolve(from, name);
    if (!location) {
      if (!optional) missing.push(`${name} (from ${from || 'root'})`);
      continue;
    }
    if (keep.has(location)) continue;
    keep.add(location);
    const entry = packages[location];
    visit(location, entry.dependencies, false);
    visit(location, entry.optionalDependencies, true);
    visit(location, entry.peerDependencies, true);
  }
}
const root = packages[''] ?? {};
visit('', root.dependencies, false);
visit('', root.optionalDependencies, true);
if (missing.length > 0) throw new Error(`not in the lockfile: ${missing.join(', ')}`);

let removed = 0;
// Deepest first, so a nested package is counted before its parent goes.
for (const location of Object.keys(packages).filter((p) => p.startsWith('node_modules/')).sort((a, b) => b.length - a.length)) {
  if (keep.has(location)) continue;
  const path = join(dir, location);
  if (!existsSync(path)) continue;
  removed++;
  if (!dryRun) rmSync(path, { recursive: true, force: true });
}
if (!dryRun) rmSync(join(dir, 'node_modules', '.bin'), { recursive: true, force: true });

let trimmed = 0;
if (trim) {
  const unused = /(\.map|\.d\.ts|\.d\.mts|\.d\.cts|\.ts|\.md|\.markdown)$/i;
  const walk = (path) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (unused.test(entry.name) || child.endsWith(join('xml2js', 'lib', 'xml2js.bc.js'))) {
        trimmed++;
        if (!dryRun) rmSync(child, { force: true });
      }
    }
  };
  if (existsSync(join(dir, 'node_modules'))) walk(join(dir, 'node_modules'));
}
process.stdout.write(`prune-runtime: kept ${keep.size} packages, removed ${removed}` +
  `${trim ? `, trimmed ${trimmed} files` : ''}${dryRun ? ' (dry run)' : ''}\n`);
