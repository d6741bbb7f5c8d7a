/**
 * The shell: the login form until a session exists, then a header (user,
 * live status, logout) and four views, chosen by the URL's hash so that the
 * browser's back button and bookmarks work: #/objects/<path>, #/events,
 * #/sensors, #/power. One Live (websocket) per session, shared by the views.
 * A restricted session (an expired password, a one-time code secret to set
 * up) gets the gateway's message instead, and a form for a new password.
 */
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, get, logout, onSessionEnd, request, xsrfToken } from './api.js';
import { EventsPanel } from './events.js';
import { Live } from './live.js';
import { Login } from './login.js';
import { ObjectView } from './object-view.js';
import { PowerPanel } from './power.js';
import { SensorsPanel } from './sensors.js';
import { Tree } from './tree.js';

const USER_KEY = 'bmc-console-user';
const RESTRICTED_KEY = 'bmc-console-restricted';

/** A D-Bus object path: only such a path is ever put into a request URL (no `?`, `#`, `..`, `//`). */
export const OBJECT_PATH = /^\/([A-Za-z0-9_]+(\/[A-Za-z0-9_]+)*)?$/;

function route(): { view: string; path: string; invalid?: string } {
  let hash: string;
  try {
    hash = decodeURIComponent(location.hash.slice(1));
  } catch {
    hash = location.hash.slice(1);
  }
  if (hash.startsWith('/objects')) {
    const path = hash.slice('/objects'.length) || '/';
    if (OBJECT_PATH.test(path)) return { view: 'objects', path };
    return { view: 'objects', path, invalid: `'${path}' is not a D-Bus object path: elements of letters, digits and _ after a /, as /xyz/openbmc_project/state/host0` };
  }
  const view = hash.slice(1);
  return { view: ['events', 'sensors', 'power'].includes(view) ? view : 'objects', path: '/' };
}

function useRoute() {
  const [current, setCurrent] = useState(route());
  useEffect(() => {
    const changed = () => setCurrent(route());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return current;
}

function Console({ user, onLogout }: { user: string; onLogout: () => void }) {
  const live = useMemo(() => new Live(), []);
  const [connected, setConnected] = useState(false);
  const [liveNotice, setLiveNotice] = useState<string | undefined>(undefined);
  const { view, path, invalid } = useRoute();
  const [jump, setJump] = useState(path);
  useEffect(() => {
    const stop = live.onStatus(setConnected);
    const stopNotice = live.onNotice(setLiveNotice);
    live.start();
    return () => { stop(); stopNotice(); live.stop(); };
  }, [live]);
  useEffect(() => {
    if (liveNotice === undefined) return;
    const timer = setTimeout(() => setLiveNotice(undefined), 15_000);
    return () => clearTimeout(timer);
  }, [liveNotice]);
  useEffect(() => setJump(path), [path]);
  const select = (objectPath: string) => { location.hash = `#/objects${objectPath}`; };
  const tab = (name: string, label: string) => html`<a href=${name === 'objects' ? `#/objects${path}` : `#/${name}`}
    aria-current=${view === name ? 'page' : undefined}>${label}</a>`;
  return html`
    <header>
      <span class="brand">BMC console</span>
      <nav aria-label="Views">${tab('objects', 'Objects')}${tab('events', 'Events')}${tab('sensors', 'Sensors')}${tab('power', 'Power & firmware')}</nav>
      <span class=${`live ${connected ? 'on' : 'off'}`} role="status">${connected ? 'live' : 'offline'}</span>
      <span class="user">${user}</span>
      <button type="button" class="secondary" onClick=${onLogout}>Log out</button>
    </header>
    ${liveNotice && html`<p class="notice live-notice" role="status" id="live-notice">${liveNotice}</p>`}
    <main>
      ${view === 'objects' && html`
        <div class="objects">
          <aside>
            <form class="jump" onSubmit=${(e: Event) => { e.preventDefault(); select(jump.trim() || '/'); }}>
              <label for="jump">Object path</label>
              <input id="jump" value=${jump} onInput=${(e: Event) => setJump((e.target as HTMLInputElement).value)} />
              <button type="submit">Open</button>
            </form>
            <${Tree} selected=${path} onSelect=${select} />
          </aside>
          ${invalid
            ? html`<section class="object"><h2>${path}</h2><p class="error" role="alert">${invalid}</p></section>`
            : html`<${ObjectView} path=${path} live=${live} />`}
        </div>`}
      ${view === 'events' && html`<${EventsPanel} live=${live} />`}
      ${view === 'sensors' && html`<${SensorsPanel} live=${live} />`}
      ${view === 'power' && html`<${PowerPanel} live=${live} />`}
    </main>`;
}

/**
 * A restricted session: every request but a few on the user's own account
 * answers 403 with the gateway's message, so the page shows that message
 * (not empty views) and, for an expired password, a form for a new one
 * (`POST <user>/action/SetPassword`), which lifts the restriction of this
 * very session.
 */
function Restricted({ user, message, onLifted, onLogout }:
  { user: string; message: string; onLifted: () => void; onLogout: () => void }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const passwordExpired = /password .*must be changed/i.test(message);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const password = String(form.get('new-password') ?? '');
    setError(undefined);
    if (password !== String(form.get('new-password-again') ?? '')) return setError('The two passwords differ.');
    setBusy(true);
    try {
      await request('POST', `/xyz/openbmc_project/user/${encodeURIComponent(user)}/action/SetPassword`, [password]);
      onLifted();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <header>
      <span class="brand">BMC console</span>
      <span class="user">${user}</span>
      <button type="button" class="secondary" onClick=${onLogout}>Log out</button>
    </header>
    <main class="login">
      <section class="card" id="restricted" aria-labelledby="restricted-title">
        <h1 id="restricted-title">This session is restricted</h1>
        <p class="notice" role="alert">${message}</p>
        ${passwordExpired ? html`
          <form onSubmit=${submit}>
            <label for="new-password">New password</label>
            <input id="new-password" name="new-password" type="password" autocomplete="new-password" required />
            <label for="new-password-again">New password again</label>
            <input id="new-password-again" name="new-password-again" type="password" autocomplete="new-password" required />
            ${error && html`<p class="error" role="alert">${error}</p>`}
            <button type="submit" disabled=${busy}>Change password</button>
          </form>`
          : html`<p class="muted">The console cannot do this step; do it as the message says (docs/CONSOLE.md, Limits), then log in again.</p>`}
      </section>
    </main>`;
}

export function App() {
  const [user, setUser] = useState<string | undefined>(undefined);
  const [restricted, setRestricted] = useState<string | undefined>(undefined);
  const [checking, setChecking] = useState(true);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const restrict = (message: string | undefined) => {
    if (message === undefined) sessionStorage.removeItem(RESTRICTED_KEY);
    else sessionStorage.setItem(RESTRICTED_KEY, message);
    setRestricted(message);
  };
  useEffect(() => {
    onSessionEnd((reason) => {
      setUser(undefined);
      restrict(undefined);
      setNotice(reason);
    });
    // A page reloaded within a session: the XSRF cookie is there and a read succeeds (a restricted session: 403, saying why).
    if (!xsrfToken()) return setChecking(false);
    const name = sessionStorage.getItem(USER_KEY) ?? 'logged in';
    get('/xyz/openbmc_project/')
      .then(() => { restrict(undefined); setUser(name); }, (err: unknown) => {
        if (err instanceof ApiError && err.httpStatus === 403 && sessionStorage.getItem(RESTRICTED_KEY) !== null) {
          restrict(err.message);
          setUser(name);
        }
      })
      .finally(() => setChecking(false));
  }, []);
  if (checking) return html`<p class="muted">Loading…</p>`;
  const loggedOut = async () => {
    await logout();
    sessionStorage.removeItem(USER_KEY);
    restrict(undefined);
    setNotice(undefined);
    setUser(undefined);
  };
  if (!user) {
    return html`<${Login} notice=${notice} onLogin=${(name: string, message: string | undefined) => {
      sessionStorage.setItem(USER_KEY, name);
      restrict(message);
      setNotice(undefined);
      setUser(name);
    }} />`;
  }
  if (restricted !== undefined) {
    return html`<${Restricted} user=${user} message=${restricted} onLifted=${() => restrict(undefined)} onLogout=${loggedOut} />`;
  }
  return html`<${Console} user=${user} onLogout=${loggedOut} />`;
}
