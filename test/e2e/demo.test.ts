/**
 * `npm run demo` as a user runs it (node build/fixtures/demo.js): it starts,
 * prints its users and curl examples, serves the demo login, and Ctrl-C
 * (SIGINT) stops it and its private bus; --help and bad options start nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { bounded } from '../helpers/ws-client.js';

const DEMO_JS = fileURLToPath(new URL('../../fixtures/demo.js', import.meta.url));
const BOUND_MS = 60_000;

interface Run {
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  readonly pid: number;
  kill(signal: NodeJS.Signals): void;
}

function runDemo(args: string[]): Run {
  const env = { ...process.env };
  delete env.PORT;
  const child = spawn(process.execPath, [DEMO_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { stdout: () => stdout, stderr: () => stderr, exited, pid: child.pid ?? -1, kill: (signal) => child.kill(signal) };
}

async function until(run: Run, pattern: RegExp): Promise<RegExpExecArray> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const match = pattern.exec(run.stdout());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`demo never printed ${pattern}: ${run.stdout()} ${run.stderr()}`);
    await bounded(Promise.race([run.exited.then((code) => {
      throw new Error(`demo exited (${code}): ${run.stderr()}`);
    }), new Promise((resolve) => setTimeout(resolve, 50))]), BOUND_MS, 'demo output');
  }
}

function get(url: string, path: string, user: string, password: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const req = request(target, { rejectUnauthorized: false, auth: `${user}:${password}` }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Whether a process with this pid still exists. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('the demo serves the simulated BMC with the demo users and stops on Ctrl-C', async (t) => {
  const demo = runDemo(['--port', '0']);
  try {
    const [, url = ''] = await until(demo, /URL:\s+(https:\/\/127\.0\.0\.1:\d+)/);
    await until(demo, /Ctrl-C stops the demo/);
    const out = demo.stdout();
    t.regex(out, /root \/ 0penBmc \(admin\), operator \/ 0penBmc \(operator\), readonly \/ 0penBmc \(read-only\)/);
    t.is(out.match(/^ {2}curl -k -u root:0penBmc/gm)?.length, 3, 'three curl examples');
    const host = await get(url, '/xyz/openbmc_project/state/host0/attr/CurrentHostState', 'root', '0penBmc');
    t.deepEqual(host, { status: 200, json: { data: 'xyz.openbmc_project.State.Host.HostState.Off', message: '200 OK', status: 'ok' } });
    t.is((await get(url, '/xyz/openbmc_project/state/host0', 'root', 'wrong')).status, 401);
    const [, busAddress = ''] = /D-Bus:\s+(\S+)/.exec(out) ?? [];
    t.regex(busAddress, /^unix:/);

    demo.kill('SIGINT');
    t.is(await bounded(demo.exited, BOUND_MS, 'demo exit'), 0);
    t.regex(demo.stdout(), /stopping\.\.\./);
    // Its private dbus-daemon went with it (its socket is gone).
    const socketPath = /path=([^,]+)/.exec(busAddress)?.[1];
    if (socketPath) t.false(existsSync(socketPath), 'the private bus socket is removed');
  } finally {
    if (running(demo.pid)) demo.kill('SIGKILL');
  }
});

test('demo --help prints its usage and starts nothing; a bad option is refused with its name', async (t) => {
  const help = runDemo(['--help']);
  t.is(await bounded(help.exited, BOUND_MS, 'help exit'), 0);
  t.regex(help.stdout(), /^Usage: npm run demo/);
  t.notRegex(help.stdout(), /URL:/);

  const bad = runDemo(['--port', 'eighty']);
  t.is(await bounded(bad.exited, BOUND_MS, 'bad option exit'), 2);
  t.is(bad.stderr().trim(), "demo failed: --port: expected an integer, got 'eighty'");
});
