/**
 * The systemd units pass `.ci/check-units.sh`: systemd-analyze verify with no
 * output on stderr, an exposure score within bounds, the tmpfiles snippet
 * applies. Also checks the checker: a unit with an unknown key (which
 * systemd-analyze only warns about) and one whose ExecStart binary is missing
 * must both fail it.
 *
 * systemd-analyze is in Debian's `systemd` package and .ci/run installs it.
 * Outside CI a machine without it skips these tests (with that reason in the
 * title); with CI=true a missing systemd-analyze is a failure.
 */
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file runs from build/test/packaging/). */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, '.ci', 'check-units.sh');

const hasAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
const inCi = /^(1|true|yes)$/i.test(process.env.CI ?? '');
const check = hasAnalyze || inCi ? test : test.skip;
const suffix = hasAnalyze || inCi ? '' : ' [SKIPPED: systemd-analyze not installed; apt-get install systemd]';

interface Run {
  readonly code: number;
  readonly output: string;
}

function runChecker(env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 50_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: stdout + stderr });
    });
  });
}

async function withUnitCopy(edit: (service: string) => string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'units-test-'));
  try {
    for (const name of await readdir(join(ROOT, 'systemd'))) await copyFile(join(ROOT, 'systemd', name), join(dir, name));
    const service = join(dir, 'bmc-rest-gateway.service');
    await writeFile(service, edit(await readFile(service, 'utf8')));
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

check(`systemd units verify cleanly and the exposure score is within bounds${suffix}`, async (t) => {
  if (!hasAnalyze) t.fail('CI=true but systemd-analyze is not installed (apt-get install systemd; .ci/run does this)');
  const run = await runChecker();
  t.log(run.output.trim());
  t.is(run.code, 0, run.output);
  t.regex(run.output, /ok {3}systemd-analyze verify bmc-rest-gateway\.service/);
  t.regex(run.output, /ok {3}systemd-analyze verify bmc-rest-gateway\.socket/);
  t.regex(run.output, /ok {3}systemd-tmpfiles --create bmc-rest-gateway\.tmpfiles/);
  const score = /^EXPOSURE bmc-rest-gateway\.service ([0-9.]+)$/m.exec(run.output)?.[1];
  t.truthy(score, 'the checker prints the exposure score');
  t.log(`systemd-analyze security exposure: ${score}`);
});

check(`the checker fails a unit that systemd-analyze only warns about${suffix}`, async (t) => {
  if (!hasAnalyze) t.fail('CI=true but systemd-analyze is not installed');
  await withUnitCopy((text) => text.replace('[Service]\n', '[Service]\nNoSuchSetting=yes\n'), async (dir) => {
    const run = await runChecker({ UNITS_DIR: dir });
    t.is(run.code, 1, run.output);
    t.regex(run.output, /Unknown key 'NoSuchSetting'/);
  });
});

check(`the checker fails a unit whose ExecStart binary does not exist${suffix}`, async (t) => {
  if (!hasAnalyze) t.fail('CI=true but systemd-analyze is not installed');
  await withUnitCopy((text) => text.replace('/usr/bin/bmc-rest-gateway', '/usr/bin/no-such-gateway-binary'), async (dir) => {
    const run = await runChecker({ UNITS_DIR: dir });
    t.is(run.code, 1, run.output);
    t.regex(run.output, /FAIL systemd-analyze verify bmc-rest-gateway\.service/);
  });
});

test('LimitNOFILE= covers the descriptors the default connection cap may need', async (t) => {
  const { loadConfig } = await import('../../src/config.js');
  const { descriptorsNeeded, openFileLimit } = await import('../../src/http/connections.js');
  const unit = await readFile(join(ROOT, 'systemd', 'bmc-rest-gateway.service'), 'utf8');
  const limit = Number(/^LimitNOFILE=(\d+)$/m.exec(unit)?.[1]);
  const { maxConnections } = loadConfig([], {}).config;
  t.true(limit >= descriptorsNeeded(maxConnections), `LimitNOFILE=${limit} < ${descriptorsNeeded(maxConnections)} for --max-connections ${maxConnections}`);
  // The start-up check reads the same number from /proc/self/limits.
  t.is(openFileLimit('Limit                     Soft Limit           Hard Limit           Units\n'
    + 'Max open files            1024                 524288               files\n'), 1024);
  t.is(openFileLimit('Max open files            unlimited            unlimited            files\n'), undefined);
});
