/**
 * Requests Node's HTTP parser refuses, over raw TLS connections to the real
 * gateway: each gets the JSON error envelope and the connection is closed by
 * the gateway; a request that came before the bad bytes is answered first.
 * Also `Expect: 100-continue` (only after authentication), invalid UTF-8 in
 * a body (400, nothing written), and the TLS suites offered.
 */
import { connect as tlsConnect } from 'node:tls';
import test from 'ava';
import { TEST_USERS } from '../helpers/users.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { type Target, rawExchange, tlsNoRequest } from '../helpers/raw-connections.js';

let h: Harness;
let target: Target;
test.before(async () => {
  h = await startHarness();
  target = { url: h.gateway.url, ca: h.gateway.certificate ?? '' };
});
test.after.always(() => h?.close());

const ROOT_BASIC = `Basic ${Buffer.from(`${TEST_USERS.root.user}:${TEST_USERS.root.password}`).toString('base64')}`;
const ECHO = '/xyz/openbmc_project/test/echo';
const STRING = '/xyz/openbmc_project/test/values/attr/String';

/** The status lines of every response in `text`, in order. */
function statusLines(text: string): string[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3} [^\r]*)\r\n/g)].map((match) => match[1] ?? '');
}

/** The JSON envelope after the last head in `text`. */
function lastEnvelope(text: string): { message: string; status: string; data: { description: string } } {
  const body = text.slice(text.lastIndexOf('\r\n\r\n') + 4);
  return JSON.parse(body) as { message: string; status: string; data: { description: string } };
}

const MALFORMED: Array<[string, string, string, RegExp]> = [
  ['an unknown method', 'BREW / HTTP/1.1\r\nHost: localhost\r\n\r\n', '400 Bad Request', /^Malformed HTTP request/],
  ['Transfer-Encoding: xchunked', 'POST /login HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: xchunked\r\n\r\n',
    '400 Bad Request', /Transfer-Encoding/],
  ['Content-Length with Transfer-Encoding', 'POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n',
    '400 Bad Request', /^Malformed HTTP request/],
  ['an oversized chunk-size line', `PUT ${ECHO}/attr/S HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${ROOT_BASIC}\r\n`
    + `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${'f'.repeat(64)}\r\n`, '400 Bad Request', /chunk size/],
  ['CONNECT', 'CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n', '405 Method Not Allowed', /^Method not allowed/],
  ['a header line without a colon', 'GET / HTTP/1.1\r\nHost: localhost\r\nNoColonHere\r\n\r\n', '400 Bad Request', /^Malformed HTTP request/],
];

for (const [name, bytes, status, description] of MALFORMED) {
  test(`${name}: the error envelope, then the gateway closes`, async (t) => {
    const exchange = await rawExchange(target, bytes);
    t.true(exchange.closedByServer, 'the gateway closed the connection');
    t.deepEqual(statusLines(exchange.text), [status], exchange.text);
    const envelope = lastEnvelope(exchange.text);
    t.is(envelope.message, status);
    t.is(envelope.status, 'error');
    t.regex(envelope.data.description, description);
    t.regex(exchange.text, /\r\nX-Content-Type-Options: nosniff\r\n/);
  });
}

test('a POST without a body followed by stray bytes: its answer comes first, then the 400 for the bytes', async (t) => {
  const exchange = await rawExchange(target,
    `POST ${ECHO}/action/MultiOut HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${ROOT_BASIC}\r\n\r\n0\r\n\r\n`);
  t.true(exchange.closedByServer);
  t.deepEqual(statusLines(exchange.text), ['200 OK', '400 Bad Request'], exchange.text);
  t.regex(exchange.text, /"multi",\s+42,\s+true/, 'the method ran and its answer arrived');
  t.is(lastEnvelope(exchange.text).message, '400 Bad Request');
});

test.serial('Expect: 100-continue is answered only after authentication', async (t) => {
  const head = (auth: string) => `PUT ${STRING} HTTP/1.1\r\nHost: localhost\r\n${auth}`
    + 'Content-Type: application/json\r\nContent-Length: 13\r\nExpect: 100-continue\r\n\r\n';
  const anonymous = await rawExchange(target, head(''), 3000);
  t.deepEqual(statusLines(anonymous.text), ['401 Unauthorized'], 'no 100 Continue before the 401');

  const socket = await tlsNoRequest(target);
  t.teardown(() => socket.destroy());
  socket.setEncoding('latin1');
  let text = '';
  const waiters = new Set<() => void>();
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (const wake of waiters) wake();
  });
  const arrived = (pattern: RegExp) => new Promise<void>((resolve) => {
    const check = () => {
      if (!pattern.test(text)) return;
      waiters.delete(check);
      resolve();
    };
    waiters.add(check);
    check();
  });
  const continued = arrived(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
  socket.write(head(`Authorization: ${ROOT_BASIC}\r\n`));
  await continued;
  const answered = arrived(/HTTP\/1\.1 200 OK[\s\S]*\r\n\r\n\{[\s\S]*\}$/);
  socket.write('{"data": "x"}');
  await answered;
  t.deepEqual(statusLines(text), ['100 Continue', '200 OK']);
  t.is((await h.client.get(STRING)).json.data, 'x');
});

test.serial('a JSON body that is not valid UTF-8: 400, nothing written', async (t) => {
  t.is((await h.client.request('PUT', STRING, { body: { data: 'before' } })).status, 200);
  const body = Buffer.concat([Buffer.from('{"data": "a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
  const res = await h.client.request('PUT', STRING, { body, headers: { 'content-type': 'application/json' } });
  t.is(res.status, 400, res.text);
  t.is(res.json.data.description, 'The request body is not valid UTF-8');
  t.is((await h.client.get(STRING)).json.data, 'before');
});

/** Resolves with the negotiated suite, or the handshake error's text. */
function handshake(options: { maxVersion: 'TLSv1.2' | 'TLSv1.3'; ciphers?: string }): Promise<string> {
  const { hostname, port } = new URL(target.url);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: hostname, port: Number(port), ca: target.ca, servername: 'localhost', ...options });
    socket.once('secureConnect', () => {
      resolve(socket.getCipher().name);
      socket.destroy();
    });
    socket.once('error', (err) => resolve(`refused: ${err.message}`));
  });
}

test('TLS: 1.3, and on 1.2 only ECDHE with AEAD suites', async (t) => {
  t.regex(await handshake({ maxVersion: 'TLSv1.3' }), /^TLS_/);
  t.is(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }), 'ECDHE-ECDSA-AES128-GCM-SHA256');
  t.is(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' }), 'ECDHE-ECDSA-CHACHA20-POLY1305');
  for (const cbcOrCcm8 of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE-ECDSA-AES128-CCM8', 'ECDHE-ECDSA-AES128-CCM']) {
    t.regex(await handshake({ maxVersion: 'TLSv1.2', ciphers: cbcOrCcm8 }), /^refused: .*(handshake failure|no shared cipher)/i, cbcOrCcm8);
  }
});
