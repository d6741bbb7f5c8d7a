/**
 * D-Bus values in the console: how a value is shown, and how what the user
 * typed becomes the typed JSON the API expects for a signature. Numbers
 * that are not numbers are sent as typed, so the gateway's envelope says
 * what is wrong (it checks ranges and types from the real signature).
 */

const INTEGER = new Set(['y', 'n', 'q', 'i', 'u', 'x', 't']);

export type InputKind = 'boolean' | 'integer' | 'number' | 'text' | 'json';

export function inputKind(signature: string): InputKind {
  if (signature === 'b') return 'boolean';
  if (INTEGER.has(signature)) return 'integer';
  if (signature === 'd') return 'number';
  if (signature === 's' || signature === 'o' || signature === 'g') return 'text';
  return 'json';
}

/** Human names of the basic types, for labels. */
const TYPE_NAMES: Record<string, string> = {
  y: 'byte', b: 'boolean', n: 'int16', q: 'uint16', i: 'int32', u: 'uint32', x: 'int64', t: 'uint64',
  d: 'double', s: 'string', o: 'object path', g: 'signature', h: 'file descriptor', v: 'variant',
};

export function typeName(signature: string): string {
  return TYPE_NAMES[signature] ?? signature;
}

/** The JSON for what was typed; throws with a message when a JSON field does not parse. */
export function parseInput(signature: string, text: string): unknown {
  const kind = inputKind(signature);
  const trimmed = text.trim();
  switch (kind) {
    case 'boolean':
      return trimmed === 'true';
    case 'integer':
      // 64-bit values past 2^53 go as decimal strings, which the API accepts.
      if (/^-?\d+$/.test(trimmed)) return Number.isSafeInteger(Number(trimmed)) ? Number(trimmed) : trimmed;
      return trimmed;
    case 'number':
      return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
    case 'text':
      return text;
    case 'json':
      try {
        return JSON.parse(text);
      } catch {
        throw new Error(`not JSON (a ${typeName(signature)} value is written as JSON)`);
      }
  }
}

/** What an input shows for a value. */
export function inputText(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? '';
}

/** A value for display: strings as they are, enum strings without their long prefix kept in the title. */
export function displayValue(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? 'null';
}

/** `xyz.openbmc_project.State.Host.HostState.Running` → `Running`. */
export function shortEnum(value: unknown): string {
  if (typeof value !== 'string') return displayValue(value);
  return /^[a-z]+\.[\w.]+\.[A-Z]\w*$/.test(value) ? value.slice(value.lastIndexOf('.') + 1) : value;
}
