// A process's Linux scheduling policy, for the tests of the engine's idle CPU class.
import { readFileSync } from "node:fs";

/** SCHED_IDLE's number in /proc/PID/stat (SCHED_OTHER, the default, is 0). */
export const SCHED_IDLE = 5;

/** The scheduling policy of a process: field 41 of /proc/PID/stat. */
export function schedulingPolicy(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The fields after the command name (in parentheses, and it may hold spaces) are the 3rd on.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(rest[41 - 3]);
}
