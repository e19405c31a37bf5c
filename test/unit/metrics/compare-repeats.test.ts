import { describe, expect, it } from "vitest";
import { compareRepeats, repeatRatioInterval, type RepeatStats } from "../../../src/metrics/compare-repeats.js";
import { standardNormal } from "../../../src/stats/samplers.js";
import { rngFor } from "../../../src/stats/random.js";
import type { DistributionStats } from "../../../src/stats/histogram.js";

/** A run's stats whose percentiles are `level` times fixed shape factors. */
function stats(level: number, count = 200): DistributionStats {
  return { count, mean: level * 1.1, min: level * 0.5, p50: level, p90: level * 1.8, p95: level * 2.2, p99: level * 3, max: level * 4 };
}

/** n runs whose TTFC/TPOT/E2E levels wander by `cv` (lognormal) around their base, times `scale`. */
function runs(seed: string, n: number, { scale = 1, cv = 0.04, count = 200 } = {}): RepeatStats[] {
  const rng = rngFor(seed, "runs");
  return Array.from({ length: n }, () => ({
    ttfc: stats(scale * 150 * Math.exp(cv * standardNormal(rng)), count),
    tpot: stats(scale * 8 * Math.exp(cv * standardNormal(rng)), count),
    e2e: stats(scale * 600 * Math.exp(cv * standardNormal(rng)), count),
  }));
}

describe("repeatRatioInterval", () => {
  it("is the ratio of geometric means with a zero-width interval when the runs agree exactly", () => {
    const ci = repeatRatioInterval([100, 100, 100], [120, 120], 0.95);
    expect(ci.ratio).toBeCloseTo(1.2, 10);
    expect(ci.low).toBeCloseTo(1.2, 10);
    expect(ci.high).toBeCloseTo(1.2, 10);
    expect(ci.old).toBeCloseTo(100, 10);
  });

  it("widens with the spread between runs and covers the true ratio", () => {
    const narrow = repeatRatioInterval([100, 101, 99], [120, 121, 119], 0.95);
    const wide = repeatRatioInterval([80, 120, 100], [100, 150, 110], 0.95);
    expect(narrow.high - narrow.low).toBeLessThan(wide.high - wide.low);
    expect(narrow.low).toBeLessThan(1.2);
    expect(narrow.high).toBeGreaterThan(1.2);
  });
});

describe("compareRepeats", () => {
  const options = { minEffect: 0.1 };

  it("passes unchanged measurements: 0 of 200 seeded pairs of 3-run measurements fail at a 10% minimum effect", () => {
    let failed = 0;
    for (let i = 0; i < 200; i++) if (!compareRepeats(runs(`a${i}`, 3), runs(`b${i}`, 3), options).pass) failed++;
    expect(failed).toBe(0);
  });

  it("fails a 1.2x slowdown with a run-to-run spread of 2% in at least 190 of 200 seeded pairs", () => {
    let detected = 0;
    for (let i = 0; i < 200; i++) if (!compareRepeats(runs(`a${i}`, 3, { cv: 0.02 }), runs(`b${i}`, 3, { scale: 1.2, cv: 0.02 }), options).pass) detected++;
    expect(detected).toBeGreaterThanOrEqual(190);
  });

  it("does not call a change it cannot separate from a wide run-to-run spread", () => {
    const c = compareRepeats(runs("a", 3, { cv: 0.3 }), runs("b", 3, { scale: 1.2, cv: 0.3 }), options);
    expect(c.pass).toBe(true);
    expect(c.lines.join("\n")).toMatch(/not clearly beyond|within/);
  });

  it("says how many runs each side had and marks failures", () => {
    const c = compareRepeats(runs("a", 3), runs("b", 4, { scale: 1.5 }), { metrics: ["ttfc"], percentiles: [50] });
    expect(c.pass).toBe(false);
    expect(c.lines[0]).toMatch(/^✗ ttfc p50: .* exceeds \+25% \(across 3 and 4 runs\)$/);
  });

  it("skips percentiles that runs do not keep, and percentiles with too few values per run", () => {
    const c = compareRepeats(runs("a", 3, { count: 30 }), runs("b", 3, { count: 30 }), { metrics: ["ttfc"], percentiles: [50, 75, 90] });
    expect(c.comparisons.map((x) => x.label)).toEqual(["ttfc p50"]);
    expect(c.skipped.map((x) => x.message)).toEqual([
      "ttfc p75: not compared, runs keep only p50, p90, p95, p99",
      "ttfc p90: not compared, too few values per run (baseline at least 30, new at least 30; needs 50)",
    ]);
  });

  it("skips a metric some run did not measure", () => {
    const old = runs("a", 2);
    const next = runs("b", 2);
    next[1] = { ...next[1], ttfc: null };
    const c = compareRepeats(old, next, { metrics: ["ttfc", "tpot"], percentiles: [50] });
    expect(c.skipped[0]?.message).toBe("ttfc: not compared, some new run measured no ttfc");
    expect(c.comparisons.map((x) => x.label)).toEqual(["tpot p50"]);
  });

  it("needs two runs on each side and checks its options", () => {
    expect(() => compareRepeats(runs("a", 1), runs("b", 3))).toThrow("each side needs at least 2 runs (baseline 1, new 3)");
    expect(() => compareRepeats(runs("a", 2), runs("b", 2), { percentiles: [100] })).toThrow(/percentiles/);
  });
});
