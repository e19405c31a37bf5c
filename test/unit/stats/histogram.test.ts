import { describe, expect, it } from "vitest";
import { LatencyHistogram, mergeHistograms } from "../../../src/stats/histogram.js";
import { rngFor } from "../../../src/stats/random.js";

/** Heavy-tailed latencies in ms (lognormal around 50 ms), plus a few tiny and huge ones. */
function latencies(seed: string, n: number): number[] {
  const rng = rngFor(seed, "latencies");
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    out.push(50 * Math.exp(1.2 * z));
  }
  out.push(0.004, 0.5, 120_000);
  return out;
}

/** Nearest-rank percentile: the smallest value with at least p% of the values at or below it. */
function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

function histogramOf(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

const PERCENTILES = [0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100];

describe("LatencyHistogram", () => {
  it("gives percentiles within 0.1% (plus 1 µs) of the exact sorted-array percentiles", () => {
    const values = latencies("precision", 20_000);
    const sorted = [...values].sort((a, b) => a - b);
    const h = histogramOf(values);
    for (const p of PERCENTILES) {
      const exact = exactPercentile(sorted, p);
      expect(Math.abs(h.percentile(p) - exact)).toBeLessThanOrEqual(exact / 1000 + 0.001);
    }
  });

  it("keeps count, mean, min and max exact", () => {
    const values = latencies("exact", 5_000);
    const h = histogramOf(values);
    const stats = h.stats()!;
    expect(stats.count).toBe(values.length);
    expect(stats.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
    expect(stats.min).toBe(Math.min(...values));
    expect(stats.max).toBe(Math.max(...values));
    // Percentiles are clamped into [min, max], so p100 is the exact max, not a bucket's upper edge.
    expect(h.percentile(100)).toBe(stats.max);
  });

  it("is empty-safe and records negative values as 0", () => {
    const h = new LatencyHistogram();
    expect(h.stats()).toBeNull();
    expect(h.percentile(50)).toBeNaN();
    h.record(-3);
    expect(h.stats()).toMatchObject({ count: 1, min: 0, max: 0, mean: 0, p99: 0 });
    expect(() => h.record(NaN)).toThrow(/finite/);
  });

  it("merging equals the histogram of the union", () => {
    const values = latencies("merge", 9_000);
    const parts = [values.slice(0, 1000), values.slice(1000, 6000), values.slice(6000)];
    const merged = mergeHistograms(parts.map(histogramOf));
    const union = histogramOf(values);
    for (const p of PERCENTILES) expect(merged.percentile(p)).toBe(union.percentile(p));
    const [m, u] = [merged.stats()!, union.stats()!];
    expect(m.count).toBe(u.count);
    expect(m.min).toBe(u.min);
    expect(m.max).toBe(u.max);
    expect(m.mean).toBeCloseTo(u.mean, 9);
  });

  it("survives a JSON round trip, and the copy can record and merge further", () => {
    const values = latencies("json", 3_000);
    const h = histogramOf(values);
    const data = JSON.parse(JSON.stringify(h.toJSON()));
    expect(data.format).toBe("hdr-v2-us");
    const copy = LatencyHistogram.fromJSON(data);
    expect(copy.stats()).toEqual(h.stats());
    for (const p of PERCENTILES) expect(copy.percentile(p)).toBe(h.percentile(p));

    const more = latencies("json-more", 1_000);
    for (const v of more) copy.record(v);
    const direct = histogramOf([...values, ...more]);
    for (const p of PERCENTILES) expect(copy.percentile(p)).toBe(direct.percentile(p));
    expect(copy.merge(LatencyHistogram.fromJSON(data)).count).toBe(2 * values.length + more.length);
  });

  it("round-trips an empty histogram", () => {
    const copy = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(new LatencyHistogram().toJSON())));
    expect(copy.stats()).toBeNull();
    copy.record(5);
    expect(copy.stats()).toMatchObject({ count: 1, min: 5, max: 5 });
  });

  it("rejects data that is not a serialized histogram", () => {
    expect(() => LatencyHistogram.fromJSON({ count: 1 } as never)).toThrow(/hdr-v2-us/);
  });
});
