/**
 * CPU time from /proc, to tell which process a benchmark's time went to: user + system milliseconds of a
 * process group (a process and the workers it started), and of the whole machine (every core's
 * busy time, other users' processes included).
 */
import { readFileSync } from "node:fs";
import { MS_PER_TICK, processCpuMs } from "../control-plane/processes.js";
import { processGroupMembers } from "../mlserver/index.js";

/** User + system CPU milliseconds of the live members of process group `pgid`. */
export function groupCpuMs(pgid: number): number {
  return processGroupMembers(pgid).reduce((sum, pid) => sum + (processCpuMs(pid) ?? 0), 0);
}

/** Busy CPU milliseconds of all cores together (the `cpu` line of /proc/stat, idle and iowait left out). */
export function machineBusyMs(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  return (user + nice + system + irq + softirq + steal) * MS_PER_TICK;
}
