import { describe, expect, test } from "vitest";
import { LatencyHistogram } from "../../../src/stats/histogram.js";
import { statisticsOfHistogram, statisticsOfRates, tCritical975 } from "../../../src/vitest/bench-stats.js";

/** A deterministic uniform (0, 1) source: a 32-bit LCG (Numerical Recipes constants). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
}

/** n lognormal-ish latencies around `median` ms (Box-Muller on the LCG). */
function lognormalValues(seed: number, n: number, median = 100, sigma = 0.5): number[] {
  const u = lcg(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    out.push(median * Math.exp(sigma * z));
  }
  return out;
}

function histogramOf(values: readonly number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

/** Nearest rank: the value at rank ceil(p/100 * n) of the sorted values. */
function exactPercentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}

function sampleSd(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) * (v - mean), 0) / (values.length - 1));
}

describe("statisticsOfHistogram", () => {
  const values = lognormalValues(12345, 1000);
  const sorted = [...values].sort((a, b) => a - b);
  const hdr = histogramOf(values).toJSON();
  const stats = statisticsOfHistogram("ttfc", hdr);

  test("count, min, max and mean are exact, not bucket estimates", () => {
    expect(stats.samplesCount).toBe(1000);
    expect(stats.min).toBe(sorted[0]);
    expect(stats.max).toBe(sorted[999]);
    expect(stats.mean).toBe(values.reduce((a, b) => a + b, 0) / 1000);
    expect(stats.df).toBe(999);
  });

  test("percentiles are within 0.5% of the exact nearest-rank percentiles", () => {
    for (const [p, got] of [
      [50, stats.p50],
      [75, stats.p75],
      [99, stats.p99],
      [99.5, stats.p995],
      [99.9, stats.p999],
    ] as const) {
      const exact = exactPercentile(sorted, p);
      expect(Math.abs(got - exact), `p${p}: ${got} vs ${exact}`).toBeLessThan(exact * 0.005);
    }
  });

  test("the spread measures follow the sample's: sd within 2%, sem, moe and rme consistent", () => {
    const sd = sampleSd(values);
    expect(Math.abs(stats.sd - sd)).toBeLessThan(sd * 0.02);
    expect(stats.variance).toBeCloseTo(stats.sd * stats.sd, 6);
    expect(stats.sem).toBeCloseTo(stats.sd / Math.sqrt(1000), 9);
    expect(stats.critical).toBe(tCritical975(999));
    expect(stats.moe).toBeCloseTo(stats.sem * stats.critical, 9);
    expect(stats.rme).toBeCloseTo((stats.moe / stats.mean) * 100, 9);
    expect(stats.rme).toBeGreaterThan(0);
  });

  test("carries the metric and the histogram it came from, without raw samples", () => {
    expect(stats.metric).toBe("ttfc");
    expect(stats.hdr).toBe(hdr);
    expect(stats.samples).toBeUndefined();
  });

  test("an empty histogram gives zero samples and no NaN in mean, min or max", () => {
    const empty = statisticsOfHistogram("e2e", new LatencyHistogram().toJSON());
    expect(empty.samplesCount).toBe(0);
    expect(empty.metric).toBe("e2e");
    for (const v of [empty.mean, empty.min, empty.max, empty.sd, empty.rme, empty.p50, empty.p99]) expect(v).toBe(0);
  });

  test("one value: no spread, and no NaN in the margin of error", () => {
    const one = statisticsOfHistogram("ttfc", histogramOf([42]).toJSON());
    expect(one.samplesCount).toBe(1);
    expect(one).toMatchObject({ mean: 42, min: 42, max: 42, sd: 0, moe: 0, rme: 0 });
    expect(Math.abs(one.p50 - 42)).toBeLessThan(42 * 0.005);
  });
});

describe("statisticsOfRates", () => {
  test("mean, min, max and sample sd are exact for a small array", () => {
    const s = statisticsOfRates([4, 9, 2, 5, 4, 7, 5, 4]);
    expect(s.samplesCount).toBe(8);
    expect(s.mean).toBe(5);
    expect(s.min).toBe(2);
    expect(s.max).toBe(9);
    // Squared deviations sum to 32; sample variance divides by n - 1.
    expect(s.variance).toBeCloseTo(32 / 7, 12);
    expect(s.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(s.df).toBe(7);
    expect(s.p50).toBe(4);
    expect(s.rme).toBeCloseTo((s.moe / s.mean) * 100, 12);
  });

  test("one value has sd 0 and a finite margin of error", () => {
    const s = statisticsOfRates([12.5]);
    expect(s).toMatchObject({ samplesCount: 1, mean: 12.5, min: 12.5, max: 12.5, sd: 0, variance: 0, moe: 0, rme: 0 });
  });

  test("no values: zeros, not NaN", () => {
    const s = statisticsOfRates([]);
    expect(s).toMatchObject({ samplesCount: 0, mean: 0, min: 0, max: 0, sd: 0 });
  });
});

describe("tCritical975", () => {
  test.each([
    [1, 12.706],
    [2, 4.303],
    [3, 3.182],
    [5, 2.571],
    [10, 2.228],
    [30, 2.042],
    [1000, 1.962],
  ])("df %i is close to Student's t %f", (df, t) => {
    expect(Math.abs(tCritical975(df) - t)).toBeLessThan(t * 0.002);
  });

  test("df 4 is close to Student's t 2.776", () => {
    // Four Cornish-Fisher terms: 2.7756 against 2.7764 (three terms gave 2.7698, -0.25%).
    expect(Math.abs(tCritical975(4) - 2.7764)).toBeLessThan(2.7764 * 0.0005);
  });

  test("tends to the normal quantile, and is NaN below one degree of freedom", () => {
    expect(tCritical975(1e9)).toBeCloseTo(1.959964, 5);
    expect(tCritical975(0)).toBeNaN();
    expect(tCritical975(NaN)).toBeNaN();
  });
});
