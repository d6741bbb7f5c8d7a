/**
 * D-Bus signals → `/subscribe` events. Pure.
 *
 * Two steps so the hub can skip the expensive one: `summarise` reads only
 * the names a filter needs (kind, object path, interfaces) and recognises the
 * three signals; `toEvent` builds the event from the signal's body, which the
 * bus connection decoded into JSON values (64-bit exact, booleans
 * true/false, NaN → null, variants unwrapped).
 *
 * Shapes (DESIGN section 7):
 *   {"event": "PropertiesChanged", "path", "interface", "properties": {name: value}}
 *   {"event": "InterfacesAdded", "path": <new object>, "interfaces": {iface: {name: value}}}
 *   {"event": "InterfacesRemoved", "path": <removed object>, "interfaces": [iface, ...]}
 * PropertiesChanged's invalidated list is dropped, as both originals did; a
 * PropertiesChanged with no changed values (only invalidations) is no event.
 * InterfacesAdded carries the new object's FULL interfaces dict, not only the
 * interfaces the filter named (phosphor-rest-server's behaviour; bmcweb cut it
 * down): the client learns the whole new object from one message, and the
 * gateway serialises each signal once for every subscriber.
 */
import type { SignalMessage } from '../dbus/bus.js';
import type { Json } from '../dbus/convert.js';
import { OBJECT_MANAGER_INTERFACE, PROPERTIES_INTERFACE } from '../dbus/names.js';
import type { EventSummary } from './filter.js';

/**
 * Recognises PropertiesChanged (`sa{sv}as`), InterfacesAdded (`oa{sa{sv}}`)
 * and InterfacesRemoved (`oas`); undefined for any other or malformed signal.
 */
export function summarise(signal: SignalMessage): EventSummary | undefined {
  const [first, second] = signal.jsonBody;
  if (signal.interfaceName === PROPERTIES_INTERFACE && signal.member === 'PropertiesChanged') {
    if (signal.signature !== 'sa{sv}as' || typeof first !== 'string' || !isRecord(second)) return undefined;
    if (Object.keys(second).length === 0) return undefined;
    return { event: 'PropertiesChanged', path: signal.objectPath, interfaces: [first] };
  }
  if (signal.interfaceName !== OBJECT_MANAGER_INTERFACE || typeof first !== 'string') return undefined;
  if (signal.member === 'InterfacesAdded') {
    if (signal.signature !== 'oa{sa{sv}}' || !isRecord(second)) return undefined;
    return { event: 'InterfacesAdded', path: first, interfaces: Object.keys(second) };
  }
  if (signal.member === 'InterfacesRemoved') {
    if (signal.signature !== 'oas' || !Array.isArray(second) || !second.every((n) => typeof n === 'string')) {
      return undefined;
    }
    return { event: 'InterfacesRemoved', path: first, interfaces: second as string[] };
  }
  return undefined;
}

/** The event object for a signal `summarise` accepted. */
export function toEvent(signal: SignalMessage, summary: EventSummary): Json {
  switch (summary.event) {
    case 'PropertiesChanged':
      return {
        event: summary.event,
        path: summary.path,
        interface: summary.interfaces[0] ?? '',
        properties: signal.jsonBody[1] ?? {},
      };
    case 'InterfacesAdded':
      return { event: summary.event, path: summary.path, interfaces: signal.jsonBody[1] ?? {} };
    case 'InterfacesRemoved':
      return { event: summary.event, path: summary.path, interfaces: [...summary.interfaces] };
    case 'JobChanged':
      // Never a signal: the hub writes job events itself (EventHub.publishJob).
      throw new Error('a JobChanged summary of a signal');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
