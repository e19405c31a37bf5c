// `timed` (trace replay): each session starts at its own recorded arrival, sped up by `speed`.
// It is rate traffic whose gaps come from the sessions' arrival times; sessions arrive in order
// (traces sort them), so each gap is known when the previous session is taken.
import type { ArrivalProcess } from "../../workload/arrivals.js";
import type { SessionGraph } from "../../workload/types.js";
import { runRate } from "./rate.js";
import type { TrafficDeps, TrafficMode } from "./types.js";

export const timed: TrafficMode<"timed"> = (traffic) => (deps) => runTimed(traffic.speed, deps);

export function runTimed(speed: number, deps: TrafficDeps): Promise<number> {
  let last = 0;
  let pending: SessionGraph | undefined;
  let first = true;
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
  return runRate(arrivals, {
    ...deps,
    nextSession: () => {
      if (first) {
        first = false;
        pending = deps.nextSession();
        last = pending?.arrivalMs ?? 0;
      }
      const s = pending;
      pending = undefined;
      return s;
    },
  });
}
