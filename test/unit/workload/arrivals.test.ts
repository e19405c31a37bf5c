import { describe, expect, it } from "vitest";
import { createArrivals, type ArrivalSpec } from "../../../src/workload/arrivals.js";
import { rngFor } from "../../../src/stats/random.js";
import { ksTest, regularizedGammaP } from "../../../src/stats/special.js";

const N = 100_000;

function gaps(spec: ArrivalSpec, path = "traffic/arrivals", n = N): Float64Array {
  const process = createArrivals(spec, rngFor("arrivals-test", path));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = process.nextGapMs();
  return out;
}

function meanAndCv(xs: Float64Array): { mean: number; cv: number } {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let squares = 0;
  for (const x of xs) squares += (x - mean) ** 2;
  return { mean, cv: Math.sqrt(squares / (xs.length - 1)) / mean };
}

describe("arrival processes, 100k gaps each", () => {
  it("poisson: exponential gaps with mean 1000/rate ms and cv 1", () => {
    const spec: ArrivalSpec = { type: "poisson", rate: 5 };
    expect(createArrivals(spec, rngFor(1, "a")).meanGapMs()).toBe(200);
    const xs = gaps(spec);
    const { mean, cv } = meanAndCv(xs);
    expect(Math.abs(mean - 200)).toBeLessThan((5 * 200) / Math.sqrt(N)); // 5 standard errors
    // The sample cv of exponential gaps has standard error about sqrt(2/n) (excess kurtosis 6).
    expect(Math.abs(cv - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    expect(ksTest(xs, (x) => (x <= 0 ? 0 : 1 - Math.exp(-x / 200))).pValue).toBeGreaterThan(0.001);
  });

  for (const cv of [0.5, 3]) {
    it(`gamma, cv ${cv}: gamma gaps with the requested mean and cv`, () => {
      const spec: ArrivalSpec = { type: "gamma", rate: 2, cv };
      const shape = 1 / (cv * cv);
      const scale = 500 / shape;
      const xs = gaps(spec);
      const got = meanAndCv(xs);
      expect(Math.abs(got.mean - 500)).toBeLessThan((5 * cv * 500) / Math.sqrt(N));
      // Standard error of the sample cv: about cv/2 sqrt((excess kurtosis + 2)/n), gamma excess kurtosis 6/shape.
      expect(Math.abs(got.cv - cv)).toBeLessThan(5 * (cv / 2) * Math.sqrt((6 / shape + 2) / N));
      expect(ksTest(xs, (x) => regularizedGammaP(shape, x / scale)).pValue).toBeGreaterThan(0.001);
    });
  }

  it("gamma with cv 1 has the law of poisson arrivals", () => {
    const xs = gaps({ type: "gamma", rate: 5, cv: 1 });
    expect(ksTest(xs, (x) => (x <= 0 ? 0 : 1 - Math.exp(-x / 200))).pValue).toBeGreaterThan(0.001);
  });

  it("constant (and gamma with cv 0): every gap is 1000/rate ms", () => {
    for (const spec of [{ type: "constant", rate: 4 }, { type: "gamma", rate: 4, cv: 0 }] as ArrivalSpec[]) {
      const process = createArrivals(spec, rngFor(1, "a"));
      expect([process.nextGapMs(), process.nextGapMs(), process.meanGapMs()]).toEqual([250, 250, 250]);
    }
  });

  it("is deterministic per seed and path", () => {
    const spec: ArrivalSpec = { type: "gamma", rate: 2, cv: 2 };
    const first = Array.from(gaps(spec, "traffic/arrivals", 100));
    expect(Array.from(gaps(spec, "traffic/arrivals", 100))).toEqual(first);
    expect(Array.from(gaps(spec, "other", 100))).not.toEqual(first);
  });

  it("rejects invalid parameters with the parameter named", () => {
    const bad: [unknown, RegExp][] = [
      [{ type: "poisson", rate: 0 }, /^rate must be a finite number > 0, got 0$/],
      [{ type: "constant" }, /^rate must be a finite number > 0, got nothing$/],
      [{ type: "gamma", rate: 1, cv: -1 }, /^cv must be a finite number >= 0, got -1$/],
      [{ type: "burst", rate: 1 }, /^type must be one of poisson, gamma, constant, got "burst"$/],
    ];
    for (const [spec, message] of bad) {
      expect(() => createArrivals(spec as ArrivalSpec, rngFor(1, "a"))).toThrow(message);
    }
  });
});
