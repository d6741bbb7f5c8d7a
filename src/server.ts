/**
 * Composition root: connect the bus, build the BMC facade and the app, and
 * listen. `main.ts` (the CLI) and the tests both start the gateway through
 * `startGateway`, so the tests exercise the real wiring.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { loadCompletionRules } from './bmc/jobs/completion-rules.js';
import { Jobs } from './bmc/jobs/jobs.js';
import { type Auth, createAuth } from './auth/setup.js';
import { Bmc } from './bmc/objects.js';
import type { Config } from './config.js';
import { BusConnection } from './dbus/bus.js';
import type { Logger } from './log.js';
import { HttpDrain } from './http/drain.js';
import { CONNECTIONS_CHECKING_INTERVAL_MS, ConnectionGuard, descriptorsNeeded, openFileLimit } from './http/connections.js';
import { loadOrCreateCertificate } from './tls.js';
import { TLS_POLICY } from './tls-policy.js';
import { RouteTable } from './http/routes.js';
import { SubscribeService } from './ws/service.js';

export interface Gateway {
  readonly server: Server;
  readonly bus: BusConnection;
  readonly bmc: Bmc;
  /** Authentication: `auth.guard.check(req, action)` for websocket upgrades; `auth.audit` for audit lines. */
  readonly auth: Auth;
  /** `https://127.0.0.1:8443` style base URL of the listening socket. */
  readonly url: string;
  /** The certificate served (PEM), when TLS is on. */
  readonly certificate?: string;
  /** The `/subscribe` websocket service (attached to the server's `upgrade` event). */
  readonly subscriptions: SubscribeService;
  /** Stops accepting, finishes, releases the bus. */
  close(): Promise<void>;
}

export interface StartOptions {
  /**
   * A listening socket inherited from systemd (socket activation): serve on
   * it instead of listening on config.host/config.port.
   */
  readonly listenFd?: number;
}

export async function startGateway(config: Config, log: Logger, options: StartOptions = {}): Promise<Gateway> {
  const completionRules = await loadCompletionRules(config.completionRulesFile);
  const bus = await BusConnection.connect({ address: config.busAddress, callTimeoutMs: config.callTimeoutMs });
  const bmc = new Bmc(bus, { maxConcurrentCalls: config.maxConcurrentCalls });
  await bmc.start();
  let auth: Auth;
  try {
    auth = await createAuth(config, bus, log);
  } catch (err) {
    // A bad auth setting stops the start; release what is already open.
    await bmc.stop().catch(() => undefined);
    await bus.close();
    throw err;
  }
  const routes = new RouteTable();
  const jobs = new Jobs(bmc, completionRules, { maxJobs: config.maxJobs, retentionMs: config.jobRetentionMs, callTimeoutMs: config.jobTimeoutMs }, log);
  const app = createApp({ config, bmc, log, routes, auth, jobs });
  let server: Server;
  let certificate: string | undefined;
  if (config.tls) {
    const tls = await loadOrCreateCertificate(config.tlsCertPath, config.tlsKeyPath).catch(async (err: unknown) => {
      await bmc.stop().catch(() => undefined);
      await bus.close();
      throw err;
    });
    if (tls.generated) log.info(`created a self-signed certificate at ${config.tlsCertPath}`);
    certificate = tls.cert;
    server = createHttpsServer({
      cert: tls.cert, key: tls.key, ...TLS_POLICY,
      handshakeTimeout: config.tlsHandshakeTimeoutMs,
      connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
    }, app.callback()) as unknown as Server;
  } else {
    server = createHttpServer({ connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS }, app.callback());
  }
  const connections = new ConnectionGuard(server, {
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    headersTimeoutMs: config.headersTimeoutMs,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
  }, config.tls, log, routes.allVerbs);
  const fdLimit = openFileLimit();
  if (fdLimit !== undefined && fdLimit < descriptorsNeeded(config.maxConnections)) {
    log.warning(`the open file limit (${fdLimit}) is below what --max-connections ${config.maxConnections} may need `
      + `(${descriptorsNeeded(config.maxConnections)}): raise LimitNOFILE= or lower --max-connections`);
  }
  // /subscribe: the same guard as every route, checked before the 101.
  const subscriptions = new SubscribeService({
    bus,
    routes,
    guard: auth.guard,
    log,
    audit: auth.audit,
    jobs: jobs.table,
    options: {
      pingIntervalMs: config.wsPingIntervalMs,
      maxConnections: config.wsMaxConnections,
      maxConnectionsPerUser: config.wsMaxConnectionsPerUser,
      maxPaths: config.wsMaxPaths,
      maxInterfaces: config.wsMaxInterfaces,
      sendBufferBytes: config.wsSendBufferBytes,
    },
  });
  server.on('upgrade', subscriptions.handleUpgrade);
  const drain = new HttpDrain(server, connections);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const target = options.listenFd !== undefined ? { fd: options.listenFd } : { port: config.port, host: config.host };
    server.listen(target, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = baseUrl(server.address(), config.tls);
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    // Stop accepting; in-flight requests get shutdownTimeoutMs to finish.
    const drained = drain.drain(config.shutdownTimeoutMs);
    log.info(`stopped accepting connections; ${drain.inFlight} request(s) in flight`);
    // Upgraded sockets would hold the drain: close the websockets (1001).
    await subscriptions.close();
    const { finished, cut } = await drained;
    if (cut > 0) log.warning(`shutdown: cut ${cut} request(s) still running after ${config.shutdownTimeoutMs} ms`);
    else if (finished > 0) log.info(`shutdown: ${finished} in-flight request(s) finished`);
    await auth.close().catch(() => undefined);
    await bmc.stop().catch(() => undefined);
    await bus.close();
  })());
  return { server, bus, bmc, auth, url, subscriptions, ...(certificate ? { certificate } : {}), close };
}

/** The URL a local client uses to reach the socket (a wildcard address becomes loopback). */
function baseUrl(address: AddressInfo | string | null, tls: boolean): string {
  const scheme = tls ? 'https' : 'http';
  // An inherited AF_UNIX socket (ListenStream=/path): no host and port to give.
  if (address === null || typeof address === 'string') return `${scheme}+unix://${encodeURIComponent(address ?? '')}`;
  const wildcard = address.address === '0.0.0.0' || address.address === '::';
  const host = wildcard ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${scheme}://${host}:${address.port}`;
}
