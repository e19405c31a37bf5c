// toMatchBaseline's judgement (vitest/baseline-compare.ts) on synthetic runs: pairs of interleaved
// runs where both sides share each pair's drift.
import { describe, expect, it } from "vitest";
import { judgeAgainstBaseline, pairsDecided } from "../../../src/vitest/baseline-compare.js";
import { agentloadMatchers } from "../../../src/vitest/matchers.js";
import type { WorkloadRun } from "../../../src/vitest/run-view.js";
import { syntheticRun } from "../../support/synthetic-run.js";

/** A run of `n` repeats (each its own seeded synthetic run, times `drift[i]` and `slowdown`) with a baseline of the same drifts. */
function paired(seed: string, n: number, { slowdown = 1, drift = [1, 1.15, 0.9, 1.1], requests = 300 } = {}): WorkloadRun {
  const side = (tag: string, k: number) => Array.from({ length: n }, (_, i) => syntheticRun("chain", { seed: `${seed}-${tag}-${i}`, slowdown: k * drift[i % drift.length]!, requests }));
  const own = side("own", slowdown);
  const base = side("base", 1);
  const baseline: WorkloadRun = { ...syntheticRun("chain (baseline)", { seed: `${seed}-b`, requests }), repeats: base.map((r) => r.summary.latency) };
  return { ...own[0]!, repeats: own.map((r) => r.summary.latency), baseline };
}

describe("judgeAgainstBaseline", () => {
  it("passes an unchanged server whose pairs drift by 25% together", () => {
    const j = judgeAgainstBaseline(paired("same", 4), { minEffect: 0.1 });
    expect(j.outcome, j.message).toBe("matched");
    expect(j.message).toMatch(/^"chain" against its baseline over 4 interleaved pairs of runs: no percentile changed beyond the allowed effect\n {2}✓ ttfc p50: /);
  });

  it("fails a 1.3x slower server, naming each percentile beyond the effect", () => {
    const j = judgeAgainstBaseline(paired("slow", 4, { slowdown: 1.3 }), { minEffect: 0.1 });
    expect(j.outcome).toBe("regressed");
    expect(j.pass).toBe(false);
    expect(j.message).toMatch(/^"chain" against its baseline over 4 interleaved pairs of runs: \d of 6 percentiles changed beyond the allowed effect/);
    expect(j.message).toMatch(/✗ ttfc p50: .* exceeds \+10% \(across 4 interleaved pairs of runs\)/);
  });

  it("is inconclusive with one pair, and with too few requests per run for a percentile", () => {
    const one = judgeAgainstBaseline(paired("one", 1));
    expect([one.outcome, one.pass]).toEqual(["inconclusive", false]);
    expect(one.message).toBe('toMatchBaseline: "chain": inconclusive, 1 pair of runs has no spread to judge by (repeats: 3 or more; each pair is a run against the baseline and one against the server)');
    const few = judgeAgainstBaseline(paired("few", 3, { requests: 30 }), { metrics: ["ttfc"], percentiles: [50, 90] });
    expect(few.outcome).toBe("inconclusive");
    expect(few.message).toMatch(/inconclusive, 1 of 2 percentiles could not be compared/);
    expect(judgeAgainstBaseline(paired("few", 3, { requests: 30 }), { metrics: ["ttfc"], percentiles: [50, 90], allowInconclusive: true }).outcome).toBe("matched");
    // Nothing compared never passes, allowInconclusive or not.
    const nothing = judgeAgainstBaseline(paired("few", 3, { requests: 30 }), { metrics: ["ttfc"], percentiles: [90], allowInconclusive: true });
    expect(nothing.outcome).toBe("inconclusive");
  });

  it("never compares an invalid side, and says which", () => {
    const run = paired("bad", 3);
    const broken = { ...run.baseline!, result: { ...run.baseline!.result, validity: { ...run.baseline!.result.validity, valid: false, problems: ["no request succeeded"] } } };
    const j = judgeAgainstBaseline({ ...run, baseline: broken });
    expect(j.outcome).toBe("invalid");
    expect(j.message).toBe('toMatchBaseline: "chain" is not a valid measurement, so it is not compared: baseline: no request succeeded');
  });

  it("throws for a run without a baseline, saying how to give one", () => {
    expect(() => judgeAgainstBaseline(syntheticRun("chain", { seed: "x" }))).toThrow('toMatchBaseline: "chain" has no baseline: give describeWorkload a baseline server, e.g. { repeats: 3, baseline: { url: process.env.BASELINE_URL } }');
  });

  it("is the toMatchBaseline matcher, which refuses .not and what is not a run", () => {
    const call = (isNot: boolean, received: unknown) => agentloadMatchers.toMatchBaseline!.call({ isNot } as never, received, { minEffect: 0.1 }) as { pass: boolean; message: () => string };
    expect(call(false, paired("m", 3)).pass).toBe(true);
    expect(() => call(true, paired("m", 3))).toThrow("toMatchBaseline cannot be used with .not");
    expect(() => call(false, { p50: 1 })).toThrow(/toMatchBaseline: expected a workload run \(from describeWorkload\)/);
  });
});

describe("sequential pairs (repeats: { min, max })", () => {
  const sides = (run: WorkloadRun) => [run.baseline!.repeats!, run.repeats!] as const;

  it("decide for an unchanged server and for a 1.3x slower one, not for one right at the minimum effect", () => {
    expect(pairsDecided(...sides(paired("same", 4)), { minEffect: 0.1 })).toBe(true);
    expect(pairsDecided(...sides(paired("slow", 4, { slowdown: 1.3 })), { minEffect: 0.1 })).toBe(true);
    // 1.1x against a 10% minimum effect: every interval holds +10%, so no number of pairs settles it.
    expect(pairsDecided(...sides(paired("edge", 4, { slowdown: 1.1 })), { minEffect: 0.1 })).toBe(false);
    // Faster is within the effect for the default direction; "either" wants it within both sides.
    expect(pairsDecided(...sides(paired("fast", 4, { slowdown: 1 / 1.1 })), { minEffect: 0.1 })).toBe(true);
    expect(pairsDecided(...sides(paired("fast", 4, { slowdown: 1 / 1.1 })), { minEffect: 0.1, direction: "either" })).toBe(false);
  });

  it("decide when a percentile cannot be compared at all (more pairs add no values to a run) unless that is allowed", () => {
    const few = paired("few", 3, { requests: 30 });
    expect(pairsDecided(...sides(few), { metrics: ["ttfc"], percentiles: [50, 90], minEffect: 0.5 })).toBe(true);
  });

  it("judge an interval still straddling the minimum effect as inconclusive, naming the percentiles; fixed repeats pass it", () => {
    const run = paired("edge", 4, { slowdown: 1.1 });
    expect(judgeAgainstBaseline(run, { minEffect: 0.1 }).outcome).toBe("matched");
    const j = judgeAgainstBaseline({ ...run, sequential: { min: 3, max: 4, pairs: 4, decided: false } }, { minEffect: 0.1 });
    expect([j.outcome, j.pass]).toEqual(["inconclusive", false]);
    expect(j.message).toMatch(/^"chain" against its baseline over 4 interleaved pairs of runs \(sequential, 3 to 4\): inconclusive, \d of 6 percentiles' intervals still reach past the allowed effect after 4 pairs \(ttfc p50[^)]*\): raise repeats.max/);
    const settledRun = { ...paired("same", 4), sequential: { min: 3, max: 8, pairs: 4, decided: true } };
    expect(judgeAgainstBaseline(settledRun, { minEffect: 0.1 }).outcome).toBe("matched");
  });

  it("toMatchBaseline() judges by the workload's compare options unless given its own", () => {
    const call = (received: unknown, options?: object) => agentloadMatchers.toMatchBaseline!.call({ isNot: false } as never, received, options) as { pass: boolean; message: () => string };
    const slow = { ...paired("slow", 4, { slowdown: 1.3 }), compare: { minEffect: 0.5 } };
    expect(call(slow).pass).toBe(true);
    expect(call(slow, { minEffect: 0.1 }).pass).toBe(false);
    expect(call({ ...slow, compare: { minEffect: 0.1 } }).pass).toBe(false);
  });
});
