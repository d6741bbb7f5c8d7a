/**
 * End-to-end harness: a private dbus-daemon, the simulated BMC on it, and the
 * real gateway (same wiring as the CLI) on a free port over HTTPS, plus an
 * HTTP client that trusts the gateway's generated certificate.
 *
 * Authentication is on, as in production: the users-file backend with
 * TEST_USERS (root/0penBmc admin, operator, readonly, noaccess). `client`
 * sends root's credentials as HTTP Basic; `clientAs(TEST_USERS.readonly)` or
 * `client.as(null)` for others. Flags given in `flags` come last and win.
 *
 * The simulated software manager and dump manager share their directories
 * with the gateway: a fresh temporary image dir and dump dir per harness
 * (h.imageDir, h.dumpDir), unless `sim.imageDir` / `sim.dumpDir` name others.
 *
 * With BMC_GATEWAY_TEST_NODE set (helpers/gateway-node.ts), the gateway runs
 * as the CLI in a child process of that node instead (e.g. an ARM build under
 * qemu-user), with the same flags; the bus and the simulated BMC stay here.
 * Its log lines are collected from its stderr in the in-process format; only
 * `gateway.url` and `gateway.certificate` exist, and a test that reaches for
 * the in-process objects (`gateway.bus`, `gateway.subscriptions`...) fails
 * saying so.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulatedBmc, type SimOptions, type SimulatedBmc } from '../../fixtures/bmc.js';
import { startPrivateBus, type PrivateBus } from '../../fixtures/dbus-daemon.js';
import { loadConfig } from '../../src/config.js';
import { memoryLogger } from '../../src/log.js';
import { startGateway, type Gateway } from '../../src/server.js';
import { startCli } from './cli.js';
import { GATEWAY_NODE_OVERRIDE } from './gateway-node.js';
import { type Credentials, HttpClient } from './http-client.js';
import { TEST_USERS, writeTestUsersFile } from './users.js';

export interface Harness {
  readonly bus: PrivateBus;
  readonly sim: SimulatedBmc;
  readonly gateway: Gateway;
  /** Authenticates as root (Basic). */
  readonly client: HttpClient;
  /** A client sending these credentials (null: none). */
  clientAs(credentials: Credentials | null): HttpClient;
  readonly logLines: readonly string[];
  /** Where the gateway writes uploads and the simulated software manager picks them up. */
  readonly imageDir: string;
  /** Where the simulated dump manager writes dumps and /download/dump reads them. */
  readonly dumpDir: string;
  /** The gateway's users file (TEST_USERS). */
  readonly usersFile: string;
  /** Tears everything down in reverse order; safe to call twice. */
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly sim?: Partial<Omit<SimOptions, 'busAddress'>>;
  /** Extra CLI flags for the gateway, e.g. ['--call-timeout-ms', '500']. */
  readonly flags?: readonly string[];
  /**
   * The simulated user manager keeps its account state in the gateway's users file (expired
   * passwords, lockouts, one-time code secrets, the account policy: fixtures/services/user-accounts.ts).
   */
  readonly shareUsersFile?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const bus = await startPrivateBus();
  const cleanups: Array<() => Promise<void>> = [() => bus.stop()];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), 'gateway-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const imageDir = options.sim?.imageDir ?? join(dir, 'images');
    const dumpDir = options.sim?.dumpDir ?? join(dir, 'dumps');
    await mkdir(imageDir, { recursive: true });
    await mkdir(dumpDir, { recursive: true });
    const usersFile = join(dir, 'users.json');
    await writeTestUsersFile(usersFile);
    const sim = await startSimulatedBmc({
      busAddress: bus.address, transitionMs: 50, ...options.sim, imageDir, dumpDir, ...(options.shareUsersFile ? { usersFile } : {}),
    });
    cleanups.push(() => sim.stop());
    const flags = [
      '--host', '127.0.0.1', '--port', '0', '--bus-address', bus.address,
      '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'),
      '--call-timeout-ms', '1000',
      '--image-dir', imageDir, '--dump-dir', dumpDir,
      '--auth-backend', 'users-file', '--users-file', usersFile,
      // Tests share one address (127.0.0.1) and try wrong passwords on purpose; auth.test.ts tests the limits.
      '--login-limit-per-address', '1000', '--login-limit-per-user', '1000',
      // Every test client is 127.0.0.1 and most are root: the per-address and per-user caps are
      // tested by test/e2e/connections.test.ts and test/e2e/subscribe.test.ts.
      '--max-connections-per-address', '1000', '--ws-max-connections-per-user', '1000',
      ...(options.flags ?? []),
    ];
    const { gateway, logLines } = GATEWAY_NODE_OVERRIDE === undefined
      ? await startInProcess(flags)
      : await startChild(flags, join(dir, 'cert.pem'));
    cleanups.push(() => gateway.close());
    const client = new HttpClient(gateway.url, gateway.certificate, TEST_USERS.root);
    const clientAs = (credentials: Credentials | null) => client.as(credentials);
    return { bus, sim, gateway, client, clientAs, logLines, imageDir, dumpDir, usersFile, close };
  } catch (err) {
    await close();
    throw err;
  }
}

interface Started {
  readonly gateway: Gateway;
  readonly logLines: readonly string[];
}

async function startInProcess(flags: readonly string[]): Promise<Started> {
  const { config } = loadConfig(flags, {});
  const log = memoryLogger();
  return { gateway: await startGateway(config, log), logLines: log.lines };
}

/**
 * The CLI in a child process. `--log-level debug` and JOURNAL_STREAM make its
 * lines look like memoryLogger's (`<6>...`, every level), so tests that read
 * h.logLines read the same text either way.
 */
async function startChild(flags: readonly string[], certPath: string): Promise<Started> {
  const cli = startCli([...flags, '--log-level', 'debug'], { env: { JOURNAL_STREAM: '0:0' } });
  try {
    const url = await cli.listening;
    const certificate = await readFile(certPath, 'utf8');
    const logLines: string[] = [];
    let taken = 0;
    const takeLines = () => {
      const text = cli.stderr();
      const end = text.lastIndexOf('\n') + 1;
      if (end > taken) logLines.push(...text.slice(taken, end - 1).split('\n'));
      taken = Math.max(taken, end);
    };
    takeLines();
    cli.child.stderr?.on('data', takeLines);
    const inChild = (name: string) => () => {
      throw new Error(`gateway.${name}: the gateway runs in a child process (BMC_GATEWAY_TEST_NODE); this test needs it in-process`);
    };
    const gateway = Object.defineProperties({ url, certificate, close: async () => void (await cli.stop()) }, {
      server: { get: inChild('server') },
      bus: { get: inChild('bus') },
      bmc: { get: inChild('bmc') },
      auth: { get: inChild('auth') },
      subscriptions: { get: inChild('subscriptions') },
    }) as unknown as Gateway;
    return { gateway, logLines };
  } catch (err) {
    await cli.stop();
    throw err;
  }
}
