/**
 * Signals → /subscribe events. The signals are real messages: written by
 * dbus-next's marshaller, read by the gateway's own reader and decoder
 * (src/dbus/incoming.ts, signal-message.ts), as the bus connection does.
 */
import test from 'ava';
import dbus from 'dbus-next';
import type { SignalMessage } from '../../src/dbus/bus.js';
import { parseMessage } from '../../src/dbus/incoming.js';
import { ReceivedSignal } from '../../src/dbus/signal-message.js';
import { writeJson } from '../../src/http/json-text.js';
import { summarise, toEvent } from '../../src/ws/events.js';
import { signalMessage, splitMessage } from '../helpers/wire-samples.js';

const V = (signature: string, value: unknown): dbus.Variant => new dbus.Variant(signature, value);
const PROPERTIES = 'org.freedesktop.DBus.Properties';
const OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager';
const HOST = '/xyz/openbmc_project/state/host0';

function received(bytes: Buffer): SignalMessage {
  return new ReceivedSignal(parseMessage(...splitMessage(bytes)));
}

function signal(objectPath: string, interfaceName: string, member: string, signature: string, body: unknown[]): SignalMessage {
  return received(signalMessage({ path: objectPath, interfaceName, member }, signature, body));
}

/** summarise + toEvent + the compact writer, as the hub does it. */
function render(message: SignalMessage): string | undefined {
  const summary = summarise(message);
  return summary === undefined ? undefined : writeJson(toEvent(message, summary), 0);
}

const cases: Array<[string, SignalMessage, string | undefined]> = [
  [
    'PropertiesChanged of host state',
    signal(HOST, PROPERTIES, 'PropertiesChanged', 'sa{sv}as', [
      'xyz.openbmc_project.State.Host',
      { CurrentHostState: V('s', 'xyz.openbmc_project.State.Host.HostState.Running') },
      [],
    ]),
    '{"event":"PropertiesChanged","interface":"xyz.openbmc_project.State.Host","path":"/xyz/openbmc_project/state/host0",' +
      '"properties":{"CurrentHostState":"xyz.openbmc_project.State.Host.HostState.Running"}}',
  ],
  [
    'values: 64-bit exact, booleans true/false, NaN null, ay numbers, nested variants unwrapped',
    signal('/t', PROPERTIES, 'PropertiesChanged', 'sa{sv}as', [
      'x.y',
      {
        Big: V('t', 18446744073709551615n),
        Small: V('x', -5n),
        On: V('b', true),
        Reading: V('d', Number.NaN),
        Bytes: V('ay', Buffer.from([1, 2])),
        Nested: V('v', V('i', 7)),
      },
      ['Invalidated'],
    ]),
    '{"event":"PropertiesChanged","interface":"x.y","path":"/t","properties":' +
      '{"Big":18446744073709551615,"Bytes":[1,2],"Nested":7,"On":true,"Reading":null,"Small":-5}}',
  ],
  [
    'only invalidated properties: no event',
    signal('/t', PROPERTIES, 'PropertiesChanged', 'sa{sv}as', ['x.y', {}, ['Value']]),
    undefined,
  ],
  [
    'InterfacesAdded: path is the new object, full interfaces dict',
    signal('/xyz/openbmc_project/logging', OBJECT_MANAGER, 'InterfacesAdded', 'oa{sa{sv}}', [
      '/xyz/openbmc_project/logging/entry/4',
      {
        'xyz.openbmc_project.Logging.Entry': { Id: V('u', 4), Resolved: V('b', false), Message: V('s', 'disk on fire') },
        'xyz.openbmc_project.Object.Delete': {},
      },
    ]),
    '{"event":"InterfacesAdded","interfaces":{"xyz.openbmc_project.Logging.Entry":{"Id":4,"Message":"disk on fire","Resolved":false},' +
      '"xyz.openbmc_project.Object.Delete":{}},"path":"/xyz/openbmc_project/logging/entry/4"}',
  ],
  [
    'InterfacesRemoved: the removed names',
    signal('/xyz/openbmc_project/logging', OBJECT_MANAGER, 'InterfacesRemoved', 'oas', [
      '/xyz/openbmc_project/logging/entry/4',
      ['xyz.openbmc_project.Logging.Entry', 'xyz.openbmc_project.Object.Delete'],
    ]),
    '{"event":"InterfacesRemoved","interfaces":["xyz.openbmc_project.Logging.Entry","xyz.openbmc_project.Object.Delete"],' +
      '"path":"/xyz/openbmc_project/logging/entry/4"}',
  ],
  ['non-ASCII is escaped (length = bytes)', signal('/t', PROPERTIES, 'PropertiesChanged', 'sa{sv}as', ['x.y', { Name: V('s', 'Ω') }, []]),
    '{"event":"PropertiesChanged","interface":"x.y","path":"/t","properties":{"Name":"\\u03a9"}}'],
  ['another signal of Properties', signal('/t', PROPERTIES, 'Other', 'sa{sv}as', ['x.y', { A: V('i', 1) }, []]), undefined],
  ['NameOwnerChanged', signal('/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameOwnerChanged', 'sss', ['a', '', ':1.1']), undefined],
  ['PropertiesChanged with a wrong signature', signal('/t', PROPERTIES, 'PropertiesChanged', 'sa{sv}', ['x.y', { A: V('i', 1) }]), undefined],
  ['InterfacesAdded with a wrong signature', signal('/t', OBJECT_MANAGER, 'InterfacesAdded', 'sa{sa{sv}}', ['/a', {}]), undefined],
  ['InterfacesRemoved with names of another type', signal('/t', OBJECT_MANAGER, 'InterfacesRemoved', 'oai', ['/a', [1]]), undefined],
  ['a same-named signal of another interface', signal('/t', 'com.example.Fake', 'InterfacesAdded', 'oa{sa{sv}}', ['/a', {}]), undefined],
];
for (const [name, message, expected] of cases) {
  test(name, (t) => {
    t.is(render(message), expected);
  });
}

test('summaries name what filters need', (t) => {
  const summary = summarise(signal('/xyz/openbmc_project/logging', OBJECT_MANAGER, 'InterfacesAdded', 'oa{sa{sv}}', [
    '/xyz/openbmc_project/logging/entry/1', { 'a.B': {}, 'c.D': {} },
  ]));
  t.deepEqual(summary, { event: 'InterfacesAdded', path: '/xyz/openbmc_project/logging/entry/1', interfaces: ['a.B', 'c.D'] });
});

test('a body that does not fit its signature is no event', (t) => {
  const bytes = signalMessage({ path: '/t', interfaceName: PROPERTIES, member: 'PropertiesChanged' }, 'sa{sv}as', ['x.y', { A: V('b', true) }, []]);
  t.truthy(summarise(received(bytes)), 'the intact signal is an event');
  // The boolean's value (the body's last uint32 before the empty array) becomes 7.
  const broken = Buffer.from(bytes);
  const booleanAt = broken.length - 8;
  t.is(broken.readUInt32LE(booleanAt), 1);
  broken.writeUInt32LE(7, booleanAt);
  const message = received(broken);
  t.deepEqual(message.jsonBody, []);
  t.is(summarise(message), undefined);
});
