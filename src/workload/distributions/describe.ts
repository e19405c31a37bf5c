// Short human text for a distribution spec, for reports and error messages. Never throws: a spec
// that would not validate is still described as written.
import type { DistributionSpec } from "./spec.js";

function num(x: unknown): string {
  if (typeof x !== "number") return JSON.stringify(x) ?? String(x);
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

function call(name: string, params: [string, unknown][]): string {
  return listed(name, [], params);
}

/** name(first..., key=value...) with absent values left out. */
function listed(name: string, first: string[], params: [string, unknown][]): string {
  const shown = params.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${num(v)}`);
  return `${name}(${[...first, ...shown].join(", ")})`;
}

/** e.g. "lognormal(mu=6, sigma=1)", "pareto(scale=100, alpha=1.5, max=32000)", "pareto(..., max=32000, truncated)". */
export function describeDistribution(spec: DistributionSpec): string {
  if (typeof spec === "number") return `fixed(${num(spec)})`;
  if (typeof spec !== "object" || spec === null) return `unknown distribution ${num(spec)}`;
  const text = described(spec);
  // Truncated bounds are not clamps: the text says so after them.
  const truncated = "truncate" in spec && spec.truncate === true && text.endsWith(")");
  return truncated ? `${text.slice(0, -1)}, truncated)` : text;
}

function described(spec: Exclude<DistributionSpec, number>): string {
  const clamp: [string, unknown][] = [
    ["min", spec.min],
    ["max", spec.max],
  ];
  switch (spec.type) {
    case "fixed":
      if (spec.min === undefined && spec.max === undefined) return `fixed(${num(spec.value)})`;
      return call("fixed", [["value", spec.value], ...clamp]);
    case "uniform":
      return call("uniform", spec.continuous ? [...clamp, ["continuous", true]] : clamp);
    case "normal":
      return call("normal", [["mean", spec.mean], ["stddev", spec.stddev], ...clamp]);
    case "lognormal":
      return call("lognormal", [["mu", spec.mu], ["sigma", spec.sigma], ...clamp]);
    case "gamma":
    case "weibull":
      return call(spec.type, [["shape", spec.shape], ["scale", spec.scale], ...clamp]);
    case "exponential":
      return call("exponential", [["mean", spec.mean], ...clamp]);
    case "pareto":
      return call("pareto", [["scale", spec.scale], ["alpha", spec.alpha], ...clamp]);
    case "inverse_gaussian":
      return call("inverse_gaussian", [["mean", spec.mean], ["shape", spec.shape], ...clamp]);
    case "zipf":
      return call("zipf", [["n", spec.n], ["s", spec.s], ...clamp]);
    case "empirical": {
      const count = Array.isArray(spec.samples) ? spec.samples.length : 0;
      return listed("empirical", [`${count} sample${count === 1 ? "" : "s"}`], clamp);
    }
    case "spike_tail": {
      const parts = [
        `p=${num(spec.spikeProbability)}`,
        `spike=${describeDistribution(spec.spike)}`,
        `tail=${describeDistribution(spec.tail)}`,
      ];
      return listed("spike_tail", parts, clamp);
    }
    default:
      return `unknown distribution ${num(spec)}`;
  }
}
