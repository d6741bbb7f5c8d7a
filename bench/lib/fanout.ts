/**
 * Websocket fan-out: N `/subscribe` clients with the same sensor filter,
 * while the simulated sensors change at a given rate.
 *
 * Method (honest about what is measured):
 * - A D-Bus subscriber in a worker thread (bus-witness.ts) sees every sensor
 *   Value PropertiesChanged the daemons emit; its count is "expected" per
 *   client, its arrival time is the reference time of each event.
 * - The clients and the witness are in place before the sensor daemons start
 *   (their readings begin once the mapper has scanned them) and the daemons
 *   are stopped before counting ends, so both see the same whole stream.
 *   Signals of one sender arrive in order, so the k-th event of a path at a
 *   client is the k-th event of that path at the witness (the value is
 *   compared to make sure).
 * - Latency = client arrival − witness arrival: the gateway's receive,
 *   convert, serialise and send, plus TLS and the client's own event loop
 *   (100 clients share the bench's main thread, so under load part of the
 *   figure is client-side queueing; it is an upper bound for the gateway).
 */
import { Worker } from 'node:worker_threads';
import { type ClientOptions, WebSocket } from 'ws';

export interface FanoutResult {
  readonly clients: number;
  readonly expectedPerClient: number;
  readonly expected: number;
  readonly delivered: number;
  readonly lost: number;
  /** Events a client got that the witness never saw, or out of order (should be 0). */
  readonly mismatched: number;
  readonly closedEarly: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** p50/p99 of the events of the second half of the stream (by witness time): without the simulator's start-up burst. */
  readonly steadyP50: number;
  readonly steadyP99: number;
  readonly emitSeconds: number;
}

interface Witness {
  ready: Promise<void>;
  finish(): Promise<{ paths: string[]; values: number[]; times: number[] }>;
}

function startWitness(busAddress: string, root: string, iface: string): Witness {
  const worker = new Worker(new URL('./bus-witness.js', import.meta.url), { workerData: { busAddress, root, iface } });
  let resolveReady: () => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    worker.once('error', reject);
  });
  let result: ((value: { paths: string[]; values: number[]; times: number[] }) => void) | undefined;
  worker.on('message', (message: { ready?: boolean; paths?: string[]; values?: number[]; times?: number[] }) => {
    if (message.ready) resolveReady();
    else if (result) result(message as { paths: string[]; values: number[]; times: number[] });
  });
  return {
    ready,
    finish: () => new Promise((resolve) => {
      result = (value) => {
        void worker.terminate();
        resolve(value);
      };
      worker.postMessage('stop');
    }),
  };
}

class Client {
  readonly pathIds: number[] = [];
  readonly values: number[] = [];
  readonly times: number[] = [];
  closedEarly = false;
  constructor(readonly ws: WebSocket, pathIndex: Map<string, number>) {
    ws.on('message', (data) => {
      const t = performance.timeOrigin + performance.now();
      const event = JSON.parse(String(data)) as { event: string; path: string; properties?: { Value?: number } };
      if (event.event !== 'PropertiesChanged' || event.properties?.Value === undefined) return;
      let id = pathIndex.get(event.path);
      if (id === undefined) pathIndex.set(event.path, (id = pathIndex.size));
      this.pathIds.push(id);
      this.values.push(event.properties.Value);
      this.times.push(t);
    });
    ws.on('error', () => undefined);
  }
}

function open(url: string, ca: string, token: string, filter: unknown, pathIndex: Map<string, number>): Promise<Client> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/subscribe`, [], { headers: { 'x-auth-token': token }, ca, servername: 'localhost' } as ClientOptions);
  const client = new Client(ws, pathIndex);
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      ws.send(JSON.stringify(filter));
      // The pong for a ping sent after the filter: the filter is live.
      ws.once('pong', () => resolve(client));
      ws.ping();
    });
  });
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface FanoutOptions {
  readonly url: string;
  readonly ca: string;
  readonly token: string;
  readonly busAddress: string;
  readonly clients: number;
  readonly emitSeconds: number;
  /** Starts the emitting sensor daemons; resolves with a function that stops them. */
  readonly startSensors: () => Promise<() => Promise<void>>;
}

export async function measureFanout(options: FanoutOptions): Promise<FanoutResult> {
  const root = '/xyz/openbmc_project/sensors';
  const iface = 'xyz.openbmc_project.Sensor.Value';
  const witness = startWitness(options.busAddress, root, iface);
  await witness.ready;
  const pathIndex = new Map<string, number>();
  const clients: Client[] = [];
  // Ten at a time: a burst of 100 TLS handshakes is not what is measured here.
  for (let i = 0; i < options.clients; i += 10) {
    clients.push(...await Promise.all(Array.from({ length: Math.min(10, options.clients - i) },
      () => open(options.url, options.ca, options.token, { paths: [root], interfaces: [iface] }, pathIndex))));
  }
  for (const client of clients) client.ws.once('close', () => (client.closedEarly = true));
  // The readings start once the simulated BMC is ready (its mapper has scanned every sensor), as on a
  // BMC that has been up for a while; the start-up scan itself is not part of the stream.
  const stopSensors = await options.startSensors();
  const began = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.emitSeconds * 1000));
  await stopSensors();
  const emitSeconds = (performance.now() - began) / 1000;
  const seen = await witness.finish();
  const expectedPerClient = seen.paths.length;
  // Drain: wait until every client has everything, or nothing moved for 3 s (bounded at 60 s).
  const total = () => clients.reduce((sum, client) => sum + client.times.length, 0);
  const drainEnd = performance.now() + 60_000;
  let last = -1;
  let lastChange = performance.now();
  while (performance.now() < drainEnd) {
    const now = total();
    if (now >= expectedPerClient * clients.length) break;
    if (now !== last) {
      last = now;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > 3000) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const client of clients) client.ws.removeAllListeners('close');
  const closedEarly = clients.filter((client) => client.closedEarly).length;
  await Promise.all(clients.map((client) => new Promise<void>((resolve) => {
    if (client.ws.readyState === WebSocket.CLOSED) return resolve();
    client.ws.once('close', () => resolve());
    client.ws.close(1000);
    setTimeout(() => {
      client.ws.terminate();
      resolve();
    }, 3000).unref();
  })));

  // The witness's events per path, in order.
  const witnessByPath = new Map<string, Array<[number, number]>>();
  seen.paths.forEach((path, i) => {
    let list = witnessByPath.get(path);
    if (!list) witnessByPath.set(path, (list = []));
    list.push([seen.values[i]!, seen.times[i]!]);
  });
  const idToPath = [...pathIndex.keys()];
  const latencies: number[] = [];
  const steady: number[] = [];
  const firstSeen = seen.times[0] ?? 0;
  const midpoint = firstSeen + ((seen.times.at(-1) ?? firstSeen) - firstSeen) / 2;
  let delivered = 0;
  let mismatched = 0;
  for (const client of clients) {
    const counters = new Map<number, number>();
    client.pathIds.forEach((id, i) => {
      const k = counters.get(id) ?? 0;
      counters.set(id, k + 1);
      const reference = witnessByPath.get(idToPath[id]!)?.[k];
      if (!reference || reference[0] !== client.values[i]) {
        mismatched++;
        return;
      }
      delivered++;
      latencies.push(client.times[i]! - reference[1]);
      if (reference[1] >= midpoint) steady.push(client.times[i]! - reference[1]);
    });
  }
  const sorted = Float64Array.from(latencies).sort();
  const sortedSteady = Float64Array.from(steady).sort();
  const expected = expectedPerClient * clients.length;
  return {
    clients: clients.length,
    expectedPerClient,
    expected,
    delivered,
    lost: expected - delivered,
    mismatched,
    closedEarly,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    steadyP50: percentile(sortedSteady, 50),
    steadyP99: percentile(sortedSteady, 99),
    emitSeconds,
  };
}
