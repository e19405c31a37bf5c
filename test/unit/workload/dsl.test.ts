import { describe, expect, test } from "vitest";
import {
  agent,
  concurrent,
  constantArrivals,
  empirical,
  exponential,
  fixed,
  gamma,
  gammaArrivals,
  inverseGaussian,
  lognormal,
  normal,
  pareto,
  poisson,
  rate,
  spikeTail,
  uniform,
  weibull,
  workload,
  zipf,
} from "../../../src/workload/dsl.js";
import { SpecError, validateSpec } from "../../../src/workload/spec.js";

describe("workload()", () => {
  test("builds the same spec as the equivalent plain object, through the same validation", () => {
    const coder = agent("coder", {
      scaffold: { systemTokens: 1500, toolTokens: 2500 },
      turns: uniform(20, 40),
      freshInput: lognormal({ mu: 6, sigma: 1 }),
      output: inverseGaussian({ mean: 200, shape: 100 }),
      waitMs: 50,
    });
    const built = workload("coding", { seed: 1, sessions: 8, agents: [coder], traffic: concurrent(4) });
    const plain = validateSpec({
      name: "coding",
      seed: 1,
      sessions: 8,
      agents: [
        {
          name: "coder",
          scaffold: { systemTokens: 1500, toolTokens: 2500 },
          turns: { type: "uniform", min: 20, max: 40 },
          freshInput: { type: "lognormal", mu: 6, sigma: 1 },
          output: { type: "inverse_gaussian", mean: 200, shape: 100 },
          waitMs: 50,
        },
      ],
      traffic: { mode: "concurrent", concurrency: 4 },
    });
    expect(built).toEqual(plain);
    expect(built.traffic).toMatchObject({ concurrency: 4, maxSessions: 8 });
  });

  test("invalid input throws a SpecError naming the workload and the path", () => {
    const bad = agent("a", { turns: 3, freshInput: lognormal({ mu: 6 } as never), output: 10 });
    expect(() => workload("w", { seed: 1, sessions: 1, agents: [bad] })).toThrow(SpecError);
    expect(() => workload("w", { seed: 1, sessions: 1, agents: [bad] })).toThrow(
      `workload("w"): agents[0].freshInput: lognormal needs 'sigma'`,
    );
  });

  test("semantic checks apply too", () => {
    const a = agent("a", { turns: uniform(5, 2), freshInput: 1, output: 1 });
    expect(() => workload("w", { seed: 1, sessions: 1, agents: [a] })).toThrow(
      `workload("w"): agents[0].turns.min: expected min <= max (2), got 5`,
    );
  });

  test("options left undefined are defaults, not errors", () => {
    const waitMs: number | undefined = undefined;
    const spec = workload("w", { seed: 1, sessions: 1, agents: [agent("a", { turns: 1, freshInput: 1, output: 1, waitMs })] });
    expect(spec.agents[0]?.waitMs).toBe(0);
  });
});

describe("distribution helpers build exactly the schema's shapes", () => {
  test.each([
    [fixed(5), { type: "fixed", value: 5 }],
    [fixed(5, { min: 1 }), { type: "fixed", value: 5, min: 1 }],
    [uniform(1, 9), { type: "uniform", min: 1, max: 9 }],
    [uniform(0.5, 2, { continuous: true }), { type: "uniform", min: 0.5, max: 2, continuous: true }],
    [normal({ mean: 10, stddev: 2 }), { type: "normal", mean: 10, stddev: 2 }],
    [lognormal({ mu: 6, sigma: 1, max: 9000 }), { type: "lognormal", mu: 6, sigma: 1, max: 9000 }],
    [gamma({ shape: 2, scale: 3 }), { type: "gamma", shape: 2, scale: 3 }],
    [weibull({ shape: 1.5, scale: 80 }), { type: "weibull", shape: 1.5, scale: 80 }],
    [exponential(40), { type: "exponential", mean: 40 }],
    [pareto({ scale: 100, alpha: 1.2 }), { type: "pareto", scale: 100, alpha: 1.2 }],
    [inverseGaussian({ mean: 200, shape: 50 }), { type: "inverse_gaussian", mean: 200, shape: 50 }],
    [zipf({ n: 10, s: 1.1 }), { type: "zipf", n: 10, s: 1.1 }],
    [empirical([3, 4, 5]), { type: "empirical", samples: [3, 4, 5] }],
    [
      spikeTail({ spikeProbability: 0.1, spike: pareto({ scale: 1000, alpha: 1.5 }), tail: 100 }),
      { type: "spike_tail", spikeProbability: 0.1, spike: { type: "pareto", scale: 1000, alpha: 1.5 }, tail: 100 },
    ],
  ])("%j", (built, expected) => {
    expect(built).toEqual(expected);
    // and the schema accepts it
    const spec = workload("w", { seed: 1, sessions: 1, agents: [agent("a", { turns: 1, freshInput: built, output: 1 })] });
    expect(spec.agents[0]?.freshInput).toEqual(expected);
  });

  test("empirical copies its samples", () => {
    const samples = [1, 2];
    const d = empirical(samples);
    samples.push(3);
    expect(d.samples).toEqual([1, 2]);
  });
});

describe("traffic helpers", () => {
  test("concurrent(n, options)", () => {
    expect(concurrent(4, { rampUpSeconds: 2, onError: "cancel-session" })).toEqual({
      mode: "concurrent",
      concurrency: 4,
      rampUpSeconds: 2,
      onError: "cancel-session",
    });
  });
  test("rate() takes an arrival process or a Poisson rate", () => {
    expect(rate(2)).toEqual({ mode: "rate", arrivals: { type: "poisson", rate: 2 } });
    expect(rate(gammaArrivals(1, 3), { durationSeconds: 60 })).toEqual({
      mode: "rate",
      arrivals: { type: "gamma", rate: 1, cv: 3 },
      durationSeconds: 60,
    });
    expect(rate(constantArrivals(0.5)).arrivals).toEqual({ type: "constant", rate: 0.5 });
    expect(poisson(3)).toEqual({ type: "poisson", rate: 3 });
  });
  test("a rate workload validates", () => {
    const spec = workload("open", { seed: "s", sessions: 10, agents: [agent("a", { turns: 2, freshInput: 5, output: 5 })], traffic: rate(2) });
    expect(spec.traffic).toEqual({ mode: "rate", arrivals: { type: "poisson", rate: 2 }, maxSessions: 10, warmupSessions: 0, onError: "continue" });
  });
});
