/**
 * PropertiesChanged of a subtree, followed through one match rule
 * (`path_namespace`), for the jobs' completion rules. The rule is added
 * before watchProperties resolves, so a caller that subscribes and then
 * writes misses no change; dispose() removes it (shared rules are counted by
 * the bus's MatchRules).
 */
import type { BusConnection, SignalMessage } from '../dbus/bus.js';
import type { Json } from '../dbus/convert.js';
import { matchRule } from '../dbus/match-rules.js';
import { PROPERTIES_INTERFACE } from '../dbus/names.js';

export interface PropertyChange {
  readonly objectPath: string;
  readonly interfaceName: string;
  readonly changed: Readonly<Record<string, Json>>;
}

export interface PropertyWatch {
  dispose(): Promise<void>;
}

export async function watchProperties(bus: BusConnection, pathNamespace: string, listener: (change: PropertyChange) => void): Promise<PropertyWatch> {
  const rule = matchRule({ type: 'signal', interface: PROPERTIES_INTERFACE, member: 'PropertiesChanged', path_namespace: pathNamespace });
  const inside = pathNamespace === '/' ? () => true : (path: string) => path === pathNamespace || path.startsWith(`${pathNamespace}/`);
  const unsubscribe = bus.onSignal((signal) => {
    const change = propertyChange(signal);
    if (change && inside(change.objectPath)) listener(change);
  });
  try {
    await bus.matchRules.acquire(rule);
  } catch (err) {
    unsubscribe();
    throw err;
  }
  let disposed = false;
  return {
    async dispose() {
      if (disposed) return;
      disposed = true;
      unsubscribe();
      await bus.matchRules.release(rule);
    },
  };
}

function propertyChange(signal: SignalMessage): PropertyChange | undefined {
  if (signal.interfaceName !== PROPERTIES_INTERFACE || signal.member !== 'PropertiesChanged') return undefined;
  const [interfaceName, changed] = signal.jsonBody;
  if (typeof interfaceName !== 'string' || typeof changed !== 'object' || changed === null || Array.isArray(changed)) return undefined;
  return { objectPath: signal.objectPath, interfaceName, changed };
}
