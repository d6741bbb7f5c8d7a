/**
 * The JSON writer for every envelope and event (rules in
 * src/dbus/json-writer.ts: 2-space indent, sorted keys, exact 64-bit
 * integers, NaN as null, non-ASCII escaped).
 */
import type { Json } from '../dbus/convert.js';
import { JsonWriter } from '../dbus/json-writer.js';

export function writeJson(value: Json | undefined, indent = 2): string {
  const writer = new JsonWriter(indent);
  writer.value(value === undefined ? null : value, 0);
  return writer.toString();
}
