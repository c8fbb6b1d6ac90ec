/**
 * JSON text identical to what Go's `encoding/json.Marshal` produces, for the values we hash or send to ModelMesh.
 * Model ids are hashes of such text, so one differing byte would reload every model after switching controllers.
 *
 * Differences from `JSON.stringify` that matter: `<`, `>`, `&`, U+2028 and U+2029 are escaped as `\u003c`...;
 * other control characters below 0x20 use `\uXXXX` except `\b \f \n \r \t`; unpaired surrogates become U+FFFD
 * (Go replaces invalid UTF-8); map keys are sorted by their UTF-8 bytes.
 */

/** An ordered list of object members; `undefined` values are left out (Go's `omitempty` / nil pointer). */
export type GoJsonField = readonly [name: string, value: GoJsonValue | undefined];

export type GoJsonValue =
  | string
  | number
  | boolean
  | null
  | { readonly kind: "struct"; readonly fields: readonly GoJsonField[] }
  | { readonly kind: "map"; readonly entries: Readonly<Record<string, string>> };

export function goStruct(fields: readonly GoJsonField[]): GoJsonValue {
  return { kind: "struct", fields };
}

export function goStringMap(entries: Readonly<Record<string, string>>): GoJsonValue {
  return { kind: "map", entries };
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

function unicodeEscape(codeUnit: number): string {
  return `\\u${codeUnit.toString(16).padStart(4, "0")}`;
}

export function goJsonString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    const code = value.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) {
      out += short;
    } else if (code < 0x20 || ch === "<" || ch === ">" || ch === "&" || code === 0x2028 || code === 0x2029) {
      out += unicodeEscape(code);
    } else if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += ch + value.charAt(i + 1);
        i++;
      } else {
        out += "\ufffd";
      }
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      out += "\ufffd";
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

export function goJsonMarshal(value: GoJsonValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
      return goJsonString(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new RangeError(`Go's json.Marshal rejects the number ${value}`);
      return String(value);
  }
  if (value.kind === "map") {
    const keys = Object.keys(value.entries).sort(compareUtf8);
    return `{${keys.map((k) => `${goJsonString(k)}:${goJsonString(value.entries[k] ?? "")}`).join(",")}}`;
  }
  const members: string[] = [];
  for (const [name, member] of value.fields) {
    if (member !== undefined) members.push(`${goJsonString(name)}:${goJsonMarshal(member)}`);
  }
  return `{${members.join(",")}}`;
}
