#!/usr/bin/env node
/**
 * Checks the bitbake recipe against the source tree, without bitbake:
 * parses the recipe's variables (SRC_URI, SYSTEMD_SERVICE, FILES, CONFFILES,
 * ...) and its do_install, and confirms that every file it installs exists
 * (in the tree, as a file:// entry next to the recipe, or as the output of
 * do_compile: build/src from src/*.ts, build/console from console/build.mjs,
 * node_modules from the shrinkwrap,
 * native/pam/build from native/pam/binding.gyp),
 * that the units in SYSTEMD_SERVICE and every unit in systemd/ are
 * installed, that FILES and CONFFILES cover only installed paths, that the
 * ExecStart binary of the service is what the recipe installs, that the
 * recipe's sed edits still match the files they edit, and that the
 * npm-shrinkwrap.json next to the recipe is the tree's package-lock.json,
 * that LIC_FILES_CHKSUM names the tree's licence file with its md5,
 * and (check-recipe-node.mjs) that it requires the Node.js package.json
 * does and refuses the CPUs Node.js cannot run on.
 *
 *   node .ci/check-recipe.mjs [recipe.bb] [--root DIR]
 *
 * Plain Node, no dependencies. Exit 0: all good; 1: a check failed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, normalize, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkNodeSupport } from './check-recipe-node.mjs';

const args = process.argv.slice(2);
const rootIndex = args.indexOf('--root');
const ROOT = resolve(rootIndex >= 0 ? args[rootIndex + 1] : join(dirname(fileURLToPath(import.meta.url)), '..'));
const positional = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--root');
const RECIPE = resolve(positional[0] ?? join(ROOT, 'yocto/recipes-phosphor/interfaces/bmc-rest-gateway_git.bb'));

const failures = [];
const fail = (message) => {
  failures.push(message);
  console.log(`FAIL ${message}`);
};
const ok = (message) => console.log(`ok   ${message}`);
const rel = (path) => relative(ROOT, path) || '.';

// ---------------------------------------------------------------- parsing

/** Joins backslash continuations; drops comments outside of functions. */
function logicalLines(text) {
  return text.replace(/\\\n/g, ' ').split('\n');
}

/**
 * Variables (with override suffixes kept in the name, e.g. `FILES:${PN}`),
 * shell functions (name -> body lines) and python functions (ignored).
 */
function parseRecipe(text) {
  const vars = new Map();
  const functions = new Map();
  const lines = logicalLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    if (/^(inherit|require|include)\b/.test(line)) {
      const [keyword, ...rest] = line.trim().split(/\s+/);
      vars.set(`__${keyword}`, [...(vars.get(`__${keyword}`) ?? []), ...rest]);
      continue;
    }
    if (/^def\s/.test(line) || /^python\s/.test(line)) {
      // Python: skip the indented body (or up to the closing brace).
      const braced = /\{\s*$/.test(line);
      while (i + 1 < lines.length && (braced ? !/^\}/.test(lines[i]) : /^(\s|$)/.test(lines[i + 1]))) i++;
      continue;
    }
    const fn = /^([A-Za-z0-9_:${}.-]+)\s*\(\)\s*\{\s*$/.exec(line);
    if (fn) {
      const body = [];
      while (++i < lines.length && !/^\}/.test(lines[i])) body.push(lines[i]);
      functions.set(fn[1], body);
      continue;
    }
    const assign = /^([A-Za-z0-9_:${}.\-[\]]+)\s*(\?\?=|\?=|:=|\+=|=\+|\.=|=)\s*"(.*)"\s*$/.exec(line);
    if (assign) {
      const [, name, op, value] = assign;
      const old = vars.get(name);
      if (op === '+=') vars.set(name, `${old ?? ''} ${value}`);
      else if (op === '=+') vars.set(name, `${value} ${old ?? ''}`);
      else if (op === '.=') vars.set(name, `${old ?? ''}${value}`);
      else if ((op === '?=' || op === '??=') && old !== undefined) continue;
      else vars.set(name, value);
      continue;
    }
    fail(`${rel(RECIPE)}: cannot parse line: ${line.trim()}`);
  }
  return { vars, functions };
}

// ------------------------------------------------------------- expansion

const recipeText = readFileSync(RECIPE, 'utf8');
const { vars, functions } = parseRecipe(recipeText);
const PN = basename(RECIPE).replace(/\.bb$/, '').split('_')[0];
const THISDIR = dirname(RECIPE);

/** Stand-ins for the build: ${S} is the tree, ${D} a marker prefix. */
const D = '/__D__';
const builtins = {
  PN, BPN: PN, THISDIR,
  WORKDIR: '/__WORKDIR__', UNPACKDIR: '/__UNPACKDIR__', D,
  prefix: '/usr', exec_prefix: '/usr', bindir: '/usr/bin', sbindir: '/usr/sbin', libdir: '/usr/lib',
  nonarch_libdir: '/usr/lib', datadir: '/usr/share', sysconfdir: '/etc', localstatedir: '/var',
  systemd_system_unitdir: '/usr/lib/systemd/system', systemd_unitdir: '/usr/lib/systemd',
  base_libdir: '/lib', COMMON_LICENSE_DIR: '/__COMMON_LICENSE_DIR__',
};

function lookup(name) {
  if (vars.has(name)) return vars.get(name);
  return builtins[name];
}

function expand(text, local = new Map(), depth = 0) {
  if (depth > 20) throw new Error(`expansion too deep: ${text}`);
  const out = text
    .replace(/\$\{([A-Za-z0-9_:-]+)\}/g, (whole, name) => {
      const value = local.has(name) ? local.get(name) : lookup(name);
      return value === undefined ? whole : expand(value, local, depth + 1);
    })
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name) => (local.has(name) ? local.get(name) : whole));
  return out;
}

/** S after expansion; it must be the git checkout, which here is the tree. */
const S = expand(lookup('S') ?? '${WORKDIR}/${BP}');
const UNPACKDIR = expand('${UNPACKDIR}');

/** Where a file:// entry lives in the layer (FILESPATH: ${THISDIR}/${BPN}, ${THISDIR}/files). */
function layerFile(name) {
  for (const base of [join(THISDIR, PN), join(THISDIR, 'files'), THISDIR]) {
    if (existsSync(join(base, name))) return join(base, name);
  }
  return undefined;
}

// ---------------------------------------------------------------- SRC_URI

const rawSrcUri = (lookup('SRC_URI') ?? '').split(/\s+/).filter(Boolean);
/** Entries whose location is a variable the integrator must set (empty in the recipe): the source, a placeholder. */
const placeholders = rawSrcUri.filter((uri) => /^\$\{[A-Za-z0-9_]+\}/.test(uri) && expand(uri.split(';')[0]) === '');
const srcUri = rawSrcUri.filter((uri) => !placeholders.includes(uri)).map((uri) => expand(uri));
const fileEntries = new Map();
let hasGit = false;
for (const uri of placeholders) hasGit = gitPlaceholder(uri) || hasGit;
for (const uri of srcUri) {
  const [location, ...params] = uri.split(';');
  if (location.startsWith('file://')) {
    const name = location.slice('file://'.length);
    const found = layerFile(name);
    if (found) {
      ok(`SRC_URI file://${name} -> ${rel(found)}`);
      fileEntries.set(name, found);
    } else {
      fail(`SRC_URI file://${name}: not found next to the recipe (${rel(join(THISDIR, PN))}/ or files/)`);
    }
  } else if (location.startsWith('npmsw://')) {
    const path = location.slice('npmsw://'.length);
    if (!existsSync(path)) {
      fail(`SRC_URI npmsw://${rel(path)}: not found`);
      continue;
    }
    ok(`SRC_URI npmsw://${rel(path)}${params.length ? ` (${params.join(';')})` : ''}`);
    const lock = join(ROOT, 'package-lock.json');
    if (!existsSync(lock)) fail('package-lock.json missing in the tree');
    else if (readFileSync(lock, 'utf8') !== readFileSync(path, 'utf8')) {
      fail(`${rel(path)} differs from package-lock.json: the image would get other dependencies than the tree. ` +
        `Fix: cp package-lock.json ${rel(path)}`);
    } else ok(`${rel(path)} is identical to package-lock.json`);
    // npmsw fetches a registry package only from its "resolved" URL and silently skips an entry
    // without one (poky's fetch2/npmsw.py, _resolve_dependency: "if not resolved: return"), so a
    // lockfile written with omit-lockfile-registry-resolved=true would give the image no packages.
    const unresolved = Object.entries(JSON.parse(readFileSync(path, 'utf8')).packages ?? {})
      .filter(([key, entry]) => key !== '' && !entry.link && !entry.resolved)
      .map(([key]) => key);
    if (unresolved.length > 0) {
      fail(`${rel(path)}: ${unresolved.length} packages have no "resolved" URL (e.g. ${unresolved[0]}), ` +
        'which npmsw skips without a word. The project .npmrc sets omit-lockfile-registry-resolved=false; ' +
        'regenerate package-lock.json with it and copy it again');
    } else ok(`${rel(path)}: every package has a "resolved" URL for npmsw`);
    if (!params.includes('dev=1')) fail('npmsw entry needs dev=1: do_compile runs tsc, a devDependency');
  } else if (/^(git|gitsm):\/\//.test(location) || /^\$\{/.test(location)) {
    hasGit = true;
    const destsuffix = params.find((p) => p.startsWith('destsuffix='))?.slice('destsuffix='.length) ?? 'git';
    if (normalize(S) !== normalize(join(UNPACKDIR, destsuffix)) && normalize(S) !== normalize(join('/__WORKDIR__', destsuffix))) {
      fail(`S (${S}) is not where the git source is unpacked (${join(UNPACKDIR, destsuffix)})`);
    } else ok(`SRC_URI ${location} -> S (the source tree)`);
  } else {
    fail(`SRC_URI ${uri}: unknown kind of entry`);
  }
}
if (!hasGit) fail('SRC_URI has no git entry for the source');

/**
 * The git source given by a variable the recipe leaves empty (a placeholder):
 * the recipe must skip itself until it is set, and unpack it where S is.
 */
function gitPlaceholder(uri) {
  const name = /^\$\{([A-Za-z0-9_]+)\}/.exec(uri)[1];
  // The skip must be the one that names the variable: the recipe has other python blocks that skip
  // (unsupported CPUs), which do not guard the placeholder.
  const guards = [...recipeText.matchAll(/^python[^\n]*\{\n([\s\S]*?)^\}/gm)]
    .some(([, body]) => body.includes('bb.parse.SkipRecipe(') && body.includes(`'${name}'`));
  if (!guards) {
    fail(`SRC_URI ${uri}: ${name} is empty and the recipe does not skip itself until it is set`);
    return false;
  }
  const destsuffix = uri.split(';').find((p) => p.startsWith('destsuffix='))?.slice('destsuffix='.length) ?? 'git';
  if (normalize(S) !== normalize(join(UNPACKDIR, destsuffix))) {
    fail(`S (${S}) is not where the git source is unpacked (${join(UNPACKDIR, destsuffix)})`);
    return false;
  }
  ok(`SRC_URI ${uri}: ${name} is a placeholder the integrator sets (the recipe is skipped until then) -> S`);
  return true;
}

// ------------------------------------------------------ LIC_FILES_CHKSUM

/** Every licence file the recipe names is in the tree (or the layer) with the md5 it gives. */
const licenceFiles = expand(lookup('LIC_FILES_CHKSUM') ?? '').split(/\s+/).filter(Boolean);
if (licenceFiles.length === 0) fail('LIC_FILES_CHKSUM is empty');
for (const entry of licenceFiles) {
  const [location, ...params] = entry.split(';');
  const md5 = params.find((p) => p.startsWith('md5='))?.slice('md5='.length);
  const path = location.replace(/^file:\/\//, '');
  if (!md5) {
    fail(`LIC_FILES_CHKSUM ${entry}: no md5=`);
    continue;
  }
  if (path.startsWith('/__COMMON_LICENSE_DIR__/')) {
    fail(`LIC_FILES_CHKSUM ${entry}: points at the build system's common licence text, not at the project's own licence file`);
    continue;
  }
  // Relative names are relative to \${S}, the source tree.
  const file = path.startsWith('/') ? path : join(S, path);
  const inTree = normalize(file).startsWith(S + '/') ? join(ROOT, normalize(file).slice(S.length + 1)) : file;
  if (!existsSync(inTree)) {
    fail(`LIC_FILES_CHKSUM ${entry}: ${rel(inTree)} does not exist`);
    continue;
  }
  const actual = createHash('md5').update(readFileSync(inTree)).digest('hex');
  if (actual !== md5) fail(`LIC_FILES_CHKSUM ${entry}: the md5 of ${rel(inTree)} is ${actual}`);
  else ok(`LIC_FILES_CHKSUM ${rel(inTree)} md5 ${md5}`);
}

// ------------------------------------------------------ tree path mapping

const lockPackages = existsSync(join(ROOT, 'package-lock.json'))
  ? JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages ?? {}
  : {};

/**
 * Maps a build-time source path to where it comes from and checks that it
 * exists. Returns a description or undefined (after reporting a failure).
 */
function checkSource(path, what) {
  const p = normalize(path);
  if (p === S || p.startsWith(S + '/')) {
    const inTree = p === S ? '' : p.slice(S.length + 1);
    if (inTree === 'node_modules' || inTree.startsWith('node_modules/')) {
      const pkg = inTree.split('/').slice(0, inTree.startsWith('node_modules/@') ? 3 : 2).join('/');
      if (inTree !== 'node_modules' && !lockPackages[pkg]) return void fail(`${what}: ${inTree} is not in package-lock.json`);
      return 'node_modules from npm-shrinkwrap.json (npmsw)';
    }
    if (inTree === 'build/console' || inTree.startsWith('build/console/')) {
      // The browser console: console/build.mjs bundles console/src with esbuild.
      if (!existsSync(join(ROOT, 'console/build.mjs'))) return void fail(`${what}: console/build.mjs does not exist`);
      const compile = (functions.get('do_compile') ?? []).join('\n');
      if (!/console\/build\.mjs/.test(compile)) return void fail(`${what}: do_compile does not run console/build.mjs`);
      return 'bundled from console/ by console/build.mjs';
    }
    if (inTree === 'build' || inTree.startsWith('build/')) {
      // build/src/... is tsc's output for src/... (tsconfig rootDir "." outDir "build").
      const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
      if (tsconfig.compilerOptions?.outDir !== 'build') return void fail(`${what}: tsconfig.json outDir is not "build"`);
      const compile = (functions.get('do_compile') ?? []).join('\n');
      if (!/typescript\/bin\/tsc|\btsc\b/.test(compile)) return void fail(`${what}: do_compile does not run tsc`);
      const source = inTree.replace(/^build\//, '');
      const candidates = source.endsWith('.js') ? [source.replace(/\.js$/, '.ts')] : [source];
      const found = candidates.find((c) => existsSync(join(ROOT, c)));
      if (!found) return void fail(`${what}: ${inTree} would come from ${candidates.join(' or ')}, which does not exist`);
      return `compiled from ${found}`;
    }
    if (inTree.startsWith('native/pam/build/')) {
      // node-gyp's output for native/pam/binding.gyp.
      if (!existsSync(join(ROOT, 'native/pam/binding.gyp'))) return void fail(`${what}: native/pam/binding.gyp does not exist`);
      const compile = (functions.get('do_compile') ?? []).join('\n');
      if (!/node-gyp[\s\S]*--directory native\/pam/.test(compile)) return void fail(`${what}: do_compile does not build native/pam with node-gyp`);
      return 'built from native/pam/binding.gyp';
    }
    if (!existsSync(join(ROOT, inTree))) return void fail(`${what}: ${inTree} does not exist in the tree`);
    return inTree;
  }
  if (p.startsWith(UNPACKDIR + '/') || p.startsWith('/__WORKDIR__/')) {
    const name = p.slice(p.indexOf('/', 2) + 1);
    if (!fileEntries.has(name)) return void fail(`${what}: ${name} is not a file:// entry of SRC_URI`);
    return rel(fileEntries.get(name));
  }
  return void fail(`${what}: source ${path} is neither in \${S} nor a file:// entry`);
}

// ------------------------------------------------------------ do_install

/** Paths under ${D} the recipe creates: file -> where it comes from; dirs separately. */
const installed = new Map();
const dirs = new Set();
const symlinks = new Map();

function tokens(line) {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

function inD(path, what) {
  if (!path.startsWith(D + '/')) {
    fail(`${what}: destination ${path} is not under \${D}`);
    return undefined;
  }
  return posix.normalize(path.slice(D.length)).replace(/(.)\/+$/, '$1');
}

/** A directory and its parents (install -d, mkdir -p). */
function addDir(dir) {
  for (let d = dir; d !== '/'; d = posix.dirname(d)) dirs.add(d);
}

function record(dest, source) {
  installed.set(dest, source);
  for (let d = posix.dirname(dest); d !== '/'; d = posix.dirname(d)) dirs.add(d);
}

/** Everything under a tree directory (for cp -R), as paths relative to it. */
function listTree(dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const out = [];
  const walk = (d, prefix) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(d, entry.name), path);
      else out.push(path);
    }
  };
  walk(dir, '');
  return out;
}

const install = functions.get('do_install');
if (!install) fail('no do_install');
const local = new Map();
for (const raw of install ?? []) {
  const line = raw.trim();
  if (!line || line.startsWith('#')) continue;
  const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(line);
  if (assignment) {
    local.set(assignment[1], expand(assignment[2], local));
    continue;
  }
  const words = tokens(expand(line, local));
  const [command, ...rest] = words;
  const what = `do_install: ${line}`;
  if (command === 'install') {
    const operands = [];
    let makeDirs = false;
    let parents = false;
    for (let i = 0; i < rest.length; i++) {
      const word = rest[i];
      if (word === '-m' || word === '-o' || word === '-g' || word === '-t') { i++; continue; }
      if (/^-[a-zA-Z]+$/.test(word)) {
        if (word.includes('d')) makeDirs = true;
        if (word.includes('D')) parents = true;
        continue;
      }
      operands.push(word);
    }
    if (makeDirs) {
      for (const dir of operands) {
        const d = inD(dir, what);
        if (d) addDir(d);
      }
      continue;
    }
    const target = operands.pop();
    const t = target && inD(target, what);
    if (!t) continue;
    for (const source of operands) {
      const origin = checkSource(source, what);
      if (origin === undefined) continue;
      const dest = operands.length > 1 || target.endsWith('/') || (!parents && dirs.has(t)) ? posix.join(t, basename(source)) : t;
      if (!parents && !dirs.has(posix.dirname(dest))) fail(`${what}: ${posix.dirname(dest)} is not created before (install -d or -D)`);
      record(dest, origin);
      ok(`installs ${dest} <- ${origin}`);
    }
  } else if (command === 'cp') {
    const operands = rest.filter((w) => !w.startsWith('-'));
    const target = operands.pop();
    const t = target && inD(target, what);
    if (!t) continue;
    for (const source of operands) {
      const origin = checkSource(source, what);
      if (origin === undefined) continue;
      const dest = dirs.has(t) ? posix.join(t, basename(source)) : t;
      if (!dirs.has(posix.dirname(dest))) fail(`${what}: ${posix.dirname(dest)} is not created before`);
      record(dest, origin);
      dirs.add(dest);
      // A directory copy: record what is known to be in it.
      const inTree = normalize(source).startsWith(S + '/') ? normalize(source).slice(S.length + 1) : undefined;
      if (inTree?.startsWith('build/') && !inTree.startsWith('build/console')) {
        for (const file of listTree(join(ROOT, inTree.replace(/^build\//, '')))) {
          if (file.endsWith('.ts')) record(posix.join(dest, file.replace(/\.ts$/, '.js')), `compiled from ${posix.join(inTree.replace(/^build\//, ''), file)}`);
        }
      }
      ok(`installs ${dest}/ <- ${origin}`);
    }
  } else if (command === 'ln') {
    const operands = rest.filter((w) => !w.startsWith('-'));
    const [linkTarget, linkPath] = operands;
    const l = linkPath && inD(linkPath, what);
    if (!l || !linkTarget) continue;
    const resolved = linkTarget.startsWith('/') ? linkTarget : posix.normalize(posix.join(posix.dirname(l), linkTarget));
    if (!installed.has(resolved)) fail(`${what}: the link points to ${resolved}, which the recipe does not install`);
    else ok(`links ${l} -> ${resolved}`);
    symlinks.set(l, resolved);
    record(l, `symlink to ${resolved}`);
  } else if (command === 'sed') {
    const file = rest[rest.length - 1];
    const f = file && inD(file, what);
    if (!f) continue;
    if (!installed.has(f)) { fail(`${what}: edits ${f}, which is not installed before`); continue; }
    const origin = installed.get(f);
    const script = rest.filter((w, i) => rest[i - 1] === '-e').join('\n') || rest.find((w) => /^s./.test(w));
    const match = /^s(.)(.*?)\1/.exec(script ?? '');
    if (!match) { ok(`${what}: (sed script not checked)`); continue; }
    const pattern = new RegExp(match[2].replace(/\\\(/g, '(').replace(/\\\)/g, ')'), 'm');
    const sourcePath = join(ROOT, origin);
    if (!existsSync(sourcePath)) { ok(`${what}: (source of ${f} not in the tree)`); continue; }
    if (!pattern.test(readFileSync(sourcePath, 'utf8'))) {
      fail(`${what}: /${match[2]}/ matches nothing in ${origin}; the edit would silently do nothing`);
    } else ok(`sed /${match[2]}/ matches ${origin}`);
  } else if (command === 'chmod' || command === 'find' || command === 'rm') {
    for (const word of rest.filter((w) => w.startsWith(D + '/'))) {
      const p = word.slice(D.length);
      if (!installed.has(p) && !dirs.has(p)) fail(`${what}: ${p} is not installed`);
    }
  } else {
    fail(`${what}: command '${command}' is not understood by this checker`);
  }
}

/** Is `path` (an image path) installed, or a directory holding something installed? */
const covered = (path) => installed.has(path) || dirs.has(path) || [...installed.keys()].some((p) => p.startsWith(path + '/'));

// ------------------------------------------------- systemd, FILES, CONFFILES

const unitDir = builtins.systemd_system_unitdir;
const services = expand(lookup(`SYSTEMD_SERVICE:${PN}`) ?? lookup('SYSTEMD_SERVICE:${PN}') ?? '').split(/\s+/).filter(Boolean);
if (!(vars.get('__inherit') ?? []).includes('systemd')) fail('the recipe does not inherit systemd');
if (services.length === 0) fail('SYSTEMD_SERVICE:${PN} is empty');
for (const unit of services) {
  if (!installed.has(`${unitDir}/${unit}`)) fail(`SYSTEMD_SERVICE ${unit} is not installed in ${unitDir}`);
  else ok(`SYSTEMD_SERVICE ${unit} is installed`);
}
for (const unit of readdirSync(join(ROOT, 'systemd')).filter((f) => /\.(service|socket|timer|path)$/.test(f))) {
  if (!services.includes(unit)) fail(`systemd/${unit} is not in SYSTEMD_SERVICE:\${PN}`);
  if (![...installed.values()].includes(`systemd/${unit}`)) fail(`systemd/${unit} is not installed by the recipe`);
}
for (const file of readdirSync(join(ROOT, 'systemd')).filter((f) => f.endsWith('.tmpfiles'))) {
  if (![...installed.values()].includes(`systemd/${file}`)) fail(`systemd/${file} is not installed by the recipe`);
}

// The service's ExecStart binary is what the recipe installs, and --config FILE is installed too.
for (const unit of services.filter((u) => u.endsWith('.service'))) {
  const text = existsSync(join(ROOT, 'systemd', unit)) ? readFileSync(join(ROOT, 'systemd', unit), 'utf8') : '';
  for (const m of text.matchAll(/^ExecStart=[-@+!:]*(\S+)(.*)$/gm)) {
    const [, binary, argv] = m;
    if (!installed.has(binary)) fail(`${unit}: ExecStart binary ${binary} is not installed by the recipe`);
    else ok(`${unit}: ExecStart ${binary} is installed (${installed.get(binary)})`);
    const config = /--config\s+(\S+)/.exec(argv)?.[1];
    if (config && !installed.has(config)) fail(`${unit}: --config ${config} is not installed by the recipe`);
    else if (config) ok(`${unit}: --config ${config} is installed (${installed.get(config)})`);
  }
}

for (const name of [`FILES:${PN}`, 'FILES:${PN}']) {
  for (const path of expand(lookup(name) ?? '').split(/\s+/).filter(Boolean)) {
    if (!covered(path)) fail(`FILES:\${PN} ${path}: nothing is installed there`);
  }
}
for (const path of expand(lookup(`CONFFILES:${PN}`) ?? lookup('CONFFILES:${PN}') ?? '').split(/\s+/).filter(Boolean)) {
  if (!installed.has(path)) fail(`CONFFILES ${path} is not installed`);
  else ok(`CONFFILES ${path} is installed`);
}

// RDEPENDS on nodejs of a version that runs the gateway, and no build where Node.js cannot run.
checkNodeSupport({ recipeText, root: ROOT, lookup, expand, ok, fail });

// Files named in do_compile that come from the layer.
for (const line of functions.get('do_compile') ?? []) {
  for (const m of expand(line).matchAll(/\/__(?:UNPACKDIR|WORKDIR)__\/(\S+)/g)) {
    const path = normalize(m[0]);
    if (path === S || path.startsWith(S + '/')) continue;
    if (!fileEntries.has(m[1])) fail(`do_compile uses ${m[1]}, which is not a file:// entry of SRC_URI`);
  }
}

console.log(failures.length === 0
  ? `check-recipe: ${rel(RECIPE)} OK (${installed.size} paths installed)`
  : `check-recipe: ${failures.length} problem(s) in ${rel(RECIPE)}`);
process.exit(failures.length === 0 ? 0 : 1);
