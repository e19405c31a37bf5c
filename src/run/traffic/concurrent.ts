// `concurrent` (closed loop): N lanes, each running one session after another, so N sessions are
// active at once; lane k joins at k/N of rampUpSeconds, so concurrency grows linearly to N.
import type { TrafficDeps, TrafficMode } from "./types.js";

export const concurrent: TrafficMode<"concurrent"> = (traffic, plan) => {
  const lanes = { concurrency: traffic.concurrency, rampUpMs: traffic.rampUpSeconds * 1000, sessions: plan.sessions };
  return (deps) => runConcurrent(lanes, deps);
};

export async function runConcurrent(plan: { concurrency: number; rampUpMs: number; sessions?: number }, deps: TrafficDeps): Promise<number> {
  const t0 = deps.now();
  // Steady once the last lane has joined.
  deps.load?.concurrency(plan.concurrency, t0 + (plan.concurrency > 1 ? ((plan.concurrency - 1) * plan.rampUpMs) / plan.concurrency : 0));
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
  // Lane k takes a session only if every earlier lane took one when it joined, so lanes past the
  // session count would never run one: only as many lanes as sessions (concurrency 10^9 on two
  // sessions allocated a billion lanes and ran out of memory).
  const lanes = Math.min(plan.concurrency, plan.sessions ?? plan.concurrency);
  await Promise.all(Array.from({ length: lanes }, (_, k) => lane(k)));
  return released;
}
