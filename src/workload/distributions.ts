// Distributions of workload quantities (token counts, turns, waits), built from their specs and
// drawing only from the seeded Rng they are given. The families live in ./distributions/.
import type { Rng } from "./types.js";
import {
  exponential,
  gamma,
  inverseGaussianLaw,
  lognormal,
  normal,
  pareto,
  uniformContinuous,
  weibull,
} from "./distributions/continuous.js";
import { empiricalTable, tableLaw, uniformInteger, ZIPF_MAX_N, zipfTable } from "./distributions/discrete.js";
import { describeDistribution } from "./distributions/describe.js";
import {
  Clamped,
  MIN_TRUNCATED_MASS,
  mixture,
  pointLaw,
  Truncated,
  type Distribution,
  type Law,
} from "./distributions/law.js";
import {
  DISTRIBUTION_TYPES,
  ParameterReader,
  shown,
  type DistributionSpec,
  type DistributionType,
} from "./distributions/spec.js";

export type { Clamp, DistributionSpec, DistributionType } from "./distributions/spec.js";
export { DISTRIBUTION_TYPES } from "./distributions/spec.js";
export type { Distribution } from "./distributions/law.js";
export { describeDistribution } from "./distributions/describe.js";

/**
 * A distribution for `spec` drawing from `rng`. Throws on invalid parameters with a message that
 * names the parameter (relative to the spec, e.g. "tail.sigma") and what was expected.
 * `mean()` and `cdf()` describe the values as sampled, clamps and truncation included; the mean is
 * Infinity when it diverges (pareto with alpha <= 1 and no max). With `truncate: true` min and max
 * truncate a continuous family (draws outside are drawn again) instead of clamping it.
 */
export function createDistribution(spec: DistributionSpec, rng: Rng): Distribution {
  return buildBounded(spec, rng, "");
}

/** The families `truncate: true` applies to: continuous laws, which have no atom at a bound. */
const TRUNCATABLE: readonly DistributionType[] = [
  "normal",
  "lognormal",
  "gamma",
  "weibull",
  "exponential",
  "pareto",
  "inverse_gaussian",
];

function buildBounded(spec: DistributionSpec, rng: Rng, prefix: string): Law & Distribution {
  const self = prefix.replace(/\.$/, "") || "distribution"; // "spike", "tail.spike" or the spec itself
  if (typeof spec === "number") {
    if (!Number.isFinite(spec)) throw new Error(`${self} must be a finite number, got ${spec}`);
    return new Clamped(pointLaw(spec), -Infinity, Infinity);
  }
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new Error(`${self} must be a number or an object with a type, got ${shown(spec)}`);
  }
  const read = new ParameterReader(spec as Record<string, unknown>, prefix);
  const { lo, hi } = read.clamp();
  const truncate = read.truncate();
  if (truncate && !TRUNCATABLE.includes(spec.type)) {
    throw new Error(
      `${read.prefix}truncate applies only to the continuous families (${TRUNCATABLE.join(", ")}), not ${shown(spec.type)}; ` +
        `use min and max to clamp it`,
    );
  }
  const law = buildLaw(spec, read, rng);
  if (!truncate) return new Clamped(law, lo, hi);
  if (lo === -Infinity && hi === Infinity) {
    throw new Error(`${read.prefix}truncate needs a min or a max to truncate to`);
  }
  let mass: number;
  if (law.continuous) {
    mass = (hi === Infinity ? 1 : law.cdf(hi)) - (lo === -Infinity ? 0 : law.cdf(lo));
    if (mass >= MIN_TRUNCATED_MASS) return new Truncated(law, lo, hi, mass);
  } else {
    // A degenerate law (stddev or sigma 0) is one value: inside the bounds truncation changes nothing.
    const value = law.clampedMean(-Infinity, Infinity);
    if (value >= lo && value <= hi) return new Clamped(law, lo, hi);
    mass = 0;
  }
  throw new Error(
    `${read.prefix}min and max keep ${percentOf(mass)} of ${describeDistribution(spec as DistributionSpec)}; ` +
      `truncation needs at least ${percentOf(MIN_TRUNCATED_MASS)} inside the bounds`,
  );
}

function percentOf(share: number): string {
  if (share === 0) return "0%";
  return `${Number((share * 100).toPrecision(3))}%`;
}

function buildLaw(spec: Exclude<DistributionSpec, number>, read: ParameterReader, rng: Rng): Law {
  switch (spec.type) {
    case "fixed":
      return pointLaw(read.number("value"));
    case "uniform": {
      const { lo: min, hi: max } = read.clamp();
      if (min === -Infinity || max === Infinity) {
        read.number(min === -Infinity ? "min" : "max"); // throws: uniform needs both bounds
      }
      if (spec.continuous === true) return uniformContinuous(rng, min, max);
      if (spec.continuous !== undefined && spec.continuous !== false) {
        throw new Error(`${read.prefix}continuous must be true or false, got ${shown(spec.continuous)}`);
      }
      if (!Number.isInteger(min) || !Number.isInteger(max)) {
        throw new Error(
          `${read.prefix}min and max must be integers unless continuous is true, got min ${min} and max ${max}`,
        );
      }
      return uniformInteger(rng, min, max);
    }
    case "normal":
      return normal(rng, read.number("mean"), read.nonNegative("stddev"));
    case "lognormal":
      return lognormal(rng, read.number("mu"), read.nonNegative("sigma"));
    case "gamma":
      return gamma(rng, read.positive("shape"), read.positive("scale"));
    case "weibull":
      return weibull(rng, read.positive("shape"), read.positive("scale"));
    case "exponential":
      return exponential(rng, read.positive("mean"));
    case "pareto":
      return pareto(rng, read.positive("scale"), read.positive("alpha"));
    case "inverse_gaussian":
      return inverseGaussianLaw(rng, read.positive("mean"), read.positive("shape"));
    case "zipf":
      return tableLaw(rng, zipfTable(read.integerInRange("n", 1, ZIPF_MAX_N), read.nonNegative("s")));
    case "empirical":
      return tableLaw(rng, empiricalTable(read.samples("samples")));
    case "spike_tail": {
      const p = read.probability("spikeProbability");
      const spike = buildBounded(spec.spike, rng, `${read.prefix}spike.`);
      const tail = buildBounded(spec.tail, rng, `${read.prefix}tail.`);
      return mixture(rng, p, spike, tail);
    }
    default:
      throw new Error(
        `${read.prefix}type must be one of ${DISTRIBUTION_TYPES.join(", ")}, got ${shown(read.raw("type"))}`,
      );
  }
}
