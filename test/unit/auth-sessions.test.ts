import test from 'ava';
import { SESSION_COOKIE, XSRF_COOKIE, clearedCookies, parseCookies, sessionCookies } from '../../src/auth/cookies.js';
import { type Session, SessionStore } from '../../src/auth/sessions.js';
import { TOKEN_LENGTH, isTokenShaped, randomToken, safeEqual } from '../../src/auth/tokens.js';

const cookieCases: Array<[string | string[] | undefined, Record<string, string>]> = [
  [undefined, {}],
  ['', {}],
  ['BMCWEB-SESSION=abc', { 'BMCWEB-SESSION': 'abc' }],
  ['a=1; BMCWEB-SESSION=abc;XSRF-TOKEN=def', { a: '1', 'BMCWEB-SESSION': 'abc', 'XSRF-TOKEN': 'def' }],
  ['BMCWEB-SESSION="quoted"', { 'BMCWEB-SESSION': 'quoted' }],
  // Exact names: a proxy's cookie that merely contains ours is not ours.
  ['CCFWBMCWEB-SESSION=evil', { 'CCFWBMCWEB-SESSION': 'evil' }],
  // The first of two wins (the browser sends the most specific path first).
  ['BMCWEB-SESSION=first; BMCWEB-SESSION=second', { 'BMCWEB-SESSION': 'first' }],
  ['garbage; =novalue; x=1=2', { x: '1=2' }],
  [['a=1', 'b=2'], { a: '1', b: '2' }],
];
for (const [header, expected] of cookieCases) {
  test(`parseCookies(${JSON.stringify(header)})`, (t) => {
    t.deepEqual(Object.fromEntries(parseCookies(header)), expected);
  });
}

test('session cookies: Secure, SameSite=Strict, Path=/; only the session one HttpOnly', (t) => {
  const [session = '', xsrf = ''] = sessionCookies('T'.repeat(32), 'X'.repeat(32));
  t.true(session.startsWith(`${SESSION_COOKIE}=${'T'.repeat(32)};`));
  for (const attribute of ['Path=/', 'Secure', 'HttpOnly', 'SameSite=Strict']) t.true(session.split('; ').includes(attribute), attribute);
  t.true(xsrf.startsWith(`${XSRF_COOKIE}=${'X'.repeat(32)};`));
  t.false(xsrf.includes('HttpOnly'));
  for (const cleared of clearedCookies()) t.regex(cleared, /^[A-Z-]+=; .*Max-Age=0/);
});

test('tokens: 32 letters and digits, unpredictable, compared in constant time', (t) => {
  const tokens = new Set(Array.from({ length: 200 }, () => randomToken()));
  t.is(tokens.size, 200);
  for (const token of tokens) {
    t.is(token.length, TOKEN_LENGTH);
    t.regex(token, /^[A-Za-z0-9]{32}$/);
    t.true(isTokenShaped(token));
  }
  t.true(safeEqual('abc', 'abc'));
  t.false(safeEqual('abc', 'abd'));
  t.false(safeEqual('abc', 'abcd'));
  t.false(isTokenShaped('short'));
});

function clockedStore(options: { idle?: number; max?: number; perUser?: number } = {}) {
  let now = 1_000_000;
  const evicted: string[] = [];
  const store = new SessionStore({
    idleTimeoutMs: options.idle ?? 1000,
    maxSessions: options.max ?? 10,
    maxSessionsPerUser: options.perUser ?? 10,
    now: () => now,
    onEvict: (session: Session, reason) => evicted.push(`${session.user}:${reason}`),
  });
  return { store, evicted, advance: (ms: number) => (now += ms) };
}

test('a session dies after the idle timeout; using it keeps it alive', (t) => {
  const { store, evicted, advance } = clockedStore({ idle: 1000 });
  const session = store.create('root');
  advance(999);
  t.is(store.lookup(session.token), session);
  advance(999);
  t.is(store.lookup(session.token), session);
  advance(1000);
  t.is(store.lookup(session.token), undefined);
  t.deepEqual(evicted, ['root:idle']);
  t.is(store.size, 0);
});

test('logout removes the session', (t) => {
  const { store } = clockedStore();
  const session = store.create('root');
  t.true(store.remove(session.token));
  t.is(store.lookup(session.token), undefined);
  t.false(store.remove(session.token));
});

test('per-user cap: the user loses their own least recently used session', (t) => {
  const { store, evicted, advance } = clockedStore({ perUser: 2 });
  const other = store.create('operator');
  const first = store.create('root');
  advance(1);
  const second = store.create('root');
  advance(1);
  store.lookup(first.token); // now `second` is root's least recently used
  const third = store.create('root');
  t.deepEqual(evicted, ['root:user-cap']);
  t.is(store.lookup(second.token), undefined);
  for (const live of [other, first, third]) t.truthy(store.lookup(live.token));
});

test('global cap: the least recently used session of anybody goes', (t) => {
  const { store, evicted } = clockedStore({ max: 3 });
  const a = store.create('a');
  const b = store.create('b');
  const c = store.create('c');
  store.lookup(a.token);
  store.create('d');
  t.deepEqual(evicted, ['b:cap']);
  t.is(store.lookup(b.token), undefined);
  t.truthy(store.lookup(a.token));
  t.truthy(store.lookup(c.token));
  t.is(store.size, 3);
});

test('a login sweeps idle sessions before evicting live ones', (t) => {
  const { store, evicted, advance } = clockedStore({ max: 2, idle: 100 });
  store.create('a');
  advance(50);
  const b = store.create('b');
  advance(60);
  store.create('c');
  t.deepEqual(evicted, ['a:idle']);
  t.truthy(store.lookup(b.token));
});

test('onEnd: told once when the session ends, however it ends', (t) => {
  let now = 0;
  const store = new SessionStore({ idleTimeoutMs: 100, maxSessions: 10, maxSessionsPerUser: 1, now: () => now });
  const ended: string[] = [];
  const watch = (session: Session, name: string) => store.onEnd(session.token, () => ended.push(name));

  const loggedOut = store.create('a');
  watch(loggedOut, 'logout');
  store.remove(loggedOut.token);
  store.remove(loggedOut.token);

  const capped = store.create('b');
  watch(capped, 'user-cap');
  store.create('b');

  const idle = store.create('c');
  watch(idle, 'idle');
  now = 100;
  t.is(store.lookup(idle.token), undefined);
  t.deepEqual(ended, ['logout', 'user-cap', 'idle']);
});

test('onEnd: an unknown or ended session is reported at once; unregistering stops it', (t) => {
  const store = new SessionStore({ idleTimeoutMs: 100, maxSessions: 10, maxSessionsPerUser: 10 });
  let told = 0;
  store.onEnd('NoSuchSession', () => told++);
  t.is(told, 1);
  const session = store.create('a');
  const cancel = store.onEnd(session.token, () => told++);
  const kept = store.onEnd(session.token, () => (told += 10));
  cancel();
  store.remove(session.token);
  t.is(told, 11);
  kept();
});
