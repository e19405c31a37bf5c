import { describe, expect, it } from "vitest";
import { compareRunSets, type ComparedRun } from "../../../src/compare/runs.js";
import { standardNormal } from "../../../src/stats/samplers.js";
import { rngFor } from "../../../src/stats/random.js";
import { LatencyHistogram, type DistributionStats } from "../../../src/stats/histogram.js";

/** A run of `n` requests whose TTFC/TPOT/E2E are lognormal around their medians, times `scale` (and a run level wandering by `cv`). */
function run(seed: string, { n = 400, scale = 1, cv = 0.03, valid = true } = {}): ComparedRun {
  const rng = rngFor(seed, "run");
  const level = scale * Math.exp(cv * standardNormal(rng));
  const histograms = { ttfc: new LatencyHistogram(), tpot: new LatencyHistogram(), e2e: new LatencyHistogram() };
  const medians = { ttfc: 100, tpot: 8, e2e: 600 };
  for (let i = 0; i < n; i++) for (const m of ["ttfc", "tpot", "e2e"] as const) histograms[m].record(level * medians[m] * Math.exp(0.4 * standardNormal(rng)));
  const latency: Record<string, DistributionStats> = {};
  for (const m of ["ttfc", "tpot", "e2e"] as const) latency[m] = histograms[m].stats()!;
  return { dir: `runs/${seed}`, histograms, latency, valid, problems: valid ? [] : ["no request succeeded (12 failed)"] };
}

const side = (prefix: string, k: number, options: Parameters<typeof run>[1] = {}) => Array.from({ length: k }, (_, i) => run(`${prefix}-${i}`, options));

describe("compareRunSets", () => {
  it("one run per side: a 1.5x slower run is changed, with intervals that contain 1.5", () => {
    const c = compareRunSets([run("a")], [run("b", { scale: 1.5, cv: 0 })], { minEffect: 0.1 });
    expect(c.outcome).toBe("changed");
    expect(c.pass).toBe(false);
    expect(c.basis).toBe("requests of one run per side");
    expect(c.lines[0]).toMatch(/^changed: \d of 6 percentiles beyond the allowed effect \(one run per side\)$/);
    const p50 = c.comparison!.comparisons.find((x) => x.label === "ttfc p50")!;
    expect(p50.low).toBeLessThan(1.5 / Math.exp(-0.1)); // the baseline's run level wanders by 3%
    expect(p50.high).toBeGreaterThan(1.4);
    expect(c.lines.at(-1)).toMatch(/one run per side: the intervals hold the spread between requests, not between runs/);
  });

  it("one run per side: two draws of one distribution match", () => {
    const c = compareRunSets([run("same-a", { cv: 0 })], [run("same-b", { cv: 0 })], { minEffect: 0.1 });
    expect(c.outcome).toBe("matched");
    expect(c.pass).toBe(true);
  });

  it("is inconclusive, and fails, when a percentile has too few values; --allow-inconclusive lets it pass", () => {
    const few = { n: 30, cv: 0 };
    const c = compareRunSets([run("few-a", few)], [run("few-b", few)], { metrics: ["ttfc"], percentiles: [50, 90] });
    expect(c.outcome).toBe("inconclusive");
    expect(c.pass).toBe(false);
    expect(c.lines[0]).toMatch(/^inconclusive: 1 of 2 percentiles could not be compared/);
    expect(c.lines.join("\n")).toMatch(/ttfc p90: not compared, too few values \(baseline 30, new 30; needs 50\)/);
    expect(compareRunSets([run("few-a", few)], [run("few-b", few)], { metrics: ["ttfc"], allowInconclusive: true }).outcome).toBe("matched");
  });

  it("does not compare a side that is not a valid measurement", () => {
    const c = compareRunSets([run("v-a")], [run("v-b", { valid: false })]);
    expect(c.outcome).toBe("invalid");
    expect(c.lines).toEqual(["not compared: 1 run is not a valid measurement", "  new runs/v-b: no request succeeded (12 failed)"]);
  });

  it("several runs per side: judges across runs, paired or not", () => {
    const slow = compareRunSets(side("r-a", 4, { cv: 0.05 }), side("r-b", 4, { scale: 1.5, cv: 0.05 }), { minEffect: 0.1 });
    expect(slow.outcome).toBe("changed");
    expect(slow.basis).toBe("runs");
    expect(slow.lines[0]).toMatch(/\(4 and 4 runs\)$/);
    const same = compareRunSets(side("p-a", 5, { cv: 0.02 }), side("p-b", 5, { cv: 0.02 }), { minEffect: 0.1, paired: true });
    expect(same.outcome).toBe("matched");
    expect(same.basis).toBe("interleaved pairs of runs");
  });

  it("refuses sides it cannot compare, saying what it needs", () => {
    expect(() => compareRunSets([run("x")], side("y", 3))).toThrow("compare: give one run per side, or at least 2 per side to judge across runs (baseline 1, new 3)");
    expect(() => compareRunSets(side("x", 2), side("y", 3), { paired: true })).toThrow("compare: paired runs need as many on each side (baseline 2, new 3)");
    expect(() => compareRunSets([run("x")], [run("y")], { paired: true })).toThrow(/paired needs at least 2 runs per side/);
  });
});
