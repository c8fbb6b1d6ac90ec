/**
 * JSON parsing that keeps integers beyond 2^53 exact as `bigint` (ModelMesh writes `Long.MAX_VALUE` as an
 * instance's `lruTime`), and the matching serialiser. `JSON.parse` would silently round such numbers.
 */
export type LosslessJson =
  | null
  | boolean
  | number
  | bigint
  | string
  | LosslessJson[]
  | { [key: string]: LosslessJson };

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

export class JsonSyntaxError extends Error {
  override readonly name = "JsonSyntaxError";
}

export function parseLosslessJson(text: string): LosslessJson {
  let at = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at position ${at}`);
  };
  const skip = () => {
    WHITESPACE.lastIndex = at;
    WHITESPACE.exec(text);
    at = WHITESPACE.lastIndex;
  };
  const literal = (word: string, value: LosslessJson): LosslessJson => {
    if (!text.startsWith(word, at)) fail("unexpected token");
    at += word.length;
    return value;
  };
  const string = (): string => {
    // Find the closing quote, then let JSON.parse decode the escapes of that one string.
    let end = at + 1;
    for (;;) {
      const c = text.charCodeAt(end);
      if (Number.isNaN(c)) fail("unterminated string");
      if (c === 0x5c) end += 2;
      else if (c === 0x22) break;
      else end++;
    }
    const raw = text.slice(at, end + 1);
    at = end + 1;
    try {
      return JSON.parse(raw) as string;
    } catch {
      return fail("invalid string");
    }
  };
  const number = (): number | bigint => {
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(text);
    if (!match) return fail("invalid number");
    at = NUMBER.lastIndex;
    const token = match[0];
    const value = Number(token);
    if (/^-?\d+$/.test(token) && !Number.isSafeInteger(value)) return BigInt(token);
    return value;
  };
  const value = (): LosslessJson => {
    skip();
    const c = text[at];
    if (c === "{") {
      at++;
      const object: { [key: string]: LosslessJson } = {};
      skip();
      if (text[at] === "}") {
        at++;
        return object;
      }
      for (;;) {
        skip();
        if (text[at] !== '"') fail("expected a property name");
        const key = string();
        skip();
        if (text[at] !== ":") fail("expected ':'");
        at++;
        Object.defineProperty(object, key, {
          value: value(),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        skip();
        if (text[at] === ",") at++;
        else if (text[at] === "}") {
          at++;
          return object;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      at++;
      const array: LosslessJson[] = [];
      skip();
      if (text[at] === "]") {
        at++;
        return array;
      }
      for (;;) {
        array.push(value());
        skip();
        if (text[at] === ",") at++;
        else if (text[at] === "]") {
          at++;
          return array;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (c === "t") return literal("true", true);
    if (c === "f") return literal("false", false);
    if (c === "n") return literal("null", null);
    return number();
  };
  const result = value();
  skip();
  if (at !== text.length) fail("unexpected text after the value");
  return result;
}

export function stringifyLosslessJson(value: LosslessJson): string {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(stringifyLosslessJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${stringifyLosslessJson(v)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}
