// Distribution specs as written in a workload, and the parameter checks every family shares.

/** Bounds applied to each draw: values below min are raised to it, above max lowered to it. */
export type Clamp = { min?: number; max?: number };
/** Continuous families may truncate to [min, max] instead: draws outside are drawn again. */
export type Bounds = Clamp & { truncate?: boolean };

export type DistributionSpec =
  | number // shorthand for fixed
  | ({ type: "fixed"; value: number } & Clamp)
  // Integers min..max inclusive unless continuous, then reals in [min, max); min/max are its bounds.
  | ({ type: "uniform"; min: number; max: number; continuous?: boolean } & Clamp)
  | ({ type: "normal"; mean: number; stddev: number } & Bounds)
  | ({ type: "lognormal"; mu: number; sigma: number } & Bounds) // log-space parameters
  | ({ type: "gamma"; shape: number; scale: number } & Bounds)
  | ({ type: "weibull"; shape: number; scale: number } & Bounds)
  | ({ type: "exponential"; mean: number } & Bounds)
  | ({ type: "pareto"; scale: number; alpha: number } & Bounds) // scale = x_m, the minimum
  | ({ type: "inverse_gaussian"; mean: number; shape: number } & Bounds) // mu, lambda
  | ({ type: "zipf"; n: number; s: number } & Clamp) // integers 1..n, P(k) proportional to k^-s
  | ({ type: "empirical"; samples: number[] } & Clamp) // resample the given values
  | ({ type: "spike_tail"; spikeProbability: number; spike: DistributionSpec; tail: DistributionSpec } & Clamp);

export type DistributionType = Exclude<DistributionSpec, number>["type"];

export const DISTRIBUTION_TYPES: readonly DistributionType[] = [
  "fixed",
  "uniform",
  "normal",
  "lognormal",
  "gamma",
  "weibull",
  "exponential",
  "pareto",
  "inverse_gaussian",
  "zipf",
  "empirical",
  "spike_tail",
];

// Sample arrays already checked: a workload builds one distribution per session from the same spec,
// whose arrays are treated as immutable once given.
const checkedSampleArrays = new WeakSet<object>();

/** How a bad value is shown in an error message. */
export function shown(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number") return String(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * Reads parameters of one distribution spec, naming them by `prefix` (e.g. "spike.") in errors
 * so a caller that prepends the spec's own path gives the full location.
 */
export class ParameterReader {
  constructor(
    private readonly spec: Record<string, unknown>,
    readonly prefix: string,
  ) {}

  private fail(name: string, expected: string): never {
    throw new Error(`${this.prefix}${name} must be ${expected}, got ${shown(this.spec[name])}`);
  }

  /** A finite number. */
  number(name: string): number {
    const value = this.spec[name];
    if (typeof value !== "number" || !Number.isFinite(value)) this.fail(name, "a finite number");
    return value;
  }

  positive(name: string): number {
    const value = this.spec[name];
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) this.fail(name, "a finite number > 0");
    return value;
  }

  nonNegative(name: string): number {
    const value = this.spec[name];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) this.fail(name, "a finite number >= 0");
    return value;
  }

  probability(name: string): number {
    const value = this.spec[name];
    if (typeof value !== "number" || !(value >= 0 && value <= 1)) this.fail(name, "a number in [0, 1]");
    return value;
  }

  integerInRange(name: string, low: number, high: number): number {
    const value = this.spec[name];
    if (typeof value !== "number" || !Number.isInteger(value) || value < low || value > high) {
      this.fail(name, `an integer in ${low}..${high}`);
    }
    return value;
  }

  /** The optional clamp bounds; -Infinity / Infinity when absent. */
  clamp(): { lo: number; hi: number } {
    const lo = this.spec.min === undefined ? -Infinity : this.number("min");
    const hi = this.spec.max === undefined ? Infinity : this.number("max");
    if (lo > hi) throw new Error(`${this.prefix}min must be <= max, got min ${lo} and max ${hi}`);
    return { lo, hi };
  }

  /** Whether min and max truncate rather than clamp (`truncate: true`); false when absent. */
  truncate(): boolean {
    const value = this.spec.truncate;
    if (value === undefined) return false;
    if (typeof value !== "boolean") this.fail("truncate", "true or false");
    return value;
  }

  /** A non-empty array of finite numbers. */
  samples(name: string): readonly number[] {
    const value = this.spec[name];
    if (Array.isArray(value) && checkedSampleArrays.has(value)) return value as number[];
    if (!Array.isArray(value) || value.length === 0) this.fail(name, "a non-empty array of finite numbers");
    value.forEach((x: unknown, i) => {
      if (typeof x !== "number" || !Number.isFinite(x)) {
        throw new Error(`${this.prefix}${name}[${i}] must be a finite number, got ${shown(x)}`);
      }
    });
    checkedSampleArrays.add(value);
    return value as number[];
  }

  raw(name: string): unknown {
    return this.spec[name];
  }
}
