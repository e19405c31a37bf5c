// Pins processes to CPUs with taskset (util-linux), so that an A/B benchmark's two engines share
// one core and the client keeps the other: neither engine gets a core the other lacks, and the
// client's work never lands beside one of them only. Pinned, unchanged paired verdicts still
// failed 3 times in 20 on an offset of one engine process (TTFC 11-19% in every pair, README), so
// CPU placement is not that offset's cause. `pinSupport()` says why pinning is off.
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";

/** Null when pinning works here; otherwise why not. */
export function pinSupport(): string | null {
  if (process.platform !== "linux") return `${process.platform}: no taskset`;
  if (availableParallelism() < 2) return "a single CPU";
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return null;
  } catch (e) {
    return `taskset: ${(e as Error).message}`;
  }
}

/** Pins every thread of `pid` to the CPUs listed ("1", "0-1"). */
export function pin(pid: number, cpus: string): void {
  execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
}
