/**
 * The D-Bus names the gateway uses (the bus daemon, the standard interfaces,
 * error names) and the specification's rules for names and object paths.
 * Everything above this folder takes them from here, so a name is spelt once
 * and "is this an object path?" has one answer. Pure.
 *
 * The rules are dbus-next's exported validators where they follow the
 * specification (object paths, interface, member and well-known bus names);
 * unique names (`:1.42`) are checked here, since dbus-next takes any string
 * starting with ':'.
 */
import dbus from 'dbus-next';

/** The bus daemon: its name, object and interface (NameOwnerChanged, AddMatch). */
export const DBUS_NAME = 'org.freedesktop.DBus';
export const DBUS_PATH = '/org/freedesktop/DBus';
export const DBUS_INTERFACE = 'org.freedesktop.DBus';

export const PROPERTIES_INTERFACE = 'org.freedesktop.DBus.Properties';
export const OBJECT_MANAGER_INTERFACE = 'org.freedesktop.DBus.ObjectManager';
export const INTROSPECTABLE_INTERFACE = 'org.freedesktop.DBus.Introspectable';
export const PEER_INTERFACE = 'org.freedesktop.DBus.Peer';

/** Interfaces every object has; they carry no OpenBMC data, and the REST routes never read, set or call them. */
export const STANDARD_INTERFACES: ReadonlySet<string> = new Set([
  INTROSPECTABLE_INTERFACE,
  PEER_INTERFACE,
  PROPERTIES_INTERFACE,
  OBJECT_MANAGER_INTERFACE,
]);

/** Error names the gateway looks at or reports (src/errors.ts maps them, and others, to HTTP statuses). */
export const DBUS_ERRORS = {
  UnknownObject: 'org.freedesktop.DBus.Error.UnknownObject',
  UnknownMethod: 'org.freedesktop.DBus.Error.UnknownMethod',
  UnknownInterface: 'org.freedesktop.DBus.Error.UnknownInterface',
  UnknownProperty: 'org.freedesktop.DBus.Error.UnknownProperty',
  /** The old Python mapper's not-found, and the text every mapper not-found is reported with. */
  FileNotFound: 'org.freedesktop.DBus.Error.FileNotFound',
  InvalidArgs: 'org.freedesktop.DBus.Error.InvalidArgs',
  InvalidSignature: 'org.freedesktop.DBus.Error.InvalidSignature',
  PropertyReadOnly: 'org.freedesktop.DBus.Error.PropertyReadOnly',
  AccessDenied: 'org.freedesktop.DBus.Error.AccessDenied',
  ServiceUnknown: 'org.freedesktop.DBus.Error.ServiceUnknown',
  NameHasNoOwner: 'org.freedesktop.DBus.Error.NameHasNoOwner',
  ObjectPathInUse: 'org.freedesktop.DBus.Error.ObjectPathInUse',
  LimitsExceeded: 'org.freedesktop.DBus.Error.LimitsExceeded',
  /** The gateway's own connection is closed. */
  Disconnected: 'org.freedesktop.DBus.Error.Disconnected',
  /** What the gateway's own call deadline reports. */
  NoReply: 'org.freedesktop.DBus.Error.NoReply',
  Timeout: 'org.freedesktop.DBus.Error.Timeout',
  TimedOut: 'org.freedesktop.DBus.Error.TimedOut',
  /** A received reply that breaks the wire format or has another signature than the call expects (the service's fault). */
  InconsistentMessage: 'org.freedesktop.DBus.Error.InconsistentMessage',
  /**
   * A message not sent: it breaks the D-Bus rules (a name or signature from a
   * misbehaving service) or dbus-next refuses to build it. Never client input,
   * which is converted and checked before.
   */
  Failed: 'org.freedesktop.DBus.Error.Failed',
} as const;

/** OpenBMC's common errors (phosphor-dbus-interfaces, xyz.openbmc_project.Common.Error). */
export const OPENBMC_ERRORS = {
  /** The C++ mapper's not-found. */
  ResourceNotFound: 'xyz.openbmc_project.Common.Error.ResourceNotFound',
  InvalidArgument: 'xyz.openbmc_project.Common.Error.InvalidArgument',
  NotAllowed: 'xyz.openbmc_project.Common.Error.NotAllowed',
  InsufficientPermission: 'xyz.openbmc_project.Common.Error.InsufficientPermission',
  Unavailable: 'xyz.openbmc_project.Common.Error.Unavailable',
  TooManyResources: 'xyz.openbmc_project.Common.Error.TooManyResources',
  Timeout: 'xyz.openbmc_project.Common.Error.Timeout',
} as const;

/** dbus-next's exported validators (not in its type declarations). */
interface Validators {
  isBusNameValid(name: unknown): boolean;
  isInterfaceNameValid(name: unknown): boolean;
  isMemberNameValid(name: unknown): boolean;
  isObjectPathValid(path: unknown): boolean;
}
const validators = (dbus as unknown as { validators: Validators }).validators;

/** A unique connection name, `:1.42`: elements may start with a digit. */
const UNIQUE_NAME = /^:[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;
const MAX_NAME_LENGTH = 255;

/** `/` or `/`-separated non-empty `[A-Za-z0-9_]` elements, no trailing `/`. */
export function isObjectPath(path: string): boolean {
  return validators.isObjectPathValid(path);
}

/** Two or more `.`-separated elements, none starting with a digit, at most 255 characters. */
export function isInterfaceName(name: string): boolean {
  return validators.isInterfaceNameValid(name);
}

export function isMemberName(name: string): boolean {
  return validators.isMemberNameValid(name);
}

/** A well-known name (`xyz.openbmc_project.ObjectMapper`) or a unique one (`:1.42`). */
export function isBusName(name: string): boolean {
  if (name.startsWith(':')) return name.length <= MAX_NAME_LENGTH && UNIQUE_NAME.test(name);
  return validators.isBusNameValid(name);
}
