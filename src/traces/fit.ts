// Distribution fitting for trace quantities: every family's maximum-likelihood fit ranked by AIC,
// with the Kolmogorov-Smirnov statistic of each beside it (computed with the same CDFs the
// generator samples from), an optional crop at a percentile, a Pareto tail above a threshold,
// and the spike-plus-tail model of waits (many short waits, a heavy tail of long ones).
import { createDistribution, type DistributionSpec } from "../workload/distributions.js";
import { percentile } from "../workload/inspect.js";
import { ksPValue, ksStatistic } from "../stats/special.js";
import { FAMILIES, FitError, fitOne, fitParetoAbove, type Family } from "./fit-families.js";

export { FAMILIES, FitError, type Family } from "./fit-families.js";

export interface FamilyFit {
  family: Family;
  /** The fitted distribution, ready for a workload spec. */
  spec: DistributionSpec;
  /** Free parameters. */
  parameters: number;
  logLikelihood: number;
  /** 2 * parameters - 2 * logLikelihood: lower is better. */
  aic: number;
  /** Kolmogorov-Smirnov statistic of the data against the fit. */
  ks: number;
  /** Its p-value as if the parameters had not been estimated from the same data (so optimistic). */
  ksPValue: number;
}

export interface FitReport {
  /** Values fitted (after cropping). */
  n: number;
  /** Present when a crop was asked for. */
  cropped?: { percentile: number; at: number; dropped: number };
  /** Best (lowest AIC) first. */
  fits: FamilyFit[];
  /** Families that could not be fitted, and why. */
  failed: { family: Family; reason: string }[];
}

export interface FitOptions {
  families?: readonly Family[];
  /** Keep only values at or below this quantile (0 < q <= 1) before fitting: fits the body, not the outliers. */
  crop?: number;
}

// The fitted CDFs are evaluated only; no sampling happens.
const NO_RNG = { next: () => 0.5 };

function sortedCopy(values: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(values);
  x.sort();
  return x;
}

/** Values at or below the q-quantile (numpy's linear interpolation), sorted. */
export function cropAt(values: ArrayLike<number>, q: number): { values: Float64Array; at: number } {
  if (!(q > 0 && q <= 1)) throw new RangeError(`crop quantile must be in (0, 1], got ${q}`);
  const sorted = sortedCopy(values);
  const at = percentile(sorted, q);
  let end = sorted.length;
  while (end > 0 && sorted[end - 1]! > at) end--;
  return { values: sorted.subarray(0, end), at };
}

/** One family's fit with its AIC and KS statistic; throws FitError when the data do not allow it. */
export function fitFamily(values: ArrayLike<number>, family: Family): FamilyFit {
  const x = values instanceof Float64Array ? values : Float64Array.from(values);
  const fit = fitOne(family, x);
  const cdf = createDistribution(fit.spec, NO_RNG);
  const ks = ksStatistic(x, (v) => cdf.cdf(v));
  return {
    family,
    spec: fit.spec,
    parameters: fit.parameters,
    logLikelihood: fit.logLikelihood,
    aic: 2 * fit.parameters - 2 * fit.logLikelihood,
    ks,
    ksPValue: ksPValue(ks, x.length),
  };
}

/** Every family fitted to the values, ranked by AIC. */
export function fitFamilies(values: ArrayLike<number>, options: FitOptions = {}): FitReport {
  let x = sortedCopy(values);
  let cropped: FitReport["cropped"];
  if (options.crop !== undefined) {
    const c = cropAt(x, options.crop);
    cropped = { percentile: options.crop, at: c.at, dropped: x.length - c.values.length };
    x = c.values;
  }
  const fits: FamilyFit[] = [];
  const failed: FitReport["failed"] = [];
  for (const family of options.families ?? FAMILIES) {
    try {
      const fit = fitFamily(x, family);
      if (!Number.isFinite(fit.aic)) throw new FitError("the likelihood is not finite");
      fits.push(fit);
    } catch (e) {
      if (!(e instanceof FitError)) throw e;
      failed.push({ family, reason: e.message });
    }
  }
  fits.sort((a, b) => a.aic - b.aic);
  const report: FitReport = { n: x.length, fits, failed };
  if (cropped) report.cropped = cropped;
  return report;
}

export interface ParetoTail {
  /** The tail starts here (the Pareto's scale). */
  threshold: number;
  /** Values at or above the threshold. */
  count: number;
  /** Maximum-likelihood tail index: count / sum ln(x / threshold). */
  alpha: number;
}

/** The Pareto tail of the values at or above `threshold`, or null when fewer than 2 lie above it. */
export function paretoTail(values: ArrayLike<number>, threshold: number): ParetoTail | null {
  const tail: number[] = [];
  for (let i = 0; i < values.length; i++) if (values[i]! >= threshold) tail.push(values[i]!);
  if (tail.filter((v) => v > threshold).length < 2) return null;
  const fit = fitParetoAbove(Float64Array.from(tail), threshold);
  return { threshold, count: tail.length, alpha: (fit.spec as { alpha: number }).alpha };
}

export interface SpikeTailFit {
  /** A spike_tail spec (or a single family's when one side is empty). */
  spec: DistributionSpec;
  threshold: number;
  /** Share of values below the threshold. */
  spikeProbability: number;
  /** The best fit of the values below the threshold (null when there are none or too few). */
  spike: FitReport | null;
  /** Pareto above the threshold, capped at the largest value seen (null when no value reaches it). */
  tail: { alpha: number; count: number; max: number } | null;
}

/**
 * Values split at `threshold` (default 100, as for waits in milliseconds): the ones below fitted
 * by the best family (clamped to the threshold), the rest by a Pareto from the threshold to the
 * largest value seen; with probability spikeProbability a draw comes from the spike.
 */
export function fitSpikeTail(values: ArrayLike<number>, threshold = 100): SpikeTailFit {
  const below: number[] = [];
  const tailValues: number[] = [];
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < threshold) below.push(v);
    else tailValues.push(v);
    if (v > max) max = v;
  }
  const n = below.length + tailValues.length;
  if (n === 0) throw new FitError("no values to fit");
  const p = below.length / n;
  let spikeReport: FitReport | null = null;
  let spike: DistributionSpec | null = null;
  if (below.length > 0) {
    spikeReport = below.length >= 2 ? fitFamilies(below) : null;
    const best = spikeReport?.fits[0];
    spike = best ? { ...(best.spec as object), max: threshold } as DistributionSpec : median(below);
  }
  let tail: SpikeTailFit["tail"] = null;
  let tailSpec: DistributionSpec | null = null;
  if (tailValues.length > 0) {
    let alpha: number;
    try {
      alpha = (fitParetoAbove(Float64Array.from(tailValues), threshold).spec as { alpha: number }).alpha;
    } catch (e) {
      if (!(e instanceof FitError)) throw e;
      alpha = Infinity; // every tail value sits at the threshold
    }
    tail = { alpha, count: tailValues.length, max };
    tailSpec = Number.isFinite(alpha) ? { type: "pareto", scale: threshold, alpha, max } : threshold;
  }
  const spec: DistributionSpec =
    spike !== null && tailSpec !== null ? { type: "spike_tail", spikeProbability: p, spike, tail: tailSpec } : (spike ?? tailSpec)!;
  return { spec, threshold, spikeProbability: p, spike: spikeReport, tail };
}

function median(values: number[]): number {
  return percentile(sortedCopy(values), 0.5);
}
