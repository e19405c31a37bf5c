// `concurrent` (closed loop): N lanes, each running one session after another, so N sessions are
// active at once; lane k joins at k/N of rampUpSeconds, so concurrency grows linearly to N.
// A shard (run/shard.ts) runs only its lanes, at their join times, over its own sessions.
import { shardLanes, shardSessionCount, type Shard } from "../shard.js";
import type { TrafficDeps, TrafficMode } from "./types.js";

/**
 * A lane takes its first session this long before it joins and plans that session's first
 * dispatch at the join time, so the session's set-up (first run of that code, for the run's first
 * lanes) is not on the dispatch's clock (run.ts TRAFFIC_LEAD_MS).
 */
const SET_UP_AHEAD_MS = 5;

export const concurrent: TrafficMode<"concurrent"> = (traffic, plan) => {
  const lanes = {
    concurrency: traffic.concurrency,
    rampUpMs: traffic.rampUpSeconds * 1000,
    sessions: plan.shard ? shardSessionCount(plan.shard, plan.sessions) : plan.sessions,
    ...(plan.shard ? { shard: plan.shard } : {}),
  };
  return (deps) => runConcurrent(lanes, deps);
};

/** `shard`: run only its lanes (default all); `sessions`: the sessions this process releases at most. */
export async function runConcurrent(plan: { concurrency: number; rampUpMs: number; sessions?: number; shard?: Shard }, deps: TrafficDeps): Promise<number> {
  const t0 = deps.clockStart ?? deps.now();
  const joinAt = (k: number) => t0 + (plan.concurrency > 1 ? (k * plan.rampUpMs) / plan.concurrency : 0);
  const { shard } = plan;
  const ownLanes = shard ? shardSessionCount(shard, plan.concurrency) : plan.concurrency;
  // Steady once the last of its lanes has joined.
  deps.load?.concurrency(ownLanes, joinAt(shard ? shard.index + (ownLanes - 1) * shard.count : plan.concurrency - 1));
  let released = 0;
  const lane = async (k: number) => {
    // Lane k joins at k/N of the ramp: concurrency grows linearly to N.
    const joins = joinAt(k);
    if (joins - SET_UP_AHEAD_MS > deps.now()) await new Promise<void>((r) => deps.timers.at(joins - SET_UP_AHEAD_MS, r));
    let startAt = joins;
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
  await Promise.all(shardLanes(shard, plan.concurrency, plan.sessions ?? ownLanes).map(lane));
  return released;
}
