/**
 * Builds a D-Bus variant for the layers above, which must not import
 * dbus-next themselves (this folder is the only importer).
 */
import dbus from 'dbus-next';

export function variant(signature: string, value: unknown): unknown {
  return new dbus.Variant(signature, value);
}
