/**
 * Firmware upload end to end: real tar images (MANIFEST with version= and
 * purpose=) through POST /upload/image (octet-stream and multipart) and
 * PUT /upload/image/<name>, picked up by the simulated software manager from
 * the directory the gateway writes to, then activated over REST.
 *
 * Serial: the gateway takes one upload at a time by design. Where a test
 * checks that the GATEWAY removed a file, the image manager is stopped
 * first, because it deletes junk by itself and would hide a leftover.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import test from 'ava';
import { create as createTar } from 'tar';
import { startHarness, type Harness } from '../helpers/harness.js';
import { rawTar } from '../helpers/tar-entries.js';
import type { Credentials, Response } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';

const IMAGE_MANAGER_BUS_NAME = 'xyz.openbmc_project.Software.Version';
const ITEM_UPDATER_BUS_NAME = 'xyz.openbmc_project.Software.BMC.Updater';
const FUNCTIONAL_VERSION = '2.18.0-sim';
const SOFTWARE = '/xyz/openbmc_project/software';
const ACTIVATION = 'xyz.openbmc_project.Software.Activation';
const BMC_PURPOSE = 'xyz.openbmc_project.Software.Version.VersionPurpose.BMC';
const MAX_BYTES = 64 * 1024;
const TIMEOUT_MS = 1500;
const EXTRACT_FAILED = 'Version already exists or failed to be extracted';
const OCTET = { 'content-type': 'application/octet-stream' };

let harness: Harness | undefined;
function h(): Harness {
  if (!harness) throw new Error('harness not started');
  return harness;
}

test.before(async () => {
  harness = await startHarness({ flags: ['--upload-timeout-ms', String(TIMEOUT_MS), '--upload-max-bytes', String(MAX_BYTES)] });
});

test.after.always(async () => {
  await harness?.close();
});

/** What the software manager calls the image: the first 8 hex chars of sha512(version). */
function expectedId(version: string): string {
  return createHash('sha512').update(version).digest('hex').slice(0, 8);
}

function uniqueVersion(label: string): string {
  return `2.99.0-${label}-${randomUUID().slice(0, 8)}`;
}

/** A BMC image as OpenBMC builds them: a tar with MANIFEST and a payload. */
async function makeImage(version: string, purpose = BMC_PURPOSE): Promise<Buffer> {
  const staging = await mkdtemp(join(tmpdir(), 'upload-test-image-'));
  try {
    await writeFile(join(staging, 'MANIFEST'), `purpose=${purpose}\nversion=${version}\nKeyType=OpenBMC\nHashType=RSA-SHA256\n`);
    await writeFile(join(staging, 'image-rofs'), Buffer.alloc(8 * 1024, 0x5a));
    await createTar({ file: join(staging, 'image.tar'), cwd: staging, portable: true }, ['MANIFEST', 'image-rofs']);
    return await readFile(join(staging, 'image.tar'));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Regular files in the image directory (the manager leaves <id>/ directories of unpacked images). */
async function filesIn(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if ((await stat(join(dir, name)).catch(() => undefined))?.isFile()) names.push(name);
  }
  return names.sort();
}

/** Polls until check() holds or the (generous) bound passes; returns the last result. */
async function eventually(check: () => Promise<boolean>, boundMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return check();
}

function postImage(body: Buffer, credentials?: Credentials | null): Promise<Response> {
  return h().client.request('POST', '/upload/image', { body, headers: OCTET, ...(credentials !== undefined ? { credentials } : {}) });
}

/** Runs fn with the image manager stopped; it is started again (and re-scanned by the mapper) afterwards. */
async function withImageManagerStopped(fn: () => Promise<void>): Promise<void> {
  await h().sim.stopService(IMAGE_MANAGER_BUS_NAME);
  try {
    await fn();
  } finally {
    await h().sim.startService(IMAGE_MANAGER_BUS_NAME);
  }
}

interface RawUpload {
  readonly req: ClientRequest;
  /** The response, or the error that ended the request. */
  readonly done: Promise<{ response?: Response; error?: Error }>;
}

/** A request whose body the test writes itself (to stall, abort or stream without Content-Length). */
function rawUpload(method: string, path: string, headers: Record<string, string>, credentials: Credentials = TEST_USERS.root,
  target: Harness = h()): RawUpload {
  const url = new URL(target.gateway.url);
  const options: HttpsRequestOptions = {
    host: url.hostname, port: url.port, method, path, agent: false,
    headers: { authorization: 'Basic ' + Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64'), ...headers },
    ...(target.gateway.certificate ? { ca: target.gateway.certificate, servername: 'localhost' } : {}),
  };
  const req = httpsRequest(options);
  const done = new Promise<{ response?: Response; error?: Error }>((resolve) => {
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ response: { status: res.statusCode ?? 0, headers: res.headers, text, json } });
      });
      res.on('error', (error) => resolve({ error }));
    });
    req.on('error', (error) => resolve({ error }));
  });
  return { req, done };
}

async function getAttr(objectPath: string, name: string): Promise<unknown> {
  const res = await h().client.get(`${objectPath}/attr/${name}`);
  return res.status === 200 ? res.json.data : undefined;
}

test.serial('octet-stream POST answers the version id; the image appears and activates to Active over REST', async (t) => {
  const version = uniqueVersion('raw');
  const res = await postImage(await makeImage(version));
  t.is(res.status, 200, res.text);
  t.deepEqual(res.json, { data: expectedId(version), message: '200 OK', status: 'ok' });

  const imagePath = `${SOFTWARE}/${expectedId(version)}`;
  const image = await h().client.get(imagePath);
  t.is(image.status, 200, image.text);
  t.is(image.json.data.Version, version);
  t.is(image.json.data.Purpose, BMC_PURPOSE);
  t.is(image.json.data.Activation, `${ACTIVATION}.Activations.Ready`);
  t.is(image.json.data.RequestedActivation, `${ACTIVATION}.RequestedActivations.None`);
  t.true(((await h().client.get(`${SOFTWARE}/list`)).json.data as string[]).includes(imagePath));

  // A boot priority comes with activation (phosphor-bmc-code-mgmt): a Ready image has none to show.
  t.false('Priority' in image.json.data, 'no Priority before activation');
  const functionalPath = `${SOFTWARE}/${expectedId(FUNCTIONAL_VERSION)}`;
  const functionalBefore = await getAttr(functionalPath, 'Priority');

  const put = await h().client.request('PUT', `${imagePath}/attr/RequestedActivation`, { body: { data: `${ACTIVATION}.RequestedActivations.Active` } });
  t.is(put.status, 200, put.text);
  t.true(await eventually(async () => (await getAttr(imagePath, 'Activation')) === `${ACTIVATION}.Activations.Active`), 'activation reaches Active');
  t.is(await getAttr(imagePath, 'RequestedActivation'), `${ACTIVATION}.RequestedActivations.None`);
  t.is(await getAttr(imagePath, 'Priority'), 0, 'the activated image boots next');
  t.is(await getAttr(functionalPath, 'Priority'), Number(functionalBefore) + 1, 'the running image moved down one');
});

test.serial('the answer is the new image, not an image the item updater announces while the upload is in flight', async (t) => {
  const version = uniqueVersion('restart');
  const image = await makeImage(version);
  const upload = rawUpload('POST', '/upload/image', { ...OCTET, 'content-length': String(image.length) });
  upload.req.write(image.subarray(0, 4096));
  t.true(await eventually(async () => (await filesIn(h().imageDir)).length === 1), 'the gateway is writing the image');
  // The item updater restarts and, as sdbusplus objects do, announces its images (Version + Activation).
  await h().sim.stopService(ITEM_UPDATER_BUS_NAME);
  await h().sim.startService(ITEM_UPDATER_BUS_NAME);
  upload.req.end(image.subarray(4096));
  const { response, error } = await upload.done;
  t.falsy(error);
  t.is(response?.status, 200, response?.text);
  t.is(response?.json.data, expectedId(version), `not the functional image ${expectedId(FUNCTIONAL_VERSION)}`);
  // The restarted updater took the new image too.
  t.true(await eventually(async () => (await getAttr(`${SOFTWARE}/${expectedId(version)}`, 'Activation')) === `${ACTIVATION}.Activations.Ready`));
});

test.serial('multipart/form-data POST: the file part is the image, other fields are ignored', async (t) => {
  const version = uniqueVersion('multipart');
  const image = await makeImage(version);
  const boundary = `----upload-test-${randomUUID()}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="comment"\r\n\r\nfrom the web UI\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="obmc-phosphor-image.static.mtd.tar"\r\n` +
      'Content-Type: application/x-tar\r\n\r\n'),
    image,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await h().client.request('POST', '/upload/image', { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
  t.is(res.status, 200, res.text);
  t.is(res.json.data, expectedId(version));
  const object = await h().client.get(`${SOFTWARE}/${expectedId(version)}`);
  t.is(object.status, 200);
  t.is(object.json.data.Version, version);
});

test.serial('PUT /upload/image/<name> answers the version id of the image', async (t) => {
  const version = uniqueVersion('put');
  const res = await h().client.request('PUT', `/upload/image/bmc-${randomUUID().slice(0, 8)}.tar`, { body: await makeImage(version), headers: OCTET });
  t.is(res.status, 200, res.text);
  t.is(res.json.data, expectedId(version));
  t.is((await h().client.get(`${SOFTWARE}/${expectedId(version)}/attr/Version`)).json.data, version);
});

test.serial('uploading an image whose version already exists: 400 after the wait', async (t) => {
  const version = uniqueVersion('twice');
  const image = await makeImage(version);
  t.is((await postImage(image)).status, 200);
  const again = await postImage(image);
  t.is(again.status, 400);
  t.deepEqual(again.json, { data: { description: EXTRACT_FAILED }, message: '400 Bad Request', status: 'error' });
});

test.serial('junk: 400 after the version timeout, the junk file is removed, and a good upload afterwards succeeds', async (t) => {
  const started = Date.now();
  const junk = await postImage(Buffer.from('this is not a tar archive\n'.repeat(100)));
  t.is(junk.status, 400);
  t.deepEqual(junk.json, { data: { description: EXTRACT_FAILED }, message: '400 Bad Request', status: 'error' });
  // The gateway waited for the software manager (lower bound only: the timer cannot fire early).
  t.true(Date.now() - started >= TIMEOUT_MS - 50);
  t.true(await eventually(async () => (await filesIn(h().imageDir)).length === 0), 'the junk file is gone');

  const version = uniqueVersion('after-junk');
  const good = await postImage(await makeImage(version));
  t.is(good.status, 200, good.text);
  t.is(good.json.data, expectedId(version));
});

test.serial('a tar that reaches out of its directory is junk; the software manager survives and writes nothing outside', async (t) => {
  const marker = `escape-${randomUUID().slice(0, 8)}`;
  const outside = await mkdtemp(join(tmpdir(), 'upload-test-outside-'));
  try {
    const manifest = `purpose=${BMC_PURPOSE}\nversion=${uniqueVersion('escape')}\n`;
    // Every way out at once, after a valid MANIFEST: what crashed the simulator's image pickup.
    const evil = rawTar([
      { path: 'MANIFEST', type: 'File', body: manifest },
      { path: `../${marker}-dotdot`, type: 'File', body: 'up one level' },
      { path: `../../${marker}-dotdot2`, type: 'File', body: 'up two levels' },
      { path: join(outside, `${marker}-absolute`), type: 'File', body: 'absolute' },
      { path: 'link-out', type: 'SymbolicLink', linkpath: outside },
      { path: `link-out/${marker}-through-link`, type: 'File', body: 'through the symlink' },
      { path: 'hard-out', type: 'Link', linkpath: '/etc/hostname' },
      { path: 'image-bmc', type: 'File', body: 'payload' },
    ]);
    const res = await postImage(evil);
    t.is(res.status, 400, res.text);
    t.is(res.json.data.description, EXTRACT_FAILED);
    t.deepEqual((await readdir(outside)), [], 'nothing written through the link or by absolute path');
    for (const dir of [h().imageDir, dirname(h().imageDir), dirname(dirname(h().imageDir))]) {
      t.deepEqual((await readdir(dir)).filter((name) => name.includes(marker)), [], `nothing named like the marker in ${dir}`);
    }
    t.true(await eventually(async () => (await filesIn(h().imageDir)).length === 0), 'the upload is removed');
    // The software manager is still there and picks up the next image.
    const version = uniqueVersion('after-escape');
    const good = await postImage(await makeImage(version));
    t.is(good.status, 200, good.text);
    t.is(good.json.data, expectedId(version));
  } finally {
    await rm(outside, { recursive: true, force: true });
  }
});

test.serial('a tar without a version in its MANIFEST is junk too', async (t) => {
  const staging = await mkdtemp(join(tmpdir(), 'upload-test-noversion-'));
  try {
    await writeFile(join(staging, 'MANIFEST'), `purpose=${BMC_PURPOSE}\n`);
    await createTar({ file: join(staging, 'image.tar'), cwd: staging }, ['MANIFEST']);
    const res = await postImage(await readFile(join(staging, 'image.tar')));
    t.is(res.status, 400);
    t.is(res.json.data.description, EXTRACT_FAILED);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
});

test.serial('other content types: 415 with the original text, nothing written', async (t) => {
  for (const contentType of ['text/plain', 'application/json', 'application/x-tar']) {
    const res = await h().client.request('POST', '/upload/image', { body: Buffer.from('{"data": 1}'), headers: { 'content-type': contentType } });
    t.is(res.status, 415);
    t.deepEqual(res.json, {
      data: { description: `Expecting content type 'application/octet-stream', got '${contentType}'` },
      message: '415 Unsupported Media Type',
      status: 'error',
    });
  }
  const put = await h().client.request('PUT', '/upload/image/x.tar', { body: Buffer.from('x'), headers: { 'content-type': 'text/plain' } });
  t.is(put.status, 415);
  t.deepEqual(await filesIn(h().imageDir), []);
});

test.serial('a second upload while one is in progress gets 503 with Retry-After; the first completes', async (t) => {
  const version = uniqueVersion('first');
  const image = await makeImage(version);
  const first = rawUpload('POST', '/upload/image', { ...OCTET, 'content-length': String(image.length) });
  first.req.write(image.subarray(0, 4096));
  // The gateway is inside the first upload once its file exists.
  t.true(await eventually(async () => (await filesIn(h().imageDir)).length === 1), 'first upload started');

  const second = await postImage(await makeImage(uniqueVersion('second')));
  t.is(second.status, 503);
  t.truthy(second.headers['retry-after']);
  t.true(Number(second.headers['retry-after']) > 0);
  t.is(second.json.status, 'error');
  t.is(second.json.message, '503 Service Unavailable');

  first.req.end(image.subarray(4096));
  const { response, error } = await first.done;
  t.falsy(error);
  t.is(response?.status, 200, response?.text);
  t.is(response?.json.data, expectedId(version));
});

test.serial('over --upload-max-bytes: 413, announced or streamed, and the partial file is removed', async (t) => {
  await withImageManagerStopped(async () => {
    const big = Buffer.alloc(MAX_BYTES * 3, 0x41);
    // Announced by Content-Length: refused before a byte is written.
    const announced = await postImage(big);
    t.is(announced.status, 413);
    t.is(announced.json.message, '413 Payload Too Large');
    t.deepEqual(await filesIn(h().imageDir), []);

    // Chunked, so the limit is found while streaming, after part of it is on disk.
    for (const [method, path] of [['POST', '/upload/image'], ['PUT', '/upload/image/too-big.tar']] as const) {
      const streamed = rawUpload(method, path, { ...OCTET, 'transfer-encoding': 'chunked' });
      streamed.req.on('error', () => undefined);
      for (let offset = 0; offset < big.length; offset += 16 * 1024) streamed.req.write(big.subarray(offset, offset + 16 * 1024));
      streamed.req.end();
      const { response } = await streamed.done;
      t.is(response?.status, 413, `${method} ${path}: ${response?.text}`);
      t.is(response?.json?.message, '413 Payload Too Large');
      t.deepEqual(await filesIn(h().imageDir), [], `${method}: no partial file left`);
      t.true(h().logLines.some((line) => line.includes(`verb=${method} path=${path} status=413`)), `${method}: audited as 413`);
    }

    // multipart: busboy's per-file limit.
    const boundary = 'too-big-boundary';
    const multipart = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.tar"\r\n\r\n`),
      big.subarray(0, MAX_BYTES + 1024),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await h().client.request('POST', '/upload/image', { body: multipart, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    t.is(res.status, 413);
    t.deepEqual(await filesIn(h().imageDir), []);
  });
});

test.serial('an upload aborted mid-body leaves no file, and the next upload works', async (t) => {
  await withImageManagerStopped(async () => {
    const upload = rawUpload('PUT', '/upload/image/aborted.tar', { ...OCTET, 'content-length': String(48 * 1024) });
    upload.req.write(Buffer.alloc(16 * 1024, 0x42));
    t.true(await eventually(async () => (await stat(join(h().imageDir, 'aborted.tar')).catch(() => undefined))?.size === 16 * 1024),
      'the first part reached the disk');
    upload.req.destroy();
    const { response } = await upload.done;
    t.is(response, undefined);
    t.true(await eventually(async () => (await filesIn(h().imageDir)).length === 0), 'the partial file is removed');
    // Still a write attempt on record, with the status the gateway settled on.
    t.true(await eventually(async () => h().logLines.some((line) => /audit .*verb=PUT path=\/upload\/image\/aborted\.tar status=400/.test(line))));
  });
  const version = uniqueVersion('after-abort');
  const next = await postImage(await makeImage(version));
  t.is(next.status, 200, next.text);
  t.is(next.json.data, expectedId(version));
});

/** A multipart/form-data body around one file part: [head, tail] to put the file bytes between. */
function multipartFrame(boundary: string, filename: string): [Buffer, Buffer] {
  return [
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n`
      + 'Content-Type: application/octet-stream\r\n\r\n'),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ];
}

test.serial('a multipart upload aborted mid-file leaves no file and does not block the next upload', async (t) => {
  await withImageManagerStopped(async () => {
    const boundary = 'abort-boundary';
    const [head] = multipartFrame(boundary, 'aborted.tar');
    const upload = rawUpload('POST', '/upload/image', {
      'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(head.length + 48 * 1024),
    });
    upload.req.write(Buffer.concat([head, Buffer.alloc(16 * 1024, 0x42)]));
    t.true(await eventually(async () => (await filesIn(h().imageDir)).length === 1), 'the first part reached the disk');
    upload.req.destroy();
    t.is((await upload.done).response, undefined);
    t.true(await eventually(async () => (await filesIn(h().imageDir)).length === 0), 'the partial file is removed');
    t.true(await eventually(async () => h().logLines.some((line) => /audit .*verb=POST path=\/upload\/image status=400/.test(line))));
  });
  // The upload slot is free again: no 503.
  const version = uniqueVersion('after-multipart-abort');
  const next = await postImage(await makeImage(version));
  t.is(next.status, 200, next.text);
  t.is(next.json.data, expectedId(version));
});

test.serial('--body-timeout-ms: a stalled upload is 408 and removed (raw and multipart); a slow steady one succeeds', async (t) => {
  const IDLE_MS = 400;
  const slow = await startHarness({ flags: ['--upload-timeout-ms', String(TIMEOUT_MS), '--body-timeout-ms', String(IDLE_MS)] });
  try {
    await slow.sim.stopService(IMAGE_MANAGER_BUS_NAME);
    const boundary = 'stall-boundary';
    const [head] = multipartFrame(boundary, 'stalled.tar');
    const stalls: Array<[string, string, Record<string, string>, Buffer]> = [
      ['PUT', '/upload/image/stalled.tar', { ...OCTET, 'content-length': String(64 * 1024) }, Buffer.alloc(8 * 1024, 0x41)],
      ['POST', '/upload/image', { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(64 * 1024) },
        Buffer.concat([head, Buffer.alloc(8 * 1024, 0x41)])],
    ];
    for (const [method, path, headers, first] of stalls) {
      const upload = rawUpload(method, path, headers, TEST_USERS.root, slow);
      upload.req.write(first);
      // ... and nothing more: the gateway answers once the pause passes the limit.
      const { response } = await upload.done;
      t.is(response?.status, 408, `${method} ${path}: ${response?.text}`);
      t.is(response?.json?.data?.description, `The upload sent nothing for ${IDLE_MS} ms; the partial image was removed`);
      t.is(response?.headers.connection, 'close');
      upload.req.destroy();
      t.deepEqual(await filesIn(slow.imageDir), [], `${method}: no partial file`);
      t.true(slow.logLines.some((line) => line.includes(`verb=${method} path=${path} status=408`)), `${method}: audited`);
    }
    await slow.sim.startService(IMAGE_MANAGER_BUS_NAME);

    // An image sent in pieces 150 ms apart takes several times the limit and still gets through.
    const version = uniqueVersion('slow-steady');
    const image = await makeImage(version);
    const upload = rawUpload('PUT', '/upload/image/slow.tar', { ...OCTET, 'content-length': String(image.length) }, TEST_USERS.root, slow);
    const pieces = 8;
    const began = Date.now();
    for (let i = 0; i < pieces; i++) {
      upload.req.write(image.subarray(Math.floor((i * image.length) / pieces), Math.floor(((i + 1) * image.length) / pieces)));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    upload.req.end();
    const { response } = await upload.done;
    t.true(Date.now() - began > 2 * IDLE_MS, 'the upload took longer than the limit');
    t.is(response?.status, 200, response?.text);
    t.is(response?.json?.data, expectedId(version));
  } finally {
    await slow.close();
  }
});

test.serial('traversal, hidden and empty names: refused, nothing written anywhere', async (t) => {
  await withImageManagerStopped(async () => {
    const marker = `escape-${randomUUID().slice(0, 8)}`;
    const refused = [`..%2F..%2F${marker}`, `..%2f${marker}`, '..', '%2e%2e', `.${marker}`, '.', `a%2F${marker}`, `%00${marker}`, `${marker}%20x`];
    for (const name of refused) {
      const res = await h().client.request('PUT', `/upload/image/${name}`, { body: Buffer.from('payload'), headers: OCTET });
      t.is(res.status, 400, name);
      t.regex(res.json.data.description, /Invalid image file name/, name);
    }
    // No name at all: the empty name, with or without the slash.
    for (const path of ['/upload/image/', '/upload/image']) {
      const empty = await h().client.request('PUT', path, { body: Buffer.from('payload'), headers: OCTET });
      t.is(empty.status, 400, path);
      t.regex(empty.json.data.description, /^Invalid image file name '':/, path);
    }

    t.deepEqual(await filesIn(h().imageDir), []);
    for (const dir of [dirname(h().imageDir), dirname(dirname(h().imageDir)), tmpdir()]) {
      t.false(existsSync(join(dir, marker)), `nothing written to ${dir}`);
      t.deepEqual((await readdir(dir)).filter((name) => name.includes(marker)), [], `nothing named like the marker in ${dir}`);
    }
  });
});

test.serial('PUT over an existing name, directory or symbolic link: 409, and what is there stays as it was', async (t) => {
  await withImageManagerStopped(async () => {
    const image = await makeImage(uniqueVersion('exists'));
    const file = `exists-${randomUUID().slice(0, 8)}.tar`;
    const old = Buffer.alloc(64, 0x7a);
    await writeFile(join(h().imageDir, file), old);
    const directory = `dir-${randomUUID().slice(0, 8)}`;
    await mkdir(join(h().imageDir, directory));
    const outside = join(dirname(h().imageDir), `outside-${randomUUID().slice(0, 8)}`);
    await writeFile(outside, 'not to be touched');
    const link = `link-${randomUUID().slice(0, 8)}.tar`;
    await symlink(outside, join(h().imageDir, link));
    const dangling = `dangling-${randomUUID().slice(0, 8)}.tar`;
    await symlink(join(dirname(h().imageDir), `created-through-link-${randomUUID().slice(0, 8)}`), join(h().imageDir, dangling));
    for (const name of [file, directory, link, dangling]) {
      const res = await h().client.request('PUT', `/upload/image/${name}`, { body: image, headers: OCTET });
      t.is(res.status, 409, `${name}: ${res.text}`);
      t.is(res.json.data.description, `An image named '${name}' already exists in the image directory; choose another name`);
    }
    t.true((await readFile(join(h().imageDir, file))).equals(old), 'the existing file is unchanged');
    t.is(await readFile(outside, 'utf8'), 'not to be touched', 'nothing was written through the link');
    t.false(existsSync(await readlink(join(h().imageDir, dangling))), 'nothing was created through a dangling link');
    await rm(outside);
    for (const name of [file, directory, link, dangling]) await rm(join(h().imageDir, name), { recursive: true });
  });
});

test.serial('no credentials: 401; read-only and no-access users: 403; nothing written', async (t) => {
  await withImageManagerStopped(async () => {
    const body = Buffer.from('payload');
    const anonymous = await postImage(body, null);
    t.is(anonymous.status, 401);
    t.is(anonymous.json.status, 'error');
    const wrong = await postImage(body, { user: 'root', password: 'wrong' });
    t.is(wrong.status, 401);
    for (const user of [TEST_USERS.readonly, TEST_USERS.noaccess]) {
      const post = await postImage(body, user);
      t.is(post.status, 403, user.user);
      const put = await h().clientAs(user).request('PUT', '/upload/image/by-user.tar', { body, headers: OCTET });
      t.is(put.status, 403, user.user);
    }
    t.deepEqual(await filesIn(h().imageDir), []);
  });
});
