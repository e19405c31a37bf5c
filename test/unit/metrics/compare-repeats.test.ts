import { describe, expect, it } from "vitest";
import { compareRepeats, pairedRatioInterval, repeatRatioInterval, type RepeatStats } from "../../../src/metrics/compare-repeats.js";
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

  it("takes percentiles per metric", () => {
    const c = compareRepeats(runs("a", 3), runs("b", 3), { metrics: ["ttfc", "tpot"], percentiles: { ttfc: [50] } });
    expect(c.comparisons.map((x) => x.label)).toEqual(["ttfc p50", "tpot p50", "tpot p90"]);
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

describe("pairedRatioInterval", () => {
  it("cancels a drift shared by each pair, which the unpaired interval cannot", () => {
    // The machine slows 10% from pair to pair; the server is 1.2x the baseline within each pair.
    const old = [100, 110, 121, 133.1];
    const next = old.map((v) => v * 1.2);
    const paired = pairedRatioInterval(old, next, 0.95);
    expect(paired.ratio).toBeCloseTo(1.2, 10);
    expect(paired.low).toBeCloseTo(1.2, 10);
    expect(paired.high).toBeCloseTo(1.2, 10);
    const unpaired = repeatRatioInterval(old, next, 0.95);
    expect(unpaired.low).toBeLessThan(1.1);
  });

  it("widens with how the pairs' ratios spread (Student's t on n - 1 degrees of freedom)", () => {
    const ci = pairedRatioInterval([100, 100, 100], [110, 120, 130], 0.95);
    const logs = [1.1, 1.2, 1.3].map(Math.log);
    const mean = logs.reduce((a, b) => a + b) / 3;
    const sd = Math.sqrt(logs.reduce((a, x) => a + (x - mean) ** 2, 0) / 2);
    // t(0.975, 2) = 4.3027
    expect(Math.log(ci.high) - mean).toBeCloseTo((4.3027 * sd) / Math.sqrt(3), 3);
    expect(ci.low).toBeLessThan(1.2);
    expect(ci.high).toBeGreaterThan(1.2);
  });

  it("refuses sides of different lengths", () => {
    expect(() => pairedRatioInterval([1, 2], [1, 2, 3], 0.95)).toThrow("pairedRatioInterval: 2 baseline runs against 3 new ones; pairs need as many of each");
  });
});

describe("compareRepeats, paired", () => {
  /** n pairs: both sides share each pair's drift (`drift` lognormal per pair), the new side `scale` times the old, each run with its own `cv` noise. */
  function pairs(seed: string, n: number, { scale = 1, drift = 0.1, cv = 0.02 } = {}): { old: RepeatStats[]; next: RepeatStats[] } {
    const rng = rngFor(seed, "pairs");
    const old: RepeatStats[] = [];
    const next: RepeatStats[] = [];
    for (let i = 0; i < n; i++) {
      const d = Math.exp(drift * standardNormal(rng));
      const side = (k: number) => ({
        ttfc: stats(k * d * 150 * Math.exp(cv * standardNormal(rng))),
        tpot: stats(k * d * 8 * Math.exp(cv * standardNormal(rng))),
        e2e: stats(k * d * 600 * Math.exp(cv * standardNormal(rng))),
      });
      old.push(side(1));
      next.push(side(scale));
    }
    return { old, next };
  }

  it("under a 10% drift between pairs: passes 200 of 200 unchanged and fails at least 190 of 200 at 1.2x, where unpaired misses most", () => {
    let falseAlarms = 0;
    let detected = 0;
    let detectedUnpaired = 0;
    for (let i = 0; i < 200; i++) {
      const same = pairs(`s${i}`, 3);
      if (!compareRepeats(same.old, same.next, { minEffect: 0.1, paired: true }).pass) falseAlarms++;
      const slow = pairs(`x${i}`, 3, { scale: 1.2 });
      if (!compareRepeats(slow.old, slow.next, { minEffect: 0.1, paired: true }).pass) detected++;
      if (!compareRepeats(slow.old, slow.next, { minEffect: 0.1 }).pass) detectedUnpaired++;
    }
    expect(falseAlarms).toBe(0);
    expect(detected).toBeGreaterThanOrEqual(190);
    expect(detectedUnpaired).toBeLessThan(100);
  });

  it("says the comparison was of interleaved pairs", () => {
    const { old, next } = pairs("p", 3, { scale: 1.5 });
    const c = compareRepeats(old, next, { metrics: ["ttfc"], percentiles: [50], paired: true });
    expect(c.pass).toBe(false);
    expect(c.lines[0]).toMatch(/^✗ ttfc p50: .* \(across 3 interleaved pairs of runs\)$/);
  });
});
