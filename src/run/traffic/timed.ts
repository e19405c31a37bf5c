// `timed` (trace replay): each session starts at its own recorded arrival, sped up by `speed`.
// It is rate traffic whose gaps come from the sessions' arrival times; sessions arrive in order
// (traces sort them), so each gap is known when the previous session is taken.
import type { ArrivalProcess } from "../../workload/arrivals.js";
import { runRate } from "./rate.js";
import type { TrafficDeps, TrafficMode } from "./types.js";

export const timed: TrafficMode<"timed"> = (traffic, plan) => {
  // A shard counts its sessions' arrivals from the trace's first (session 0), as the unsharded run does.
  const origin = plan.shard ? plan.sessionAt(0).arrivalMs : undefined;
  return (deps) => runTimed(traffic.speed, deps, origin);
};

/** `originMs`: the recorded time the clock's start stands for (default: the first session's arrival). */
export function runTimed(speed: number, deps: TrafficDeps, originMs?: number): Promise<number> {
  let pending = deps.nextSession();
  let last = originMs ?? pending?.arrivalMs ?? 0;
  const firstGapMs = Math.max(0, (pending?.arrivalMs ?? last) - last) / speed;
  last = pending?.arrivalMs ?? last;
  const arrivals: ArrivalProcess = {
    nextGapMs: () => {
      pending = deps.nextSession();
      const at = pending?.arrivalMs ?? last;
      const gap = Math.max(0, at - last) / speed;
      last = at;
      return gap;
    },
    meanGapMs: () => NaN,
  };
  return runRate(
    arrivals,
    {
      ...deps,
      nextSession: () => {
        const s = pending;
        pending = undefined;
        return s;
      },
    },
    firstGapMs,
  );
}
