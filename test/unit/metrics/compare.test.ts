import { describe, expect, it } from "vitest";
import {
  compareHistograms,
  formatChange,
  mannWhitney,
  percentileOf,
  percentileRatioInterval,
  valueAtRank,
  weightedValues,
} from "../../../src/metrics/compare.js";
import { LatencyHistogram } from "../../../src/stats/histogram.js";
import { standardNormal } from "../../../src/stats/samplers.js";
import { rngFor } from "../../../src/stats/random.js";

/** n lognormal latencies around `median` ms (sigma 0.5, a realistic TTFC spread), times `scale`. */
function lognormalHistogram(seed: string, n: number, scale = 1, median = 100): LatencyHistogram {
  const rng = rngFor(seed, "lognormal");
  const h = new LatencyHistogram();
  for (let i = 0; i < n; i++) h.record(scale * median * Math.exp(0.5 * standardNormal(rng)));
  return h;
}

function histogramOf(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

const seeds = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe("weightedValues", () => {
  it("reconstructs a histogram's values: count, exact extremes, percentiles within HDR precision", () => {
    const h = lognormalHistogram("reconstruct", 5000);
    const w = weightedValues(h.toJSON());
    expect(w.count).toBe(5000);
    expect(valueAtRank(w, 1)).toBeGreaterThanOrEqual(h.stats()!.min);
    expect(valueAtRank(w, 1)).toBeLessThan(h.stats()!.min * 1.002);
    expect(valueAtRank(w, 5000)).toBeLessThanOrEqual(h.stats()!.max);
    expect(valueAtRank(w, 5000)).toBeGreaterThan(h.stats()!.max * 0.998);
    for (const p of [1, 10, 50, 90, 95, 99]) {
      const reference = h.percentile(p);
      expect(Math.abs(percentileOf(w, p) - reference)).toBeLessThan(reference * 0.002);
    }
  });

  it("accepts a LatencyHistogram or its JSON, and is empty for an empty histogram", () => {
    const h = histogramOf([5, 10, 20]);
    expect(weightedValues(h)).toEqual(weightedValues(h.toJSON()));
    const empty = weightedValues(new LatencyHistogram());
    expect(empty.count).toBe(0);
    expect(percentileOf(empty, 50)).toBeNaN();
  });

  it("rejects what is not a serialized histogram", () => {
    expect(() => weightedValues({ p50: 3 } as never)).toThrow(/not a serialized latency histogram/);
  });
});

describe("compareHistograms", () => {
  it("does not fail identical distributions with sampling noise (60 pairs of runs)", () => {
    let failures = 0;
    const highs: number[] = [];
    for (const seed of seeds(60, "same")) {
      const old = lognormalHistogram(`${seed}/old`, 300);
      const next = lognormalHistogram(`${seed}/new`, 300);
      const result = compareHistograms({ ttfc: old }, { ttfc: next }, { metrics: ["ttfc"] });
      if (!result.pass) failures++;
      highs.push(...result.comparisons.map((c) => c.high));
      expect(result.comparisons.map((c) => c.percentile)).toEqual([50, 90]);
    }
    expect(failures).toBe(0);
    // Passing is not from uselessly wide intervals: the typical one ends short of +25%.
    highs.sort((a, b) => a - b);
    expect(highs[highs.length >> 1]).toBeLessThan(1.2);
  });

  it("fails a 1.5x slower distribution at p50 and p90, every time", () => {
    for (const seed of seeds(20, "slow")) {
      const old = lognormalHistogram(`${seed}/old`, 1000);
      const next = lognormalHistogram(`${seed}/new`, 1000, 1.5);
      const result = compareHistograms({ tpot: old }, { tpot: next }, { metrics: ["tpot"] });
      expect(result.pass).toBe(false);
      expect(result.comparisons.map((c) => c.change)).toEqual(["slower", "slower"]);
      for (const c of result.comparisons) {
        expect(c.low).toBeGreaterThan(1.25);
        expect(c.ratio).toBeGreaterThan(c.low);
        expect(c.ratio).toBeLessThan(c.high);
      }
    }
  });

  it("passes a 1.1x shift with minEffect 0.25, and fails it with a 5% effect size on enough data", () => {
    for (const seed of seeds(20, "shift")) {
      const old = lognormalHistogram(`${seed}/old`, 1000);
      const next = lognormalHistogram(`${seed}/new`, 1000, 1.1);
      expect(compareHistograms({ e2e: old }, { e2e: next }, { metrics: ["e2e"], minEffect: 0.25 }).pass).toBe(true);
    }
    const old = lognormalHistogram("shift-big/old", 20_000);
    const next = lognormalHistogram("shift-big/new", 20_000, 1.1);
    const strict = compareHistograms({ e2e: old }, { e2e: next }, { metrics: ["e2e"], minEffect: 0.05 });
    expect(strict.pass).toBe(false);
    expect(strict.comparisons[0]!.message).toMatch(/exceeds \+5%$/);
  });

  it("gives intervals that cover the true ratio about as often as their confidence says", () => {
    // Scaling a distribution by 1.3 scales every percentile by exactly 1.3.
    const runs = 200;
    let covered = 0;
    for (const seed of seeds(runs, "coverage")) {
      const old = weightedValues(lognormalHistogram(`${seed}/old`, 400));
      const next = weightedValues(lognormalHistogram(`${seed}/new`, 400, 1.3));
      const ci = percentileRatioInterval(old, next, 90, { confidence: 0.9, resamples: 1000, rng: rngFor(seed, "bootstrap") });
      if (ci.low <= 1.3 && 1.3 <= ci.high) covered++;
    }
    // 90% nominal; the binomial spread over 200 runs is about ±2%.
    expect(covered / runs).toBeGreaterThan(0.84);
    expect(covered / runs).toBeLessThan(0.96);
  });

  it("is deterministic for a seed, and the seed only moves the interval", () => {
    const old = lognormalHistogram("det/old", 500);
    const next = lognormalHistogram("det/new", 500, 1.2);
    const a = compareHistograms({ ttfc: old }, { ttfc: next }, { metrics: ["ttfc"] });
    const b = compareHistograms({ ttfc: old.toJSON() }, { ttfc: next.toJSON() }, { metrics: ["ttfc"] });
    expect(b).toEqual(a);
    const c = compareHistograms({ ttfc: old }, { ttfc: next }, { metrics: ["ttfc"], seed: 7 });
    expect(c.comparisons.map((x) => x.ratio)).toEqual(a.comparisons.map((x) => x.ratio));
    expect(c.comparisons.map((x) => x.low)).not.toEqual(a.comparisons.map((x) => x.low));
  });

  it("writes each comparison as old -> new with the change and its interval", () => {
    const old = lognormalHistogram("msg/old", 2000, 1, 10);
    const next = lognormalHistogram("msg/new", 2000, 1.57, 10);
    const result = compareHistograms({ tpot: old }, { tpot: next }, { metrics: ["tpot"], percentiles: [90] });
    const c = result.comparisons[0]!;
    expect(c.message).toMatch(/^tpot p90: \d+(\.\d+)?ms -> \d+(\.\d+)?ms \(\+\d+%, 95% CI \+\d+%\.\.\+\d+%\) exceeds \+25%$/);
    expect(c.message).toContain(`(${formatChange(c.ratio)}, 95% CI ${formatChange(c.low)}..${formatChange(c.high)})`);
    expect(result.lines).toEqual([`✗ ${c.message}`]);

    const same = compareHistograms({ tpot: old }, { tpot: old }, { metrics: ["tpot"], percentiles: [50] });
    expect(same.comparisons[0]!.message).toMatch(/^tpot p50: (.+)ms -> \1ms \(\+0%, 95% CI -\d(\.\d)?%\.\.\+\d(\.\d)?%\) within \+25%$/);
  });

  it("reports faster runs and passes them unless the direction says otherwise", () => {
    const old = lognormalHistogram("fast/old", 1000);
    const next = lognormalHistogram("fast/new", 1000, 1 / 1.5);
    const slower = compareHistograms({ e2e: old }, { e2e: next }, { metrics: ["e2e"] });
    expect(slower.pass).toBe(true);
    expect(slower.comparisons.map((c) => c.change)).toEqual(["faster", "faster"]);
    expect(slower.comparisons[0]!.message).toMatch(/beyond -20% \(faster\)$/);
    expect(compareHistograms({ e2e: old }, { e2e: next }, { metrics: ["e2e"], direction: "faster" }).pass).toBe(false);
    expect(compareHistograms({ e2e: old }, { e2e: next }, { metrics: ["e2e"], direction: "either" }).pass).toBe(false);
    expect(compareHistograms({ e2e: next }, { e2e: old }, { metrics: ["e2e"], direction: "faster" }).pass).toBe(true);
  });

  it("takes a minimum effect per metric", () => {
    const old = lognormalHistogram("per/old", 3000);
    const next = lognormalHistogram("per/new", 3000, 1.4);
    const result = compareHistograms(
      { ttfc: old, e2e: old },
      { ttfc: next, e2e: next },
      { metrics: ["ttfc", "e2e"], percentiles: [50], minEffect: { ttfc: 0.6 } },
    );
    expect(result.comparisons.map((c) => [c.label, c.minEffect, c.pass])).toEqual([
      ["ttfc p50", 0.6, true],
      ["e2e p50", 0.25, false],
    ]);
  });

  it("takes percentiles per metric, the default for a metric not named", () => {
    const old = lognormalHistogram("pct/old", 3000);
    const next = lognormalHistogram("pct/new", 3000, 1.4);
    const result = compareHistograms(
      { ttfc: old, tpot: old, e2e: old },
      { ttfc: next, tpot: next, e2e: next },
      { metrics: ["ttfc", "tpot", "e2e"], percentiles: { ttfc: [50], tpot: [90, 95] } },
    );
    expect(result.comparisons.map((c) => c.label)).toEqual(["ttfc p50", "tpot p90", "tpot p95", "e2e p50", "e2e p90"]);
    expect(result.comparisons.every((c) => !c.pass)).toBe(true);
  });

  it("skips, and passes, what it cannot judge: too few values for a percentile, a missing histogram", () => {
    const old = lognormalHistogram("few/old", 30);
    const next = lognormalHistogram("few/new", 30, 3);
    const result = compareHistograms({ ttfc: old, tpot: old }, { ttfc: next }, { percentiles: [50, 90] });
    expect(result.comparisons.map((c) => c.label)).toEqual(["ttfc p50"]);
    expect(result.comparisons[0]!.pass).toBe(false); // 3x slower shows even on 30 values
    expect(result.skipped.map((s) => s.message)).toEqual([
      "ttfc p90: not compared, too few values (baseline 30, new 30; needs 50)",
      "tpot: not compared, the new run has no histogram",
      "e2e: not compared, neither run has its histogram",
    ]);
  });

  it("rejects bad options with what was expected", () => {
    const h = { ttfc: lognormalHistogram("opt", 10) };
    expect(() => compareHistograms(h, h, { percentiles: [100] })).toThrow(/percentiles: expected numbers between 0 and 100.*got 100/);
    expect(() => compareHistograms(h, h, { percentiles: { ttfc: [] } })).toThrow(/percentiles\.ttfc: expected a list of percentiles such as \[50, 90\], got \[\]/);
    expect(() => compareHistograms(h, h, { percentiles: { ttfc: [50, 100] } })).toThrow(/percentiles\.ttfc: expected numbers between 0 and 100.*got 100/);
    expect(() => compareHistograms(h, h, { metrics: ["ttfc"], percentiles: { e2e: [50] } })).toThrow(/percentiles\.e2e: not among the compared metrics \(ttfc\)/);
    expect(() => compareHistograms(h, h, { percentiles: { "tt fc": [50] } as never })).toThrow(/percentiles: expected latency metric names as keys/);
    expect(() => compareHistograms(h, h, { minEffect: -0.1 })).toThrow(/minEffect: expected a fraction >= 0/);
    expect(() => compareHistograms(h, h, { minEffect: { tpot: Number.NaN } })).toThrow(/minEffect\.tpot/);
    expect(() => compareHistograms(h, h, { confidence: 95 })).toThrow(/confidence: expected a number between 0 and 1/);
    expect(() => compareHistograms(h, h, { metrics: ["ttft" as never] })).toThrow(/metrics: expected latency metrics the runs hold \(.*ttfc.*\), got "ttft"/);
    expect(() => compareHistograms(h, h, { direction: "up" as never })).toThrow(/direction/);
  });
});

describe("mannWhitney", () => {
  it("matches a direct count over all pairs (ties count half)", () => {
    const rng = rngFor("mw", "values");
    const a = Array.from({ length: 60 }, () => 1 + Math.floor(rng.next() * 40));
    const b = Array.from({ length: 45 }, () => 5 + Math.floor(rng.next() * 40));
    let u = 0;
    for (const x of b) for (const y of a) u += x > y ? 1 : x === y ? 0.5 : 0;
    const test = mannWhitney(weightedValues(histogramOf(a)), weightedValues(histogramOf(b)))!;
    expect(test.probabilityGreater).toBeCloseTo(u / (a.length * b.length), 12);
    expect(test.z).toBeGreaterThan(0);
  });

  it("sees no shift between identical distributions and a clear one after a 1.2x slowdown", () => {
    const old = weightedValues(lognormalHistogram("mw/old", 2000));
    const same = mannWhitney(old, weightedValues(lognormalHistogram("mw/same", 2000)))!;
    expect(Math.abs(same.probabilityGreater - 0.5)).toBeLessThan(0.03);
    expect(same.pValue).toBeGreaterThan(0.01);
    const shifted = mannWhitney(old, weightedValues(lognormalHistogram("mw/slow", 2000, 1.2)))!;
    expect(shifted.probabilityGreater).toBeGreaterThan(0.55);
    expect(shifted.pValue).toBeLessThan(1e-6);
    expect(mannWhitney(old, weightedValues(new LatencyHistogram()))).toBeNull();
  });
});

describe("formatChange", () => {
  it("writes a ratio as a signed percentage", () => {
    expect([1.57, 0.968, 1, 1.0004, 0.5, 1.25, Infinity].map(formatChange)).toEqual(["+57%", "-3.2%", "+0%", "+0%", "-50%", "+25%", "+∞%"]);
  });
});
