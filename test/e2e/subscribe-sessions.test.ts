/**
 * /subscribe and sessions: a websocket opened with a session (X-Auth-Token or
 * the cookie) lives as long as the session. Logout and eviction close it at
 * once with 1008 "session ended"; idle expiry closes it at the next ping tick;
 * while it answers pings it keeps its session in use. A Basic-authenticated
 * socket has no session and is not touched.
 */
import test from 'ava';
import { type Harness, startHarness } from '../helpers/harness.js';
import type { Credentials } from '../helpers/http-client.js';
import { TEST_USERS } from '../helpers/users.js';
import { type Subscriber, bounded, connectSubscriber } from '../helpers/ws-client.js';

const HOST = '/xyz/openbmc_project/state/host0';
const CLOSE_WAIT_MS = 10_000;

interface Login {
  readonly token: string;
  /** The Set-Cookie pairs of the login, joined as a cookie jar sends them. */
  readonly cookie: string;
}

async function login(h: Harness, { user, password }: Credentials): Promise<Login> {
  const answer = await h.clientAs(null).request('POST', '/login', { body: { data: [user, password] } });
  if (answer.status !== 200) throw new Error(`login: ${answer.status} ${answer.text}`);
  const cookies = ([] as string[]).concat(answer.headers['set-cookie'] ?? []).map((c) => c.split(';')[0] ?? '');
  return { token: answer.json.token as string, cookie: cookies.join('; ') };
}

async function open(h: Harness, headers: Record<string, string>): Promise<Subscriber> {
  const subscriber = await connectSubscriber(h.gateway.url, h.gateway.certificate, { headers });
  await subscriber.setFilter({ paths: [HOST] });
  return subscriber;
}

const basic = ({ user, password }: Credentials) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

async function withHarness(flags: string[], run: (h: Harness, opened: Subscriber[]) => Promise<void>): Promise<void> {
  const h = await startHarness({ flags });
  const opened: Subscriber[] = [];
  try {
    await run(h, opened);
  } finally {
    await Promise.all(opened.map((subscriber) => subscriber.close()));
    await h.close();
  }
}

test('logout closes the sockets of that session (token and cookie) with 1008; others stay open', (t) =>
  withHarness([], async (h, opened) => {
    const mine = await login(h, TEST_USERS.root);
    const other = await login(h, TEST_USERS.root);
    const byToken = await open(h, { 'x-auth-token': mine.token });
    const byCookie = await open(h, { cookie: mine.cookie });
    const otherSession = await open(h, { 'x-auth-token': other.token });
    const byBasic = await open(h, basic(TEST_USERS.root));
    opened.push(byToken, byCookie, otherSession, byBasic);

    const logout = await h.clientAs(null).request('POST', '/logout', { headers: { 'x-auth-token': mine.token }, body: { data: [] } });
    t.is(logout.status, 200);
    for (const subscriber of [byToken, byCookie]) {
      t.deepEqual(await bounded(subscriber.closed, CLOSE_WAIT_MS, 'close after logout'), { code: 1008, reason: 'session ended' });
    }
    // The other session and the Basic socket still work: a round trip each.
    await otherSession.sync();
    await byBasic.sync();
    t.is(otherSession.ws.readyState, otherSession.ws.OPEN);
    t.is(byBasic.ws.readyState, byBasic.ws.OPEN);
    t.true(h.logLines.some((line) => /subscribe: root from \S+: session ended, closing/.test(line)));
  }));

test('a session evicted by the per-user cap closes its socket', (t) =>
  withHarness(['--max-sessions-per-user', '1'], async (h, opened) => {
    const first = await login(h, TEST_USERS.readonly);
    const subscriber = await open(h, { 'x-auth-token': first.token });
    opened.push(subscriber);
    // The user's second login pushes the first session out.
    const second = await login(h, TEST_USERS.readonly);
    t.deepEqual(await bounded(subscriber.closed, CLOSE_WAIT_MS, 'close after eviction'), { code: 1008, reason: 'session ended' });
    t.is((await h.clientAs(null).get(HOST, { headers: { 'x-auth-token': first.token } })).status, 401);
    t.is((await h.clientAs(null).get(HOST, { headers: { 'x-auth-token': second.token } })).status, 200);
  }));

test('an open socket that answers pings keeps its session in use', (t) =>
  withHarness(['--session-idle-timeout-ms', '400', '--ws-ping-interval-ms', '100'], async (h, opened) => {
    const session = await login(h, TEST_USERS.root);
    const subscriber = await open(h, { 'x-auth-token': session.token });
    opened.push(subscriber);
    // Three idle timeouts without a request: the pings keep the session alive.
    let pings = 0;
    await bounded(new Promise<void>((resolve) => subscriber.ws.on('ping', () => ++pings === 12 && resolve())), CLOSE_WAIT_MS, 'twelve pings');
    t.is(subscriber.ws.readyState, subscriber.ws.OPEN);
    t.is((await h.clientAs(null).get(HOST, { headers: { 'x-auth-token': session.token } })).status, 200);
  }));

// The idle timeout is long enough for the login and the upgrade to happen within it on a loaded
// machine (at 150 ms the upgrade itself was sometimes refused, 401), and shorter than the interval.
test('a session that idles out between ping ticks closes its socket at the next tick', (t) =>
  withHarness(['--session-idle-timeout-ms', '2000', '--ws-ping-interval-ms', '5000'], async (h, opened) => {
    const session = await login(h, TEST_USERS.root);
    const subscriber = await open(h, { 'x-auth-token': session.token });
    opened.push(subscriber);
    t.deepEqual(await bounded(subscriber.closed, CLOSE_WAIT_MS, 'close after idle expiry'), { code: 1008, reason: 'session ended' });
    t.is((await h.clientAs(null).get(HOST, { headers: { 'x-auth-token': session.token } })).status, 401);
  }));
