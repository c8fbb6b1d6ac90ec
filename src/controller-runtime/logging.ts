/** Named JSON loggers with secret-bearing keys redacted; LOG_LEVEL or DEV_MODE_LOGGING set the level. */
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
  // DEV_MODE_LOGGING (upstream's switch to development logging) turns on debug lines unless LOG_LEVEL is set.
  level: process.env.LOG_LEVEL ?? (process.env.DEV_MODE_LOGGING !== undefined ? "debug" : "info"),
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
});

/** A logger named after the component that writes through it (for example `controllers.ServingRuntime`). */
export function createLogger(name: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ logger: name, ...bindings });
}
