/**
 * What the CLI end-to-end tests (socket activation, lifecycle) start before
 * the daemon: a private bus, the simulated BMC on it, a temp dir for the TLS
 * pair and the users file, and the CLI flags that point at all of them.
 * Everything is torn down by t.teardown, in reverse order.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { startSimulatedBmc, type SimulatedBmc } from '../../fixtures/bmc.js';
import { startPrivateBus, type PrivateBus } from '../../fixtures/dbus-daemon.js';
import { cliAuthFlags } from './cli-auth.js';

export interface CliWorld {
  readonly bus: PrivateBus;
  readonly sim: SimulatedBmc;
  readonly dir: string;
  /** Flags for the CLI: bus, TLS pair and users file in `dir`, loopback port 0. */
  readonly args: readonly string[];
  /** The certificate the daemon generated (read once it is listening). */
  certificate(): Promise<string>;
  /** Registers a cleanup to run before the world's own. */
  cleanup(fn: () => Promise<unknown>): void;
}

export async function startCliWorld(t: ExecutionContext): Promise<CliWorld> {
  const cleanups: Array<() => Promise<unknown>> = [];
  t.teardown(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
  });
  const bus = await startPrivateBus();
  cleanups.push(() => bus.stop());
  const sim = await startSimulatedBmc({ busAddress: bus.address, transitionMs: 50 });
  cleanups.push(() => sim.stop());
  const dir = await mkdtemp(join(tmpdir(), 'cli-e2e-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const args = [
    '--bus-address', bus.address,
    '--host', '127.0.0.1', '--port', '0',
    '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'),
    '--image-dir', join(dir, 'images'),
    ...(await cliAuthFlags(dir)),
  ];
  return {
    bus, sim, dir, args,
    certificate: () => readFile(join(dir, 'cert.pem'), 'utf8'),
    cleanup: (fn) => cleanups.push(fn),
  };
}
