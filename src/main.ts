#!/usr/bin/env node
/**
 * The bmc-rest-gateway command: parse the configuration, start, and stop
 * cleanly on SIGTERM/SIGINT. Losing the bus is fatal on purpose: the exit
 * status tells systemd to restart the daemon with a fresh connection.
 */
import { packageVersion } from './version.js';
import { ConfigError, USAGE, helpText, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { startGateway } from './server.js';
import { clearListenFdsEnvironment, listenFdsFromEnvironment } from './socket-activation.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      // The error last, where the eye lands; --help has the list of options.
      process.stderr.write(`${USAGE} (--help lists them)\nbmc-rest-gateway: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(helpText() + '\n');
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`bmc-rest-gateway ${packageVersion()}\n`);
    return 0;
  }
  const { config } = parsed;
  const log = createLogger(config.logLevel);
  const started = Date.now();
  // systemd socket activation: serve on the inherited socket (fd 3).
  const inherited = listenFdsFromEnvironment(process.env, process.pid);
  clearListenFdsEnvironment(process.env);
  if (inherited && inherited.count > 1) log.warning(`LISTEN_FDS=${inherited.count}: serving on fd ${inherited.fd} only`);
  const gateway = await startGateway(config, log, inherited ? { listenFd: inherited.fd } : {});
  const via = inherited ? `inherited socket fd ${inherited.fd}` : `${config.host}:${config.port}`;
  // Start-up cost, as a BMC operator sees it: the gateway's own start, and since the process began (Node's boot included).
  const sinceProcessStart = Math.round(performance.now());
  log.info(`listening on ${gateway.url} (${via}; bus ${config.busAddress}; started in ${Date.now() - started} ms, ${sinceProcessStart} ms since process start)`);
  // Machine-readable line for scripts and tests that start the CLI.
  process.stdout.write(`LISTENING ${gateway.url}\n`);

  return new Promise<number>((resolve) => {
    gateway.bus.onClose((reason) => {
      log.error(`lost the D-Bus connection: ${reason.message}; exiting so the service manager restarts us`);
      resolve(1);
    });
    const stop = (signal: string) => {
      // The listener is gone after this: a second signal ends the process at once.
      log.info(`${signal}: shutting down (in-flight requests get up to ${config.shutdownTimeoutMs} ms)`);
      // Every socket is destroyed at the drain deadline; releasing the bus may take one call
      // deadline more. Past that, something is stuck: exit rather than wait for SIGKILL.
      setTimeout(() => {
        log.error('shutdown did not finish in time; exiting');
        resolve(1);
      }, config.shutdownTimeoutMs + config.callTimeoutMs + 2000).unref();
      gateway.close().then(() => {
        log.info('stopped');
        resolve(0);
      }, (err: unknown) => {
        log.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        resolve(1);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bmc-rest-gateway: ${err instanceof Error ? err.message : String(err)}\n`);
    // A setting naming the wrong file fails the same way on every restart: exit 2, which the unit does not retry.
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
