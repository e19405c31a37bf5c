// `truncate: true`: min and max truncate a continuous family (draws outside are drawn again)
// instead of clamping it, with the CDF renormalised to the interval and the exact conditional mean.
import { describe, expect, it } from "vitest";
import {
  createDistribution,
  describeDistribution,
  type Distribution,
  type DistributionSpec,
} from "../../../src/workload/distributions.js";
import { MAX_TRUNCATION_TRIES, Truncated, continuousLaw } from "../../../src/workload/distributions/law.js";
import { exponential, pareto } from "../../../src/workload/dsl.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { rngFor } from "../../../src/stats/random.js";
import { ksTest } from "../../../src/stats/special.js";
import { specErrorOf } from "../../support/spec-error.js";

const N = 100_000;

function draw(d: Distribution, n = N): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = d.sample();
  return out;
}

function dist(spec: DistributionSpec, path = "truncated"): Distribution {
  return createDistribution(spec, rngFor("truncated-test", path));
}

function meanAndVariance(xs: Float64Array): { mean: number; variance: number } {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return { mean, variance: ss / (xs.length - 1) };
}

/** Simpson's rule over [a, b] in `steps` (even) pieces. */
function integrate(f: (x: number) => number, a: number, b: number, steps = 20_000): number {
  const h = (b - a) / steps;
  let total = f(a) + f(b);
  for (let i = 1; i < steps; i++) total += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (total * h) / 3;
}

// Every family that takes `truncate`, bounded on both sides or one, including a Pareto whose
// untruncated mean is infinite (alpha 0.69, as `fit` once chose for output tokens).
const cases: DistributionSpec[] = [
  { type: "normal", mean: 100, stddev: 30, min: 80, max: 170, truncate: true },
  { type: "lognormal", mu: 6, sigma: 1.2, min: 50, max: 2000, truncate: true },
  { type: "gamma", shape: 0.6, scale: 500, min: 10, max: 900, truncate: true },
  { type: "weibull", shape: 0.7, scale: 200, max: 600, truncate: true },
  { type: "exponential", mean: 250, min: 100, truncate: true },
  { type: "pareto", scale: 1, alpha: 0.69, max: 5446, truncate: true },
  { type: "inverse_gaussian", mean: 800, shape: 200, min: 20, max: 3000, truncate: true },
];

describe("truncated continuous families, 100k draws each", () => {
  for (const spec of cases) {
    const s = spec as { min?: number; max?: number };
    it(`${describeDistribution(spec)}: draws inside the bounds, no atom at either, CDF and mean as drawn`, () => {
      const d = dist(spec);
      const xs = draw(d);
      let atBound = 0;
      let smallest = Infinity;
      let largest = -Infinity;
      for (const x of xs) {
        smallest = Math.min(smallest, x);
        largest = Math.max(largest, x);
        if (x === s.min || x === s.max) atBound++;
      }
      expect(smallest).toBeGreaterThanOrEqual(s.min ?? 0);
      expect(largest).toBeLessThanOrEqual(s.max ?? Infinity);
      // A clamp would put every draw outside on the bound (tens of percent here); truncation none.
      expect(atBound).toBe(0);
      // The draws follow the renormalised CDF (KS), and their mean the exact conditional mean.
      expect(ksTest(xs, (x) => d.cdf(x)).pValue).toBeGreaterThan(0.001);
      const { mean, variance } = meanAndVariance(xs);
      expect(Math.abs(mean - d.mean())).toBeLessThan(5 * Math.sqrt(variance / N));
      // The mean is the integral of the survival function over the bounds (independent of the code's formula).
      const lo = s.min ?? 0; // every family here without a min lives on [0, inf)
      const hi = s.max ?? 20_000; // the exponential's survival at 20,000 is e^-80
      const integral = lo + integrate((x) => 1 - d.cdf(x), lo, hi, 200_000);
      expect(Math.abs(d.mean() / integral - 1)).toBeLessThan(1e-6);
      expect(Number.isFinite(d.mean())).toBe(true);
    });
  }

  it("renormalises the CDF to the interval: 0 at min, 1 at max, the base law's shape between", () => {
    const base = dist({ type: "lognormal", mu: 6, sigma: 1.2 });
    const d = dist({ type: "lognormal", mu: 6, sigma: 1.2, min: 50, max: 2000, truncate: true });
    const mass = base.cdf(2000) - base.cdf(50);
    expect(d.cdf(50)).toBe(0);
    expect(d.cdf(49.9)).toBe(0);
    expect(d.cdf(2000)).toBe(1);
    expect(d.cdf(700)).toBeCloseTo((base.cdf(700) - base.cdf(50)) / mass, 14);
  });

  it("the same seed gives the same draws, another seed others", () => {
    const spec = cases[5]!;
    const a = draw(createDistribution(spec, rngFor(3, "agents/0/output")), 2000);
    const b = draw(createDistribution(spec, rngFor(3, "agents/0/output")), 2000);
    const c = draw(createDistribution(spec, rngFor(4, "agents/0/output")), 2000);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).not.toEqual(Array.from(a));
  });

  it("clamps without truncate: the same bounds pile draws up at them", () => {
    const { truncate: _, ...clampSpec } = cases[0] as { truncate: boolean };
    const xs = draw(dist(clampSpec as DistributionSpec), 10_000);
    expect(xs.filter((x) => x === 80).length).toBeGreaterThan(2000); // P(X < 80) = 25%
  });
});

describe("refusals", () => {
  it("refuses bounds holding under 1% of the law, naming the parameter and the mass", () => {
    const at = () => dist({ type: "spike_tail", spikeProbability: 0.5, spike: 1, tail: { type: "normal", mean: 0, stddev: 1, min: 3, truncate: true } });
    expect(at).toThrow(/^tail\.min and max keep 0\.135% of normal\(mean=0, stddev=1, min=3, truncated\); truncation needs at least 1% inside the bounds$/);
    // 1.02% is enough.
    expect(dist({ type: "exponential", mean: 1, min: 4.58, truncate: true }).mean()).toBeCloseTo(5.58, 10);
  });

  it("refuses truncate on a family that is not continuous, without bounds, or not a boolean", () => {
    expect(() => dist({ type: "zipf", n: 10, s: 1, max: 5, truncate: true } as DistributionSpec)).toThrow(
      /^truncate applies only to the continuous families \(normal, lognormal, gamma, weibull, exponential, pareto, inverse_gaussian\), not "zipf"; use min and max to clamp it$/,
    );
    expect(() => dist({ type: "exponential", mean: 3, truncate: true })).toThrow(/^truncate needs a min or a max to truncate to$/);
    expect(() => dist({ type: "exponential", mean: 3, max: 9, truncate: "yes" } as unknown as DistributionSpec)).toThrow(
      /^truncate must be true or false, got "yes"$/,
    );
  });

  it("a degenerate law (stddev 0) truncates to itself inside the bounds and is refused outside", () => {
    expect(dist({ type: "normal", mean: 5, stddev: 0, min: 5, max: 9, truncate: true }).sample()).toBe(5);
    expect(() => dist({ type: "normal", mean: 5, stddev: 0, min: 6, truncate: true })).toThrow(/^min and max keep 0% of/);
  });

  it("gives up after a bounded number of tries when a law never lands inside", () => {
    // Built directly: the spec path refuses such bounds before any draw.
    const law = continuousLaw({ sample: () => 0, cdf: (x) => (x < 0 ? 0 : 1), mean: 0, partialMean: () => 0 });
    let draws = 0;
    const counting = { ...law, sample: () => (draws++, law.sample()) };
    expect(() => new Truncated(counting, 1, 2, 0.5).sample()).toThrow(/no draw fell in \[1, 2\] in 10000 tries/);
    expect(draws).toBe(MAX_TRUNCATION_TRIES);
  });

  it("a spec: truncate on zipf is an unknown key, and too little mass names the field", () => {
    const agent = (output: unknown) => ({ name: "a", turns: 2, freshInput: 10, output });
    const e = specErrorOf(() => validateSpec({ name: "t", seed: 1, sessions: 1, agents: [agent({ type: "zipf", n: 10, s: 1, truncate: true })] }));
    expect(e.problems).toEqual([{ path: "agents[0].output.truncate", message: "unknown key 'truncate'; expected one of: type, n, s, min, max" }]);
    const e2 = specErrorOf(() =>
      validateSpec({ name: "t", seed: 1, sessions: 1, agents: [agent({ type: "exponential", mean: 10, min: 100, truncate: true })] }),
    );
    expect(e2.problems).toEqual([
      { path: "agents[0].output", message: "min and max keep 0.00454% of exponential(mean=10, min=100, truncated); truncation needs at least 1% inside the bounds" },
    ]);
    const ok = validateSpec({ name: "t", seed: 1, sessions: 1, agents: [agent({ type: "pareto", scale: 1, alpha: 0.69, max: 5446, truncate: true })] });
    expect(ok.agents[0]!.output).toEqual({ type: "pareto", scale: 1, alpha: 0.69, max: 5446, truncate: true });
  });
});

describe("nesting", () => {
  // A waits model as fit writes it: a spike truncated below 100 ms and a Pareto tail truncated at the longest wait.
  const spike: DistributionSpec = { type: "lognormal", mu: 2.5, sigma: 1, min: 1, max: 100, truncate: true };
  const tail: DistributionSpec = { type: "pareto", scale: 100, alpha: 0.4, max: 600_000, truncate: true };
  const spec: DistributionSpec = { type: "spike_tail", spikeProbability: 0.7, spike, tail };

  it("spike_tail of truncated laws: mean is the mix of their means, CDF as drawn, no atom at 100 or the longest", () => {
    const d = dist(spec);
    expect(d.mean()).toBeCloseTo(0.7 * dist(spike).mean() + 0.3 * dist(tail).mean(), 9);
    const xs = draw(d);
    expect(xs.filter((x) => x === 100 || x === 600_000).length).toBe(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(600_000);
    expect(d.cdf(100)).toBeCloseTo(0.7, 12);
    expect(ksTest(xs, (x) => d.cdf(x)).pValue).toBeGreaterThan(0.001);
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean - d.mean())).toBeLessThan(5 * Math.sqrt(variance / N));
  });

  it("an outer clamp on a mixture of truncated laws: clampedMean of the truncated parts is exact", () => {
    const clamped: DistributionSpec = { ...spec, min: 20, max: 5000 } as DistributionSpec;
    const d = dist(clamped);
    const xs = draw(d);
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean - d.mean())).toBeLessThan(5 * Math.sqrt(variance / N));
    // Against the integral of the survival function of the clamped mixture over [20, 5000].
    expect(d.mean()).toBeCloseTo(20 + integrate((x) => 1 - d.cdf(x), 20, 5000, 200_000), 2);
  });

  it("the DSL writes truncate like a spec file", () => {
    expect(exponential(250, { min: 100, truncate: true })).toEqual({ type: "exponential", mean: 250, min: 100, truncate: true });
    expect(pareto({ scale: 1, alpha: 0.69, max: 5446, truncate: true })).toEqual(cases[5]);
  });

  it("describes truncation", () => {
    expect(describeDistribution(spec)).toBe(
      "spike_tail(p=0.7, spike=lognormal(mu=2.5, sigma=1, min=1, max=100, truncated), tail=pareto(scale=100, alpha=0.4, max=600000, truncated))",
    );
  });
});
