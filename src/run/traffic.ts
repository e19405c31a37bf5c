// Releases sessions: `concurrent` keeps N sessions active (ramping up to N over rampUpSeconds),
// `rate` starts sessions at arrival times from an arrival process, whatever is still running,
// `timed` starts each session at its own recorded arrival (a trace replay), sped up by `speed`.
import type { ArrivalProcess } from "../workload/arrivals.js";
import type { SessionGraph } from "../workload/types.js";
import type { TimerQueue } from "./timer-queue.js";

export type TrafficPlan =
  | { mode: "concurrent"; concurrency: number; rampUpMs: number }
  | { mode: "rate"; arrivals: ArrivalProcess }
  | { mode: "timed"; speed: number };

export interface TrafficDeps {
  timers: TimerQueue;
  now: () => number;
  /** The next session to release, or undefined when there are no more (or the run stops). */
  nextSession(): SessionGraph | undefined;
  /** Runs a released session to its end. `startAt` is its planned release time. */
  runSession(session: SessionGraph, startAt: number): Promise<unknown>;
  stopped(): boolean;
}

/** Resolves when every released session has ended. */
export function runTraffic(plan: TrafficPlan, deps: TrafficDeps): Promise<number> {
  if (plan.mode === "concurrent") return runConcurrent(plan, deps);
  if (plan.mode === "rate") return runRate(plan, deps);
  const speed = plan.speed;
  // A timed replay is rate traffic whose gaps come from the sessions' own arrival times; sessions
  // arrive in order (traces sort them), so each gap is known when the previous session is taken.
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
  return runRate({ arrivals }, {
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

async function runConcurrent(plan: { concurrency: number; rampUpMs: number }, deps: TrafficDeps): Promise<number> {
  const t0 = deps.now();
  let released = 0;
  const lane = async (k: number) => {
    // Lane k joins at k/N of the ramp: concurrency grows linearly to N.
    const joinAt = t0 + (plan.concurrency > 1 ? (k * plan.rampUpMs) / plan.concurrency : 0);
    if (joinAt > deps.now()) await new Promise<void>((r) => deps.timers.at(joinAt, r));
    let startAt = joinAt;
    for (;;) {
      if (deps.stopped()) return;
      const session = deps.nextSession();
      if (!session) return;
      released++;
      await deps.runSession(session, startAt);
      startAt = deps.now();
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, (_, k) => lane(k)));
  return released;
}

function runRate(plan: { arrivals: ArrivalProcess }, deps: TrafficDeps): Promise<number> {
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
      const next = at + plan.arrivals.nextGapMs();
      deps.timers.at(next, () => arrive(next));
    };
    const t0 = deps.now();
    deps.timers.at(t0, () => arrive(t0));
  });
}
