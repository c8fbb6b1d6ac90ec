import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonSyntaxError, parseLosslessJson, stringifyLosslessJson } from "./lossless-json.js";

describe("lossless JSON", () => {
  it("keeps Long.MAX_VALUE exact and small numbers as numbers", () => {
    const record = parseLosslessJson(
      '{"lruTime":9223372036854775807,"count":3,"cap":1.5,"neg":-9007199254740993}',
    );
    expect(record).toEqual({ lruTime: 9223372036854775807n, count: 3, cap: 1.5, neg: -9007199254740993n });
    expect(stringifyLosslessJson(record)).toBe(
      '{"lruTime":9223372036854775807,"count":3,"cap":1.5,"neg":-9007199254740993}',
    );
  });

  it("agrees with JSON.parse, apart from the exactness of big integers", () => {
    const rounded = (text: string) => JSON.parse(stringifyLosslessJson(parseLosslessJson(text)));
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(rounded(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it("keeps a __proto__ key as data", () => {
    const parsed = parseLosslessJson('{"__proto__":{"x":1}}') as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("rejects malformed text with a position", () => {
    for (const bad of ["", "{", '{"a":}', "[1,]", '"abc', "01", "{} x", "tru", '{"a" 1}']) {
      expect(() => parseLosslessJson(bad), bad).toThrow(JsonSyntaxError);
    }
  });
});
