// `rate` (open loop): sessions start at the times of an arrival process, however many are still
// running. The process comes from the spec's arrivals and its own random stream of the seed
// ("traffic/arrivals"), so the same seed gives the same schedule.
import { rngFor } from "../../stats/random.js";
import { createArrivals, type ArrivalProcess } from "../../workload/arrivals.js";
import type { TrafficDeps, TrafficMode } from "./types.js";

export const rate: TrafficMode<"rate"> = (traffic, plan) => {
  const arrivals = createArrivals(traffic.arrivals, rngFor(plan.seed, "traffic/arrivals"));
  return (deps) => runRate(arrivals, deps);
};

/** Starts a session at every arrival until nextSession has none; resolves when all have ended. */
export function runRate(arrivals: ArrivalProcess, deps: TrafficDeps): Promise<number> {
  deps.load?.rate(1000 / arrivals.meanGapMs());
  return new Promise((resolve) => {
    let released = 0;
    let running = 0;
    let exhausted = false;
    const maybeDone = () => {
      if (exhausted && running === 0) resolve(released);
    };
    const arrive = (at: number) => {
      const session = deps.stopped() ? undefined : deps.nextSession();
      if (!session) {
        exhausted = true;
        maybeDone();
        return;
      }
      released++;
      running++;
      deps.load?.released(at, deps.now());
      // Settle either way: a session's failures are its records' business, not the schedule's.
      deps.runSession(session, at).then(
        () => {
          running--;
          maybeDone();
        },
        () => {
          running--;
          maybeDone();
        },
      );
      const next = at + arrivals.nextGapMs();
      // An arrival past the end of the release is not waited for (a slow rate's gap, or a trace's
      // hour-long one, would hold the run open with nothing to do).
      if (deps.releaseEndsAt !== undefined && next >= deps.releaseEndsAt) {
        exhausted = true;
        maybeDone();
        return;
      }
      deps.timers.at(next, () => arrive(next));
    };
    const t0 = deps.now();
    deps.timers.at(t0, () => arrive(t0));
  });
}
