/**
 * Dump download end to end: the simulated phosphor-debug-collector creates a
 * BMC dump through the REST action (CreateDump(a{sv}) -> o, the current
 * interface) into <dump dir>/<id>/obmcdump_<id>_<epoch>.tar.gz, and
 * GET /download/dump/<id> streams that file raw, with Range support, and
 * answers the original's 404 texts for everything else.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import test from 'ava';
import { Parser as TarParser } from 'tar';
import { startHarness, type Harness } from '../helpers/harness.js';
import type { Credentials } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';

const DUMP_BUS_NAME = 'xyz.openbmc_project.Dump.Manager';
const BMC_DUMP = '/xyz/openbmc_project/dump/bmc';
const COMPLETED = 'xyz.openbmc_project.Common.Progress.OperationStatus.Completed';

let harness: Harness | undefined;
function h(): Harness {
  if (!harness) throw new Error('harness not started');
  return harness;
}

test.before(async () => {
  harness = await startHarness();
});

test.after.always(async () => {
  await harness?.close();
});

interface Download {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body parsed as JSON when it is JSON (error envelopes). */
  readonly json: any;
}

/** GET (or HEAD) keeping the body as bytes: a dump is binary. */
function download(path: string, options: { headers?: Record<string, string>; credentials?: Credentials | null; method?: string } = {}): Promise<Download> {
  const url = new URL(h().gateway.url);
  const credentials = options.credentials === undefined ? TEST_USERS.root : options.credentials;
  const headers: Record<string, string> = { ...options.headers };
  if (credentials) headers.authorization = 'Basic ' + Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64');
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: url.hostname, port: url.port, method: options.method ?? 'GET', path, headers, agent: false,
      ...(h().gateway.certificate ? { ca: h().gateway.certificate, servername: 'localhost' } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function eventually(check: () => Promise<boolean>, boundMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

interface CreatedDump {
  readonly id: string;
  readonly entryPath: string;
  readonly fileName: string;
  readonly content: Buffer;
}

/** CreateDump over REST, wait for the entry to complete, read the file the manager wrote. */
async function createDump(): Promise<CreatedDump> {
  // Only one user dump at a time (the real manager answers Unavailable): wait for a previous one.
  let created;
  for (const deadline = Date.now() + 10_000; ;) {
    created = await h().client.request('POST', `${BMC_DUMP}/action/CreateDump`, { body: { data: [{}] } });
    if (created.status !== 503 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (created.status !== 200) throw new Error(`CreateDump: ${created.status} ${created.text}`);
  const entryPath = created.json.data as string;
  const match = /^\/xyz\/openbmc_project\/dump\/bmc\/entry\/([0-9]+)$/.exec(entryPath);
  if (!match) throw new Error(`unexpected entry path ${entryPath}`);
  const id = match[1]!;
  const completed = await eventually(async () => (await h().client.get(`${entryPath}/attr/Status`)).json?.data === COMPLETED);
  if (!completed) throw new Error(`dump ${id} did not complete`);
  const files = await readdir(join(h().dumpDir, id));
  if (files.length !== 1) throw new Error(`dump ${id}: expected one file, found ${files.join(', ')}`);
  const fileName = files[0]!;
  return { id, entryPath, fileName, content: await readFile(join(h().dumpDir, id, fileName)) };
}

let first: Promise<CreatedDump> | undefined;
/** One dump shared by the read-only tests. */
function sharedDump(): Promise<CreatedDump> {
  first ??= createDump();
  return first;
}

test.serial('CreateDump answers the entry path; the entry describes the file phosphor-debug-collector would write', async (t) => {
  const dump = await sharedDump();
  t.regex(dump.fileName, new RegExp(`^obmcdump_${dump.id}_[0-9]+\\.tar\\.gz$`));
  t.true(dump.content.length > 1024);
  // Name and content agree: a gzip'd tar holding the dump's directory.
  t.deepEqual([...dump.content.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
  const members: string[] = [];
  await pipeline(Readable.from([dump.content]), new TarParser({ onReadEntry: (entry) => { members.push(entry.path); entry.resume(); } }));
  t.true(members.includes(`obmcdump_${dump.id}_${/_([0-9]+)\.tar/.exec(dump.fileName)![1]}/summary.log`), members.join(', '));
  const entry = await h().client.get(dump.entryPath);
  t.is(entry.status, 200);
  t.is(entry.json.data.Size, dump.content.length);
  t.is(entry.json.data.Status, COMPLETED);
  const epochSeconds = Number(/_([0-9]+)\.tar\.gz$/.exec(dump.fileName)![1]);
  t.is(entry.json.data.Elapsed, epochSeconds * 1_000_000);
  t.true(((await h().client.get('/xyz/openbmc_project/dump/list')).json.data as string[]).includes(dump.entryPath));
});

test.serial('GET /download/dump/<id> streams the file raw with Content-Disposition', async (t) => {
  const dump = await sharedDump();
  const res = await download(`/download/dump/${dump.id}`);
  t.is(res.status, 200);
  t.true(res.body.equals(dump.content), 'the body is the file, byte for byte');
  t.is(res.headers['content-type'], 'application/octet-stream');
  t.is(res.headers['content-disposition'], `attachment; filename="${dump.fileName}"`);
  t.is(res.headers['content-length'], String(dump.content.length));
  t.is(res.headers['accept-ranges'], 'bytes');
  t.truthy(res.headers['last-modified']);

  const head = await download(`/download/dump/${dump.id}`, { method: 'HEAD' });
  t.is(head.status, 200);
  t.is(head.body.length, 0);
  t.is(head.headers['content-length'], String(dump.content.length));
});

test.serial('Range requests: 206 with Content-Range for satisfiable ranges, 416 otherwise', async (t) => {
  const dump = await sharedDump();
  const size = dump.content.length;
  const cases: Array<[string, number, number]> = [
    ['bytes=0-99', 0, 99],
    ['bytes=0-0', 0, 0],
    ['bytes=1000-', 1000, size - 1],
    ['bytes=-64', size - 64, size - 1],
    [`bytes=${size - 10}-${size + 5000}`, size - 10, size - 1],
  ];
  for (const [range, start, end] of cases) {
    const res = await download(`/download/dump/${dump.id}`, { headers: { range } });
    t.is(res.status, 206, range);
    t.is(res.headers['content-range'], `bytes ${start}-${end}/${size}`, range);
    t.is(res.headers['content-length'], String(end - start + 1), range);
    t.true(res.body.equals(dump.content.subarray(start, end + 1)), `${range}: the right bytes`);
  }
  for (const range of [`bytes=${size}-`, `bytes=${size + 100}-${size + 200}`, 'bytes=-0']) {
    const res = await download(`/download/dump/${dump.id}`, { headers: { range } });
    t.is(res.status, 416, range);
    t.is(res.headers['content-range'], `bytes */${size}`, range);
    t.deepEqual(res.json, { data: { description: 'Requested Range Not Satisfiable' }, message: '416 Range Not Satisfiable', status: 'error' });
  }
  // Not a usable single range: the whole file (RFC 9110 lets a server ignore Range).
  const ignored = await download(`/download/dump/${dump.id}`, { headers: { range: 'bytes=0-1,5-9' } });
  t.is(ignored.status, 200);
  t.true(ignored.body.equals(dump.content));
});

test.serial('unknown, non-numeric and empty dumps: the original 404 texts', async (t) => {
  const notFound = { data: { description: 'Path not found' }, message: '404 Not Found', status: 'error' };
  for (const id of ['999999', 'abc', 'obmcdump', '1x']) {
    const res = await download(`/download/dump/${id}`);
    t.is(res.status, 404, id);
    t.deepEqual(res.json, notFound, id);
  }
  const emptyId = String(700_000 + Math.floor(Math.random() * 1000));
  await mkdir(join(h().dumpDir, emptyId));
  try {
    const res = await download(`/download/dump/${emptyId}`);
    t.is(res.status, 404);
    t.deepEqual(res.json, { data: { description: 'Dump not found' }, message: '404 Not Found', status: 'error' });
  } finally {
    await rm(join(h().dumpDir, emptyId), { recursive: true, force: true });
  }
});

test.serial('traversal ids are refused and never reach files outside the dump directory', async (t) => {
  // A secret beside the dump directory, and a directory above it with one file in it.
  const secret = `secret-${randomUUID()}`;
  const outside = join(dirname(h().dumpDir), `outside-${randomUUID().slice(0, 8)}`);
  await mkdir(outside);
  await writeFile(join(outside, 'loot.txt'), secret);
  try {
    const name = outside.slice(dirname(h().dumpDir).length + 1);
    for (const id of ['..', '%2e%2e', '%2E%2E', `..%2F${name}`, `..%2f${name}`, `%2e%2e%2F${name}`, `..%5C${name}`, '.', `%2F${name}`, '%00']) {
      const res = await download(`/download/dump/${id}`);
      t.is(res.status, 404, id);
      t.false(res.body.toString('utf8').includes(secret), `${id}: nothing from outside`);
    }
    // A literal ../ in the URL is normalised or refused, never served.
    const literal = await download(`/download/dump/../${name}`);
    t.not(literal.status, 200);
    t.false(literal.body.toString('utf8').includes(secret));
  } finally {
    await rm(outside, { recursive: true, force: true });
  }
});

test.serial('download needs credentials and, by default, an administrator: readonly and operator 403, admin 200', async (t) => {
  const dump = await sharedDump();
  const anonymous = await download(`/download/dump/${dump.id}`, { credentials: null });
  t.is(anonymous.status, 401);
  t.is(anonymous.json?.status, 'error');
  t.false(anonymous.body.equals(dump.content));
  const wrong = await download(`/download/dump/${dump.id}`, { credentials: { user: 'root', password: 'wrong' } });
  t.is(wrong.status, 401);
  for (const user of [TEST_USERS.noaccess, TEST_USERS.readonly, TEST_USERS.operator]) {
    const refused = await download(`/download/dump/${dump.id}`, { credentials: user });
    t.is(refused.status, 403, user.user);
    t.deepEqual(refused.json?.data, { description: 'Insufficient privileges' }, user.user);
    t.false(refused.body.includes(dump.content), 'nothing of the dump in the refusal');
    t.is((await download(`/download/dump/${dump.id}`, { credentials: user, method: 'HEAD' })).status, 403);
  }
  const admin = await download(`/download/dump/${dump.id}`, { credentials: TEST_USERS.root });
  t.is(admin.status, 200);
  t.true(admin.body.equals(dump.content));
  // Unknown ids answer 401 too: existence is not revealed before authentication.
  t.is((await download('/download/dump/999999', { credentials: null })).status, 401);
});

test.serial('deleting the entry removes the dump: its download is then 404', async (t) => {
  const dump = await createDump();
  t.is((await download(`/download/dump/${dump.id}`)).status, 200);
  const deleted = await h().client.request('DELETE', dump.entryPath);
  t.is(deleted.status, 200, deleted.text);
  t.is((await h().client.get(dump.entryPath)).status, 404);
  t.true(await eventually(async () => (await download(`/download/dump/${dump.id}`)).status === 404));
  t.deepEqual((await download(`/download/dump/${dump.id}`)).json?.data, { description: 'Path not found' });
  t.false((await readdir(h().dumpDir)).includes(dump.id));
});

test.serial('a restarted dump manager finds its dumps again, and new ids continue after them', async (t) => {
  const dump = await sharedDump();
  await h().sim.stopService(DUMP_BUS_NAME);
  await h().sim.startService(DUMP_BUS_NAME);
  const entry = await h().client.get(dump.entryPath);
  t.is(entry.status, 200);
  t.is(entry.json.data.Size, dump.content.length);
  t.is(entry.json.data.Status, COMPLETED);
  const next = await createDump();
  t.true(Number(next.id) > Number(dump.id));
  t.true((await download(`/download/dump/${next.id}`)).body.equals(next.content));
});
