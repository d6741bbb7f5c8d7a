/**
 * Starts the built command (`node build/src/main.js`) as a child process, the
 * way systemd or an operator would, for the end-to-end lifecycle and socket
 * activation tests. Readiness is the `LISTENING <url>` line on stdout, never
 * a sleep. The node is GATEWAY_NODE (helpers/gateway-node.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { GATEWAY_NODE, GATEWAY_NODE_OVERRIDE } from './gateway-node.js';

/** build/src/main.js (this file runs from build/test/helpers/). */
export const MAIN_JS = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/**
 * Upper bound for start-up and for exits; a failure bound, not a wait. Another node
 * (BMC_GATEWAY_TEST_NODE) may be emulated: its start takes seconds, not tenths.
 */
const START_TIMEOUT_MS = GATEWAY_NODE_OVERRIDE === undefined ? 30_000 : 120_000;
const KILL_AFTER_MS = 20_000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written to stderr so far (the log). */
  stderr(): string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Resolves when stderr (the log) has matched `pattern`; rejects if the process exits first. */
  waitForStderr(pattern: RegExp): Promise<void>;
  /** Resolves once with the URL of the `LISTENING <url>` line. */
  readonly listening: Promise<string>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** SIGTERM (if still running) and wait; SIGKILL after a bound. Safe to call twice. */
  stop(): Promise<Exit>;
}

export interface CliOptions {
  /** Extra environment (the child gets a clean copy of process.env without systemd variables). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * An open listening socket fd of this process, passed to the child as fd 3
   * with LISTEN_FDS=1 and LISTEN_PID set to the child's own pid, as systemd does.
   */
  readonly listenFd?: number;
  /** Run this program with the node command line as its arguments (e.g. systemd-socket-activate). */
  readonly wrapper?: readonly string[];
}

export function startCli(args: readonly string[], options: CliOptions = {}): CliProcess {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  for (const name of ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'JOURNAL_STREAM', 'NOTIFY_SOCKET']) {
    if (!options.env?.[name]) delete env[name];
  }
  let command = [...(options.wrapper ?? []), GATEWAY_NODE, MAIN_JS, ...args];
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe'];
  if (options.listenFd !== undefined) {
    // LISTEN_PID must be the pid of the process that reads it. `exec` keeps
    // the shell's pid, so the shell can name it before running the command.
    env.LISTEN_FDS = '1';
    command = ['/bin/sh', '-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$@"', 'sh', ...command];
    stdio.push(options.listenFd);
  }
  const [file, ...argv] = command as [string, ...string[]];
  const child = spawn(file, argv, { stdio, env });
  let out = '';
  let err = '';
  const stderrWaiters = new Set<() => void>();
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    err += chunk;
    for (const wake of stderrWaiters) wake();
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const listening = new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`no LISTENING line within ${START_TIMEOUT_MS} ms; stderr:\n${err}`)), START_TIMEOUT_MS);
    lines.on('line', (line) => {
      out += line + '\n';
      const match = /^LISTENING (\S+)$/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`exited (code ${exit.code}, signal ${exit.signal}) before listening; stderr:\n${err}`));
    });
  });
  // A test that never awaits `listening` must not see an unhandled rejection.
  listening.catch(() => undefined);
  let stopping: Promise<Exit> | undefined;
  const stop = () => (stopping ??= (async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    const exit = await exited;
    clearTimeout(timer);
    return exit;
  })());
  const waitForStderr = (pattern: RegExp) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`stderr did not match ${pattern} within ${START_TIMEOUT_MS} ms:\n${err}`)), START_TIMEOUT_MS);
    const check = () => {
      if (pattern.test(err)) done();
    };
    function done(error?: Error): void {
      clearTimeout(timer);
      stderrWaiters.delete(check);
      if (error) reject(error);
      else resolve();
    }
    stderrWaiters.add(check);
    void exited.then(() => {
      if (pattern.test(err)) done();
      else done(new Error(`exited before stderr matched ${pattern}:\n${err}`));
    });
    check();
  });
  return { child, stderr: () => err, stdout: () => out, waitForStderr, listening, exited, stop };
}
