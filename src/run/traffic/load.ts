// The load a run's traffic actually offered, against what its mode asked for
// (metrics/client-checks.ts judges it). Modes say their target through a LoadObserver; the run
// tells the meter when sessions start and end and when release stops.
//  - concurrency: time-weighted mean sessions in flight over the steady part only, from the time
//    the last lane joined (end of ramp-up) to the first time a lane found no session left (or the
//    run stopped): a workload with fewer sessions than lanes, or its ramp-down tail, is not short.
//  - rate: the rate at which sessions were released against the rate of the schedule the seed
//    drew for those same sessions (a Poisson schedule of 6 sessions is far from its nominal rate
//    by chance, which is not the client's doing).
import type { AchievedLoad } from "../../metrics/client-checks.js";
import type { LoadObserver } from "./types.js";

/** A steady part or arrival span shorter than this is not judged: one gap of a fraction of a ms would read as a shortfall. */
export const MIN_JUDGED_SPAN_MS = 1000;

export interface LoadMeter extends LoadObserver {
  sessionStarted(at: number): void;
  sessionEnded(at: number): void;
  /** No session will be released any more (none left, or the run stopped); the first call counts. */
  rampDown(at: number): void;
  /** The load achieved up to `end`; undefined when no mode said its target. */
  result(end: number): AchievedLoad | undefined;
}

export function createLoadMeter(): LoadMeter {
  let target: { mode: "concurrency"; sessions: number; steadyAt: number } | { mode: "rate"; perSec: number | null } | undefined;
  let inflight = 0;
  let last = -Infinity;
  let area = 0;
  let rampDownAt = Infinity;
  let released = 0;
  let firstPlanned = 0;
  let lastPlanned = 0;
  let firstAt = 0;
  let lastAt = 0;

  /** Adds the in-flight sessions between the last change and `t`, clipped to the steady part. */
  const advance = (t: number) => {
    if (target?.mode === "concurrency") {
      const from = Math.max(last, target.steadyAt);
      const to = Math.min(t, rampDownAt);
      if (to > from) area += inflight * (to - from);
    }
    last = t;
  };

  return {
    concurrency(sessions, steadyAt) {
      target = { mode: "concurrency", sessions, steadyAt };
    },
    rate(perSec) {
      target = { mode: "rate", perSec: perSec !== null && Number.isFinite(perSec) ? perSec : null };
    },
    released(plannedAt, at) {
      if (released === 0) [firstPlanned, firstAt] = [plannedAt, at];
      [lastPlanned, lastAt] = [plannedAt, at];
      released++;
    },
    sessionStarted(at) {
      advance(at);
      inflight++;
    },
    sessionEnded(at) {
      advance(at);
      inflight--;
    },
    rampDown(at) {
      if (rampDownAt !== Infinity) return;
      advance(at);
      rampDownAt = at;
    },
    result(end) {
      if (!target) return undefined;
      if (target.mode === "concurrency") {
        advance(end);
        const steadyMs = Math.max(0, Math.min(end, rampDownAt) - target.steadyAt);
        const base = { mode: "concurrency" as const, target: target.sessions, steadyMs };
        if (steadyMs === 0) return { ...base, achieved: null, note: `no steady part: the sessions ran out before all ${target.sessions} lanes had joined` };
        if (steadyMs < MIN_JUDGED_SPAN_MS) return { ...base, achieved: null, note: `steady part ${Math.round(steadyMs)}ms: too short to judge` };
        return { ...base, achieved: area / steadyMs };
      }
      const base = { mode: "rate" as const, targetPerSec: target.perSec, sessions: released };
      const span = lastPlanned - firstPlanned;
      if (released < 2 || span < MIN_JUDGED_SPAN_MS) {
        return { ...base, plannedPerSec: null, achievedPerSec: null, note: `${released} session${released === 1 ? "" : "s"} released over ${Math.round(Math.max(0, span))}ms of schedule: too few to judge the rate` };
      }
      const actual = Math.max(lastAt - firstAt, Number.MIN_VALUE);
      return { ...base, plannedPerSec: ((released - 1) / span) * 1000, achievedPerSec: ((released - 1) / actual) * 1000 };
    },
  };
}
