/**
 * The gateway's REST API as a browser client must use it: the session
 * cookie goes by itself (HttpOnly, never readable here); every request
 * echoes the XSRF cookie in X-XSRF-TOKEN; answers are the OpenBMC envelope.
 * A 401 means the session is over (logout elsewhere, expiry, eviction, a
 * disabled account): the app hears it once through `onSessionEnd`.
 */

export interface Envelope {
  readonly status: 'ok' | 'error';
  readonly message: string;
  readonly data: unknown;
}

/** An error answer, with the envelope's description as its message. */
export class ApiError extends Error {
  constructor(readonly httpStatus: number, message: string) {
    super(message);
  }
}

let sessionEndListener: ((reason: string) => void) | undefined;

export function onSessionEnd(listener: (reason: string) => void): void {
  sessionEndListener = listener;
}

export function endSession(reason: string): void {
  sessionEndListener?.(reason);
}

/**
 * The XSRF cookie's name: the gateway writes its configured name into the
 * page (index.html's `bmc-xsrf-cookie` meta element, http/console-files.ts).
 * An exact name, never a suffix: bmcweb's `XSRF-TOKEN` on the same host is
 * another server's cookie.
 */
export function xsrfCookieName(): string {
  return document.querySelector('meta[name="bmc-xsrf-cookie"]')?.getAttribute('content') || '__Host-BMCGW-XSRF-TOKEN';
}

/** The XSRF cookie's value, by its exact name. */
export function xsrfToken(): string | undefined {
  const wanted = xsrfCookieName();
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === wanted) return value.join('=');
  }
  return undefined;
}

/** The description of an error envelope, or the status line when the body is none. */
export function describe(status: number, body: unknown): string {
  const envelope = body as Partial<Envelope> | undefined;
  const data = envelope?.data as { description?: unknown } | undefined;
  if (typeof data?.description === 'string') return data.description;
  return typeof envelope?.message === 'string' ? envelope.message : `HTTP ${status}`;
}

/** One request; resolves with the envelope's data, throws ApiError with its description. */
export async function request<T = unknown>(method: string, path: string, data?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = xsrfToken();
  if (token) headers['X-XSRF-TOKEN'] = token;
  if (data !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(data !== undefined ? { body: JSON.stringify({ data }) } : {}),
  });
  const body = await response.json().catch(() => undefined);
  if (response.status === 401 && path !== '/login') endSession(`the gateway answered 401: ${describe(401, body)}`);
  if (!response.ok) throw new ApiError(response.status, describe(response.status, body));
  return (body as Envelope).data as T;
}

export const get = <T = unknown>(path: string) => request<T>('GET', path);

/**
 * Logs in with the body the web UI sends (bmcweb's, with the one-time code
 * as `token` when there is one); the answer sets the session and XSRF
 * cookies. Resolves with the answer's `extendedMessage`: set when the
 * session is restricted (an expired password, a one-time code secret to set
 * up first), which every other request then answers with 403.
 */
export async function login(username: string, password: string, code = ''): Promise<string | undefined> {
  const response = await fetch('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    credentials: 'same-origin',
    body: JSON.stringify({ username, password, ...(code ? { token: code } : {}) }),
  });
  const body = await response.json().catch(() => undefined) as { extendedMessage?: unknown } | undefined;
  if (!response.ok) throw new ApiError(response.status, describe(response.status, body));
  return typeof body?.extendedMessage === 'string' ? body.extendedMessage : undefined;
}

/**
 * Whether the session still holds, asked cheaply (`GET /version`, no D-Bus):
 * false only when the gateway answers 401. Does not end the session itself:
 * the caller knows the better reason.
 */
export async function sessionHolds(): Promise<boolean> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = xsrfToken();
  if (token) headers['X-XSRF-TOKEN'] = token;
  try {
    const response = await fetch('/version', { headers, credentials: 'same-origin' });
    return response.status !== 401;
  } catch {
    return true; // no answer: the network, not the session; the websocket's retries find out
  }
}

export async function logout(): Promise<void> {
  await request('POST', '/logout', []).catch(() => undefined);
}

/**
 * A firmware image upload with the browser's upload progress events (fetch
 * has none): `progress` gets bytes sent and total.
 */
export function uploadImage(file: File, progress: (sent: number, total: number) => void): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/upload/image');
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.setRequestHeader('Accept', 'application/json');
    const token = xsrfToken();
    if (token) xhr.setRequestHeader('X-XSRF-TOKEN', token);
    xhr.upload.onprogress = (event) => progress(event.loaded, event.lengthComputable ? event.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, 'the upload failed: no answer from the gateway'));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status === 401) endSession(`the gateway answered 401: ${describe(401, body)}`);
      if (xhr.status >= 200 && xhr.status < 300) resolve((body as Envelope | undefined)?.data);
      else reject(new ApiError(xhr.status, describe(xhr.status, body)));
    };
    xhr.send(file);
  });
}
