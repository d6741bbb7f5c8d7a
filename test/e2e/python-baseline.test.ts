/**
 * The benchmark's dbus-python baseline (bench/python/dbus_enumerate.py)
 * does the gateway's work: its answer to an enumerate is the gateway's, value
 * for value, on the simulated BMC (otherwise the CPU ratio the bench reports
 * would compare different work). Needs Debian's python3-dbus, which .ci/run
 * installs.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { type Harness, startHarness } from '../helpers/harness.js';
import { parseExact } from '../helpers/exact-json.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../../bench/python/dbus_enumerate.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

let h: Harness;

test.before(async () => {
  h = await startHarness({ sim: { sensorCount: 40 } });
});

test.after.always(async () => {
  await h?.close();
});

for (const root of ['/xyz/openbmc_project', '/xyz/openbmc_project/sensors', '/xyz/openbmc_project/test', '/']) {
  test.serial(`dbus-python's enumerate of ${root} is the gateway's answer`, async (t) => {
    const { stdout } = await run(PYTHON, [SCRIPT, '--address', h.bus.address, '--root', root, '--dump'], { maxBuffer: 64 << 20 });
    const gateway = await h.client.get(`${root === '/' ? '' : root}/enumerate`);
    t.is(gateway.status, 200, gateway.text);
    const ours = parseExact(gateway.text) as { data: Record<string, unknown> };
    const theirs = parseExact(stdout) as { data: Record<string, unknown> };
    t.true(Object.keys(ours.data).length > 5, `${Object.keys(ours.data).length} objects`);
    // The time manager computes Elapsed (microseconds since the epoch) at each read.
    for (const answer of [ours, theirs]) {
      for (const properties of Object.values(answer.data)) delete (properties as Record<string, unknown>).Elapsed;
    }
    t.deepEqual(theirs, ours);
  });
}

test.serial('the baseline reports CPU and wall time per iteration', async (t) => {
  const { stdout } = await run(PYTHON, [SCRIPT, '--address', h.bus.address, '--root', '/xyz/openbmc_project/sensors', '--iterations', '2']);
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as { cpu_ms: number; wall_ms: number; bytes: number });
  t.is(lines.length, 2);
  for (const line of lines) {
    t.true(line.cpu_ms > 0 && line.wall_ms > 0 && line.bytes > 100, JSON.stringify(line));
  }
});
