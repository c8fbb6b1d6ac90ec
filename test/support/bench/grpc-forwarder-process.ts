/**
 * BENCHMARK INFRASTRUCTURE. Starts the bare gRPC forwarder (grpc-forwarder.ts) as a process of its own in front
 * of `upstream`, and gives its address once it listens.
 */
import path from "node:path";
import { REPO_ROOT } from "../control-plane/index.js";
import { logLine, type RunningProcess, startProcess } from "../control-plane/processes.js";

const START_TIMEOUT_MS = 60_000;

export interface GrpcForwarder {
  readonly process: RunningProcess;
  readonly grpcAddress: string;
}

export async function startGrpcForwarder(upstream: string, logFile: string): Promise<GrpcForwarder> {
  const forwarder = startProcess({
    name: "forwarder",
    command: process.execPath,
    args: ["--import", "tsx", path.join(REPO_ROOT, "test/support/bench/grpc-forwarder.ts"), upstream],
    logFile,
    detached: false,
  });
  try {
    const [port] = await logLine(forwarder, logFile, /forwarding on 127\.0\.0\.1:(\d+)/, START_TIMEOUT_MS);
    return { process: forwarder, grpcAddress: `127.0.0.1:${port}` };
  } catch (error) {
    await forwarder.stop();
    throw error;
  }
}
