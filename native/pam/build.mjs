#!/usr/bin/env node
/**
 * Builds the PAM addon (native/pam/pam_binding.c) with node-gyp. Run by
 * `npm install` / `npm ci` (the package's install script) and by
 * `npm run build:pam`.
 *
 * The addon is optional: without the PAM headers (Debian: libpam0g-dev) or a
 * C toolchain this prints why and exits 0, so the install goes on; the
 * gateway then runs with --auth-backend users-file and says at start, when
 * PAM is chosen, that the addon is missing. `--required` (CI) makes any
 * failure exit 1.
 *
 * node-gyp is npm's own (npm_config_node_gyp, which npm sets for install
 * scripts, else the one next to the npm on PATH), never node_modules/.bin's:
 * dbus-next's optional dependency usocket installs node-gyp 7 there, which
 * cannot run on Node >= 19. npm's `nodedir` setting (npm_config_nodedir in
 * install scripts, `npm config get nodedir` otherwise) is passed on, so
 * installed Node headers are used without a download.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const required = process.argv.includes('--required');
const say = (message) => process.stderr.write(`bmc-rest-gateway PAM addon: ${message}\n`);

function giveUp(message) {
  say(`${message}`);
  say(required ? 'failed (--required)' : 'not built; the PAM backend is unavailable (--auth-backend users-file still works)');
  process.exit(required ? 1 : 0);
}

const headers = ['/usr/include/security/pam_appl.h', '/usr/local/include/security/pam_appl.h'];
if (!headers.some((path) => existsSync(path))) {
  giveUp('no PAM headers (security/pam_appl.h; Debian: apt-get install libpam0g-dev)');
}

function npmNodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const found = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (!found) return undefined;
  const candidate = join(dirname(realpathSync(found)), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(candidate) ? candidate : undefined;
}

const nodeGyp = npmNodeGyp();
if (!nodeGyp) giveUp("npm's node-gyp not found");
function nodeDir() {
  const configured = process.env.npm_config_nodedir
    ?? spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).stdout?.trim();
  return configured && configured !== 'undefined' && configured !== 'null' ? configured : undefined;
}

const dir = nodeDir();
const args = [nodeGyp, 'rebuild', '--directory', here, ...(dir ? [`--nodedir=${dir}`] : [])];
const build = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
if (build.status !== 0) giveUp(`node-gyp failed (exit ${build.status ?? build.signal})`);
say(`built ${join(here, 'build', 'Release', 'pam_binding.node')}`);
