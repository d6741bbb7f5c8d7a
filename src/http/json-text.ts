/**
 * The JSON writer for every envelope: 2-space indent, object keys sorted
 * (phosphor-rest-server used `json.dumps(indent=2, sort_keys=True)`), 64-bit
 * integers written as exact digits (Node 20 has no `JSON.rawJSON`, and
 * `JSON.stringify` throws on BigInt), NaN and ±Infinity as `null` (the
 * original's bare `NaN` token was invalid JSON), non-ASCII escaped as
 * `\uXXXX` like Python's `ensure_ascii`.
 */
import type { Json } from '../dbus/convert.js';

// Two regexes: a /g one must not be used with test(), which keeps lastIndex.
const HAS_NON_ASCII = /[\u007f-\uffff]/;
const NON_ASCII = /[\u007f-\uffff]/g;

export function writeJson(value: Json | undefined, indent = 2): string {
  const parts: string[] = [];
  write(value === undefined ? null : value, 0, indent, parts);
  return parts.join('');
}

function write(value: Json, depth: number, indent: number, out: string[]): void {
  switch (typeof value) {
    case 'string':
      out.push(quote(value));
      return;
    case 'number':
      out.push(Number.isFinite(value) ? String(value) : 'null');
      return;
    case 'bigint':
      out.push(value.toString());
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  const inner = indent > 0 ? '\n' + ' '.repeat((depth + 1) * indent) : '';
  const outer = indent > 0 ? '\n' + ' '.repeat(depth * indent) : '';
  const colon = indent > 0 ? ': ' : ':';
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[');
    value.forEach((item, index) => {
      out.push(index === 0 ? inner : ',' + inner);
      write(item, depth + 1, indent, out);
    });
    out.push(outer, ']');
    return;
  }
  const keys = Object.keys(value).sort(compareKeys);
  if (keys.length === 0) {
    out.push('{}');
    return;
  }
  out.push('{');
  keys.forEach((key, index) => {
    out.push(index === 0 ? inner : ',' + inner, quote(key), colon);
    write(value[key] as Json, depth + 1, indent, out);
  });
  out.push(outer, '}');
}

/** Code-unit order, as Python sorts str keys for ASCII names. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function quote(text: string): string {
  const json = JSON.stringify(text);
  return HAS_NON_ASCII.test(json)
    ? json.replace(NON_ASCII, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'))
    : json;
}
