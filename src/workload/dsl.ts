// TypeScript builders for workload specs. They only assemble the same plain objects a YAML file
// holds; `workload()` then sends the result through the one validation path (validateSpec).
//
//   const coder = agent("coder", { turns: uniform(20, 40), freshInput: lognormal({ mu: 6, sigma: 1 }), output: 200 });
//   export default workload("coding", { seed: 1, sessions: 8, agents: [coder], traffic: concurrent(4) });
import { validateSpec, type ResolvedWorkloadSpec } from "./spec.js";
import type {
  AgentSpec,
  ArrivalSpec,
  ConcurrentTrafficSpec,
  ConstantArrivals,
  DistributionSpec,
  EmpiricalDistribution,
  ExponentialDistribution,
  FixedDistribution,
  GammaArrivals,
  GammaDistribution,
  InverseGaussianDistribution,
  LognormalDistribution,
  NormalDistribution,
  ParetoDistribution,
  PoissonArrivals,
  RateTrafficSpec,
  SpikeTailDistribution,
  UniformDistribution,
  WeibullDistribution,
  WorkloadSpec,
  ZipfDistribution,
} from "./spec-types.js";

/** Optional clamps every distribution object accepts. */
export interface Clamp {
  min?: number;
  max?: number;
}

/** Parameters of a distribution type, without its tag. */
type Params<D> = Omit<D, "type">;

export function fixed(value: number, clamp: Clamp = {}): FixedDistribution {
  return { type: "fixed", value, ...clamp };
}
/** Integers from min to max, both included; real numbers with `{ continuous: true }`. */
export function uniform(min: number, max: number, options: { continuous?: boolean } = {}): UniformDistribution {
  return { type: "uniform", min, max, ...options };
}
export function normal(params: Params<NormalDistribution>): NormalDistribution {
  return { type: "normal", ...params };
}
export function lognormal(params: Params<LognormalDistribution>): LognormalDistribution {
  return { type: "lognormal", ...params };
}
export function gamma(params: Params<GammaDistribution>): GammaDistribution {
  return { type: "gamma", ...params };
}
export function weibull(params: Params<WeibullDistribution>): WeibullDistribution {
  return { type: "weibull", ...params };
}
/** `truncate: true` makes min and max truncate rather than clamp (draws outside are drawn again). */
export function exponential(mean: number, bounds: Clamp & { truncate?: boolean } = {}): ExponentialDistribution {
  return { type: "exponential", mean, ...bounds };
}
export function pareto(params: Params<ParetoDistribution>): ParetoDistribution {
  return { type: "pareto", ...params };
}
export function inverseGaussian(params: Params<InverseGaussianDistribution>): InverseGaussianDistribution {
  return { type: "inverse_gaussian", ...params };
}
export function zipf(params: Params<ZipfDistribution>): ZipfDistribution {
  return { type: "zipf", ...params };
}
/** Draws from measured values, e.g. token counts seen in a trace. */
export function empirical(samples: number[], clamp: Clamp = {}): EmpiricalDistribution {
  return { type: "empirical", samples: [...samples], ...clamp };
}
/** With `spikeProbability` a draw from `spike`, otherwise from `tail`. */
export function spikeTail(params: Params<SpikeTailDistribution>): SpikeTailDistribution {
  return { type: "spike_tail", ...params };
}

/** An agent type. Options are the `agents[]` entry of a YAML spec, without its name. */
export function agent(name: string, options: Omit<AgentSpec, "name">): AgentSpec {
  return { name, ...options };
}

/** Keep `concurrency` sessions active at once (closed loop). */
export function concurrent(
  concurrency: number,
  options: Omit<ConcurrentTrafficSpec, "mode" | "concurrency"> = {},
): ConcurrentTrafficSpec {
  return { mode: "concurrent", concurrency, ...options };
}

/** Release sessions by an arrival process; a bare number is a Poisson rate (sessions per second). */
export function rate(arrivals: ArrivalSpec | number, options: Omit<RateTrafficSpec, "mode" | "arrivals"> = {}): RateTrafficSpec {
  return { mode: "rate", arrivals: typeof arrivals === "number" ? poisson(arrivals) : arrivals, ...options };
}

/** Independent arrivals, `rate` sessions per second on average. */
export function poisson(rate: number): PoissonArrivals {
  return { type: "poisson", rate };
}
/** Bursty arrivals: gamma gaps with coefficient of variation `cv` (1 = Poisson, more = burstier). */
export function gammaArrivals(rate: number, cv: number): GammaArrivals {
  return { type: "gamma", rate, cv };
}
/** Evenly spaced arrivals. */
export function constantArrivals(rate: number): ConstantArrivals {
  return { type: "constant", rate };
}

/**
 * A whole workload, validated exactly like a YAML file. Throws SpecError naming
 * `workload("<name>")` and the path of each problem.
 */
export function workload(name: string, options: Omit<WorkloadSpec, "name">): ResolvedWorkloadSpec {
  return validateSpec({ name, ...options }, { source: `workload(${JSON.stringify(name)})` });
}

export type { DistributionSpec };
