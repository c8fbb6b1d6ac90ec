/**
 * Parses a storageUri the way Go's `net/url.Parse` does, for the parts the InferenceService conversion uses,
 * so that scheme, host, decoded path and errors match what the upstream controller produced.
 */
import { fail, ok, type Result } from "../../lib/result.js";

export interface ParsedStorageUri {
  /** Lower-cased scheme, `""` when the URI has none. */
  scheme: string;
  /** `user[:password]` as written, when present. */
  userinfo?: string;
  /** Host with its port, percent-decoded; `""` for opaque or host-less URIs. */
  host: string;
  /** Host with its port as written. */
  rawHost: string;
  /** Percent-decoded path including its leading `/`. */
  path: string;
  /** Query text after `?`, `undefined` when there is no `?`. */
  rawQuery?: string;
  /** Fragment text after `#` as written, `undefined` when there is no `#`. */
  rawFragment?: string;
}

const goQuote = (text: string) => JSON.stringify(text);

const HOST_SAFE_PUNCTUATION = new Set("-._~!$&'()*+,;=:[]<>\"");
const USERINFO_SAFE_PUNCTUATION = new Set("-._:~!$&'()*+,;=%@");

function isAsciiAlphanumeric(char: string): boolean {
  return /^[a-zA-Z0-9]$/.test(char);
}

/** The text as UTF-8 would carry it: a lone surrogate becomes U+FFFD, as Go's strings hold no lone surrogates. */
function wellFormed(text: string): string {
  return /[\uD800-\uDFFF]/.test(text) ? Buffer.from(text, "utf8").toString("utf8") : text;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/**
 * Go's `unescape`: `%XX` becomes its byte, and the bytes are read as UTF-8 (an invalid sequence becomes U+FFFD).
 * Text between escapes is copied in runs; a run is whole UTF-8 already, so decoding escaped bytes run by run
 * gives what decoding all bytes at once would.
 */
function percentDecode(text: string, mode: "path" | "host" | "fragment"): Result<string> {
  let decoded = "";
  let escaped: number[] = [];
  let runStart = 0;
  const flushEscaped = () => {
    if (escaped.length === 0) return;
    decoded += Buffer.from(escaped).toString("utf8");
    escaped = [];
  };
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25) {
      const high = hexValue(text.charCodeAt(i + 1));
      const low = hexValue(text.charCodeAt(i + 2));
      if (high < 0 || low < 0) return fail(`invalid URL escape ${goQuote(text.slice(i, i + 3))}`);
      decoded += wellFormed(text.slice(runStart, i));
      escaped.push(high * 16 + low);
      i += 2;
      runStart = i + 1;
      continue;
    }
    if (i === runStart) flushEscaped();
    if (mode === "host" && code < 0x80 && !isAsciiAlphanumeric(text.charAt(i))) {
      if (!HOST_SAFE_PUNCTUATION.has(text.charAt(i))) {
        return fail(`invalid character ${goQuote(text.charAt(i))} in host name`);
      }
    }
  }
  flushEscaped();
  return ok(decoded + wellFormed(text.slice(runStart)));
}

/** Splits `scheme:rest`; `scheme` is empty when the text does not start with one. */
function splitScheme(text: string): Result<{ scheme: string; rest: string }> {
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if (/[a-zA-Z]/.test(char)) continue;
    if (/[0-9+.-]/.test(char)) {
      if (i === 0) return ok({ scheme: "", rest: text });
      continue;
    }
    if (char === ":") {
      if (i === 0) return fail("missing protocol scheme");
      return ok({ scheme: text.slice(0, i).toLowerCase(), rest: text.slice(i + 1) });
    }
    return ok({ scheme: "", rest: text });
  }
  return ok({ scheme: "", rest: text });
}

/** Go rejects ASCII control characters (and DEL) anywhere in a URL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

function validPort(port: string): boolean {
  return port === "" || /^[0-9]+$/.test(port);
}

function parseHost(host: string): Result<string> {
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close < 0) return fail("missing ']' in host");
    const afterBracket = host.slice(close + 1);
    if (afterBracket !== "" && !(afterBracket.startsWith(":") && validPort(afterBracket.slice(1)))) {
      return fail(`invalid port ${goQuote(afterBracket)} after host`);
    }
  } else {
    const colon = host.lastIndexOf(":");
    if (colon >= 0 && !validPort(host.slice(colon + 1))) {
      return fail(`invalid port ${goQuote(host.slice(colon))} after host`);
    }
  }
  return percentDecode(host, "host");
}

function validUserinfo(userinfo: string): boolean {
  for (const char of userinfo) {
    if (isAsciiAlphanumeric(char) || USERINFO_SAFE_PUNCTUATION.has(char)) continue;
    return false;
  }
  return true;
}

export function parseStorageUri(raw: string): Result<ParsedStorageUri> {
  const invalid = (error: string) => fail(`parse ${goQuote(raw)}: ${error}`);
  if (CONTROL_CHARACTER.test(raw)) return invalid("net/url: invalid control character in URL");

  const hashAt = raw.indexOf("#");
  const beforeFragment = hashAt < 0 ? raw : raw.slice(0, hashAt);
  const rawFragment = hashAt < 0 ? undefined : raw.slice(hashAt + 1);
  if (rawFragment !== undefined) {
    const fragment = percentDecode(rawFragment, "fragment");
    if (!fragment.ok) return invalid(fragment.error);
  }

  const split = splitScheme(beforeFragment);
  if (!split.ok) return invalid(split.error);
  const { scheme } = split.value;
  let rest = split.value.rest;

  let rawQuery: string | undefined;
  const questionAt = rest.indexOf("?");
  if (questionAt >= 0) {
    rawQuery = rest.slice(questionAt + 1);
    rest = rest.slice(0, questionAt);
  }

  const base = {
    scheme,
    ...(rawQuery !== undefined && { rawQuery }),
    ...(rawFragment !== undefined && { rawFragment }),
  };

  if (!rest.startsWith("/")) {
    if (scheme !== "") return ok({ ...base, host: "", rawHost: "", path: "" }); // opaque, e.g. "s3:bucket"
    const firstSegment = rest.split("/", 1)[0] ?? "";
    if (firstSegment.includes(":")) return invalid("first path segment in URL cannot contain colon");
  }

  let userinfo: string | undefined;
  let host = "";
  let rawHost = "";
  if ((scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
    const afterSlashes = rest.slice(2);
    const slashAt = afterSlashes.indexOf("/");
    const authority = slashAt < 0 ? afterSlashes : afterSlashes.slice(0, slashAt);
    rest = slashAt < 0 ? "" : afterSlashes.slice(slashAt);
    const atAt = authority.lastIndexOf("@");
    const hostText = atAt < 0 ? authority : authority.slice(atAt + 1);
    if (atAt >= 0) {
      userinfo = authority.slice(0, atAt);
      if (!validUserinfo(userinfo)) return invalid("net/url: invalid userinfo");
    }
    const parsedHost = parseHost(hostText);
    if (!parsedHost.ok) return invalid(parsedHost.error);
    host = parsedHost.value;
    rawHost = hostText;
  }

  const path = percentDecode(rest, "path");
  if (!path.ok) return invalid(path.error);
  return ok({ ...base, ...(userinfo !== undefined && { userinfo }), host, rawHost, path: path.value });
}
