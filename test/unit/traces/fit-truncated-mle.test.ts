// Parameters re-estimated for the truncated law (fit-truncated.ts): on data drawn from a truncated
// law the re-estimate finds its parameters where the ordinary fit does not, and its mean comes back
// to the data's.
import { describe, expect, it } from "vitest";
import { fitFamilies, fitFamily } from "../../../src/traces/fit.js";
import { createDistribution } from "../../../src/workload/distributions.js";
import { rngFor } from "../../../src/stats/random.js";

function draws(spec: Parameters<typeof createDistribution>[0], n: number): number[] {
  const d = createDistribution(spec, rngFor(1, "truncated-mle"));
  return Array.from({ length: n }, () => d.sample());
}

describe("maximum likelihood under truncation", () => {
  const truth = { type: "lognormal", mu: 6, sigma: 1.5, min: 10, max: 3000, truncate: true } as const;
  const x = draws(truth, 20000);
  const mean_ = x.reduce((s, v) => s + v, 0) / x.length;

  it("recovers a truncated lognormal's parameters; the ordinary fit underestimates them", () => {
    const ordinary = fitFamily(x, "lognormal", { min: 10, max: 3000 });
    const refit = fitFamily(x, "lognormal", { min: 10, max: 3000 }, true);
    const p = refit.spec as { mu: number; sigma: number };
    expect(p.mu).toBeCloseTo(6, 1);
    expect(p.sigma).toBeCloseTo(1.5, 1);
    expect((ordinary.spec as { sigma: number }).sigma).toBeLessThan(1.3);
    expect(refit.logLikelihood).toBeGreaterThan(ordinary.logLikelihood);
    expect(refit.untruncated.logLikelihood).toBe(ordinary.untruncated.logLikelihood);
  });

  it("the re-estimated law's mean is the data's; the truncated ordinary fit's is not", () => {
    const mean = (spec: unknown) => createDistribution(spec as never, { next: () => 0.5 }).mean();
    const refit = fitFamilies(x, { reestimate: true, families: ["lognormal"] }).fits[0]!;
    const ordinary = fitFamilies(x, { families: ["lognormal"] }).fits[0]!;
    expect(Math.abs(mean(refit.spec) / mean_ - 1)).toBeLessThan(0.02);
    expect(Math.abs(mean(ordinary.spec) / mean_ - 1)).toBeGreaterThan(0.05);
  });

  it("never runs to a law with most of its mass outside the values' range", () => {
    const report = fitFamilies([1, 3, 20, 150, 900, 1, 3, 20, 150, 900], { reestimate: true });
    for (const fit of report.fits) {
      const law = createDistribution({ ...(fit.spec as object), truncate: false } as never, { next: () => 0.5 });
      expect(law.cdf(900) - law.cdf(1), fit.family).toBeGreaterThanOrEqual(0.5);
    }
  });
});
