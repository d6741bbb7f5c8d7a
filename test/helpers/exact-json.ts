/**
 * A strict JSON reader that keeps 64-bit integers exact, for checking the
 * gateway's responses without trusting its own writer: an integer literal
 * outside the safe range (|n| > 2^53 - 1) becomes a BigInt, every other value
 * is what JSON.parse gives. This is the convention of the conversion table
 * (test/unit/convert.cases.ts): BigInt only where a double would round.
 *
 * Also the request side: `requestText` writes a value with BigInts as exact
 * digits, so a test can send what a careful client would.
 */

export type ExactJson = null | boolean | number | bigint | string | ExactJson[] | { [key: string]: ExactJson };

export function parseExact(text: string): ExactJson {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${i} of ${JSON.stringify(text.slice(Math.max(0, i - 20), i + 20))}`);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  };
  const literal = (word: string, value: ExactJson): ExactJson => {
    if (text.startsWith(word, i)) {
      i += word.length;
      return value;
    }
    return fail('unexpected token');
  };
  const string = (): string => {
    const match = /^"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/.exec(text.slice(i));
    if (!match) return fail('bad string');
    i += match[0].length;
    return JSON.parse(match[0]) as string;
  };
  const number = (): number | bigint => {
    const match = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!match) return fail('bad number');
    i += match[0].length;
    const n = Number(match[0]);
    if (match[1] === undefined && match[2] === undefined && !Number.isSafeInteger(n)) return BigInt(match[0]);
    return n;
  };
  const value = (): ExactJson => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: { [key: string]: ExactJson } = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        const key = string();
        ws();
        if (text[i++] !== ':') fail('expected :');
        // defineProperty: a "__proto__" key stays an own property.
        Object.defineProperty(out, key, { value: value(), enumerable: true, writable: true, configurable: true });
        ws();
        const next = text[i++];
        if (next === '}') return out;
        if (next !== ',') fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const out: ExactJson[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        const next = text[i++];
        if (next === ']') return out;
        if (next !== ',') fail('expected , or ]');
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', null);
    return number();
  };
  const result = value();
  ws();
  if (i !== text.length) fail('trailing text');
  return result;
}

/** JSON text for a request, BigInts written as exact digits. */
export function requestText(value: unknown): string {
  const marks = new Map<string, string>();
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    const mark = `\u0000bigint${marks.size}\u0000`;
    marks.set(mark, v.toString());
    return mark;
  });
  return text.replace(/"\\u0000bigint\d+\\u0000"/g, (quoted) => marks.get(JSON.parse(quoted) as string) ?? quoted);
}
