/** What a controller's log says went wrong: crashes, and refusals of the API server. */

/** Lines a healthy process never writes: an uncaught error, a fatal log, a Node crash report. */
export function crashLines(lines: readonly string[]): string[] {
  return lines.filter((line) =>
    /"level":60|uncaughtException|unhandledRejection|UnhandledPromiseRejection|FATAL ERROR|^\s+at .*\(node:/.test(
      line,
    ),
  );
}

/** The distinct refusals (403, a permission the install lacks) in the controller's log, by their message. */
export function refusals(log: string): string[] {
  const messages = log.split("\n").flatMap((line) => {
    let entry: { msg?: string; err?: { message?: string; statusCode?: number; reason?: string } };
    try {
      entry = JSON.parse(line);
    } catch {
      return /\b403\b|forbidden/i.test(line) ? [line] : [];
    }
    // Judge the error a line carries, not every number in it (a resourceVersion may well read 403).
    const err = entry.err;
    const refused =
      err?.statusCode === 403 ||
      err?.reason === "Forbidden" ||
      /forbidden/i.test(`${err?.message ?? ""} ${entry.msg ?? ""}`);
    return refused ? [err?.message ?? entry.msg ?? line] : [];
  });
  return [...new Set(messages)];
}
