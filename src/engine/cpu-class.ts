// Linux CPU classes through util-linux chrt: the built-in engine in the idle class
// (`--engine-idle`, llama-server.ts) and the client's own threads in the real-time FIFO class
// (`agentload run --realtime`).
//
// Why the client: on the 2-vCPU VM of 2026-12-07, a thread that does nothing but sleep to Poisson
// deadlines beside the README's main job (engine in the idle class) woke with p99 3.6-4.3 ms, and
// the run's own dispatches had p99 2.0-3.4 ms: the kernel runs the machine's other threads (the
// client's collector helpers, its waker, kernel workers) before a woken dispatcher. With the
// client's threads in SCHED_FIFO 10 the main job's dispatch lateness p99 was 1.18 and 1.34 ms
// (2 runs), and at 500 requests/s against the calibration server p99 0.77 and 1.06 ms from 1 s on
// against 1.67 and 1.51 ms (2 pairs in turn). Raising the client's weight instead (nice -20) did
// not help (1.81 and 2.06 ms). A FIFO thread runs until it blocks: a client that needs a whole core
// keeps it from the others (the kernel's real-time throttling leaves them 5% of each second).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Where the machine runs processes on: the platform and the PATH searched for chrt. */
export interface CpuClassHost {
  platform: string;
  path: string | undefined;
}

/** chrt's path on the PATH, or null. */
export function chrtOnPath(path: string | undefined): string | null {
  return (path ?? "").split(delimiter).filter((dir) => dir !== "").map((dir) => join(dir, "chrt")).find((p) => existsSync(p)) ?? null;
}

/** The real-time priority `--realtime` asks for: below the kernel's own real-time threads (interrupt threads run at 50, migration at 99). */
export const REALTIME_PRIORITY = 10;

/** A process's scheduling class: Linux's policy name and its real-time priority (0 outside the real-time classes). */
export interface CpuClass {
  policy: "other" | "fifo" | "rr" | "batch" | "idle" | "deadline";
  priority: number;
}

const POLICIES: readonly CpuClass["policy"][] = ["other", "fifo", "rr", "batch", "other", "idle", "deadline"];

/**
 * The class in a /proc/<pid>/stat line (proc(5): rt_priority and policy are fields 40 and 41;
 * the command name, field 2, is in parentheses and may hold spaces and parentheses itself).
 */
export function cpuClassOfStat(stat: string): CpuClass | null {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
  // Field 3 (state) is fields[0].
  const priority = Number(fields[40 - 3]);
  const policy = POLICIES[Number(fields[41 - 3])];
  if (policy === undefined || !Number.isInteger(priority)) return null;
  return { policy, priority };
}

/** This process's class (its main thread's), or null where there is no /proc (not Linux). */
export function ownCpuClass(): CpuClass | null {
  try {
    return cpuClassOfStat(readFileSync("/proc/self/stat", "utf8"));
  } catch {
    return null;
  }
}

/** chrt's arguments that put every thread of `pid` in SCHED_FIFO at `priority`. */
export function realtimeArgs(pid: number, priority: number): string[] {
  return ["--fifo", "--all-tasks", "--pid", String(priority), String(pid)];
}

/**
 * Checks that the client can ask for the FIFO class here (Linux, chrt on the PATH), before
 * anything starts; returns chrt's path. Whether it is allowed is known only when asked (enterRealtime).
 */
export function realtimeRunner(host: CpuClassHost): string {
  return classRunner(host, "the client's real-time class", "SCHED_FIFO");
}

/** chrt's path for asking for `what` (Linux's `policy`), or an error saying why it cannot be had here (not Linux, no chrt on the PATH). */
export function classRunner(host: CpuClassHost, what: string, policy: string): string {
  if (host.platform !== "linux") throw new Error(`${what} is Linux's ${policy}, which ${host.platform} does not have`);
  const chrt = chrtOnPath(host.path);
  if (!chrt) throw new Error(`${what} needs chrt (util-linux) on the PATH, and none was found`);
  return chrt;
}

/**
 * Puts every thread of this process in SCHED_FIFO at `priority`; threads and processes it starts
 * from then on inherit it. Throws, saying why, when chrt fails (not permitted without root or
 * CAP_SYS_NICE) or the class did not change. Waits at most 5 s for chrt.
 */
export function enterRealtime(chrt: string, priority = REALTIME_PRIORITY, pid = process.pid): CpuClass {
  const done = spawnSync(chrt, realtimeArgs(pid, priority), { encoding: "utf8", timeout: 5000 });
  if (done.error) throw new Error(`chrt did not run: ${done.error.message}`);
  if (done.status !== 0) {
    const why = (done.stderr ?? "").trim().split("\n").pop() ?? "";
    throw new Error(`chrt could not put the client in SCHED_FIFO ${priority} (${why || `exit ${done.status}`}): it needs root or CAP_SYS_NICE`);
  }
  if (pid === process.pid) {
    const now = ownCpuClass();
    if (now?.policy !== "fifo" || now.priority !== priority) {
      throw new Error(`chrt ran, but the client's class is ${now ? `${now.policy} ${now.priority}` : "unknown"}, not fifo ${priority}`);
    }
  }
  return { policy: "fifo", priority };
}
