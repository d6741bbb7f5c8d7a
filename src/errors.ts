/**
 * The gateway's one error type and its one D-Bus error table.
 *
 * Every failure a client can see is a GatewayError: an HTTP status plus the
 * description that goes into the envelope
 * `{"data": {"description": ...}, "message": "<code> <reason>", "status": "error"}`.
 * The `message` is derived from the status, never passed in, so the status
 * line and the body cannot drift apart (bmcweb once sent HTTP 500 with
 * "400 Bad Request" in the body).
 *
 * No I/O and no Koa here: bmc/ throws these, http/ renders them.
 */
import { STATUS_CODES } from 'node:http';
import { BusError } from './dbus/bus-error.js';
import { ConversionError } from './dbus/convert.js';

export interface ErrorEnvelope {
  readonly data: { readonly description: string };
  readonly message: string;
  readonly status: 'error';
}

export class GatewayError extends Error {
  override readonly name = 'GatewayError';

  constructor(
    readonly status: number,
    readonly description: string,
    options?: { cause?: unknown; headers?: Readonly<Record<string, string>> },
  ) {
    super(description, { cause: options?.cause });
    this.headers = options?.headers ?? {};
  }

  /** Extra response headers, e.g. `Allow` on 405 or `Retry-After` on 429/503. */
  readonly headers: Readonly<Record<string, string>>;

  toEnvelope(): ErrorEnvelope {
    return { data: { description: this.description }, message: statusLine(this.status), status: 'error' };
  }
}

/** `404 Not Found`, as phosphor-rest-server's `message` field. */
export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

/**
 * D-Bus error name → HTTP status. One row per name, so a reviewer can check
 * the whole policy at a glance; anything not listed is a 500.
 */
export const DBUS_ERROR_STATUS: Readonly<Record<string, number>> = Object.freeze({
  // The object, interface, member or property does not exist.
  'org.freedesktop.DBus.Error.UnknownObject': 404,
  'org.freedesktop.DBus.Error.UnknownMethod': 404,
  'org.freedesktop.DBus.Error.UnknownInterface': 404,
  'org.freedesktop.DBus.Error.UnknownProperty': 404,
  'org.freedesktop.DBus.Error.FileNotFound': 404, // the old Python mapper's not-found
  'xyz.openbmc_project.Common.Error.ResourceNotFound': 404, // the C++ mapper's not-found
  // The request itself is wrong.
  'org.freedesktop.DBus.Error.InvalidArgs': 400,
  'org.freedesktop.DBus.Error.InvalidSignature': 400,
  'xyz.openbmc_project.Common.Error.InvalidArgument': 400,
  // The service refuses.
  'org.freedesktop.DBus.Error.PropertyReadOnly': 403,
  'org.freedesktop.DBus.Error.AccessDenied': 403,
  'xyz.openbmc_project.Common.Error.NotAllowed': 403,
  'xyz.openbmc_project.Common.Error.InsufficientPermission': 403,
  // The service is not there or busy: try again later.
  'org.freedesktop.DBus.Error.ServiceUnknown': 503,
  'org.freedesktop.DBus.Error.NameHasNoOwner': 503,
  'org.freedesktop.DBus.Error.ObjectPathInUse': 503,
  'org.freedesktop.DBus.Error.LimitsExceeded': 503,
  'org.freedesktop.DBus.Error.Disconnected': 503,
  'xyz.openbmc_project.Common.Error.Unavailable': 503,
  'xyz.openbmc_project.Common.Error.TooManyResources': 503,
  // Nobody answered in time (including the gateway's own call deadline).
  'org.freedesktop.DBus.Error.NoReply': 504,
  'org.freedesktop.DBus.Error.Timeout': 504,
  'org.freedesktop.DBus.Error.TimedOut': 504,
  'xyz.openbmc_project.Common.Error.Timeout': 504,
});

/** The historical mapper not-found text that scripts grep for. */
export function pathNotFound(objectPath: string): GatewayError {
  return new GatewayError(404, `org.freedesktop.DBus.Error.FileNotFound: path or object not found: ${objectPath}`);
}

/**
 * Turns anything thrown while serving a request into a GatewayError. Unknown
 * errors become a bare 500: their details go to the log (as `cause`), never to
 * the client.
 */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof ConversionError) return new GatewayError(400, err.message, { cause: err });
  if (err instanceof BusError) {
    const status = DBUS_ERROR_STATUS[err.errorName] ?? 500;
    return new GatewayError(status, `${err.errorName}: ${err.text}`, { cause: err });
  }
  return new GatewayError(500, 'Internal Server Error', { cause: err });
}
