/**
 * The dbus-python baseline: bench/python/dbus_enumerate.py does the
 * gateway's enumerate with Debian's python3-dbus (what a Python REST server
 * such as phosphor-rest-server pays) and reports the CPU time of each
 * iteration. test/e2e/python-baseline.test.ts checks that its answer is the
 * gateway's.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BUILD_DIR } from './processes.js';

const run = promisify(execFile);
/** Debian's interpreter: python3-dbus is installed for it, whatever `python3` is first on the PATH. */
export const PYTHON = '/usr/bin/python3';
const SCRIPT = join(BUILD_DIR, '..', 'bench/python/dbus_enumerate.py');

async function importsDbus(): Promise<boolean> {
  return run(PYTHON, ['-c', 'import dbus']).then(() => true, () => false);
}

/**
 * True when the baseline can run; installs python3-dbus with apt-get when it
 * is missing and the bench runs as root. `say` reports what was done.
 */
export async function ensurePythonDbus(say: (text: string) => void): Promise<boolean> {
  if (await importsDbus()) return true;
  if (process.getuid?.() !== 0) {
    say('python3-dbus is missing and the bench is not root: no dbus-python baseline (apt-get install python3-dbus)');
    return false;
  }
  say('installing python3-dbus for the dbus-python baseline (apt-get)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update', '-qq'], { env });
    await run('apt-get', ['install', '-y', '-qq', 'python3-dbus'], { env });
  } catch (err) {
    say(`could not install python3-dbus: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  return importsDbus();
}

export interface PythonIteration {
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly bytes: number;
}

/** `iterations` enumerates of `root` in one dbus-python process (one connection, as a server would keep). */
export async function pythonEnumerate(busAddress: string, root: string, iterations: number): Promise<PythonIteration[]> {
  const { stdout } = await run(PYTHON, [SCRIPT, '--address', busAddress, '--root', root, '--iterations', String(iterations)],
    { maxBuffer: 16 << 20 });
  return stdout.trim().split('\n').map((line) => {
    const parsed = JSON.parse(line) as { cpu_ms: number; wall_ms: number; bytes: number };
    return { cpuMs: parsed.cpu_ms, wallMs: parsed.wall_ms, bytes: parsed.bytes };
  });
}
