import { describe, expect, it } from "vitest";
import { parseStorageUri } from "./storage-uri.js";

describe("parseStorageUri (Go net/url semantics)", () => {
  it.each([
    ["s3://bucket/a/b", { scheme: "s3", host: "bucket", rawHost: "bucket", path: "/a/b" }],
    [
      "HTTPS://user:pw@h:9000/p%2Fq?x=1#frag",
      {
        scheme: "https",
        userinfo: "user:pw",
        host: "h:9000",
        rawHost: "h:9000",
        path: "/p/q",
        rawQuery: "x=1",
        rawFragment: "frag",
      },
    ],
    ["s3:bucket/key", { scheme: "s3", host: "", rawHost: "", path: "" }],
    ["relative/path", { scheme: "", host: "", rawHost: "", path: "relative/path" }],
    ["", { scheme: "", host: "", rawHost: "", path: "" }],
    ["gs://[::1]:80/x", { scheme: "gs", host: "[::1]:80", rawHost: "[::1]:80", path: "/x" }],
  ])("%s", (raw, uri) => {
    expect(parseStorageUri(raw)).toStrictEqual({ ok: true, value: uri });
  });

  it.each([
    ["s3://b/\u0001", 'parse "s3://b/\\u0001": net/url: invalid control character in URL'],
    ["s3://b/%4", 'parse "s3://b/%4": invalid URL escape "%4"'],
    ["s3://b a/x", 'parse "s3://b a/x": invalid character " " in host name'],
    ["s3://u{s@b/x", 'parse "s3://u{s@b/x": net/url: invalid userinfo'],
    ["a:b/c", null],
    ["x/a:b", null],
    [":x", 'parse ":x": missing protocol scheme'],
    ["https://h/#%zz", 'parse "https://h/#%zz": invalid URL escape "%zz"'],
  ])("%j", (raw, error) => {
    const result = parseStorageUri(raw);
    if (error === null) expect(result.ok).toBe(true);
    else expect(result).toStrictEqual({ ok: false, error });
  });

  it.each([
    ["s3://b/%C3%A9t%C3%A9", "/été"],
    ["s3://b/caf\u00e9/%F0%9F%99%82/\u{1F642}", "/café/\u{1F642}/\u{1F642}"],
    // Bytes that are not UTF-8 become U+FFFD, as Go's strings print them; text around them is kept.
    ["s3://b/%E2%82\u00ac", "/\uFFFD\u00ac"],
    ["s3://b/x%FFy", "/x\uFFFDy"],
    ["s3://b/\uD800x", "/\uFFFDx"],
    ["s3://b/a%2F%2Fb%", null],
  ])("decodes the path of %j as Go does", (raw, path) => {
    const result = parseStorageUri(raw);
    if (path === null) expect(result.ok).toBe(false);
    else expect(result.ok && result.value.path).toBe(path);
  });

  it("refuses a colon in the first segment of a scheme-less URI", () => {
    expect(parseStorageUri("./a:b")).toStrictEqual({
      ok: true,
      value: { scheme: "", host: "", rawHost: "", path: "./a:b" },
    });
    expect(parseStorageUri("1a:b")).toStrictEqual({
      ok: false,
      error: 'parse "1a:b": first path segment in URL cannot contain colon',
    });
  });
});
