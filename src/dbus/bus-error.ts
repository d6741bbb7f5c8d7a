/**
 * One error type for everything that comes back from the bus: an error reply
 * of a service, the gateway's own call deadline, or a message dbus-next could
 * not marshal. The HTTP layer maps `errorName` to a status through one table.
 */

/** What the gateway's own call deadline reports; the error table maps it to 504. */
export const NO_REPLY = 'org.freedesktop.DBus.Error.NoReply';

/** A received reply that breaks the wire format or has another signature than the call expects (the service's fault). */
export const INCONSISTENT_MESSAGE = 'org.freedesktop.DBus.Error.InconsistentMessage';

/**
 * Raised when a message is not sent: it breaks the D-Bus rules (a name or
 * signature from a misbehaving service) or dbus-next refuses to build it.
 * Never client input, which is converted and checked before; the table maps
 * it to 500.
 */
export const MARSHAL_FAILED = 'org.freedesktop.DBus.Error.Failed';

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
    return new BusError(MARSHAL_FAILED, firstLine(text));
  }
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
