// Fitted distributions are truncated to the values fitted: no fit draws outside the observed
// range, none has an infinite mean, and waits do not pile up at the threshold or the longest wait.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { fitTruncatedParetoAbove } from "../../../src/traces/fit-families.js";
import { fitFamilies, fitFamily, fitSpikeTail } from "../../../src/traces/fit.js";
import { workloadTrace } from "../../../src/traces/from-workload.js";
import { readTrace } from "../../../src/traces/read.js";
import { fitTrace, type TraceFit } from "../../../src/traces/to-spec.js";
import type { Trace } from "../../../src/traces/types.js";
import { createDistribution, type DistributionSpec } from "../../../src/workload/distributions.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import type { WorkloadSpec } from "../../../src/workload/spec-types.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { rngFor } from "../../../src/stats/random.js";
import { haveShared, sharedSkipReason, sharedTraces } from "../../support/traces.js";

// Heavy-tailed values: the Pareto fitted to them has alpha 0.49, an infinite mean untruncated.
const heavy = [12, 15, 18, 22, 25, 31, 33, 40, 47, 52, 60, 71, 85, 90, 110, 125, 160, 210, 260, 340, 480, 700, 1200, 2500];

const built = (spec: DistributionSpec, path = "x") => createDistribution(spec, rngFor("fit-truncation", path));

function draws(spec: DistributionSpec, n: number): Float64Array {
  const d = built(spec, "draws");
  return Float64Array.from({ length: n }, () => d.sample());
}

describe("family fits truncated to the values' range", () => {
  it("every family's spec is truncated to [smallest, largest] and its likelihood is the truncated law's", () => {
    const report = fitFamilies(heavy);
    expect(report.range).toEqual({ min: 12, max: 2500 });
    expect(report.fits).toHaveLength(7);
    for (const fit of report.fits) {
      expect(fit.spec).toMatchObject({ min: 12, max: 2500, truncate: true });
      const { min: _min, max: _max, truncate: _t, ...family } = fit.spec as unknown as Record<string, unknown>;
      const whole = built(family as unknown as DistributionSpec);
      const mass = whole.cdf(2500) - whole.cdf(12);
      expect(fit.logLikelihood).toBeCloseTo(fit.untruncated.logLikelihood - heavy.length * Math.log(mass), 9);
      expect(fit.aic).toBeCloseTo(2 * fit.parameters - 2 * fit.logLikelihood, 9);
      const xs = draws(fit.spec, 5000);
      expect(Math.min(...xs)).toBeGreaterThanOrEqual(12);
      expect(Math.max(...xs)).toBeLessThanOrEqual(2500);
      expect(xs.filter((x) => x === 12 || x === 2500).length).toBe(0);
    }
  });

  it("never gives an uncapped or infinite-mean fit: the alpha 0.49 Pareto has a finite mean inside the range", () => {
    const pareto = fitFamily(heavy, "pareto");
    expect((pareto.spec as { alpha: number }).alpha).toBeLessThan(1);
    expect(pareto.spec).toMatchObject({ max: 2500, truncate: true });
    for (const fit of [...fitFamilies(heavy).fits, ...fitFamilies(heavy, { crop: 0.9 }).fits]) {
      const mean = built(fit.spec).mean();
      expect(Number.isFinite(mean), fit.family).toBe(true);
      expect(mean).toBeLessThan(2500);
    }
    const waits = fitSpikeTail([5, 8, 12, 20, 25, 30, 41, 55, 70, 90, 150, 400, 12_000, 250_000]);
    expect(Number.isFinite(built(waits.spec).mean())).toBe(true);
  });

  it("a crop fits the body of the values and still truncates to their whole range", () => {
    const report = fitFamilies(heavy, { crop: 0.9 });
    expect(report.n).toBe(21); // the values at or below the 90th percentile (634)
    expect(report.range).toEqual({ min: 12, max: 2500 });
    const body = heavy.slice(0, 21);
    const exponential = report.fits.find((f) => f.family === "exponential")!;
    expect(exponential.spec).toMatchObject({ mean: body.reduce((a, b) => a + b) / 21, min: 12, max: 2500, truncate: true });
    // Its likelihood is the body's under the law truncated to [12, 2500].
    const mean = (exponential.spec as { mean: number }).mean;
    const mass = Math.exp(-12 / mean) - Math.exp(-2500 / mean);
    const logLikelihood = body.reduce((t, x) => t - Math.log(mean) - x / mean - Math.log(mass), 0);
    expect(exponential.logLikelihood).toBeCloseTo(logLikelihood, 9);
    expect(Math.max(...draws(exponential.spec, 5000))).toBeGreaterThan(634);
  });

  it("a floor raises values below it before fitting and starts the truncation there", () => {
    const values = [0, 0, 3, 5, 9, 14, 30, 41];
    const report = fitFamilies(values, { floor: 1 });
    expect(report.raised).toEqual({ floor: 1, count: 2 });
    expect(report.range).toEqual({ min: 1, max: 41 });
    // Families on (0, inf) fit once the zeros are raised (they are refused on zeros).
    expect(report.fits.map((f) => f.family)).toContain("lognormal");
    for (const fit of report.fits) expect(Math.min(...draws(fit.spec, 2000))).toBeGreaterThanOrEqual(1);
    expect(fitFamilies([3, 5, 9], { floor: 1 }).raised).toBeUndefined();
  });

  it("bounds replace the observed range, and must contain the values", () => {
    expect(fitFamilies([5, 20, 40, 90], { bounds: { max: 100 } }).range).toEqual({ min: 5, max: 100 });
    expect(() => fitFamily([5, 20, 40, 90], "lognormal", { min: 5, max: 50 })).toThrow(
      "values from 5 to 90 lie outside the range [5, 50] to truncate to",
    );
  });

  it("a family that puts under 1% of its mass in the range is listed as failed, with the reason", () => {
    // Values far out in a normal's tail cannot happen with these fits; force it with bounds narrower than the law.
    const report = fitFamilies([1000, 1000.001, 1000.002], { bounds: { min: 1000, max: 1000.002 }, families: ["exponential"] });
    expect(report.fits).toEqual([]);
    expect(report.failed[0]!.reason).toMatch(/^truncated to \[1000, 1000\.002\]: min and max keep 0\.000\d+% of exponential/);
  });
});

describe("fitTrace: output starts at 1 token", () => {
  const spec = (output: DistributionSpec): WorkloadSpec => ({
    name: "zero-output",
    seed: 3,
    sessions: 30,
    agents: [{ name: "a", turns: 10, freshInput: { type: "lognormal", mu: 5, sigma: 1 }, output }],
  });
  // A trace whose outputs cycle through `outputs` (the generator itself never asks for 0 tokens).
  const withOutputs = (outputs: number[], sessions = 30, turns = 10) => {
    const trace = workloadTrace(generateWorkload({ ...spec(1), sessions, agents: [{ ...spec(1).agents[0]!, turns }] }));
    return { ...trace, requests: trace.requests.map((r, i) => ({ ...r, outputTokens: outputs[i % outputs.length]! })) };
  };
  const outputFit = (outputs: number[]) => {
    const fit = fitTrace(withOutputs(outputs));
    return { fit, q: fit.quantities.find((q) => q.quantity === "output")! };
  };

  it("a trace with requests of 0 output tokens: zeros raised to 1 before fitting, the fit truncated from 1", () => {
    const { fit, q } = outputFit([0, 3, 20, 150, 900]);
    expect(q.report!.raised!.count).toBe(60); // a fifth of 300 requests
    expect(q.report!.range.min).toBe(1);
    expect(q.spec).toMatchObject({ min: 1, max: 900, truncate: true });
    const outputs = workloadTrace(generateWorkload({ ...fit.spec, seed: 4 })).requests.map((r) => r.outputTokens);
    expect(Math.min(...outputs)).toBeGreaterThanOrEqual(1);
  });

  it("all zeros give a fixed 1, and a few values an empirical law with the zeros as 1", () => {
    expect(outputFit([0]).q).toMatchObject({ spec: 1, method: "fixed" });
    // One session of 5 requests (fewer than 8 values: resampled rather than fitted).
    const fiveOutputs = withOutputs([0, 7, 7, 0, 0], 1, 5);
    const seen = fiveOutputs.requests.map((r) => r.outputTokens);
    const q = fitTrace(fiveOutputs).quantities.find((x) => x.quantity === "output")!;
    expect(q.method).toBe("empirical");
    expect((q.spec as { samples: number[] }).samples).toEqual(seen.map((v) => Math.max(1, v)));
  });
});

describe("the truncated Pareto tail", () => {
  it("solves the truncated score equation, and falls back to the least alpha when values lean to the top", () => {
    const values = Float64Array.from([150, 400, 12_000]);
    const fit = fitTruncatedParetoAbove(values, 100, 12_000, 0.02);
    const alpha = (fit.spec as { alpha: number }).alpha;
    const c = Math.log(120);
    const s = (Math.log(1.5) + Math.log(4) + Math.log(120)) / 3;
    expect(1 / alpha - c / Math.expm1(alpha * c)).toBeCloseTo(s, 10);
    // Its log-likelihood is the truncated density's, summed.
    const density = (x: number) => (alpha * 100 ** alpha * x ** -(alpha + 1)) / (1 - (100 / 12_000) ** alpha);
    expect(fit.logLikelihood).toBeCloseTo([...values].reduce((t, x) => t + Math.log(density(x)), 0), 9);
    // Mean log above log-uniform's (c/2): no root; alpha keeps exactly the least mass asked for.
    const top = fitTruncatedParetoAbove(Float64Array.from([900, 950, 1000]), 100, 1000, 0.02);
    const least = (top.spec as { alpha: number }).alpha;
    expect(1 - (100 / 1000) ** least).toBeCloseTo(0.02, 12);
    expect(() => fitTruncatedParetoAbove(Float64Array.from([50, 400]), 100, 1000, 0.02)).toThrow("needs values in [100, 1000], got 50 to 400");
  });
});

describe.skipIf(!haveShared)(
  haveShared ? "fit -> generate on the branching OpenClaw trace (575 requests)" : `fit -> generate on OpenClaw traces (${sharedSkipReason})`,
  () => {
    let trace: Trace;
    let fit: TraceFit;
    const generated: Trace[] = [];
    beforeAll(async () => {
      trace = await readTrace(join(sharedTraces, "openclaw/case-study-2-branching/dag.json"));
      fit = fitTrace(trace);
      for (let seed = 1; seed <= 10; seed++) generated.push(workloadTrace(generateWorkload({ ...fit.spec, seed })));
    });

    it("every fitted quantity is bounded and has a finite mean, and the spec validates", () => {
      validateSpec(fit.spec);
      for (const q of fit.quantities) {
        expect(Number.isFinite(built(q.spec).mean()), `${q.agent}.${q.quantity}`).toBe(true);
        // A fitted cap (an atom at the largest value) truncates the family below it.
        const family = q.cap ? (q.spec as { tail: unknown }).tail : q.spec;
        if (q.report?.fits[0]) expect(family, `${q.agent}.${q.quantity}`).toMatchObject({ truncate: true });
      }
      // The main agent's output was a Pareto with alpha 0.69 and no cap (outputs up to 109k tokens).
      expect(fit.spec.agents[0]!.output).toMatchObject({ min: 30, max: 5446, truncate: true });
    });

    it("generates no output above the trace's largest (5,446) and no request asking for 0 tokens", () => {
      const largest = Math.max(...trace.requests.map((r) => r.outputTokens));
      expect(largest).toBe(5446);
      const outputs = generated.flatMap((t) => t.requests.map((r) => r.outputTokens));
      expect(Math.max(...outputs)).toBeLessThanOrEqual(largest);
      expect(Math.min(...outputs)).toBeGreaterThanOrEqual(1);
    });

    it("puts no wait at an agent's longest wait (a clamp put 2.2% there) and none past it", () => {
      const longest = fit.quantities.flatMap((q) => (q.quantity === "waitMs" && q.spikeTail?.tail ? [q.spikeTail.tail.max] : []));
      // One agent per nesting level: main, its subagents, theirs.
      expect(longest.sort((a, b) => a - b)).toEqual([9937, 23807, 31342]);
      const waits = generated.flatMap((t) => t.requests.flatMap((r) => (r.waitAfterReadyMs === undefined ? [] : [r.waitAfterReadyMs])));
      expect(waits.length).toBeGreaterThan(2000);
      // Waits are drawn whole: one rounded to the longest is possible but rare (the density there is tiny).
      const atLongest = waits.filter((w) => longest.includes(w)).length;
      expect(atLongest / waits.length).toBeLessThan(0.001);
      expect(Math.max(...waits)).toBeLessThanOrEqual(31342);
    });
  },
);
