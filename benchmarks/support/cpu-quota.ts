// Slows a server process down by a CPU quota instead of signals (throttle.ts): the process moves
// into a cgroup (v1 "cpu" controller, or v2 "cpu.max") allowed 1/factor of one CPU per 5 ms
// period. The engine runs with `-t 1`, so while it computes it uses about one CPU and the quota
// makes that work take about `factor` times as long (the benchmark measures how long it really
// takes: support/calibrate.ts); idle, it is not affected. Needs root and a
// writable cgroup hierarchy; `cpuQuotaSupport()` says why not when it is missing.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// A short period spreads the quota evenly: with 100 ms, the engine ran full speed for 67 ms and then
// stood still, so short requests either missed the pause or had their tokens arrive in one burst
// (TPOT p50 0.03 ms), rather than decoding 1.5x slower.
const PERIOD_US = 5_000;
const V1 = "/sys/fs/cgroup/cpu";
const V2 = "/sys/fs/cgroup";

export interface CpuQuota {
  stop(): void;
}

type Layout = { kind: "v1"; root: string } | { kind: "v2"; root: string };

function layout(): Layout | string {
  if (existsSync(join(V1, "cpu.cfs_quota_us"))) return { kind: "v1", root: V1 };
  if (existsSync(join(V2, "cgroup.controllers"))) {
    const controllers = readFileSync(join(V2, "cgroup.controllers"), "utf8");
    return controllers.includes("cpu") ? { kind: "v2", root: V2 } : "the cgroup v2 hierarchy has no cpu controller";
  }
  return "no cgroup cpu controller at /sys/fs/cgroup";
}

/** Null when a quota can be set here; otherwise why not. */
export function cpuQuotaSupport(): string | null {
  const l = layout();
  if (typeof l === "string") return l;
  const probe = join(l.root, `agentload-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return null;
  } catch (e) {
    return `cannot create a cgroup under ${l.root}: ${(e as Error).message}`;
  }
}

export interface QuotaGroup {
  /** The cgroup's folder: a process joins by writing its pid to `cgroup.procs` in it. */
  dir: string;
  /** Removes the cgroup; its processes must have left or exited. */
  remove(): void;
}

/** A cgroup allowed 1/factor of a CPU, empty: processes join it themselves (support/engine-builds.ts). */
export function quotaGroup(factor: number, name = `agentload-bench-${process.pid}`): QuotaGroup {
  const l = layout();
  if (typeof l === "string") throw new Error(`cpu quota: ${l}`);
  const dir = join(l.root, name);
  if (!existsSync(dir)) mkdirSync(dir);
  const quota = Math.round(PERIOD_US / factor);
  if (l.kind === "v1") {
    writeFileSync(join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
    writeFileSync(join(dir, "cpu.cfs_quota_us"), String(quota));
  } else {
    writeFileSync(join(dir, "cpu.max"), `${quota} ${PERIOD_US}`);
  }
  return { dir, remove: () => rmdirSync(dir) };
}

/** Puts `pid` (all its threads) in a cgroup allowed 1/factor of a CPU; stop() moves it back. */
export function cpuQuota(pid: number, factor: number): CpuQuota {
  const l = layout();
  if (typeof l === "string") throw new Error(`cpu quota: ${l}`);
  const group = quotaGroup(factor, `agentload-bench-${process.pid}-${pid}`);
  // cgroup.procs moves the whole thread group (the engine's HTTP and compute threads alike).
  writeFileSync(join(group.dir, "cgroup.procs"), String(pid));
  return {
    stop() {
      try {
        writeFileSync(join(l.root, "cgroup.procs"), String(pid));
      } catch {
        // the process is gone
      }
      group.remove();
    },
  };
}
