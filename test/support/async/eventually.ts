/**
 * Polls `check` until it returns something other than `undefined` or `false`, and resolves with that. A check
 * that throws counts as not yet; the last error is in the time-out's message.
 */
export async function eventually<T>(
  check: () => Promise<T | false | undefined> | T | false | undefined,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
