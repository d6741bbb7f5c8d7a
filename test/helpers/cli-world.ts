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
import dbus from 'dbus-next';
import { startSimulatedBmc, type SimulatedBmc } from '../../fixtures/bmc.js';
import { connect, startPrivateBus, type PrivateBus } from '../../fixtures/dbus-daemon.js';
import { waitForConnect } from '../../fixtures/lib/bus-call.js';
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

/**
 * Resolves when some connection on the bus sends a method call named
 * `member` (a D-Bus monitor, BecomeMonitor): proof that a request is now in
 * flight inside the gateway, without sleeping.
 */
export async function watchForCall(address: string, member: string): Promise<{ seen: Promise<void>; stop(): void }> {
  const monitor = connect(address);
  monitor.on('error', () => undefined);
  await waitForConnect(monitor);
  // A monitor must never answer: claim every call so dbus-next does not reply "UnknownMethod".
  monitor.addMethodHandler(() => true);
  const seen = new Promise<void>((resolve) => {
    monitor.on('message', (msg: dbus.Message) => {
      if (msg.type === dbus.MessageType.METHOD_CALL && msg.member === member) resolve();
    });
  });
  await monitor.call(new dbus.Message({
    destination: 'org.freedesktop.DBus',
    path: '/org/freedesktop/DBus',
    interface: 'org.freedesktop.DBus.Monitoring',
    member: 'BecomeMonitor',
    signature: 'asu',
    body: [[`type='method_call',member='${member}'`], 0],
  }));
  return { seen, stop: () => monitor.disconnect() };
}
