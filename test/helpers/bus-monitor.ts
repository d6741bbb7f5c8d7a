/**
 * A D-Bus monitor (org.freedesktop.DBus.Monitoring.BecomeMonitor) that
 * records every message one connection sends or receives: the tests use it
 * to prove that a request caused no D-Bus traffic at all.
 *
 * Ordering, not sleeping: messages of one connection reach the monitor in
 * the order the connection sent them. So once the monitor has seen a marker
 * call the gateway made after the requests under test, it has also seen
 * anything those requests made.
 */
import dbus from 'dbus-next';
import { connect } from '../../fixtures/dbus-daemon.js';
import { waitForConnect } from '../../fixtures/lib/bus-call.js';
import type { BusConnection } from '../../src/dbus/bus.js';

export interface MonitoredMessage {
  readonly type: 'call' | 'return' | 'error' | 'signal';
  readonly sender: string;
  readonly destination: string;
  readonly path: string;
  readonly interfaceName: string;
  readonly member: string;
  readonly body: readonly unknown[];
}

const TYPES: Record<number, MonitoredMessage['type']> = {
  [dbus.MessageType.METHOD_CALL]: 'call',
  [dbus.MessageType.METHOD_RETURN]: 'return',
  [dbus.MessageType.ERROR]: 'error',
  [dbus.MessageType.SIGNAL]: 'signal',
};

export class BusMonitor {
  readonly messages: MonitoredMessage[] = [];
  readonly #bus: dbus.MessageBus;
  #wake: (() => void) | undefined;

  private constructor(bus: dbus.MessageBus) {
    this.#bus = bus;
  }

  /** Monitors everything `uniqueName` sends and everything sent to it. */
  static async start(address: string, uniqueName: string): Promise<BusMonitor> {
    const bus = connect(address);
    bus.on('error', () => undefined);
    await waitForConnect(bus);
    const monitor = new BusMonitor(bus);
    // A monitor must never send: claim every call so dbus-next does not answer "UnknownMethod".
    bus.addMethodHandler(() => true);
    await bus.call(new dbus.Message({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus.Monitoring',
      member: 'BecomeMonitor',
      signature: 'asu',
      body: [[`sender='${uniqueName}'`, `destination='${uniqueName}'`], 0],
    }));
    bus.on('message', (msg: dbus.Message) => {
      // The daemon's NameLost/NameAcquired to the monitor itself are not traffic of the watched connection.
      if (msg.sender !== uniqueName && msg.destination !== uniqueName) return;
      monitor.messages.push({
        type: TYPES[msg.type] ?? 'call',
        sender: msg.sender ?? '',
        destination: msg.destination ?? '',
        path: msg.path ?? '',
        interfaceName: msg.interface ?? '',
        member: msg.member ?? '',
        body: msg.body ?? [],
      });
      monitor.#wake?.();
    });
    return monitor;
  }

  /** Resolves with the index of the first message matching `predicate`, waiting for it if need be. */
  async waitFor(predicate: (message: MonitoredMessage) => boolean, timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex(predicate);
      if (index >= 0) return index;
      if (Date.now() > deadline) throw new Error('the monitor did not see the expected message');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  stop(): void {
    this.#bus.disconnect();
  }
}

/**
 * Resolves `seen` once every one of `members` has been called (by anyone;
 * on `objectPath` only, if given): proof that a request is now in flight
 * inside the gateway, without sleeping. A monitor of its own, so that it sees
 * calls of every connection.
 */
export async function watchCalls(
  address: string,
  members: readonly string[],
  objectPath?: string,
): Promise<{ seen: Promise<void>; stop(): void }> {
  const monitor = connect(address);
  monitor.on('error', () => undefined);
  await waitForConnect(monitor);
  // A monitor must never answer: claim every call so dbus-next does not reply "UnknownMethod".
  monitor.addMethodHandler(() => true);
  const waiting = new Set(members);
  const seen = new Promise<void>((resolve) => {
    monitor.on('message', (msg: dbus.Message) => {
      if (msg.type !== dbus.MessageType.METHOD_CALL || msg.member === undefined) return;
      if (objectPath !== undefined && msg.path !== objectPath) return;
      waiting.delete(msg.member);
      if (waiting.size === 0) resolve();
    });
  });
  const rule = ["type='method_call'"];
  if (objectPath !== undefined) rule.push(`path='${objectPath}'`);
  if (members.length === 1) rule.push(`member='${members[0]}'`);
  await monitor.call(new dbus.Message({
    destination: 'org.freedesktop.DBus',
    path: '/org/freedesktop/DBus',
    interface: 'org.freedesktop.DBus.Monitoring',
    member: 'BecomeMonitor',
    signature: 'asu',
    body: [[rule.join(',')], 0],
  }));
  return { seen, stop: () => monitor.disconnect() };
}

/** How many match rules the bus daemon holds for the connection `bus` (Debug.Stats, as the private bus allows). */
export async function matchRulesAtDaemon(bus: BusConnection): Promise<number> {
  const [stats] = await bus.call({
    busName: 'org.freedesktop.DBus',
    objectPath: '/org/freedesktop/DBus',
    interfaceName: 'org.freedesktop.DBus.Debug.Stats',
    member: 'GetConnectionStats',
    signature: 's',
    body: [bus.uniqueName],
  });
  return (stats as Record<string, dbus.Variant<number>>).MatchRules?.value ?? Number.NaN;
}
