/**
 * `npm run demo` as a user runs it (node build/fixtures/demo.js): it starts,
 * prints its users and curl examples, serves the demo login, and Ctrl-C
 * (SIGINT) stops it and its private bus; --help and bad options start nothing.
 * It shows a BMC (no test services unless asked for, every listed object
 * answers), and two demos on one host share nothing: each has its own state
 * directory, removed on exit unless --state-dir names one.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { create as createTar } from 'tar';
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
  return send(url, 'GET', path, user, password);
}

function send(url: string, method: string, path: string, user: string, password: string, body?: Buffer): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const headers = body ? { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } : {};
    const req = request(target, { method, headers, rejectUnauthorized: false, auth: `${user}:${password}` }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A BMC image the simulated software manager accepts: a tar with a MANIFEST. */
async function image(version: string): Promise<Buffer> {
  const staging = await mkdtemp(join(tmpdir(), 'demo-test-image-'));
  try {
    await writeFile(join(staging, 'MANIFEST'), `purpose=xyz.openbmc_project.Software.Version.VersionPurpose.BMC\nversion=${version}\n`);
    await writeFile(join(staging, 'image-bmc'), Buffer.alloc(4096, 7));
    await createTar({ file: join(staging, 'image.tar'), cwd: staging, portable: true }, ['MANIFEST', 'image-bmc']);
    return await readFile(join(staging, 'image.tar'));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function started(demo: Run): Promise<{ url: string; stateDir: string }> {
  const [, url = ''] = await until(demo, /URL:\s+(https:\/\/127\.0\.0\.1:\d+)/);
  await until(demo, /Ctrl-C stops the demo/);
  const [, stateDir = ''] = /state:\s+(\S+)/.exec(demo.stdout()) ?? [];
  return { url, stateDir };
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
    t.true(out.includes(`console:  ${url}/console/`), 'the console\'s URL');
    const [, busAddress = ''] = /D-Bus:\s+(\S+)/.exec(out) ?? [];
    t.regex(busAddress, /^unix:/);

    // A BMC, not a test rig: no test services, and every object it lists answers.
    const paths = (await get(url, '/list', 'root', '0penBmc')).json.data as string[];
    t.true(paths.length > 100, `${paths.length} objects`);
    t.deepEqual(paths.filter((p) => p.startsWith('/xyz/openbmc_project/test')), []);
    const failing: string[] = [];
    for (const path of paths) {
      const res = await get(url, path, 'root', '0penBmc');
      if (res.status !== 200) failing.push(`${path}: ${res.status} ${JSON.stringify(res.json?.data)}`);
    }
    t.deepEqual(failing, [], 'every listed object answers');

    const [, stateDir = ''] = /state:\s+(\S+) \(removed on exit/.exec(out) ?? [];
    t.true(existsSync(join(stateDir, 'cert.pem')), 'its own state directory');
    demo.kill('SIGINT');
    t.is(await bounded(demo.exited, BOUND_MS, 'demo exit'), 0);
    t.regex(demo.stdout(), /stopping\.\.\./);
    // Its private dbus-daemon went with it (its socket is gone).
    const socketPath = /path=([^,]+)/.exec(busAddress)?.[1];
    if (socketPath) t.false(existsSync(socketPath), 'the private bus socket is removed');
    t.false(existsSync(stateDir), 'the state directory is removed');
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

test('two demos on one host share nothing: an image uploaded to one is not the other\'s; --state-dir is kept', async (t) => {
  const kept = await mkdtemp(join(tmpdir(), 'demo-test-state-'));
  t.teardown(() => rm(kept, { recursive: true, force: true }));
  const first = runDemo(['--port', '0']);
  const second = runDemo(['--port', '0', '--state-dir', kept, '--test-services']);
  try {
    const [a, b] = await Promise.all([started(first), started(second)]);
    t.not(a.stateDir, b.stateDir);
    t.is(b.stateDir, kept);
    const version = `2.99.0-demo-${process.pid}`;
    const upload = await send(a.url, 'POST', '/upload/image', 'root', '0penBmc', await image(version));
    t.is(upload.status, 200, JSON.stringify(upload.json));
    const id = upload.json.data as string;
    t.is((await get(a.url, `/xyz/openbmc_project/software/${id}/attr/Version`, 'root', '0penBmc')).json.data, version);
    const theirs = (await get(b.url, '/xyz/openbmc_project/software/list', 'root', '0penBmc')).json.data as string[];
    t.false(theirs.includes(`/xyz/openbmc_project/software/${id}`), 'the other demo never saw the image');
    // --test-services adds the gateway's test objects to that demo only.
    t.is((await get(b.url, '/xyz/openbmc_project/test/values/attr/Byte', 'root', '0penBmc')).status, 200);
    t.is((await get(a.url, '/xyz/openbmc_project/test/values/attr/Byte', 'root', '0penBmc')).status, 404);

    first.kill('SIGINT');
    second.kill('SIGINT');
    t.deepEqual(await Promise.all([bounded(first.exited, BOUND_MS, 'exit'), bounded(second.exited, BOUND_MS, 'exit')]), [0, 0]);
    t.false(existsSync(a.stateDir), 'the temporary state directory is removed');
    t.true(existsSync(join(kept, 'cert.pem')), 'a given state directory is kept, certificate and all');
  } finally {
    for (const demo of [first, second]) if (running(demo.pid)) demo.kill('SIGKILL');
  }
});
