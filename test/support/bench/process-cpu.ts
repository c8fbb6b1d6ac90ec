/**
 * CPU time from /proc, to tell which process a benchmark's time went to: user + system milliseconds of one
 * process, of a process group (a process and the workers it started), and of the whole machine (every core's
 * busy time, other users' processes included).
 */
import { readFileSync } from "node:fs";
import { processGroupMembers } from "../mlserver/index.js";

/** Linux reports CPU times in clock ticks of 1/100 s (`getconf CLK_TCK`). */
const MS_PER_TICK = 10;

/** User + system CPU milliseconds of `pid` so far; 0 once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may contain spaces; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return 0;
  }
}

/** User + system CPU milliseconds of the live members of process group `pgid`. */
export function groupCpuMs(pgid: number): number {
  return processGroupMembers(pgid).reduce((sum, pid) => sum + processCpuMs(pid), 0);
}

/** Busy CPU milliseconds of all cores together (the `cpu` line of /proc/stat, idle and iowait left out). */
export function machineBusyMs(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  return (user + nice + system + irq + softirq + steal) * MS_PER_TICK;
}
