// `rate` (open loop): sessions start at the times of an arrival process, however many are still
// running. The process comes from the spec's arrivals and its own random stream of the seed
// ("traffic/arrivals"), so the same seed gives the same schedule. A shard (run/shard.ts) releases
// the arrivals of its own sessions out of that one schedule.
import { rngFor } from "../../stats/random.js";
import { createArrivals, type ArrivalProcess } from "../../workload/arrivals.js";
import type { SessionGraph } from "../../workload/types.js";
import { shardArrivals } from "../shard.js";
import type { TrafficDeps, TrafficMode } from "./types.js";

export const rate: TrafficMode<"rate"> = (traffic, plan) => {
  const arrivals = createArrivals(traffic.arrivals, rngFor(plan.seed, "traffic/arrivals"));
  if (!plan.shard) return (deps) => runRate(arrivals, deps);
  const own = shardArrivals(plan.shard, arrivals);
  return (deps) => runRate(own.arrivals, deps, own.firstGapMs);
};

/**
 * Starts a session at every arrival until nextSession has none; resolves when all have ended.
 * The first arrival is `firstGapMs` after the clock's start (a shard's first session's place in the schedule).
 */
export function runRate(arrivals: ArrivalProcess, deps: TrafficDeps, firstGapMs = 0): Promise<number> {
  deps.load?.rate(1000 / arrivals.meanGapMs());
  return new Promise((resolve) => {
    let released = 0;
    let running = 0;
    let exhausted = false;
    const maybeDone = () => {
      if (exhausted && running === 0) resolve(released);
    };
    const none = () => {
      exhausted = true;
      maybeDone();
    };
    // Each arrival's session is taken when the previous one is released: a run whose sessions are
    // all out then ends when they end, not at an arrival that finds none (one mean gap later, N of
    // them on a shard of N: its wall time and rates took that idle wait in).
    const arrive = (at: number, session: SessionGraph | undefined) => {
      if (!session || deps.stopped()) return none();
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
      if (deps.releaseEndsAt !== undefined && next >= deps.releaseEndsAt) return none();
      const following = deps.stopped() ? undefined : deps.nextSession();
      if (!following) return none();
      deps.timers.at(next, () => arrive(next, following));
    };
    const first = (deps.clockStart ?? deps.now()) + firstGapMs;
    // The duration ends before this shard's first arrival: it releases nothing.
    if (deps.releaseEndsAt !== undefined && firstGapMs > 0 && first >= deps.releaseEndsAt) return none();
    const session = deps.stopped() ? undefined : deps.nextSession();
    if (!session) return none();
    deps.timers.at(first, () => arrive(first, session));
  });
}
