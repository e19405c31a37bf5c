import { describe, expect, it } from "vitest";
import {
  createDistribution,
  describeDistribution,
  type Distribution,
  type DistributionSpec,
} from "../../../src/workload/distributions.js";
import { rngFor } from "../../../src/stats/random.js";
import { chiSquareTest, ksTest } from "../../../src/stats/special.js";

const N = 100_000;

function draw(dist: Distribution, n = N): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = dist.sample();
  return out;
}

function meanOf(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  return sum / xs.length;
}

function varianceOf(xs: ArrayLike<number>): number {
  const m = meanOf(xs);
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += (xs[i]! - m) ** 2;
  return sum / (xs.length - 1);
}

function medianOf(xs: Float64Array): number {
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The sample mean lies within 5 standard errors of the expected mean. */
function expectMeanWithin5SE(xs: ArrayLike<number>, expected: number, variance: number): void {
  const se = Math.sqrt(variance / xs.length);
  expect(Math.abs(meanOf(xs) - expected)).toBeLessThan(5 * se);
}

/** At each point the share of draws <= x is within 5 binomial standard errors of cdf(x). */
function expectCdfAgrees(xs: Float64Array, cdf: (x: number) => number, points: number[]): void {
  for (const x of points) {
    const p = cdf(x);
    let count = 0;
    for (const v of xs) if (v <= x) count++;
    const se = Math.sqrt(Math.max(p * (1 - p), 1 / xs.length) / xs.length);
    expect(Math.abs(count / xs.length - p), `cdf(${x})`).toBeLessThan(5 * se);
  }
}

function dist(spec: DistributionSpec, path = "test"): Distribution {
  return createDistribution(spec, rngFor("distributions-test", path));
}

// Means and variances from the textbook formulas (values for weibull, lognormal and pareto
// checked against scipy.stats).
const continuousCases: { spec: DistributionSpec; mean: number; variance: number }[] = [
  { spec: { type: "normal", mean: 100, stddev: 15 }, mean: 100, variance: 225 },
  { spec: { type: "lognormal", mu: 6, sigma: 1 }, mean: 665.1416330443618, variance: 760190.892155856 },
  { spec: { type: "lognormal", mu: 0, sigma: 1.5 }, mean: 3.0802168489180315, variance: 80.5293954641633 },
  { spec: { type: "gamma", shape: 2.5, scale: 3 }, mean: 7.5, variance: 22.5 },
  { spec: { type: "gamma", shape: 0.3, scale: 10 }, mean: 3, variance: 30 },
  { spec: { type: "weibull", shape: 1.5, scale: 100 }, mean: 90.27452929509336, variance: 3756.9028481393198 },
  { spec: { type: "weibull", shape: 0.5, scale: 10 }, mean: 20, variance: 2000 },
  { spec: { type: "exponential", mean: 250 }, mean: 250, variance: 62500 },
  // alpha > 2 so the variance is finite: mean alpha xm/(alpha-1), variance xm^2 alpha/((alpha-1)^2 (alpha-2)).
  { spec: { type: "pareto", scale: 100, alpha: 3.5 }, mean: 140, variance: 3733.3333333333335 },
  // Inverse Gaussian: variance mu^3 / lambda.
  { spec: { type: "inverse_gaussian", mean: 2, shape: 3 }, mean: 2, variance: 8 / 3 },
  { spec: { type: "inverse_gaussian", mean: 10, shape: 0.5 }, mean: 10, variance: 2000 },
  { spec: { type: "uniform", min: 2, max: 5, continuous: true }, mean: 3.5, variance: 0.75 },
];

describe("continuous distributions, 100k draws each", () => {
  for (const { spec, mean, variance } of continuousCases) {
    it(`${describeDistribution(spec)}: mean and KS test`, () => {
      const d = dist(spec);
      expect(d.mean()).toBeCloseTo(mean, 9);
      const xs = draw(d);
      expectMeanWithin5SE(xs, mean, variance);
      expect(ksTest(xs, (x) => d.cdf(x)).pValue).toBeGreaterThan(0.001);
    });
  }

  it("pareto with infinite variance (alpha 1.2): median and KS test", () => {
    const d = dist({ type: "pareto", scale: 1, alpha: 1.2 });
    expect(d.mean()).toBeCloseTo(6, 12); // alpha xm / (alpha - 1)
    const xs = draw(d);
    // Median xm 2^(1/alpha); its standard error is 1 / (2 f(median) sqrt(n)).
    const median = 2 ** (1 / 1.2);
    const density = 1.2 / median ** 2.2;
    expect(Math.abs(medianOf(xs) - median)).toBeLessThan(5 / (2 * density * Math.sqrt(N)));
    expect(ksTest(xs, (x) => d.cdf(x)).pValue).toBeGreaterThan(0.001);
  });

  it("pareto with alpha <= 1 has an infinite mean unless clamped", () => {
    expect(dist({ type: "pareto", scale: 1, alpha: 0.8 }).mean()).toBe(Infinity);
    expect(dist({ type: "pareto", scale: 1, alpha: 1 }).mean()).toBe(Infinity);
    expect(Number.isFinite(dist({ type: "pareto", scale: 1, alpha: 0.8, max: 1000 }).mean())).toBe(true);
  });

  it("a wrong sampler would be caught: KS rejects draws from another distribution", () => {
    const d = dist({ type: "gamma", shape: 2.5, scale: 3 });
    const other = dist({ type: "gamma", shape: 2.5, scale: 3.1 });
    expect(ksTest(draw(other), (x) => d.cdf(x)).pValue).toBeLessThan(0.001);
  });
});

describe("clamped distributions", () => {
  it("clamped heavy-tailed lognormal: mean, atoms at both bounds and the CDF between", () => {
    const spec: DistributionSpec = { type: "lognormal", mu: 6, sigma: 1.5, min: 100, max: 5000 };
    const d = dist(spec);
    const unclamped = dist({ type: "lognormal", mu: 6, sigma: 1.5 });
    const xs = draw(d);
    expectMeanWithin5SE(xs, d.mean(), varianceOf(xs));
    expect(Math.min(...xs)).toBe(100);
    expect(Math.max(...xs)).toBe(5000);
    expect(d.cdf(99.9)).toBe(0);
    expect(d.cdf(100)).toBeCloseTo(unclamped.cdf(100), 15); // the atom at min
    expect(d.cdf(5000)).toBe(1);
    expect(d.cdf(4999)).toBeCloseTo(unclamped.cdf(4999), 15);
    expectCdfAgrees(xs, (x) => d.cdf(x), [100, 200, 403, 1000, 3000, 4999.999]);
  });

  it("pareto with infinite mean, clamped above: finite mean matches the draws", () => {
    const d = dist({ type: "pareto", scale: 10, alpha: 0.8, max: 10_000 });
    const xs = draw(d);
    expectMeanWithin5SE(xs, d.mean(), varianceOf(xs));
  });

  // The mean under a clamp comes from each family's partial mean E[X; X <= c]; check it against
  // lo + integral from lo to hi of (1 - F(x)) dx (Simpson's rule), which uses the CDF alone.
  // `from` is where the integral starts: the clamp's min, or the bottom of the support.
  const clampCases: { spec: Exclude<DistributionSpec, number> & { max: number }; from: number }[] = [
    { spec: { type: "normal", mean: 100, stddev: 15, min: 90, max: 130 }, from: 90 },
    { spec: { type: "lognormal", mu: 6, sigma: 1.5, min: 100, max: 5000 }, from: 100 },
    { spec: { type: "gamma", shape: 0.7, scale: 50, min: 5, max: 200 }, from: 5 },
    { spec: { type: "weibull", shape: 0.6, scale: 20, min: 1, max: 300 }, from: 1 },
    { spec: { type: "exponential", mean: 250, min: 30, max: 900 }, from: 30 },
    { spec: { type: "pareto", scale: 100, alpha: 1.5, min: 120, max: 5000 }, from: 120 },
    { spec: { type: "pareto", scale: 100, alpha: 1, min: 150, max: 5000 }, from: 150 },
    { spec: { type: "pareto", scale: 100, alpha: 0.7, max: 5000 }, from: 100 },
    { spec: { type: "inverse_gaussian", mean: 10, shape: 0.5, min: 0.5, max: 60 }, from: 0.5 },
    { spec: { type: "inverse_gaussian", mean: 1, shape: 1000, min: 0.95, max: 1.05 }, from: 0.95 },
    { spec: { type: "uniform", min: 0, max: 10, continuous: true }, from: 0 },
  ];
  for (const { spec, from } of clampCases) {
    it(`${describeDistribution(spec)}: mean agrees with the integral of its CDF`, () => {
      const d = dist(spec);
      // The CDF without the clamps: the clamped one jumps to 1 at max, which Simpson's rule would miss.
      const { min: _min, max: hi, ...unclampedSpec } = spec;
      const base = spec.type === "uniform" ? d : dist(unclampedSpec as DistributionSpec);
      const lo = from;
      const steps = 20_000;
      const h = (hi - lo) / steps;
      let integral = 0;
      for (let i = 0; i <= steps; i++) {
        const weight = i === 0 || i === steps ? 1 : i % 2 === 1 ? 4 : 2;
        integral += weight * (1 - base.cdf(lo + i * h));
      }
      integral *= h / 3;
      expect(Math.abs(d.mean() - (lo + integral))).toBeLessThan(1e-7 * d.mean());
    });
  }
});

describe("discrete distributions", () => {
  it("fixed and the number shorthand", () => {
    for (const spec of [{ type: "fixed", value: 7 } as const, 7]) {
      const d = dist(spec);
      expect([d.sample(), d.sample(), d.sample()]).toEqual([7, 7, 7]);
      expect(d.mean()).toBe(7);
      expect([d.cdf(6.99), d.cdf(7)]).toEqual([0, 1]);
    }
    expect(dist({ type: "fixed", value: 7, max: 5 }).sample()).toBe(5);
    expect(dist({ type: "fixed", value: 7, max: 5 }).mean()).toBe(5);
  });

  it("uniform integers 1..6: every face equally often (chi-square), mean 3.5", () => {
    const d = dist({ type: "uniform", min: 1, max: 6 });
    const xs = draw(d);
    const counts = [0, 0, 0, 0, 0, 0];
    for (const x of xs) counts[x - 1]!++;
    expect(counts.reduce((a, b) => a + b)).toBe(N); // nothing outside 1..6, all integers
    expect(chiSquareTest(counts, counts.map(() => N / 6)).pValue).toBeGreaterThan(0.001);
    expect(d.mean()).toBe(3.5);
    expectMeanWithin5SE(xs, 3.5, 35 / 12);
    expect(d.cdf(2.5)).toBeCloseTo(2 / 6, 15);
  });

  it("uniform integers over a huge range: mean, CDF and clamped mean in closed form", () => {
    const d = dist({ type: "uniform", min: 0, max: 1_000_000_000 });
    const xs = draw(d);
    expect(xs.every(Number.isInteger)).toBe(true);
    expectMeanWithin5SE(xs, 5e8, (1e9 + 1) ** 2 / 12);
    expectCdfAgrees(xs, (x) => d.cdf(x), [1e8, 5e8, 9e8]);
    // Inside a spike_tail with an outer clamp, the integer uniform's clamped mean is exercised.
    const tail: DistributionSpec = { type: "uniform", min: 1, max: 10 };
    const small = dist({ type: "spike_tail", spikeProbability: 0, spike: 0, tail, min: 3.5, max: 8 });
    // clamp(1..10 to [3.5, 8]) = 3.5,3.5,3.5,4,5,6,7,8,8,8
    expect(small.mean()).toBeCloseTo((3.5 * 3 + 4 + 5 + 6 + 7 + 8 * 3) / 10, 12);
  });

  it("zipf(n=100, s=1.1): frequencies (chi-square) and mean", () => {
    const d = dist({ type: "zipf", n: 100, s: 1.1 });
    const weights = Array.from({ length: 100 }, (_, i) => (i + 1) ** -1.1);
    const total = weights.reduce((a, b) => a + b);
    const mean = weights.reduce((a, w, i) => a + (i + 1) * w, 0) / total;
    const second = weights.reduce((a, w, i) => a + (i + 1) ** 2 * w, 0) / total;
    expect(d.mean()).toBeCloseTo(mean, 9);
    const xs = draw(d);
    const counts = new Array<number>(100).fill(0);
    for (const x of xs) counts[x - 1]!++;
    expect(counts.reduce((a, b) => a + b)).toBe(N);
    expect(chiSquareTest(counts, weights.map((w) => (N * w) / total)).pValue).toBeGreaterThan(0.001);
    expectMeanWithin5SE(xs, mean, second - mean * mean);
  });

  it("zipf(n=10000, s=2), heavy: pooled tail frequencies and clamped mean", () => {
    const spec: DistributionSpec = { type: "zipf", n: 10_000, s: 2, min: 2, max: 50 };
    const d = dist(spec);
    const p = Array.from({ length: 10_000 }, (_, i) => (i + 1) ** -2);
    const total = p.reduce((a, b) => a + b);
    let exact = 0;
    for (let k = 1; k <= 10_000; k++) exact += (Math.min(50, Math.max(2, k)) * p[k - 1]!) / total;
    expect(d.mean()).toBeCloseTo(exact, 9);
    const xs = draw(d);
    // Bins: 2 (including all k <= 2), 3..49 one each, and 50 (all k >= 50).
    const observed = new Array<number>(49).fill(0);
    for (const x of xs) observed[x - 2]!++;
    const expected = observed.map((_, i) => {
      const k = i + 2;
      const mass = k === 2 ? p[0]! + p[1]! : k === 50 ? p.slice(49).reduce((a, b) => a + b) : p[k - 1]!;
      return (N * mass) / total;
    });
    expect(chiSquareTest(observed, expected).pValue).toBeGreaterThan(0.001);
    expectMeanWithin5SE(xs, exact, varianceOf(xs));
  });

  it("zipf CDF at integers and between them", () => {
    const d = dist({ type: "zipf", n: 3, s: 1 }); // P = 6/11, 3/11, 2/11
    expect(d.cdf(0.9)).toBe(0);
    expect(d.cdf(1)).toBeCloseTo(6 / 11, 15);
    expect(d.cdf(2)).toBeCloseTo(9 / 11, 15);
    expect(d.cdf(2.5)).toBeCloseTo(9 / 11, 15);
    expect(d.cdf(3)).toBe(1);
    expect(d.mean()).toBeCloseTo((6 + 6 + 6) / 11, 15);
  });

  it("empirical: resamples the given values in their proportions", () => {
    const samples = [1, 2, 2, 3, 10, 100];
    const d = dist({ type: "empirical", samples });
    const mean = 118 / 6;
    expect(d.mean()).toBeCloseTo(mean, 12);
    const xs = draw(d);
    const values = [1, 2, 3, 10, 100];
    const counts = values.map((v) => xs.filter((x) => x === v).length);
    expect(counts.reduce((a, b) => a + b)).toBe(N);
    expect(chiSquareTest(counts, [1, 2, 1, 1, 1].map((c) => (N * c) / 6)).pValue).toBeGreaterThan(0.001);
    const variance = samples.reduce((a, x) => a + (x - mean) ** 2, 0) / 6;
    expectMeanWithin5SE(xs, mean, variance);
    expect(d.cdf(2)).toBeCloseTo(0.5, 15);
    expect(dist({ type: "empirical", samples, min: 2, max: 10 }).mean()).toBeCloseTo((2 + 2 + 2 + 3 + 10 + 10) / 6, 12);
  });
});

describe("spike_tail", () => {
  // Both components clamped so the inner clamps change the mean a lot, and an outer clamp on top.
  const spike: DistributionSpec = { type: "normal", mean: 8000, stddev: 200, min: 7900 };
  const tail: DistributionSpec = { type: "lognormal", mu: 5, sigma: 1, max: 300 };
  const spec: DistributionSpec = { type: "spike_tail", spikeProbability: 0.1, spike, tail, min: 10 };

  it("mixes spike and tail in proportion, nested and outer clamps included", () => {
    const d = dist(spec);
    const innerMean = 0.1 * dist(spike).mean() + 0.9 * dist(tail).mean();
    // Raising the tail's few draws below 10 to 10 adds a little to the mean.
    expect(d.mean()).toBeGreaterThan(innerMean);
    expect(d.mean() - innerMean).toBeLessThan(0.1);
    const xs = draw(d);
    expectMeanWithin5SE(xs, d.mean(), varianceOf(xs));
    expect(Math.min(...xs)).toBe(10);
    expectCdfAgrees(xs, (x) => d.cdf(x), [10, 50, 150, 299.999, 300, 7899.999, 7900, 8000, 8300]);
    const tailAtom = 1 - dist({ type: "lognormal", mu: 5, sigma: 1 }).cdf(300);
    expect(d.cdf(300) - d.cdf(299.999999)).toBeCloseTo(0.9 * tailAtom, 6);
  });

  it("an outer clamp beyond an inner one's range pins those draws to the outer bound", () => {
    // The tail never exceeds 50, so the outer min of 80 lifts every tail draw to 80.
    const tail: DistributionSpec = { type: "exponential", mean: 100, max: 50 };
    const d = dist({ type: "spike_tail", spikeProbability: 0.25, spike: 200, tail, min: 80 });
    expect(d.mean()).toBeCloseTo(0.25 * 200 + 0.75 * 80, 12);
    expect(new Set(draw(d, 1000))).toEqual(new Set([80, 200]));
  });
});

describe("known CDF values", () => {
  it("match published and hand-computed numbers", () => {
    expect(dist({ type: "normal", mean: 100, stddev: 15 }).cdf(100 + 1.96 * 15)).toBeCloseTo(0.9750021048517796, 14);
    expect(dist({ type: "lognormal", mu: 0, sigma: 1 }).cdf(Math.E)).toBeCloseTo(0.8413447460685429, 14); // Phi(1)
    expect(dist({ type: "gamma", shape: 2, scale: 1 }).cdf(1)).toBeCloseTo(1 - 2 / Math.E, 12);
    expect(dist({ type: "weibull", shape: 2, scale: 1 }).cdf(1)).toBeCloseTo(1 - 1 / Math.E, 15);
    expect(dist({ type: "exponential", mean: 2 }).cdf(2)).toBeCloseTo(1 - 1 / Math.E, 15);
    expect(dist({ type: "pareto", scale: 1, alpha: 2 }).cdf(2)).toBeCloseTo(0.75, 15);
    expect(dist({ type: "pareto", scale: 1, alpha: 2 }).cdf(0.5)).toBe(0);
    expect(dist({ type: "uniform", min: 1, max: 4 }).cdf(2.5)).toBe(0.5);
  });

  it("inverse Gaussian CDF", () => {
    // mu = lambda = 1 at x = 1: Phi(0) + e^2 Phi(-2) = 0.5 + 7.389056098930650 * 0.022750131948179207.
    expect(dist({ type: "inverse_gaussian", mean: 1, shape: 1 }).cdf(1)).toBeCloseTo(0.6681020012231706, 14);
    // Reference values by numerical integration of the density (mpmath, 30 digits).
    expect(dist({ type: "inverse_gaussian", mean: 2, shape: 3 }).cdf(0.5)).toBeCloseTo(0.05518683599308050, 14);
    expect(dist({ type: "inverse_gaussian", mean: 5, shape: 2 }).cdf(20)).toBeCloseTo(0.9552939423116283, 14);
    // lambda/mu = 1000: exp(2 lambda/mu) overflows a double; the log-space term must not.
    expect(dist({ type: "inverse_gaussian", mean: 1, shape: 1000 }).cdf(1.05)).toBeCloseTo(0.9405056894551422, 12);
    expect(dist({ type: "inverse_gaussian", mean: 1, shape: 1000 }).cdf(0.9)).toBeCloseTo(0.0004534060402782367, 14);
  });
});

describe("determinism", () => {
  const spec: DistributionSpec = {
    type: "spike_tail",
    spikeProbability: 0.2,
    spike: { type: "gamma", shape: 0.5, scale: 3 },
    tail: { type: "inverse_gaussian", mean: 4, shape: 2 },
  };

  it("same seed and path give the same draws; another path or seed gives others", () => {
    const a = draw(createDistribution(spec, rngFor(7, "agents/0/turns")), 1000);
    const b = draw(createDistribution(spec, rngFor(7, "agents/0/turns")), 1000);
    const c = draw(createDistribution(spec, rngFor(7, "agents/1/turns")), 1000);
    const e = draw(createDistribution(spec, rngFor(8, "agents/0/turns")), 1000);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
    expect(Array.from(e)).not.toEqual(Array.from(a));
  });

  it("pinned draws: a change here changes every generated workload, so make it on purpose", () => {
    const d = createDistribution({ type: "lognormal", mu: 6, sigma: 1 }, rngFor("agentload", "agents/0/freshInput"));
    const got = [d.sample(), d.sample(), d.sample()];
    // Close, not equal: Math.log/exp/cos may differ in the last bit between JavaScript engines.
    const pinned = [210.22141479653615, 224.2323072198052, 128.37196471834505];
    got.forEach((x, i) => expect(x).toBeCloseTo(pinned[i]!, 9));
  });
});

describe("parameter checks", () => {
  const cases: [unknown, RegExp][] = [
    [{ type: "normal", mean: 1, stddev: -1 }, /^stddev must be a finite number >= 0, got -1$/],
    [{ type: "normal", mean: "1", stddev: 1 }, /^mean must be a finite number, got "1"$/],
    [{ type: "lognormal", mu: 1 }, /^sigma must be a finite number >= 0, got nothing$/],
    [{ type: "pareto", scale: 1, alpha: 0 }, /^alpha must be a finite number > 0, got 0$/],
    [{ type: "gamma", shape: 1, scale: 1, min: 5, max: 2 }, /^min must be <= max, got min 5 and max 2$/],
    [{ type: "uniform", min: 5, max: 2 }, /^min must be <= max/],
    [{ type: "uniform", min: 1.5, max: 2 }, /min and max must be integers unless continuous is true/],
    [{ type: "uniform", min: 1 }, /^max must be a finite number, got nothing$/],
    [{ type: "empirical", samples: [] }, /^samples must be a non-empty array of finite numbers, got \[\]$/],
    [{ type: "empirical", samples: [1, null] }, /^samples\[1\] must be a finite number, got null$/],
    [{ type: "zipf", n: 0, s: 1 }, /^n must be an integer in 1\.\.1000000, got 0$/],
    [{ type: "zipf", n: 10, s: -1 }, /^s must be a finite number >= 0, got -1$/],
    [{ type: "inverse_gaussian", mean: 1, shape: 0 }, /^shape must be a finite number > 0, got 0$/],
    [
      { type: "spike_tail", spikeProbability: 1.5, spike: 1, tail: 2 },
      /^spikeProbability must be a number in \[0, 1\], got 1.5$/,
    ],
    [
      { type: "spike_tail", spikeProbability: 0.5, spike: 1, tail: { type: "lognormal", mu: 1, sigma: -2 } },
      /^tail\.sigma must be a finite number >= 0, got -2$/,
    ],
    [
      { type: "spike_tail", spikeProbability: 0.5, spike: Infinity, tail: 1 },
      /^spike must be a finite number, got Infinity$/,
    ],
    [
      { type: "spike_tail", spikeProbability: 0.5, tail: 1 },
      /^spike must be a number or an object with a type, got nothing$/,
    ],
    [{ type: "poisson", rate: 1 }, /^type must be one of fixed, uniform, normal, .*, got "poisson"$/],
    [NaN, /^distribution must be a finite number, got NaN$/],
  ];
  for (const [spec, message] of cases) {
    it(`rejects ${JSON.stringify(spec)}`, () => {
      expect(() => createDistribution(spec as DistributionSpec, rngFor(1, "x"))).toThrow(message);
    });
  }

  it("accepts degenerate but meaningful parameters", () => {
    expect(dist({ type: "normal", mean: 3, stddev: 0 }).sample()).toBe(3);
    expect(dist({ type: "lognormal", mu: 0, sigma: 0 }).mean()).toBe(1);
    expect(dist({ type: "uniform", min: 4, max: 4 }).sample()).toBe(4);
    expect(dist({ type: "zipf", n: 4, s: 0 }).mean()).toBeCloseTo(2.5, 15);
    expect(dist({ type: "spike_tail", spikeProbability: 1, spike: 5, tail: 9 }).mean()).toBe(5);
  });
});

describe("describeDistribution", () => {
  it("gives short readable text", () => {
    expect(describeDistribution({ type: "lognormal", mu: 6, sigma: 1 })).toBe("lognormal(mu=6, sigma=1)");
    expect(describeDistribution(12)).toBe("fixed(12)");
    expect(describeDistribution({ type: "pareto", scale: 100, alpha: 1.5, max: 32000 })).toBe(
      "pareto(scale=100, alpha=1.5, max=32000)",
    );
    expect(describeDistribution({ type: "uniform", min: 0, max: 1, continuous: true })).toBe(
      "uniform(min=0, max=1, continuous=true)",
    );
    expect(describeDistribution({ type: "normal", mean: 1 / 3, stddev: 2 })).toBe("normal(mean=0.333333, stddev=2)");
    expect(describeDistribution({ type: "empirical", samples: [1, 2, 3] })).toBe("empirical(3 samples)");
    const spikeTail: DistributionSpec = {
      type: "spike_tail",
      spikeProbability: 0.05,
      spike: 8000,
      tail: { type: "exponential", mean: 300 },
    };
    expect(describeDistribution(spikeTail)).toBe("spike_tail(p=0.05, spike=fixed(8000), tail=exponential(mean=300))");
  });
});
