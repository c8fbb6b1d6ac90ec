import { describe, expect, it } from "vitest";
import { formatBinaryQuantity, parseQuantity, QUANTITY_FORMAT_ERROR, quantityValue } from "./quantity.js";

function goValueOf(text: string): bigint {
  const parsed = parseQuantity(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error}`);
  return quantityValue(parsed.value);
}

describe("parseQuantity", () => {
  it.each([
    ["0", 0n],
    ["1", 1n],
    ["1Gi", 1073741824n],
    ["448Mi", 469762048n],
    ["1.5Gi", 1610612736n],
    ["512M", 512000000n],
    ["2k", 2000n],
    ["1e3", 1000n],
    ["1E", 10n ** 18n],
    ["2E-1", 1n],
    [".5", 1n],
    ["1.", 1n],
    ["300m", 1n],
    ["-1.5", -2n],
    ["+7Ki", 7168n],
  ])("%s has the Go Value() %s", (text, value) => {
    expect(goValueOf(text)).toBe(value);
  });

  it.each(["", "abc", "1 Gi", " 1", "1Gb", "1.2.3", "Mi", "1e", "--1", "1ki"])(
    "refuses %j with Go's message",
    (text) => {
      expect(parseQuantity(text)).toEqual({ ok: false, error: QUANTITY_FORMAT_ERROR });
    },
  );

  it("quotes the Go regular expression in its message", () => {
    expect(QUANTITY_FORMAT_ERROR).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
  });
});

describe("formatBinaryQuantity", () => {
  it.each([
    [0n, "0"],
    [1023n, "1023"],
    [1000n, "1k"],
    [999n, "999"],
    [-5n, "-5"],
    [1024n, "1Ki"],
    [1500n, "1500"],
    [1610612736n, "1536Mi"],
    [1073741824n, "1Gi"],
    [805306368n, "768Mi"],
    [1024n ** 6n * 2048n, "2048Ei"],
  ])("%s bytes print as %s", (value, text) => {
    expect(formatBinaryQuantity(value)).toBe(text);
  });
});
