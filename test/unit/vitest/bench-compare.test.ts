import { describe, expect, test } from "vitest";
import { LatencyHistogram, type SerializedHistogram } from "../../../src/stats/histogram.js";
import { isJudgeable, judgeBench, type JudgeableResult } from "../../../src/vitest/bench-compare.js";

/** n normal values N(mean, sd), from a seeded 32-bit LCG through Box-Muller (no Math.random). */
function normalValues(seed: number, n: number, mean: number, sd: number): number[] {
  let state = seed >>> 0;
  const u = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

function histogramOf(values: readonly number[]): SerializedHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h.toJSON();
}

/** A stored result's shape: one latency histogram beside the mean. */
function storedResult(name: string, hdr: SerializedHistogram): JudgeableResult {
  return { name, latency: { mean: hdr.sum / hdr.count, metric: "ttfc", hdr } };
}

/** A fresh agentload result's shape: the run summary's histograms and its validity. */
function agentloadResult(name: string, hdr: SerializedHistogram, problems: string[] = []): JudgeableResult {
  const validity = { valid: problems.length === 0, problems, warnings: [] };
  return {
    name,
    latency: { mean: hdr.sum / hdr.count },
    agentload: { metric: "ttfc", percentile: 50, summary: { histograms: { ttfc: hdr } }, validity },
  };
}

const fast = histogramOf(normalValues(1, 200, 30, 3));
const slow = histogramOf(normalValues(2, 200, 150, 10));

describe("judgeBench", () => {
  test("a clearly faster result is faster, not slower, and the slower one is slower by 25%", () => {
    for (const make of [storedResult, agentloadResult]) {
      const a = make("A", fast);
      const b = make("B", slow);
      const yes = judgeBench(a, b, "faster");
      expect(yes.outcome).toBe("yes");
      expect(yes).toMatchObject({ metric: "ttfc", percentile: 50 });
      expect(yes.ratio).toBeGreaterThan(0.15);
      expect(yes.ratio).toBeLessThan(0.25);
      expect(yes.low!).toBeLessThanOrEqual(yes.ratio!);
      expect(yes.high!).toBeGreaterThanOrEqual(yes.ratio!);
      expect(yes.high!).toBeLessThan(1);
      expect(yes.message).toContain("95% CI");
      expect(yes.message).toContain('"A"');
      expect(yes.message).toContain('"B"');
      expect(yes.message).toContain("ttfc p50");
      expect(yes.message).toMatch(/faster: yes$/);

      const no = judgeBench(b, a, "faster");
      expect(no.outcome).toBe("no");
      expect(no.message).toMatch(/faster: no$/);

      const slower = judgeBench(b, a, "slower", { delta: 0.25 });
      expect(slower.outcome).toBe("yes");
      expect(slower.message).toContain("slower by at least 25%: yes");
    }
  });

  test("a faster result is not faster by more than it is", () => {
    // About 5x faster: faster by 50% yes, by 90% no.
    expect(judgeBench(storedResult("A", fast), storedResult("B", slow), "faster", { delta: 0.5 }).outcome).toBe("yes");
    expect(judgeBench(storedResult("A", fast), storedResult("B", slow), "faster", { delta: 0.9 }).outcome).toBe("no");
  });

  test("identical distributions are inconclusive, both ways", () => {
    const same = histogramOf(normalValues(3, 200, 100, 10));
    const again = histogramOf(normalValues(3, 200, 100, 10));
    for (const direction of ["faster", "slower"] as const) {
      const j = judgeBench(storedResult("A", same), storedResult("B", again), direction, { delta: 0 });
      expect(j.outcome).toBe("inconclusive");
      expect(j.ratio).toBe(1);
      expect(j.low!).toBeLessThan(1);
      expect(j.high!).toBeGreaterThan(1);
      expect(j.message).toContain("straddles");
    }
  });

  test("too few values are inconclusive, however different", () => {
    const a = storedResult("A", histogramOf(normalValues(4, 10, 30, 3)));
    const b = storedResult("B", histogramOf(normalValues(5, 10, 150, 10)));
    const j = judgeBench(a, b, "faster");
    expect(j.outcome).toBe("inconclusive");
    expect(j.message).toContain("too few values");
    expect(j.ratio).toBeUndefined();
  });

  test("a run that is not valid is inconclusive, naming the problem", () => {
    const a = agentloadResult("A", fast, ["dispatch lateness p99 40ms exceeds 10ms"]);
    const b = agentloadResult("B", slow);
    for (const j of [judgeBench(a, b, "faster"), judgeBench(b, a, "slower")]) {
      expect(j.outcome).toBe("inconclusive");
      expect(j.message).toContain("not valid");
      expect(j.message).toContain('"A": dispatch lateness p99 40ms exceeds 10ms');
    }
  });

  test("a metric with no histogram is inconclusive", () => {
    for (const make of [storedResult, agentloadResult]) {
      const j = judgeBench(make("A", fast), make("B", slow), "faster", { metric: "e2e" });
      expect(j.outcome).toBe("inconclusive");
      expect(j.metric).toBe("e2e");
      expect(j.message).toContain("no e2e histogram");
    }
  });

  test("options out of range throw a TypeError", () => {
    const a = storedResult("A", fast);
    const b = storedResult("B", slow);
    expect(() => judgeBench(a, b, "faster", { percentile: 0 })).toThrow(TypeError);
    expect(() => judgeBench(a, b, "faster", { percentile: 100 })).toThrow(TypeError);
    expect(() => judgeBench(a, b, "faster", { delta: -1 })).toThrow(TypeError);
    expect(() => judgeBench(a, b, "slower", { delta: -1 })).toThrow(TypeError);
    // Faster by 100% or more is impossible; slower by 100% is not.
    expect(() => judgeBench(a, b, "faster", { delta: 1 })).toThrow(TypeError);
    expect(judgeBench(b, a, "slower", { delta: 1 }).outcome).toBe("yes");
  });

  test("the percentile and confidence options apply", () => {
    const j = judgeBench(storedResult("A", fast), storedResult("B", slow), "faster", { percentile: 90, confidence: 0.9 });
    expect(j).toMatchObject({ outcome: "yes", percentile: 90 });
    expect(j.message).toContain("ttfc p90");
    expect(j.message).toContain("90% CI");
  });
});

describe("isJudgeable", () => {
  test("a result with a latency histogram or agentload's histograms is judgeable", () => {
    expect(isJudgeable(storedResult("A", fast))).toBe(true);
    expect(isJudgeable(agentloadResult("A", fast))).toBe(true);
  });

  test("anything else is not", () => {
    expect(isJudgeable({ latency: { mean: 1 } })).toBe(false);
    expect(isJudgeable({ latency: { mean: 1, hdr: { format: "other" } } })).toBe(false);
    expect(isJudgeable({ latency: null })).toBe(false);
    expect(isJudgeable(null)).toBe(false);
    expect(isJudgeable(undefined)).toBe(false);
    expect(isJudgeable(42)).toBe(false);
  });
});
