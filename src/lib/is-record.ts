/** Whether a value is a JSON object (neither null nor an array): where every reader of untyped input starts. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
