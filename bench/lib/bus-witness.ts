/**
 * Worker thread: a plain D-Bus subscriber that records when each sensor
 * Value PropertiesChanged reaches a bus client. It is the reference for the
 * websocket figures: "expected" events are the ones it saw, and websocket
 * latency is measured from its arrival time. It runs in its own thread so
 * that the 100 websocket clients on the main thread do not delay its clock
 * readings. Times are performance.timeOrigin + now(), comparable across threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import dbus from 'dbus-next';
import { connect } from '../../fixtures/dbus-daemon.js';
import { addMatch, waitForConnect } from '../../fixtures/lib/bus-call.js';

const { busAddress, root, iface } = workerData as { busAddress: string; root: string; iface: string };
const paths: string[] = [];
const values: number[] = [];
const times: number[] = [];

const bus = connect(busAddress);
bus.on('error', () => undefined);
await waitForConnect(bus);
bus.on('message', (msg: dbus.Message) => {
  if (msg.type !== dbus.MessageType.SIGNAL || msg.member !== 'PropertiesChanged') return;
  const t = performance.timeOrigin + performance.now();
  const [changedIface, changed] = msg.body as [string, Record<string, dbus.Variant>];
  if (changedIface !== iface || !changed.Value) return;
  paths.push(msg.path);
  values.push(Number(changed.Value.value));
  times.push(t);
});
await addMatch(bus, `type='signal',interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',path_namespace='${root}'`);
parentPort?.postMessage({ ready: true });
parentPort?.on('message', () => {
  bus.disconnect();
  parentPort?.postMessage({ paths, values, times });
});
