import test from 'ava';
import { BMCWEB_COOKIE_NAMES, type CookieNames, OWN_COOKIE_NAMES, clearedCookies, isCookieName, parseCookies, sessionCookies, sessionToken } from '../../src/auth/cookies.js';
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

test('session cookies: Secure, SameSite=Strict, Path=/, no Domain; only the session ones HttpOnly', (t) => {
  const [session = '', xsrf = '', ...more] = sessionCookies(OWN_COOKIE_NAMES, 'T'.repeat(32), 'X'.repeat(32));
  t.deepEqual(more, []);
  t.true(session.startsWith(`__Host-BMCGW-SESSION=${'T'.repeat(32)};`));
  for (const attribute of ['Path=/', 'Secure', 'HttpOnly', 'SameSite=Strict']) t.true(session.split('; ').includes(attribute), attribute);
  t.true(xsrf.startsWith(`__Host-BMCGW-XSRF-TOKEN=${'X'.repeat(32)};`));
  t.false(xsrf.includes('HttpOnly'));
  for (const cookie of [session, xsrf]) t.false(/domain=/i.test(cookie), 'a __Host- cookie has no Domain');
  const cleared = clearedCookies(OWN_COOKIE_NAMES);
  t.deepEqual(cleared.map((c) => c.split('=')[0]), ['__Host-BMCGW-SESSION', '__Host-BMCGW-XSRF-TOKEN']);
  for (const c of cleared) t.regex(c, /^[A-Za-z_-]+=; Path=\/; Secure; .*Max-Age=0/);
});

test("bmcweb's names: the token under BMCWEB-SESSION and SESSION, the XSRF token under XSRF-TOKEN", (t) => {
  const cookies = sessionCookies(BMCWEB_COOKIE_NAMES, 'T'.repeat(32), 'X'.repeat(32));
  t.deepEqual(cookies.map((c) => c.split(';')[0]), [`BMCWEB-SESSION=${'T'.repeat(32)}`, `SESSION=${'T'.repeat(32)}`, `XSRF-TOKEN=${'X'.repeat(32)}`]);
  t.deepEqual(clearedCookies(BMCWEB_COOKIE_NAMES).map((c) => c.split('=')[0]), ['BMCWEB-SESSION', 'SESSION', 'XSRF-TOKEN']);
});

const tokenCases: Array<[string, CookieNames, string | undefined, string | undefined]> = [
  ['own name', OWN_COOKIE_NAMES, '__Host-BMCGW-SESSION=abc', 'abc'],
  ["bmcweb's cookie is not ours", OWN_COOKIE_NAMES, 'BMCWEB-SESSION=abc; SESSION=def', undefined],
  ['ours next to bmcweb\'s (one cookie jar, two servers)', OWN_COOKIE_NAMES, 'BMCWEB-SESSION=b; __Host-BMCGW-SESSION=ours; XSRF-TOKEN=x', 'ours'],
  ['an empty cookie is absent', OWN_COOKIE_NAMES, '__Host-BMCGW-SESSION=', undefined],
  ['the name without the prefix is another cookie', OWN_COOKIE_NAMES, 'BMCGW-SESSION=abc', undefined],
  ['bmcweb: BMCWEB-SESSION', BMCWEB_COOKIE_NAMES, 'BMCWEB-SESSION=abc', 'abc'],
  ['bmcweb: the pre-2025 SESSION', BMCWEB_COOKIE_NAMES, 'SESSION=old', 'old'],
  ['bmcweb: BMCWEB-SESSION first, whatever the order in the header', BMCWEB_COOKIE_NAMES, 'SESSION=old; BMCWEB-SESSION=new', 'new'],
  ['bmcweb: an empty BMCWEB-SESSION does not hide SESSION', BMCWEB_COOKIE_NAMES, 'BMCWEB-SESSION=; SESSION=old', 'old'],
  ["bmcweb: a proxy's CCFWSESSION is not SESSION", BMCWEB_COOKIE_NAMES, 'CCFWSESSION=evil', undefined],
  ['no header', BMCWEB_COOKIE_NAMES, undefined, undefined],
];
for (const [name, names, header, expected] of tokenCases) {
  test(`sessionToken: ${name}`, (t) => {
    t.is(sessionToken(header, names), expected);
  });
}

test('cookie names: tokens of RFC 6265, nothing that would split or break a header', (t) => {
  for (const good of ['__Host-BMCGW-SESSION', 'SESSION', 'a.b_c!#$%&*+^`|~']) t.true(isCookieName(good), good);
  for (const bad of ['', 'a b', 'a;b', 'a=b', 'a,b', 'a"b', 'é', 'a\nb', 'x'.repeat(65)]) t.false(isCookieName(bad), JSON.stringify(bad));
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
