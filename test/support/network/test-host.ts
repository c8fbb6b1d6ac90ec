/**
 * TEST INFRASTRUCTURE. An address that Kubernetes accepts in an EndpointSlice and that still leads only to this
 * machine: the project's own test host, a network namespace made by `test-host.sh`. A relay inside it forwards
 * TCP connections to a Unix socket of a server running here (Unix sockets cross network namespaces).
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const HERE = import.meta.dirname;
const NETNS = "mms-testhost";

let hostAddress: Promise<string> | undefined;

/** Creates the test host if needed (root only) and returns its address. */
export function ensureTestHost(): Promise<string> {
  hostAddress ??= execFileAsync("bash", [path.join(HERE, "test-host.sh"), "up"])
    .then(({ stdout }) => stdout.trim())
    .catch((error: { stderr?: string }) => {
      hostAddress = undefined;
      throw new Error(error.stderr?.trim() || String(error));
    });
  return hostAddress;
}

export interface Relay {
  /** Address and port to publish: connections there reach the Unix socket. */
  host: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a relay from `<test host>:<free port>` to `unixSocket`. An attached relay dies with this process; a
 * detached one (the sandbox) lives until stopped.
 */
export async function startRelay(unixSocket: string, options: { detached?: boolean } = {}): Promise<Relay> {
  const host = await ensureTestHost();
  const command = [
    "ip",
    "netns",
    "exec",
    NETNS,
    process.execPath,
    path.join(HERE, "relay.mjs"),
    host,
    unixSocket,
  ];
  const attached = !options.detached && existsSync("/usr/bin/setpriv");
  const [file, ...args] = attached ? ["/usr/bin/setpriv", "--pdeathsig", "KILL", "--", ...command] : command;
  const child = spawn(file ?? "ip", args, {
    stdio: ["ignore", "pipe", "inherit"],
    detached: options.detached,
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve(Number.parseInt(line, 10)));
    child.once("exit", (code) =>
      reject(new Error(`the test-host relay exited with ${code} before listening`)),
    );
  });
  child.stdout.destroy();
  if (options.detached) child.unref();
  return {
    host,
    port,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
