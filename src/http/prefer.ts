/**
 * The `Prefer` request header (RFC 7240) as far as the gateway honours it:
 * `respond-async` (answer 202 and run the request as a job) and `wait=N`
 * (wait up to N seconds for a job holding the object). Preferences are
 * comma-separated `token[=value]` with optional `;parameters`; a preference
 * that does not parse is ignored, as the RFC asks, never an error. Pure.
 */

/** Longest wait honoured, in seconds (a longer one is cut to this). */
export const MAX_WAIT_SECONDS = 600;

export interface Preferences {
  readonly respondAsync: boolean;
  /** Seconds, when a valid `wait` was given. */
  readonly waitSeconds: number | undefined;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parsePrefer(header: string | undefined): Preferences {
  let respondAsync = false;
  let waitSeconds: number | undefined;
  for (const preference of (header ?? '').split(',')) {
    const [head = ''] = preference.split(';');
    const equals = head.indexOf('=');
    const name = (equals === -1 ? head : head.slice(0, equals)).trim().toLowerCase();
    let value = equals === -1 ? undefined : head.slice(equals + 1).trim();
    if (!TOKEN.test(name)) continue;
    if (value?.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (name === 'respond-async' && value === undefined) respondAsync = true;
    else if (name === 'wait' && value !== undefined && /^[0-9]{1,9}$/.test(value)) waitSeconds = Math.min(Number(value), MAX_WAIT_SECONDS);
  }
  return { respondAsync, waitSeconds };
}
