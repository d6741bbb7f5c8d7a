/**
 * The bitbake recipe installs only files that exist (`.ci/check-recipe.mjs`),
 * and the checker catches the mistakes it exists for: a source file that is
 * not in the tree, a missing file:// entry, a sed edit that no longer
 * matches, a stale npm-shrinkwrap.json, a unit listed but not installed.
 * The recipe states the Node.js it needs (package.json's engines) and
 * refuses the SoCs Node.js cannot run on, as docs/DEPLOYMENT.md lists them.
 * Also: the shipped config file is one the daemon accepts.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

/** Repository root (this file runs from build/test/packaging/). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHECKER = join(ROOT, '.ci', 'check-recipe.mjs');
const RECIPES = join(ROOT, 'yocto', 'recipes-phosphor', 'interfaces');
const RECIPE = 'bmc-rest-gateway_git.bb';

interface Run {
  readonly code: number;
  readonly output: string;
}

function check(recipe?: string): Promise<Run> {
  const args = [CHECKER, ...(recipe ? [recipe, '--root', ROOT] : [])];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr });
    });
  });
}

/** Runs the checker on a copy of the recipe directory after `edit`. */
async function checkEdited(edit: (dir: string) => Promise<void>): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'recipe-test-'));
  try {
    await cp(RECIPES, dir, { recursive: true, dereference: true });
    await edit(dir);
    return await check(join(dir, RECIPE));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function editRecipe(dir: string, from: string | RegExp, to: string): Promise<void> {
  const path = join(dir, RECIPE);
  const text = await readFile(path, 'utf8');
  const edited = text.replace(from, to);
  if (edited === text) throw new Error(`test setup: ${String(from)} not found in the recipe`);
  await writeFile(path, edited);
}

test('every file the recipe installs exists in the tree', async (t) => {
  const run = await check();
  t.log(run.output.trim().split('\n').slice(-1)[0]);
  t.is(run.code, 0, run.output);
  t.regex(run.output, /ExecStart \/usr\/bin\/bmc-rest-gateway is installed/);
  t.regex(run.output, /SYSTEMD_SERVICE bmc-rest-gateway\.socket is installed/);
  t.regex(run.output, /SYSTEMD_SERVICE bmc-rest-gateway\.service is installed/);
});

test('the licence: LICENSE in the tree is the Apache License 2.0, and LIC_FILES_CHKSUM names it with its md5', async (t) => {
  const run = await check();
  t.regex(run.output, /ok {3}LIC_FILES_CHKSUM LICENSE md5 3b83ef96387f14655fc854ddc3c6bd57/);
  const licence = await readFile(join(ROOT, 'LICENSE'), 'utf8');
  t.regex(licence, /^\s+Apache License\n\s+Version 2\.0, January 2004\n/);
  t.regex(licence, /END OF TERMS AND CONDITIONS/);
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { license: string; files: string[] };
  t.is(manifest.license, 'Apache-2.0');
  t.true(manifest.files.includes('LICENSE'));
});

test('the checker fails a licence checksum that does not match, or that points at the build system\'s text', async (t) => {
  const wrong = await checkEdited((dir) => editRecipe(dir, 'md5=3b83ef96387f14655fc854ddc3c6bd57', 'md5=00000000000000000000000000000000'));
  t.is(wrong.code, 1, wrong.output);
  t.regex(wrong.output, /LIC_FILES_CHKSUM file:\/\/LICENSE;md5=0{32}: the md5 of LICENSE is 3b83ef96387f14655fc854ddc3c6bd57/);
  const common = await checkEdited((dir) => editRecipe(dir, 'file://LICENSE;md5=3b83ef96387f14655fc854ddc3c6bd57',
    'file://${COMMON_LICENSE_DIR}/Apache-2.0;md5=89aea4e17d99a7cacdbeed46a0096b10'));
  t.is(common.code, 1, common.output);
  t.regex(common.output, /not at the project's own licence file/);
});

test('the source location and commit are placeholders: the recipe skips itself until an integrator sets them', async (t) => {
  const recipe = await readFile(join(RECIPES, RECIPE), 'utf8');
  t.regex(recipe, /^BMC_REST_GATEWAY_GIT \?\?= ""$/m);
  t.regex(recipe, /^SRCREV \?\?= ""$/m);
  t.regex(recipe, /raise bb\.parse\.SkipRecipe\(/);
  const run = await check();
  t.regex(run.output, /BMC_REST_GATEWAY_GIT is a placeholder the integrator sets/);
  const unguarded = await checkEdited((dir) => editRecipe(dir, 'raise bb.parse.SkipRecipe(', 'bb.warn('));
  t.is(unguarded.code, 1, unguarded.output);
  t.regex(unguarded.output, /BMC_REST_GATEWAY_GIT is empty and the recipe does not skip itself until it is set/);
});

test('the checker fails a recipe that installs a file missing from the tree', async (t) => {
  const run = await checkEdited((dir) => editRecipe(dir, '${S}/config/policy.json', '${S}/config/no-such-policy.json'));
  t.is(run.code, 1, run.output);
  t.regex(run.output, /config\/no-such-policy\.json does not exist in the tree/);
});

test('the checker fails a file:// entry that is not next to the recipe', async (t) => {
  const run = await checkEdited((dir) => rm(join(dir, 'bmc-rest-gateway', 'pam.d', 'bmc-rest-gateway')));
  t.is(run.code, 1, run.output);
  t.regex(run.output, /file:\/\/pam\.d\/bmc-rest-gateway: not found/);
});

test('the checker fails a sed edit that matches nothing', async (t) => {
  const run = await checkEdited((dir) => editRecipe(dir, 's/^ListenStream=443$/', 's/^ListenStream=4443$/'));
  t.is(run.code, 1, run.output);
  t.regex(run.output, /matches nothing in systemd\/bmc-rest-gateway\.socket/);
});

test('the checker fails a stale npm-shrinkwrap.json', async (t) => {
  const run = await checkEdited(async (dir) => {
    const path = join(dir, 'bmc-rest-gateway', 'npm-shrinkwrap.json');
    const lock = JSON.parse(await readFile(path, 'utf8'));
    lock.version = '0.0.0-stale';
    await writeFile(path, JSON.stringify(lock, null, 2) + '\n');
  });
  t.is(run.code, 1, run.output);
  t.regex(run.output, /npm-shrinkwrap\.json differs from package-lock\.json/);
});

test('the checker fails a shrinkwrap whose packages have no "resolved" URL (npmsw would skip them)', async (t) => {
  const run = await checkEdited(async (dir) => {
    const path = join(dir, 'bmc-rest-gateway', 'npm-shrinkwrap.json');
    const lock = JSON.parse(await readFile(path, 'utf8'));
    delete lock.packages['node_modules/koa'].resolved;
    await writeFile(path, JSON.stringify(lock, null, 2) + '\n');
  });
  t.is(run.code, 1, run.output);
  t.regex(run.output, /1 packages have no "resolved" URL \(e\.g\. node_modules\/koa\)/);
});

test('the checker fails a unit that is listed but not installed', async (t) => {
  const run = await checkEdited((dir) => editRecipe(dir, /SYSTEMD_SERVICE:\$\{PN\} = "/, 'SYSTEMD_SERVICE:${PN} = "bmc-rest-gateway-extra.service '));
  t.is(run.code, 1, run.output);
  t.regex(run.output, /SYSTEMD_SERVICE bmc-rest-gateway-extra\.service is not installed/);
});

test('the PAM addon: built in do_compile and installed where build/src/auth/pam.js loads it', async (t) => {
  const run = await check();
  t.regex(run.output, /installs \/usr\/lib\/node_modules\/bmc-rest-gateway\/native\/pam\/build\/Release\/pam_binding\.node <- built from native\/pam\/binding\.gyp/);
  // pam.js looks three directories up from build/src/auth/ for native/pam/build/Release/pam_binding.node.
  const loader = await readFile(join(ROOT, 'src', 'auth', 'pam.ts'), 'utf8');
  t.regex(loader, /new URL\('\.\.\/\.\.\/\.\.\/native\/pam\/build\/Release\/pam_binding\.node', import\.meta\.url\)/);
  const broken = await checkEdited((dir) => editRecipe(dir, '--directory native/pam', '--directory native/elsewhere'));
  t.is(broken.code, 1, broken.output);
  t.regex(broken.output, /do_compile does not build native\/pam with node-gyp/);
});

test('the browser console: bundled in do_compile, installed next to build/src where the gateway serves it from, and shipped in the npm package', async (t) => {
  const run = await check();
  t.regex(run.output, /installs \/usr\/lib\/node_modules\/bmc-rest-gateway\/build\/console\/ <- bundled from console\/ by console\/build\.mjs/);
  // http/console-files.ts reads ../../console/ from build/src/http/.
  const loader = await readFile(join(ROOT, 'src', 'http', 'console-files.ts'), 'utf8');
  t.regex(loader, /new URL\('\.\.\/\.\.\/console\/', import\.meta\.url\)/);
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  t.true(manifest.files.includes('build/console'));
  const broken = await checkEdited((dir) => editRecipe(dir, '    node console/build.mjs\n', ''));
  t.is(broken.code, 1, broken.output);
  t.regex(broken.output, /do_compile does not run console\/build\.mjs/);
});

test('the recipe requires the Node.js of package.json and refuses the CPUs Node.js cannot run on', async (t) => {
  const run = await check();
  t.is(run.code, 0, run.output);
  const { engines } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
  const minimum = engines.node.replace(/^>=/, '');
  t.true(run.output.includes(`ok   RDEPENDS:\${PN} has nodejs (>= ${minimum})`), run.output);
  t.regex(run.output, /ok {3}AST2400 \(arm926ejs\): refused \(ARMv4\/ARMv5/);
  t.regex(run.output, /ok {3}AST2500 \(arm1176jzs\): refused \(ARMv6 .*BMC_REST_GATEWAY_ALLOW_ARMV6 = "1"/);
  t.regex(run.output, /ok {3}AST2500, BMC_REST_GATEWAY_ALLOW_ARMV6 = "1" \(arm1176jzs\): accepted/);
  for (const soc of ['AST2600', 'NPCM7xx', 'AST2700', 'NPCM8xx']) t.regex(run.output, new RegExp(`ok {3}${soc} \\(\\S+\\): accepted`));
});

test('the checker fails a recipe that would build for ARMv6 without the opt-in', async (t) => {
  const run = await checkEdited((dir) => editRecipe(dir, "if 'armv6' in overrides and", 'if False and'));
  t.is(run.code, 1, run.output);
  t.regex(run.output, /FAIL AST2500 \(arm1176jzs\): accepted; docs\/DEPLOYMENT\.md says refused/);
});

test('the checker fails a recipe that would build for an AST2600 no more', async (t) => {
  const run = await checkEdited((dir) => editRecipe(dir, "if d.getVar('TARGET_ARCH') != 'arm':\n        return None", "if d.getVar('TARGET_ARCH') != 'arm':\n        return None\n    if 'neon' in (d.getVar('TUNE_FEATURES') or ''):\n        return 'no NEON please'"));
  t.is(run.code, 1, run.output);
  t.regex(run.output, /FAIL AST2600 \(\S+\): refused \(no NEON please\); docs\/DEPLOYMENT\.md says accepted/);
});

test('the checker fails a Node.js minimum other than package.json\'s, and an unversioned RDEPENDS', async (t) => {
  const other = await checkEdited((dir) => editRecipe(dir, /BMC_REST_GATEWAY_NODE_MIN = "[^"]*"/, 'BMC_REST_GATEWAY_NODE_MIN = "18.0.0"'));
  t.is(other.code, 1, other.output);
  t.regex(other.output, /BMC_REST_GATEWAY_NODE_MIN 18\.0\.0 differs from package\.json engines\.node/);
  const unversioned = await checkEdited((dir) => editRecipe(dir, 'nodejs (>= ${BMC_REST_GATEWAY_NODE_MIN})', 'nodejs'));
  t.is(unversioned.code, 1, unversioned.output);
  t.regex(unversioned.output, /RDEPENDS:\$\{PN\} lacks 'nodejs \(>= \d+\.\d+\.\d+\)'/);
});
