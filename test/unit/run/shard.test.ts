// Shards of one workload (`run --shard i/N`): every session belongs to exactly one shard, the
// shards together generate the unsharded run's requests and tokens, and each traffic mode keeps
// the unsharded schedule (rate and timed: the same planned start per session; concurrent: the
// same lane join times, split over shards). Traffic is driven on a virtual clock.
import { describe, expect, it } from "vitest";
import type { RunPlan } from "../../../src/run/run.js";
import { ownsSession, parseShard, sessionIndexOf, shardLanes, shardProblem, shardSessionCount, type Shard } from "../../../src/run/shard.js";
import type { TimerQueue } from "../../../src/run/timer-queue.js";
import { trafficRunner } from "../../../src/run/traffic/index.js";
import { createLoadMeter } from "../../../src/run/traffic/load.js";
import { generateSessionAt, iterateSessions } from "../../../src/workload/generate.js";
import { validateSpec } from "../../../src/workload/spec.js";
import type { SessionGraph } from "../../../src/workload/types.js";

const shardsOf = (n: number): Shard[] => Array.from({ length: n }, (_, index) => ({ index, count: n }));

describe("parseShard", () => {
  it("reads i/N", () => {
    expect(parseShard("0/1")).toEqual({ index: 0, count: 1 });
    expect(parseShard(" 3 / 4 ")).toEqual({ index: 3, count: 4 });
  });
  it("names what was expected", () => {
    expect(() => parseShard("4/4")).toThrow("--shard expects an index from 0 to 3 for 4 shards, got '4/4'");
    expect(() => parseShard("1of4")).toThrow("--shard expects i/N (shard i of N, counting from 0, e.g. 0/4), got '1of4'");
    expect(() => parseShard("0/0")).toThrow("--shard expects N >= 1 shards");
    expect(() => parseShard("-1/2")).toThrow("--shard expects i/N");
  });
});

describe("session ownership", () => {
  it("the shards' sessions are disjoint and together all sessions, whatever N and the session count", () => {
    for (let n = 1; n <= 6; n++) {
      for (let total = 0; total <= 25; total++) {
        const seen: number[] = [];
        for (const shard of shardsOf(n)) {
          const count = shardSessionCount(shard, total);
          const own = Array.from({ length: count }, (_, k) => sessionIndexOf(shard, k));
          expect(own.every((i) => ownsSession(shard, i) && i < total)).toBe(true);
          seen.push(...own);
        }
        expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
      }
    }
  });

  it("the shards generate the unsharded workload's requests and tokens, session by session", () => {
    const spec = validateSpec({
      name: "mixed",
      seed: 11,
      sessions: 23,
      agents: [
        { name: "coder", weight: 2, turns: { type: "uniform", min: 1, max: 5 }, freshInput: { type: "lognormal", mu: 3.7, sigma: 0.5 }, output: { type: "uniform", min: 2, max: 9 }, scaffold: { systemTokens: 30 } },
        { name: "explorer", turns: 2, freshInput: 10, output: 3, subagents: { agent: "coder", spawnProbability: 0.5, fanOut: 2, summaryTokens: 5 } },
      ],
    });
    const key = (g: SessionGraph) => g.nodes.map((n) => `${g.id}/${n.id}:${n.kind ?? ""}:${n.freshInputTokens}:${n.outputTokens}:${n.parents.join(",")}`);
    const unsharded = [...iterateSessions(spec)].flatMap(key).sort();
    for (const n of [2, 3, 7]) {
      const sharded = shardsOf(n)
        .flatMap((shard) => Array.from({ length: shardSessionCount(shard, spec.sessions) }, (_, k) => generateSessionAt(spec, sessionIndexOf(shard, k))))
        .flatMap(key)
        .sort();
      expect(sharded).toEqual(unsharded);
    }
  });
});

describe("shardProblem", () => {
  it("refuses a shard that would own no session or no lane, naming the counts", () => {
    expect(shardProblem({ index: 0, count: 4 }, { sessions: 3 })).toBe(
      "--shard 0/4: the workload has 3 sessions, fewer than 4 shards (session i belongs to shard i mod 4), so shard 3 would own none; use at most 3 shards",
    );
    expect(shardProblem({ index: 0, count: 4 }, { sessions: 40, concurrency: 2 })).toBe(
      "--shard 0/4: concurrency 2 is fewer lanes than 4 shards (lane k runs on shard k mod 4), so shards 2 to 3 would run none; use at most 2 shards or raise --concurrency",
    );
    expect(shardProblem({ index: 1, count: 4 }, { sessions: 40, concurrency: 4 })).toBeNull();
  });
  it("lanes: lane k on shard k mod N, the remainder on the first shards", () => {
    expect(shardsOf(3).map((s) => shardLanes(s, 8))).toEqual([[0, 3, 6], [1, 4, 7], [2, 5]]);
    expect(shardLanes(undefined, 3)).toEqual([0, 1, 2]);
    expect(shardLanes({ index: 1, count: 2 }, 1e9, 2)).toEqual([1, 3]);
  });
});

const chains = (n: number, arrivals: number[] = []): SessionGraph[] =>
  Array.from({ length: n }, (_, i) => ({
    id: String(i),
    nodes: [{ id: "0", parents: [], historyParent: null, freshInputTokens: 1, outputTokens: 1, waitAfterReadyMs: 0 }],
    ...(arrivals[i] !== undefined ? { arrivalMs: arrivals[i] } : {}),
  }));

/**
 * Runs a plan's traffic (sharded or not) on a virtual clock, handing out the sessions the run
 * would (run.ts: the shard's indices in order); each session lasts sessionMs. Returns each
 * session's planned start by id and the load the shard meant to offer.
 */
async function drive(p: RunPlan, all: SessionGraph[], sessionMs: number) {
  const meter = createLoadMeter();
  let clock = 0;
  const pending: { at: number; fn: () => void }[] = [];
  const timers = { at: (at: number, fn: () => void) => void pending.push({ at, fn }) } as unknown as TimerQueue;
  const starts = new Map<string, number>();
  let next = p.shard?.index ?? 0;
  let finished = false;
  const done = trafficRunner(p)({
    timers,
    now: () => clock,
    nextSession: () => {
      const s = all[next];
      next += p.shard?.count ?? 1;
      if (!s) meter.rampDown(clock);
      return s;
    },
    runSession: (s, startAt) => {
      starts.set(s.id, startAt);
      meter.sessionStarted(clock);
      return new Promise<void>((resolve) =>
        pending.push({
          at: clock + sessionMs,
          fn: () => {
            meter.sessionEnded(clock);
            resolve();
          },
        }),
      );
    },
    stopped: () => false,
    load: meter,
  }).then(() => (finished = true));
  while (!finished) {
    await new Promise((r) => setImmediate(r));
    if (pending.length === 0) continue;
    pending.sort((a, b) => a.at - b.at);
    const step = pending.shift()!;
    clock = Math.max(clock, step.at);
    step.fn();
  }
  await done;
  return { starts, load: meter.result(clock), end: clock };
}

const common = { maxSessions: 1000, warmupSessions: 0, onError: "continue" as const };

function planOf(traffic: RunPlan["traffic"], sessions: SessionGraph[], shard?: Shard): RunPlan {
  return { seed: "5", traffic, sessions: sessions.length, sessionAt: (i: number) => sessions[i]!, ...(shard ? { shard } : {}) } as Partial<RunPlan> as RunPlan;
}

/** The unsharded run's starts, and the union of N shards' starts (each session started once). */
async function compare(traffic: RunPlan["traffic"], sessions: SessionGraph[], n: number, sessionMs: number) {
  const whole = await drive(planOf(traffic, sessions), sessions, sessionMs);
  const union = new Map<string, number>();
  const loads = [];
  for (const shard of shardsOf(n)) {
    const part = await drive(planOf(traffic, sessions, shard), sessions, sessionMs);
    for (const [id, at] of part.starts) {
      expect(union.has(id)).toBe(false);
      union.set(id, at);
    }
    loads.push(part.load);
  }
  return { whole: whole.starts, union, loads };
}

describe("sharded traffic keeps the unsharded schedule", () => {
  it("rate: each session starts at its arrival in the seed's one schedule, and each shard means 1/N of the rate", async () => {
    for (const arrivals of [{ type: "poisson" as const, rate: 10 }, { type: "gamma" as const, rate: 4, cv: 2 }]) {
      const { whole, union, loads } = await compare({ mode: "rate", arrivals, ...common }, chains(17), 3, 700);
      expect(whole.size).toBe(17);
      // The same arrivals, summed in another order: equal to within float rounding (1e-13 ms).
      expect([...union.keys()].sort()).toEqual([...whole.keys()].sort());
      for (const [id, at] of whole) expect(union.get(id)).toBeCloseTo(at, 9);
      expect(loads.map((l) => l && "targetPerSec" in l && l.targetPerSec)).toEqual([arrivals.rate / 3, arrivals.rate / 3, arrivals.rate / 3].map((r) => expect.closeTo(r, 9)));
    }
  });

  it("rate: a shard's run ends when its last session ends, not at a later arrival that finds none", async () => {
    const traffic = { mode: "rate" as const, arrivals: { type: "constant" as const, rate: 1 }, ...common };
    // Arrivals every second, sessions of 100 ms: shard 0/2 runs sessions 0 and 2 (at 0 and 2000 ms).
    expect((await drive(planOf(traffic, chains(4), { index: 0, count: 2 }), chains(4), 100)).end).toBe(2100);
    expect((await drive(planOf(traffic, chains(4), { index: 1, count: 2 }), chains(4), 100)).end).toBe(3100);
    expect((await drive(planOf(traffic, chains(4)), chains(4), 100)).end).toBe(3100);
  });

  it("timed (trace replay): each session at its recorded arrival counted from the trace's first", async () => {
    const sessions = chains(5, [100, 300, 700, 800, 1500]);
    const { whole, union } = await compare({ mode: "timed", speed: 2, ...common }, sessions, 2, 50);
    expect([...whole.values()]).toEqual([0, 100, 300, 350, 700]);
    expect(union).toEqual(whole);
  });

  it("concurrent: C lanes over N shards join at the unsharded lanes' times; the remainder goes to the first shards", async () => {
    const traffic = { mode: "concurrent" as const, concurrency: 5, rampUpSeconds: 1, ...common };
    // 2 s sessions, lanes joining every 200 ms: each lane's first session starts at its join.
    const { whole, union, loads } = await compare(traffic, chains(10), 2, 2000);
    const firstRound = (m: Map<string, number>) => [...m.values()].filter((t) => t < 1000).sort((a, b) => a - b);
    expect(firstRound(whole)).toEqual([0, 200, 400, 600, 800]);
    expect(firstRound(union)).toEqual(firstRound(whole));
    expect(union.size).toBe(10);
    expect(loads.map((l) => l && "target" in l && l.target)).toEqual([3, 2]);
  });
});
