/**
 * The postinstall check (.ci/check-pam-binding.cjs): after `npm install` it
 * says once, clearly, that the optional PAM binding could not be built or
 * loaded, and is silent when it loads. Run on copies with a missing binding,
 * one that fails to load (as a half-built addon does), and one that loads.
 * It never fails the install.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, '.ci', 'check-pam-binding.cjs');

async function run(binding: string | undefined): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'pam-binding-check-'));
  try {
    await mkdir(join(dir, '.ci'));
    await cp(SCRIPT, join(dir, '.ci', 'check-pam-binding.cjs'));
    await writeFile(join(dir, 'package.json'), '{"name": "copy", "private": true}');
    if (binding !== undefined) {
      const module = join(dir, 'node_modules', 'authenticate-pam');
      await mkdir(module, { recursive: true });
      await writeFile(join(module, 'package.json'), '{"name": "authenticate-pam", "main": "index.js"}');
      await writeFile(join(module, 'index.js'), binding);
    }
    return await new Promise((resolve) => {
      execFile(process.execPath, [join(dir, '.ci', 'check-pam-binding.cjs')], { cwd: dir, timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('no binding installed (npm dropped it): one clear message, exit 0', async (t) => {
  const result = await run(undefined);
  t.is(result.code, 0);
  t.is(result.stderr, '');
  t.regex(result.stdout, /bmc-rest-gateway: the optional PAM binding \(authenticate-pam\) could not be built or loaded:\n {2}Cannot find module 'authenticate-pam'/);
  t.regex(result.stdout, /--auth-backend pam, the default on a BMC/);
  t.regex(result.stdout, /libpam0g-dev/);
  t.is(result.stdout.match(/could not be built or loaded/g)?.length, 1, 'once');
});

test('a binding that fails to load (a half-built addon): the loader\'s reason is shown', async (t) => {
  const result = await run("throw new Error('authenticate_pam.node: cannot open shared object file\\nsecond line');");
  t.is(result.code, 0);
  t.regex(result.stdout, /could not be built or loaded:\n {2}authenticate_pam\.node: cannot open shared object file\n/);
  t.false(result.stdout.includes('second line'), 'one line of reason');
});

test('a binding that loads: nothing is printed', async (t) => {
  const result = await run('module.exports = { authenticate() {} };');
  t.deepEqual(result, { code: 0, stdout: '', stderr: '' });
});

test('in this tree: the hint is the npm script, which runs the build script', async (t) => {
  const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; files: string[] };
  t.is(manifest.scripts.postinstall, 'node .ci/check-pam-binding.cjs');
  t.is(manifest.scripts['pam-binding'], 'bash .ci/install-pam-binding.sh');
  t.true(manifest.files.includes('.ci/check-pam-binding.cjs'), 'a packed install has the script its postinstall runs');
});

test('the check loads the module the PAM backend loads', async (t) => {
  const script = await readFile(SCRIPT, 'utf8');
  const name = /const PAM_BINDING = '([^']+)'/.exec(script)?.[1];
  t.truthy(name);
  t.true((await readFile(join(ROOT, 'src', 'auth', 'pam.ts'), 'utf8')).includes(`('${name}')`), `src/auth/pam.ts loads '${name}'`);
});
