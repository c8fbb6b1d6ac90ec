/**
 * Kubernetes resource quantities (`500m`, `1.5Gi`, `2e3`), parsed exactly with big integers so that sums and
 * the `models-dir` size limit come out byte for byte like the Go `resource.Quantity` arithmetic upstream uses.
 */
import { fail, ok, type Result } from "../lib/result.js";

/** The pattern Go's `resource.ParseQuantity` quotes in its error; its message is reused verbatim. */
const QUANTITY_PATTERN_TEXT = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";
export const QUANTITY_FORMAT_ERROR = `quantities must match the regular expression '${QUANTITY_PATTERN_TEXT}'`;

const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const BINARY_SUFFIXES = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"] as const;
const DECIMAL_EXPONENTS: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/** An exact rational amount: numerator / denominator, denominator > 0. */
export interface QuantityAmount {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

export function parseQuantity(text: string): Result<QuantityAmount> {
  const match = QUANTITY.exec(text);
  if (!match) return fail(QUANTITY_FORMAT_ERROR);
  const sign = match[1] === "-" ? -1n : 1n;
  const digits = match[2] ?? "0";
  const suffix = match[3] ?? "";
  const [whole = "", fraction = ""] = digits.split(".");
  let numerator = sign * BigInt(`${whole}${fraction}` || "0");
  let denominator = 10n ** BigInt(fraction.length);
  const binaryPower = BINARY_SUFFIXES.indexOf(suffix as (typeof BINARY_SUFFIXES)[number]);
  let decimalExponent = 0;
  if (suffix !== "" && binaryPower > 0) {
    numerator *= 1024n ** BigInt(binaryPower);
  } else if (suffix in DECIMAL_EXPONENTS) {
    decimalExponent = DECIMAL_EXPONENTS[suffix] ?? 0;
  } else if (suffix !== "") {
    decimalExponent = Number(suffix.slice(1));
    if (!Number.isSafeInteger(decimalExponent)) return fail(QUANTITY_FORMAT_ERROR);
  }
  if (decimalExponent >= 0) numerator *= 10n ** BigInt(decimalExponent);
  else denominator *= 10n ** BigInt(-decimalExponent);
  return ok({ numerator, denominator });
}

export function isValidQuantity(text: string): boolean {
  return parseQuantity(text).ok;
}

/** Go `Quantity.Value()`: the amount rounded up (away from zero) to a whole number. */
export function quantityValue(amount: QuantityAmount): bigint {
  const { numerator, denominator } = amount;
  const quotient = numerator / denominator;
  if (numerator % denominator === 0n) return quotient;
  return numerator > 0n ? quotient + 1n : quotient - 1n;
}

/**
 * Go `resource.NewQuantity(value, BinarySI).String()`: below 1024 in magnitude decimal notation (`500`, `1k`),
 * otherwise the largest power-of-1024 suffix that divides the value exactly (`1536Mi`, `1Gi`, `1500`).
 */
export function formatBinaryQuantity(value: bigint): string {
  if (value > -1024n && value < 1024n) {
    return value !== 0n && value % 1000n === 0n ? `${value / 1000n}k` : value.toString();
  }
  let mantissa = value;
  let power = 0;
  while (power < BINARY_SUFFIXES.length - 1 && mantissa % 1024n === 0n) {
    mantissa /= 1024n;
    power += 1;
  }
  return `${mantissa}${BINARY_SUFFIXES[power]}`;
}
