/**
 * The login form; `notice` says why the last session ended, when it did.
 * The one-time code is optional: only accounts that need one send it (as
 * `token`); the gateway's 401 says when it is missing. `onLogin` gets the
 * answer's restriction message, if any (api.ts `login`).
 */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { login } from './api.js';

export function Login({ notice, onLogin }: { notice: string | undefined; onLogin: (user: string, restricted: string | undefined) => void }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const userField = useRef<HTMLInputElement>(null);
  // `autofocus` works only for the page's own HTML, not for an element added later.
  useEffect(() => userField.current?.focus(), []);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const user = String(form.get('username') ?? '');
    setBusy(true);
    setError(undefined);
    try {
      const restricted = await login(user, String(form.get('password') ?? ''), String(form.get('code') ?? '').trim());
      onLogin(user, restricted);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <main class="login">
      <form class="card" onSubmit=${submit} aria-labelledby="login-title">
        <h1 id="login-title">BMC console</h1>
        ${notice && html`<p class="notice" role="status" id="session-notice">Your session ended: ${notice}</p>`}
        <label for="username">User name</label>
        <input id="username" name="username" autocomplete="username" required ref=${userField} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <label for="code">One-time code <span class="muted">(only if your account needs one)</span></label>
        <input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" />
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button type="submit" disabled=${busy}>Log in</button>
      </form>
    </main>`;
}
