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
import { DBUS_ERRORS, OPENBMC_ERRORS } from './dbus/names.js';

/** The error envelope: plain JSON (a `Json` value as it is, no cast needed to write it). */
export type ErrorEnvelope = {
  data: { description: string };
  message: string;
  status: 'error';
};

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
 * the whole policy at a glance; anything not listed is a 500. Only what the
 * client is answered depends on it (the gateway's own decisions, such as
 * "is the user manager away?", ask dbus/bus-error.ts).
 */
export const DBUS_ERROR_STATUS: Readonly<Record<string, number>> = Object.freeze({
  // The object, interface, member or property does not exist.
  [DBUS_ERRORS.UnknownObject]: 404,
  [DBUS_ERRORS.UnknownMethod]: 404,
  [DBUS_ERRORS.UnknownInterface]: 404,
  [DBUS_ERRORS.UnknownProperty]: 404,
  [DBUS_ERRORS.FileNotFound]: 404, // the old Python mapper's not-found
  [OPENBMC_ERRORS.ResourceNotFound]: 404, // the C++ mapper's not-found
  // The request itself is wrong.
  [DBUS_ERRORS.InvalidArgs]: 400,
  [DBUS_ERRORS.InvalidSignature]: 400,
  [OPENBMC_ERRORS.InvalidArgument]: 400,
  // The service refuses.
  [DBUS_ERRORS.PropertyReadOnly]: 403,
  [DBUS_ERRORS.AccessDenied]: 403,
  [OPENBMC_ERRORS.NotAllowed]: 403,
  [OPENBMC_ERRORS.InsufficientPermission]: 403,
  // The service is not there or busy: try again later.
  [DBUS_ERRORS.ServiceUnknown]: 503,
  [DBUS_ERRORS.NameHasNoOwner]: 503,
  [DBUS_ERRORS.ObjectPathInUse]: 503,
  [DBUS_ERRORS.LimitsExceeded]: 503,
  [DBUS_ERRORS.Disconnected]: 503,
  [OPENBMC_ERRORS.Unavailable]: 503,
  [OPENBMC_ERRORS.TooManyResources]: 503,
  // Nobody answered in time (including the gateway's own call deadline).
  [DBUS_ERRORS.NoReply]: 504,
  [DBUS_ERRORS.Timeout]: 504,
  [DBUS_ERRORS.TimedOut]: 504,
  [OPENBMC_ERRORS.Timeout]: 504,
});

/** `Retry-After` of the 503s that say "busy, come back" (seconds, as text). */
function retryAfter(seconds: number): Readonly<Record<string, string>> {
  return { 'Retry-After': String(seconds) };
}

/**
 * The errors whose texts recur, as factories (as Fastify's error catalogue):
 * one text per kind of failure, whichever route or transport answers it.
 * Clients and scripts match on these texts; change one here, and in
 * docs/API.md.
 */
export const errors = {
  /** No route, no such fixed resource (phosphor-rest's bottle text). */
  pathNotFound: () => new GatewayError(404, 'Path not found'),
  /** The historical mapper not-found text that scripts grep for. */
  objectNotFound: (objectPath: string) =>
    new GatewayError(404, `${DBUS_ERRORS.FileNotFound}: path or object not found: ${objectPath}`),
  /** A verb the route does not have; `allow` is the route's `Allow` header. */
  methodNotAllowed: (allow: string) => new GatewayError(405, 'Method not allowed.', { headers: { Allow: allow } }),
  methodNotFound: (name: string) => new GatewayError(404, `The specified method cannot be found: '${name}'`),
  propertyNotFound: (name: string) => new GatewayError(404, `The specified property cannot be found: '${name}'`),
  /** A property the object does not have, named in a write: 403 for `attr`, 400 in a PUT or PATCH body (as the original). */
  propertyNotCreatable: (status: 400 | 403, name: string) =>
    new GatewayError(status, `The specified property cannot be created: '${name}'`),
  insufficientPrivileges: () => new GatewayError(403, 'Insufficient privileges'),
  /** A write that waited (a lock, a queued job) whose caller lost the right to it meanwhile: nothing was sent. */
  rightLapsed: (reason: string) =>
    new GatewayError(403, `Insufficient privileges: the account lost the right to this write while it waited (${reason}); nothing was sent`),
  /** A write that waited for a lock and whose client closed the connection meanwhile (nginx's 499; only the audit line shows it). */
  clientGone: () => new GatewayError(499, 'The client closed the connection while the write waited; nothing was sent'),
  /** Details go to the log as the cause, never to the client. */
  internal: (cause?: unknown) => new GatewayError(500, 'Internal Server Error', { cause }),
  noSuchUser: (user: string) => new GatewayError(404, `No such user: '${user}'`),
  passwordRefused: (reason: string) => new GatewayError(400, `The new password was refused: ${reason}`),
  shuttingDown: () => new GatewayError(503, 'The server is shutting down'),
  /** 503 with Retry-After: busy now, another try later may succeed. */
  busy: (description: string, seconds: number) => new GatewayError(503, description, { headers: retryAfter(seconds) }),
  /** 415 naming the type expected and, printable and cut, the one sent. */
  unsupportedMediaType: (expected: string, got: string) =>
    new GatewayError(415, `Expecting content type '${expected}', got '${printable(got, 100)}'`),
} as const;

/** Client-chosen text in an error description: control characters replaced, cut at `max`. */
export function printable(text: string, max = 200): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
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
  return errors.internal(err);
}
