/**
 * The one conversion module between JSON and D-Bus values, driven by parsed
 * signatures (see signature.ts). Values out: convert-out.ts (toJson); values
 * in: convert-in.ts (fromJson). Callers import from here only.
 *
 * `at` notation in ConversionError: JSONPath-like from the root `$`;
 * `[2]` for an array or struct element, `.Key` for a dict key that is an
 * identifier ([A-Za-z_][A-Za-z0-9_]*), `["key with spaces"]` (JSON-quoted,
 * cut after 60 characters) for any other key, `.signature` / `.value` inside
 * an explicit variant, `[0].key` inside bmcweb's `[{"key": v}]` dict form.
 */
export { type Json, toJson } from './convert-out.js';
export { ConversionError, atIndex, atKey, fromJson, renderGot } from './convert-in.js';
