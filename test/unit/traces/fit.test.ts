import { describe, expect, it } from "vitest";
import { digamma, fitOne, trigamma } from "../../../src/traces/fit-families.js";
import { cropAt, evenQuantiles, FIT_QUANTILES, fitFamilies, fitFamily, fitSpikeTail, paretoTail } from "../../../src/traces/fit.js";
import { createDistribution, type DistributionSpec } from "../../../src/workload/distributions.js";
import { ksStatistic } from "../../../src/stats/special.js";
import { rngFor } from "../../../src/stats/random.js";

// 24 heavy-tailed values; the reference numbers are scipy 1.17's (loc fixed at 0; Pareto's scale = min).
const data = [12, 15, 18, 22, 25, 31, 33, 40, 47, 52, 60, 71, 85, 90, 110, 125, 160, 210, 260, 340, 480, 700, 1200, 2500];

const close = (actual: number, expected: number, digits = 8) => expect(actual).toBeCloseTo(expected, digits - Math.ceil(Math.log10(Math.abs(expected) + 1)));

describe("maximum-likelihood fits", () => {
  it("match scipy's parameters, AIC and KS statistic for every family", () => {
    const reference = {
      inverse_gaussian: { params: { mean: 278.5833333333333, shape: 56.312810440007034 }, aic: 302.64648976805904, ks: 0.06595333615725585 },
      lognormal: { params: { mu: Math.log(94.21218955710789), sigma: 1.3850684377126967 }, aic: 305.93140763984553, ks: 0.09650543722661531 },
      weibull: { params: { shape: 0.6721802505872191, scale: 195.38478767688437 }, aic: 312.78788864594776, ks: 0.1434730355425604 },
      gamma: { params: { shape: 0.5737142757269714, scale: 485.57852770934034 }, aic: 316.0025486052771, ks: 0.19611264742061912 },
      exponential: { params: { mean: 278.5833333333333 }, aic: 320.2264273583407, ks: 0.3072614941138877 },
      pareto: { params: { scale: 12, alpha: 0.485285436033602 }, aic: 304.89124514964436, ks: 0.16074588650480506 },
      normal: { params: { mean: 278.5833333333333, stddev: 534.740896499313 }, aic: 373.6346011445478, ks: 0.3090559538546982 },
    } as const;
    for (const [family, ref] of Object.entries(reference)) {
      const fit = fitFamily(data, family as keyof typeof reference);
      for (const [name, value] of Object.entries(ref.params)) close((fit.spec as unknown as Record<string, number>)[name]!, value, 7);
      // scipy fits the family itself: its AIC and KS are those of the untruncated law.
      close(fit.untruncated.aic, ref.aic, 9);
      const { min: _min, max: _max, truncate: _truncate, ...family_ } = fit.spec as unknown as Record<string, unknown>;
      const whole = createDistribution(family_ as unknown as DistributionSpec, rngFor(1, "x"));
      // scipy's Weibull optimiser stops a little short of the exact root, which moves KS in the 8th digit.
      close(ksStatistic(data, (x) => whole.cdf(x)), ref.ks, 6);
      expect(fit.spec).toMatchObject({ type: family, min: 12, max: 2500, truncate: true });
    }
  });

  it("ranks the families by AIC, with the KS statistic beside each", () => {
    const report = fitFamilies(data);
    expect(report.n).toBe(24);
    expect(report.fits.map((f) => f.family)).toEqual(["inverse_gaussian", "pareto", "lognormal", "weibull", "gamma", "exponential", "normal"]);
    for (let i = 1; i < report.fits.length; i++) expect(report.fits[i]!.aic).toBeGreaterThan(report.fits[i - 1]!.aic);
    expect(report.failed).toEqual([]);
  });

  it("gives fits whose specs the generator builds, with the CDF the KS statistic used", () => {
    for (const fit of fitFamilies(data).fits) {
      const d = createDistribution(fit.spec, rngFor(1, "x"));
      expect(d.cdf(data[23]! + 1)).toBeGreaterThan(d.cdf(data[0]! - 1));
    }
  });

  it("says why a family cannot be fitted (zeros, equal values, too few values)", () => {
    const report = fitFamilies([0, 3, 5, 9, 14]);
    expect(report.fits.map((f) => f.family).sort()).toEqual(["exponential", "normal"]);
    expect(report.failed.find((f) => f.family === "lognormal")!.reason).toBe("needs values > 0, got 1 value <= 0");
    // Fitted together (their moments taken once), the families fail as each does alone.
    expect(report.failed.length).toBe(5);
    for (const { family, reason } of report.failed) expect(() => fitOne(family, Float64Array.from([0, 3, 5, 9, 14]))).toThrow(reason);
    expect(fitFamilies([7, 7, 7]).failed.map((f) => f.reason)).toContain("all values are equal");
    expect(fitFamilies([5]).failed[0]!.reason).toBe("needs at least 2 values, got 1");
  });

  it("digamma and trigamma match known values", () => {
    close(digamma(1), -0.5772156649015329, 12);
    close(digamma(0.5), -1.9635100260214235, 12);
    close(digamma(10), 2.251752589066721, 12);
    close(trigamma(1), Math.PI ** 2 / 6, 12);
    close(trigamma(0.5), Math.PI ** 2 / 2, 12);
  });
});

describe("crop, Pareto tail, spike plus tail", () => {
  it("crops at a percentile (numpy's interpolation) before fitting", () => {
    const { values, at } = cropAt(data, 0.9);
    // (24 - 1) * 0.9 = 20.7: between 480 and 700.
    close(at, 480 + 0.7 * 220, 10);
    expect(values.length).toBe(21);
    const report = fitFamilies(data, { crop: 0.9 });
    expect(report.cropped).toEqual({ percentile: 0.9, at, dropped: 3 });
    expect(report.n).toBe(21);
    expect((report.fits.find((f) => f.family === "exponential")!.spec as { mean: number }).mean).toBeCloseTo(values.reduce((a, b) => a + b) / 21, 9);
  });

  it("fits the Pareto tail from a threshold: alpha = count / sum ln(x / threshold)", () => {
    const tail = paretoTail(data, 100)!;
    const above = data.filter((x) => x >= 100);
    expect(tail.count).toBe(above.length);
    close(tail.alpha, above.length / above.reduce((s, x) => s + Math.log(x / 100), 0), 12);
    expect(paretoTail([1, 2, 150], 100)).toBeNull();
  });

  it("splits waits into a spike below the threshold and a Pareto tail up to the largest wait", () => {
    const waits = [5, 8, 12, 20, 25, 30, 41, 55, 70, 90, 150, 400, 12_000];
    const fit = fitSpikeTail(waits);
    expect(fit.spikeProbability).toBe(10 / 13);
    const spec = fit.spec as {
      type: string;
      spikeProbability: number;
      spike: { min: number; max: number; type: string; truncate: boolean };
      tail: { type: string; scale: number; alpha: number; max: number };
    };
    expect(spec.type).toBe("spike_tail");
    // The spike truncated to [smallest wait, threshold), the tail from the threshold to the largest wait.
    expect(spec.spike).toMatchObject({ min: 5, max: 100, truncate: true });
    expect(spec.spike.type).toBe(fit.spike!.fits[0]!.family);
    expect(spec.tail).toMatchObject({ type: "pareto", scale: 100, max: 12_000, truncate: true });
    // alpha solves the truncated Pareto's score equation 1/alpha - c / (e^(alpha c) - 1) = mean ln(x / 100), c = ln(12000 / 100).
    const c = Math.log(120);
    const meanLog = (Math.log(1.5) + Math.log(4) + Math.log(120)) / 3;
    close(1 / spec.tail.alpha - c / Math.expm1(spec.tail.alpha * c), meanLog, 10);
    // Smaller than the untruncated estimate 1 / meanLog, which explains the missing values above 12,000 by a lighter tail.
    expect(spec.tail.alpha).toBeLessThan(1 / meanLog);
    // Nothing piles up at 100 or 12,000: the CDF at the threshold is the spike's share and has no step at either bound.
    const d = createDistribution(fit.spec, rngFor(1, "w"));
    expect(d.cdf(100)).toBeCloseTo(10 / 13, 12);
    expect(d.cdf(100) - d.cdf(99.9999)).toBeLessThan(1e-5);
    expect(d.cdf(11_999.999)).toBeGreaterThan(1 - 1e-6);
    // One side empty: the other side alone.
    expect(fitSpikeTail([200, 300, 5000]).spec).toMatchObject({ type: "pareto", scale: 100 });
  });
});

describe("fits of many values (quantiles where they cost)", () => {
  // 120,000 whole-number draws: more than FIT_QUANTILES, so the KS statistic, Weibull and the
  // truncated re-estimation use quantiles; one 0 among them.
  const rng = rngFor(7, "fit-quantiles");
  const values = Array.from({ length: 120_000 }, () => Math.round(Math.exp(5 + 1.1 * Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()))));
  values[500] = 0;
  const positive = values.map((v) => Math.max(1, v));

  it("keeps the one-pass families' parameters and AIC exact, Weibull within 0.1%, and the ranking", () => {
    expect(FIT_QUANTILES).toBeLessThan(positive.length);
    const sampled = fitFamilies(positive);
    const all = fitFamilies(positive, { quantiles: Infinity });
    expect(sampled.quantiles).toBe(FIT_QUANTILES);
    expect(all.quantiles).toBeUndefined();
    expect(sampled.n).toBe(positive.length);
    expect(sampled.fits.map((f) => f.family)).toEqual(all.fits.map((f) => f.family));
    for (const fit of all.fits) {
      const other = sampled.fits.find((f) => f.family === fit.family)!;
      if (fit.family === "weibull") {
        const a = fit.spec as { shape: number; scale: number };
        const b = other.spec as { shape: number; scale: number };
        expect(Math.abs(b.shape / a.shape - 1)).toBeLessThan(1e-3);
        expect(Math.abs(b.scale / a.scale - 1)).toBeLessThan(1e-3);
        continue;
      }
      expect(other.spec, fit.family).toEqual(fit.spec);
      expect(other.aic, fit.family).toBe(fit.aic);
      // KS over the quantiles: the same sup to within a quantile's share.
      expect(Math.abs(other.ks - fit.ks), fit.family).toBeLessThan(2 / FIT_QUANTILES + 1e-9);
    }
  });

  it("a family that cannot take the smallest value fails as on all values (the smallest is among the quantiles)", () => {
    const sampled = fitFamilies(values);
    const all = fitFamilies(values, { quantiles: Infinity });
    expect(sampled.failed.map((f) => f.family).sort()).toEqual(all.failed.map((f) => f.family).sort());
    expect(sampled.failed.map((f) => f.family)).toContain("lognormal");
  });

  it("evenQuantiles takes order statistics at (i + 1/2) n / m, the first being the smallest", () => {
    const sorted = Float64Array.from({ length: 10 }, (_, i) => i * 10);
    expect(Array.from(evenQuantiles(sorted, 5))).toEqual([0, 30, 50, 70, 90]);
  });
});
