/**
 * The D-Bus rules a method call must follow before it is encoded, by wire.ts
 * or by dbus-next: the destination is a bus name, the path an object path,
 * the interface an interface name, the member a member name, the body
 * signature a valid signature, and every `o` and `g` value in the body
 * (inside arrays, structs, dict keys and variants too) valid. Pure.
 *
 * Why: dbus-daemon answers a message that breaks these rules by closing the
 * sender's connection, and losing the bus ends the gateway. Names reach calls
 * from the mapper and from services' introspection XML, so one service with
 * an interface called `nodots` or a method called `bad-member` would restart
 * the gateway at the first call naming it; refused here, that one request
 * answers 500 and everything else goes on. Neither encoder is enough:
 * wire.ts checks names for NUL only, and dbus-next does not check members
 * (its assertMemberNameValid is a no-op), unique names, object paths in the
 * body, or signatures beyond their brackets.
 */
import dbus from 'dbus-next';
import { isBusName, isInterfaceName, isMemberName, isObjectPath } from './names.js';
import { type TypeNode, SignatureError, isSignature, parseSignature, parseSingleType } from './signature.js';
/** How much of a bad name an error message quotes. */
const QUOTE_LENGTH = 80;

export interface CheckedCall {
  readonly busName: string;
  readonly objectPath: string;
  readonly interfaceName?: string;
  readonly member: string;
  readonly signature?: string;
  readonly body?: readonly unknown[];
}

/** What is wrong with the call, in words, or undefined when it may be sent. */
export function methodCallProblem(call: CheckedCall): string | undefined {
  if (!isBusName(call.busName)) return `invalid bus name ${quote(call.busName)}`;
  if (!isObjectPath(call.objectPath)) return `invalid object path ${quote(call.objectPath)}`;
  if (call.interfaceName !== undefined && !isInterfaceName(call.interfaceName)) {
    return `invalid interface name ${quote(call.interfaceName)}`;
  }
  if (!isMemberName(call.member)) return `invalid member name ${quote(call.member)}`;
  const signature = call.signature ?? '';
  let types: TypeNode[];
  try {
    types = parseSignature(signature);
  } catch (err) {
    if (err instanceof SignatureError) return `invalid body signature ${quote(signature)}`;
    throw err;
  }
  // Only signatures that can hold an object path or a signature need a look at the values.
  if (!/[ogv]/.test(signature)) return undefined;
  const body = call.body ?? [];
  for (let i = 0; i < types.length && i < body.length; i++) {
    const problem = valueProblem(types[i]!, body[i], 0);
    if (problem !== undefined) return `argument ${i + 1}: ${problem}`;
  }
  return undefined;
}

/**
 * The first invalid `o` or `g` value in `value` of type `node`. Values of
 * other types are left to the encoders, which refuse what they cannot write.
 */
function valueProblem(node: TypeNode, value: unknown, depth: number): string | undefined {
  switch (node.code) {
    case 'o':
      return typeof value === 'string' && !isObjectPath(value) ? `invalid object path ${quote(value)}` : undefined;
    case 'g':
      return typeof value === 'string' && !isSignature(value) ? `invalid signature ${quote(value)}` : undefined;
    case 'v': {
      if (!(value instanceof dbus.Variant)) return undefined;
      // D-Bus allows 64 levels of containers in a message; variants are the only way past the signature's 32.
      if (depth >= 64) return 'variants nested too deep';
      let inner: TypeNode;
      try {
        inner = parseSingleType(value.signature);
      } catch (err) {
        if (err instanceof SignatureError) return `invalid variant signature ${quote(value.signature)}`;
        throw err;
      }
      return valueProblem(inner, value.value, depth + 1);
    }
    case 'a': {
      const element = node.children[0];
      if (element === undefined || Buffer.isBuffer(value)) return undefined;
      if (element.code === '{') return dictProblem(element, value, depth);
      if (!Array.isArray(value)) return undefined;
      for (const item of value) {
        const problem = valueProblem(element, item, depth);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    case '(': {
      if (!Array.isArray(value)) return undefined;
      for (let i = 0; i < node.children.length && i < value.length; i++) {
        const problem = valueProblem(node.children[i]!, value[i], depth);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Dicts go to dbus-next as plain objects keyed by strings. */
function dictProblem(entry: TypeNode, value: unknown, depth: number): string | undefined {
  const [keyType, valueType] = entry.children;
  if (keyType === undefined || valueType === undefined || typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const problem = valueProblem(keyType, key, depth) ?? valueProblem(valueType, item, depth);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function quote(text: unknown): string {
  const value = String(text);
  return JSON.stringify(value.length > QUOTE_LENGTH ? `${value.slice(0, QUOTE_LENGTH)}…` : value);
}
