import pino, { type Logger } from "pino";

export type { Logger };

/** Keys whose values never reach a log line, wherever they appear in a logged object. */
const REDACTED_PATHS = [
  "password",
  "*.password",
  "token",
  "*.token",
  "data",
  "*.data",
  "stringData",
  "*.stringData",
  "client_key",
  "*.client_key",
];

const root: Logger = pino({
  level: process.env.LOG_LEVEL ?? "info",
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
});

/** A logger named after the component that writes through it (for example `controllers.ServingRuntime`). */
export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ logger: name, ...bindings });
}
