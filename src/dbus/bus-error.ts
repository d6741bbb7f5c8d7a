/**
 * One error type for everything that comes back from the bus: an error reply
 * of a service, the gateway's own call deadline, or a message dbus-next could
 * not marshal. The HTTP layer maps `errorName` to a status through one table
 * (src/errors.ts); what the gateway itself needs to know about an error (is
 * it worth asking again later?) is answered here, never through that table.
 */
import { DBUS_ERRORS, OPENBMC_ERRORS } from './names.js';

/**
 * The service is not there, is busy, or did not answer in time: the same
 * question may get an answer later. Anything else is an answer (the object,
 * the user or the method does not exist, the arguments are wrong...).
 */
const TRANSIENT: ReadonlySet<string> = new Set([
  DBUS_ERRORS.ServiceUnknown,
  DBUS_ERRORS.NameHasNoOwner,
  DBUS_ERRORS.ObjectPathInUse,
  DBUS_ERRORS.LimitsExceeded,
  DBUS_ERRORS.Disconnected,
  DBUS_ERRORS.NoReply,
  DBUS_ERRORS.Timeout,
  DBUS_ERRORS.TimedOut,
  OPENBMC_ERRORS.Unavailable,
  OPENBMC_ERRORS.TooManyResources,
  OPENBMC_ERRORS.Timeout,
]);

export class BusError extends Error {
  override readonly name = 'BusError';

  constructor(
    readonly errorName: string,
    readonly text: string,
  ) {
    super(`${errorName}: ${text}`);
  }

  /** Wraps anything a dbus-next call can throw. */
  static from(err: unknown): BusError {
    if (err instanceof BusError) return err;
    if (isDbusNextError(err)) return new BusError(err.type, firstLine(String(err.text ?? '')));
    const text = err instanceof Error ? err.message : String(err);
    return new BusError(DBUS_ERRORS.Failed, firstLine(text));
  }
}

/** Whether `err` is a bus error that says "not now" rather than "no" (see TRANSIENT). */
export function isTransient(err: unknown): boolean {
  return err instanceof BusError && TRANSIENT.has(err.errorName);
}

/** Whether `err` is a bus error of one of these names. */
export function isBusError(err: unknown, ...names: readonly string[]): err is BusError {
  return err instanceof BusError && names.includes(err.errorName);
}

function isDbusNextError(err: unknown): err is { type: string; text: unknown } {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string'
    && 'text' in err;
}

/**
 * Services written with dbus-next put a whole JS stack into the error text of
 * a thrown plain Error; keep only the first line so no stack ever reaches a
 * client.
 */
function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return newline === -1 ? text : text.slice(0, newline);
}
