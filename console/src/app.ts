/**
 * The shell: the login form until a session exists, then a header (user,
 * live status, logout) and four views, chosen by the URL's hash so that the
 * browser's back button and bookmarks work: #/objects/<path>, #/events,
 * #/sensors, #/power. One Live (websocket) per session, shared by the views.
 */
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { get, logout, onSessionEnd, xsrfToken } from './api.js';
import { EventsPanel } from './events.js';
import { Live } from './live.js';
import { Login } from './login.js';
import { ObjectView } from './object-view.js';
import { PowerPanel } from './power.js';
import { SensorsPanel } from './sensors.js';
import { Tree } from './tree.js';

const USER_KEY = 'bmc-console-user';

function route(): { view: string; path: string } {
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash.startsWith('/objects')) return { view: 'objects', path: hash.slice('/objects'.length) || '/' };
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
  const { view, path } = useRoute();
  const [jump, setJump] = useState(path);
  useEffect(() => {
    const stop = live.onStatus(setConnected);
    live.start();
    return () => { stop(); live.stop(); };
  }, [live]);
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
          <${ObjectView} path=${path} live=${live} />
        </div>`}
      ${view === 'events' && html`<${EventsPanel} live=${live} />`}
      ${view === 'sensors' && html`<${SensorsPanel} live=${live} />`}
      ${view === 'power' && html`<${PowerPanel} live=${live} />`}
    </main>`;
}

export function App() {
  const [user, setUser] = useState<string | undefined>(undefined);
  const [checking, setChecking] = useState(true);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  useEffect(() => {
    onSessionEnd((reason) => {
      setUser(undefined);
      setNotice(reason);
    });
    // A page reloaded within a session: the XSRF cookie is there and a read succeeds.
    if (!xsrfToken()) return setChecking(false);
    get('/xyz/openbmc_project/')
      .then(() => setUser(sessionStorage.getItem(USER_KEY) ?? 'logged in'), () => undefined)
      .finally(() => setChecking(false));
  }, []);
  if (checking) return html`<p class="muted">Loading…</p>`;
  if (!user) {
    return html`<${Login} notice=${notice} onLogin=${(name: string) => {
      sessionStorage.setItem(USER_KEY, name);
      setNotice(undefined);
      setUser(name);
    }} />`;
  }
  return html`<${Console} user=${user} onLogout=${async () => {
    await logout();
    sessionStorage.removeItem(USER_KEY);
    setNotice(undefined);
    setUser(undefined);
  }} />`;
}
