// The table of traffic modes: each plan traffic reaches its mode, and each mode maps the plan's
// traffic as before (rate: the spec's arrivals on the seed's "traffic/arrivals" stream; timed:
// recorded arrivals divided by speed; concurrent: N lanes), and tells the load meter its target.
// Driven on a virtual clock.
import { describe, expect, it } from "vitest";
import type { RunPlan } from "../../../src/run/run.js";
import type { TimerQueue } from "../../../src/run/timer-queue.js";
import { trafficRunner } from "../../../src/run/traffic/index.js";
import { createLoadMeter } from "../../../src/run/traffic/load.js";
import { rngFor } from "../../../src/stats/random.js";
import { createArrivals } from "../../../src/workload/arrivals.js";
import type { SessionGraph } from "../../../src/workload/types.js";

function plan(traffic: RunPlan["traffic"], seed = "7"): RunPlan {
  return { seed, traffic } as Partial<RunPlan> as RunPlan;
}

/**
 * Runs a plan's traffic over `sessions` on a virtual clock; returns each session's planned start,
 * the peak of running sessions and the load achieved (the meter wired as run.ts wires it).
 */
async function drive(p: RunPlan, sessions: SessionGraph[], sessionMs = 0): Promise<{ released: number; starts: number[]; takenAt: number[]; peak: number; load: ReturnType<ReturnType<typeof createLoadMeter>["result"]> }> {
  const meter = createLoadMeter();
  let clock = 0;
  const pending: { at: number; fn: () => void }[] = [];
  const timers = { at: (at: number, fn: () => void) => void pending.push({ at, fn }) } as unknown as TimerQueue;
  const starts: number[] = [];
  const takenAt: number[] = [];
  let running = 0;
  let peak = 0;
  let finished = false;
  const done = trafficRunner(p)({
    timers,
    now: () => clock,
    nextSession: () => {
      const s = sessions.shift();
      if (!s) meter.rampDown(clock);
      return s;
    },
    runSession: (_s, startAt) => {
      starts.push(startAt);
      takenAt.push(clock);
      peak = Math.max(peak, ++running);
      meter.sessionStarted(clock);
      return new Promise<void>((resolve) =>
        pending.push({
          // Its first dispatch is planned at startAt (a lane may take its session just before it joins).
          at: Math.max(clock, startAt) + sessionMs,
          fn: () => {
            running--;
            meter.sessionEnded(clock);
            resolve();
          },
        }),
      );
    },
    stopped: () => false,
    load: meter,
  }).then((n) => {
    finished = true;
    return n;
  });
  while (!finished) {
    await new Promise((r) => setImmediate(r));
    if (pending.length === 0) continue;
    pending.sort((a, b) => a.at - b.at);
    const next = pending.shift()!;
    clock = Math.max(clock, next.at);
    next.fn();
  }
  return { released: await done, starts, takenAt, peak, load: meter.result(clock) };
}

const chains = (n: number, arrivals: number[] = []): SessionGraph[] =>
  Array.from({ length: n }, (_, i) => ({
    id: String(i),
    nodes: [{ id: "0", parents: [], historyParent: null, freshInputTokens: 1, outputTokens: 1, waitAfterReadyMs: 0 }],
    ...(arrivals[i] !== undefined ? { arrivalMs: arrivals[i] } : {}),
  }));

const common = { maxSessions: 5, warmupSessions: 0, onError: "continue" as const };

describe("trafficRunner", () => {
  it("rate: starts sessions at the gaps of the spec's arrivals on the seed's traffic/arrivals stream", async () => {
    const arrivals = { type: "poisson" as const, rate: 10 };
    const { released, starts } = await drive(plan({ mode: "rate", arrivals, ...common }, "42"), chains(5), 1000);
    const gaps = createArrivals(arrivals, rngFor("42", "traffic/arrivals"));
    let at = 0;
    const expected = [0];
    for (let i = 1; i < 5; i++) expected.push((at += gaps.nextGapMs()));
    expect(released).toBe(5);
    expect(starts).toEqual(expected);
    // Released exactly on schedule; the drawn schedule's rate beside the spec's (over 1 s of it).
    const slow = await drive(plan({ mode: "rate", arrivals: { type: "poisson", rate: 1 }, ...common }, "42"), chains(5), 1000);
    const span = slow.starts[4]! - slow.starts[0]!;
    expect(span).toBeGreaterThan(1000);
    expect(slow.load).toEqual({ mode: "rate", targetPerSec: 1, sessions: 5, plannedPerSec: 4000 / span, achievedPerSec: 4000 / span });
    // The same seed, the same schedule.
    expect((await drive(plan({ mode: "rate", arrivals, ...common }, "42"), chains(5), 1000)).starts).toEqual(starts);
  });

  it("timed: starts sessions at their recorded arrivals divided by speed", async () => {
    const { starts, load } = await drive(plan({ mode: "timed", speed: 2, ...common }), chains(3, [100, 300, 700]));
    expect(starts).toEqual([0, 100, 300]);
    // 300 ms of schedule: too short to judge a rate (and a trace has no nominal one).
    expect(load).toMatchObject({ mode: "rate", targetPerSec: null, achievedPerSec: null, sessions: 3 });
  });

  it("concurrent: N lanes, ramping up over rampUpSeconds", async () => {
    const { released, starts, peak } = await drive(plan({ mode: "concurrent", concurrency: 2, rampUpSeconds: 1, ...common }), chains(4), 2000);
    expect(released).toBe(4);
    expect(peak).toBe(2);
    expect(starts).toEqual([0, 500, 2000, 2500]);
  });

  it("concurrent: a lane takes its first session 5 ms before it joins, planned at the join time", async () => {
    const { starts, takenAt } = await drive(plan({ mode: "concurrent", concurrency: 2, rampUpSeconds: 1, ...common }), chains(2), 1000);
    expect(starts).toEqual([0, 500]);
    expect(takenAt).toEqual([0, 495]);
  });

  it("concurrent: the achieved load counts the steady part only, from the last lane's join to the first lane left without a session", async () => {
    // Lanes join at 0 and 500; sessions of 2 s: steady from 500 until lane 0 finds none at 4000.
    const { load } = await drive(plan({ mode: "concurrent", concurrency: 2, rampUpSeconds: 1, ...common }), chains(4), 2000);
    expect(load).toEqual({ mode: "concurrency", target: 2, steadyMs: 3500, achieved: 2 });
    // Fewer sessions than lanes: no steady part, nothing to judge (not a shortfall).
    const few = await drive(plan({ mode: "concurrent", concurrency: 4, rampUpSeconds: 0, ...common }), chains(2), 2000);
    expect(few.load).toMatchObject({ mode: "concurrency", target: 4, achieved: null, steadyMs: 0 });
  });
});
