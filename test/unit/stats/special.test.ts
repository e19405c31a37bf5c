import { describe, expect, it } from "vitest";
import {
  chiSquareTest,
  erf,
  erfc,
  kolmogorovCdf,
  ksPValue,
  ksStatistic,
  ksTest,
  logErfc,
  logNormalCdf,
  normalCdf,
  regularizedGammaP,
} from "../../../src/stats/special.js";
import { rngFor } from "../../../src/stats/random.js";

/** |actual - expected| <= rel * |expected|. */
function expectRelative(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

describe("error function and normal CDF", () => {
  it("match published values, including far tails", () => {
    // Values from Abramowitz and Stegun table 7.1 / mpmath at 30 digits.
    expectRelative(erfc(0.5), 0.4795001221869535, 1e-14);
    expectRelative(erfc(1), 0.15729920705028513, 1e-14);
    expectRelative(erfc(3), 2.209049699858544e-5, 1e-13);
    expectRelative(erfc(10), 2.088487583762545e-45, 1e-13);
    expectRelative(erfc(-1), 2 - 0.15729920705028513, 1e-15);
    expect(erf(-0.5)).toBeCloseTo(-(1 - 0.4795001221869535), 15);
    expect(erf(0)).toBe(0);
    expectRelative(logErfc(30), -903.9741171106439, 1e-14); // erfc(30) = 2.56e-393, below any double
    expectRelative(normalCdf(1.96), 0.9750021048517796, 1e-15);
    expectRelative(normalCdf(-8), 6.220960574271784e-16, 1e-12);
    expectRelative(Math.exp(logNormalCdf(-8)), 6.220960574271784e-16, 1e-12);
    expectRelative(logNormalCdf(-40), -804.6084420137538, 1e-13);
  });

  it("regularized incomplete gamma matches closed forms", () => {
    expectRelative(regularizedGammaP(1, 2), 1 - Math.exp(-2), 1e-14);
    expectRelative(regularizedGammaP(2, 1), 1 - 2 / Math.E, 1e-12);
    expectRelative(regularizedGammaP(0.5, 2), 0.9544997361036416, 1e-11); // erf(sqrt(2))
    expect(regularizedGammaP(3, 0)).toBe(0);
    expect(regularizedGammaP(3, Infinity)).toBe(1);
  });
});

describe("Kolmogorov-Smirnov", () => {
  it("Kolmogorov distribution at its published critical values", () => {
    expect(kolmogorovCdf(1.2238)).toBeCloseTo(0.9, 4);
    expect(kolmogorovCdf(1.3581)).toBeCloseTo(0.95, 4);
    expect(kolmogorovCdf(1.6276)).toBeCloseTo(0.99, 4);
    expect(kolmogorovCdf(0.5)).toBeCloseTo(0.036054756335124914, 12); // scipy kstwobign.cdf
    expect(kolmogorovCdf(0)).toBe(0);
  });

  it("exact p-values for small n", () => {
    // Marsaglia, Tsang and Wang (2003), their example: P(D_10 < 0.274) = 0.6284796154565043.
    expectRelative(ksPValue(0.274, 10), 1 - 0.6284796154565043, 1e-12);
    expectRelative(ksPValue(0.1, 100), 0.2526927570063874, 1e-10); // scipy kstwo.sf
    expectRelative(ksPValue(0.3, 50), 1.7353260202718738e-4, 1e-8);
    // Closed forms at the ends of the range: P(D_n >= d) = 2 (1 - d)^n for d >= 1 - 1/n.
    expectRelative(ksPValue(0.9, 10), 2e-10, 1e-12);
    expect(ksPValue(0.05, 10)).toBe(1); // D_10 >= 1/20 always
    expectRelative(ksPValue(0.5, 5), 0.112, 1e-12);
  });

  it("asymptotic p-values for large n within 1%", () => {
    expectRelative(ksPValue(0.004, 100_000), 0.08130148920222469, 0.01); // scipy kstwo.sf
    expectRelative(ksPValue(0.05, 1000), 0.013012074781090332, 0.01);
  });

  it("statistic by hand", () => {
    // Against U(0,1), sorted 0.1, 0.5, 0.6: above the CDF 1/3-0.1, 2/3-0.5, 1-0.6; below it 0.1, 0.5-1/3. Largest: 0.4.
    expect(ksStatistic([0.5, 0.1, 0.6], (x) => x)).toBeCloseTo(0.4, 15);
  });

  it("accepts draws from the hypothesised law and rejects others", () => {
    const rng = rngFor("stats-test", "ks");
    const xs = Array.from({ length: 20_000 }, () => rng.next());
    expect(ksTest(xs, (x) => x).pValue).toBeGreaterThan(0.001);
    expect(ksTest(xs, (x) => Math.min(1, x * 1.03)).pValue).toBeLessThan(0.001);
  });
});

describe("chi-square test", () => {
  it("statistic and p-value", () => {
    const result = chiSquareTest([10, 20, 30], [20, 20, 20]);
    expect(result.statistic).toBe(10);
    expect(result.degreesOfFreedom).toBe(2);
    expectRelative(result.pValue, Math.exp(-5), 1e-10); // 2 degrees of freedom: p = exp(-x/2)
  });

  it("rejects mismatched bins and empty expectations", () => {
    expect(() => chiSquareTest([1, 2], [1, 2, 3])).toThrow(/2 observed bins but 3 expected/);
    expect(() => chiSquareTest([1, 2], [0, 3])).toThrow(/expected count of bin 0 must be > 0/);
  });
});
