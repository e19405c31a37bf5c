// `concurrent` (closed loop): N lanes, each running one session after another, so N sessions are
// active at once; lane k joins at k/N of rampUpSeconds, so concurrency grows linearly to N.
import type { TrafficDeps, TrafficMode } from "./types.js";

export const concurrent: TrafficMode<"concurrent"> = (traffic) => {
  const lanes = { concurrency: traffic.concurrency, rampUpMs: traffic.rampUpSeconds * 1000 };
  return (deps) => runConcurrent(lanes, deps);
};

export async function runConcurrent(plan: { concurrency: number; rampUpMs: number }, deps: TrafficDeps): Promise<number> {
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
