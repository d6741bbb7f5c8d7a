#!/usr/bin/env node
/**
 * Runs after `npm install` / `npm ci` (package.json "postinstall") and says
 * once, clearly, when the optional PAM binding could not be built or loaded.
 *
 * Why: npm drops an optional dependency whose build failed without a word
 * (here it always fails under plain `npm install`: see install-pam-binding.sh),
 * and the gateway's default `--auth-backend pam` then refuses to start. The
 * demo, the tests and `--auth-backend users-file` do not need the binding.
 *
 * What counts is whether the binding loads, not how it is packaged: the
 * check requires it the way src/auth/pam.ts does. Never fails the install.
 */
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

/** The PAM binding's module name; src/auth/pam.ts loads the same (test/packaging/pam-binding.test.ts checks). */
const PAM_BINDING = 'authenticate-pam';
const root = join(__dirname, '..');

function loadError() {
  try {
    require(require.resolve(PAM_BINDING, { paths: [root] }));
    return undefined;
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    return text.split('\n')[0];
  }
}

const reason = loadError();
if (reason !== undefined) {
  const script = join(root, '.ci', 'install-pam-binding.sh');
  const howToBuild = existsSync(script) && existsSync(join(root, 'package-lock.json'))
    ? '  To build it: install the PAM headers and a C++ toolchain (Debian: apt-get install libpam0g-dev g++ make python3),\n'
      + '  then run: npm run pam-binding\n'
    : '  To build it: install the PAM headers and a C++ toolchain (Debian: apt-get install libpam0g-dev g++ make python3),\n'
      + `  then rebuild ${PAM_BINDING} with a node-gyp that runs on this Node (npm's own).\n`;
  process.stdout.write(
    `\nbmc-rest-gateway: the optional PAM binding (${PAM_BINDING}) could not be built or loaded:\n`
    + `  ${reason}\n`
    + '  Without it the gateway cannot check passwords with PAM (--auth-backend pam, the default on a BMC).\n'
    + '  The demo, the tests and --auth-backend users-file work without it.\n'
    + howToBuild + '\n',
  );
}
