// Distribution fitting for trace quantities: every family's maximum-likelihood fit ranked by AIC,
// with the Kolmogorov-Smirnov statistic of each beside it (computed with the same CDFs the
// generator samples from), an optional crop at a percentile, a Pareto tail above a threshold,
// and the spike-plus-tail model of waits (many short waits, a heavy tail of long ones).
import { createDistribution, type DistributionSpec } from "../workload/distributions.js";
import { percentile } from "../workload/inspect.js";
import { sortNumbers } from "../stats/sort.js";
import { ksPValue, ksStatistic } from "../stats/special.js";
import { MIN_TRUNCATED_MASS } from "../workload/distributions/law.js";
import { refitTruncated } from "./fit-truncated.js";
import { FAMILIES, FitError, fitOne, fitParetoAbove, fitTruncatedParetoAbove, withHeldMoments, type Family } from "./fit-families.js";

export { FAMILIES, FitError, type Family } from "./fit-families.js";

export interface FamilyFit {
  family: Family;
  /**
   * The fitted distribution, ready for a workload spec: the family's maximum-likelihood parameters,
   * truncated (`truncate: true`) to `range`, so it never draws outside the values fitted.
   */
  spec: DistributionSpec;
  /** Free parameters. */
  parameters: number;
  /** Of the data under the truncated law: the family's log-likelihood less n ln P(min <= X <= max). */
  logLikelihood: number;
  /** 2 * parameters - 2 * logLikelihood: lower is better. */
  aic: number;
  /** The family's own fit before truncation (the figures other tools give for the same parameters). */
  untruncated: { logLikelihood: number; aic: number };
  /** Kolmogorov-Smirnov statistic of the data against the fit (the truncated law). */
  ks: number;
  /** Its p-value as if the parameters had not been estimated from the same data (so optimistic). */
  ksPValue: number;
}

export interface FitReport {
  /** Values fitted (after cropping). */
  n: number;
  /** The bounds every fit is truncated to: the values' smallest and largest (before any crop) unless told otherwise. */
  range: { min: number; max: number };
  /**
   * Present when there were more than FIT_QUANTILES values: Weibull, the re-estimation under
   * truncation and the KS statistics used this many evenly spaced quantiles of them (fitFamily).
   */
  quantiles?: number;
  /** Present when a crop was asked for. */
  cropped?: { percentile: number; at: number; dropped: number };
  /** Present when a floor was given and values lay below it: how many were raised to it. */
  raised?: { floor: number; count: number };
  /** Best (lowest AIC) first. */
  fits: FamilyFit[];
  /** Families that could not be fitted, and why. */
  failed: { family: Family; reason: string }[];
}

export interface FitOptions {
  families?: readonly Family[];
  /**
   * Keep only values at or below this quantile (0 < q <= 1) before fitting: fits the body, not the
   * outliers. The fits are still truncated to the range of all the values, so the largest stays
   * reachable: at q 0.95 the largest prompt generated from the OpenClaw traces' fits comes out
   * 17-55% below the trace's, against 35-77% when truncated at the crop point
   * (benchmarks/fit-truncation.ts).
   */
  crop?: number;
  /**
   * The least value a draw may take (1 for output tokens: a request cannot ask for none): values
   * below it are raised to it before fitting, so the truncation starts at max(floor, smallest value).
   */
  floor?: number;
  /** Truncate to these bounds instead of the values' smallest and largest (they must contain the values). */
  bounds?: { min?: number; max?: number };
  /**
   * Re-estimate each family's parameters for the truncated law (fit-truncated.ts), as `fit` does
   * for the specs it writes; without it the parameters are the family's ordinary maximum-likelihood
   * ones, the figures other tools and the post give (what `analyze` reports).
   */
  reestimate?: boolean;
  /** Fit to this many evenly spaced quantiles when there are more values (default FIT_QUANTILES; Infinity: all values). */
  quantiles?: number;
}

// The fitted CDFs are evaluated only; no sampling happens.
const NO_RNG = { next: () => 0.5 };

function sortedCopy(values: ArrayLike<number>): Float64Array {
  return sortNumbers(Float64Array.from(values));
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

function rangeOf(x: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    min = Math.min(min, x[i]!);
    max = Math.max(max, x[i]!);
  }
  return { min, max };
}

/**
 * One family's fit, truncated to `range` (default: the values' smallest and largest), with its AIC
 * and KS statistic under the truncated law; throws FitError when the data do not allow it, or
 * when the range holds too little of the family for truncation (see createDistribution).
 * The parameters are the family's maximum-likelihood ones, not re-estimated under truncation:
 * they stay the figures other tools give, and the truncation only removes the mass no value had.
 *
 * With `all` (every value, sorted), `values` are quantiles standing for them (fitFamilies): the
 * families whose maximum likelihood is one pass over the values (all but Weibull) are fitted to
 * all of them, exactly; Weibull's iterations, the re-estimation under truncation and the KS
 * statistic use the quantiles, their log-likelihoods scaled by all.length / values.length.
 */
export function fitFamily(values: ArrayLike<number>, family: Family, range = rangeOf(values), reestimate = false, all?: Float64Array): FamilyFit {
  const x = values instanceof Float64Array ? values : Float64Array.from(values);
  const seen = rangeOf(all ?? x);
  if (seen.min < range.min || seen.max > range.max) {
    throw new RangeError(`values from ${seen.min} to ${seen.max} lie outside the range [${range.min}, ${range.max}] to truncate to`);
  }
  const n = all?.length ?? x.length;
  const scale = n / x.length;
  const exact = all !== undefined && family !== "weibull";
  const fitted = fitOne(family, exact ? all : x);
  const ordinary = exact || scale === 1 ? fitted : { ...fitted, logLikelihood: fitted.logLikelihood * scale };
  const refitted = reestimate ? refitTruncated(family, fitted, x, range) : null;
  const refit = refitted && scale !== 1 ? { ...refitted, logLikelihood: refitted.logLikelihood * scale } : refitted;
  const fit = refit ?? ordinary;
  const whole = createDistribution(fit.spec, NO_RNG);
  const mass = whole.cdf(range.max) - whole.cdf(range.min);
  const spec = { ...(fit.spec as object), min: range.min, max: range.max, truncate: true } as DistributionSpec;
  let truncated;
  try {
    truncated = createDistribution(spec, NO_RNG);
  } catch (e) {
    throw new FitError(`truncated to [${range.min}, ${range.max}]: ${(e as Error).message}`);
  }
  const ks = ksStatistic(x, (v) => truncated.cdf(v));
  const logLikelihood = refit ? refit.logLikelihood : fit.logLikelihood - n * Math.log(mass);
  return {
    family,
    spec,
    parameters: fit.parameters,
    logLikelihood,
    aic: 2 * fit.parameters - 2 * logLikelihood,
    untruncated: { logLikelihood: ordinary.logLikelihood, aic: 2 * ordinary.parameters - 2 * ordinary.logLikelihood },
    ks,
    ksPValue: ksPValue(ks, n),
  };
}

/**
 * Above this many values, the costly parts of a fit (Weibull's iterations, the re-estimation under
 * truncation, the KS statistic: a CDF per value) use this many evenly spaced quantiles of them
 * instead (fitFamily): on the million-request benchmark trace the fits took 18 s of the 28.5 s
 * `analyze` took; benchmarks/trace-analysis.ts prints how far the fits moved.
 */
export const FIT_QUANTILES = 50_000;

/**
 * m evenly spaced quantiles of sorted values: the order statistics at ranks (i + 1/2) n / m, so
 * each stands for n / m values; they are values of the data (whole numbers stay whole). The first
 * is the smallest value itself, so a family that cannot take it (a 0 among a million positive
 * counts) fails as it does on all the values, and Pareto's scale is the same. The largest is left
 * to the truncation range: given the weight of n / m values it moved a heavy tail's fitted mean
 * 0.05%, against 0.002% without.
 */
export function evenQuantiles(sorted: Float64Array, m: number): Float64Array {
  const n = sorted.length;
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) out[i] = sorted[Math.min(n - 1, Math.floor(((i + 0.5) * n) / m))]!;
  out[0] = sorted[0]!;
  return out;
}

/** Every family fitted to the values (the body of them with a crop) and truncated to their whole range, ranked by AIC. */
export function fitFamilies(values: ArrayLike<number>, options: FitOptions = {}): FitReport {
  let x = sortedCopy(values);
  let raised: FitReport["raised"];
  if (options.floor !== undefined) {
    const floor = options.floor;
    let count = 0;
    for (let i = 0; i < x.length && x[i]! < floor; i++, count++) x[i] = floor;
    if (count > 0) raised = { floor, count };
  }
  // Before cropping: a crop picks the values whose shape is fitted, not where draws may reach.
  const observed = rangeOf(x);
  let cropped: FitReport["cropped"];
  if (options.crop !== undefined) {
    const c = cropAt(x, options.crop);
    cropped = { percentile: options.crop, at: c.at, dropped: x.length - c.values.length };
    x = c.values;
  }
  const range = { min: options.bounds?.min ?? observed.min, max: options.bounds?.max ?? observed.max };
  const n = x.length;
  const most = options.quantiles ?? FIT_QUANTILES;
  const sample = n > most ? evenQuantiles(x, most) : x;
  const fits: FamilyFit[] = [];
  const failed: FitReport["failed"] = [];
  // Every family is fitted to x (all of it, or its quantiles): its moments are taken once.
  withHeldMoments(x, () => {
    for (const family of options.families ?? FAMILIES) {
      try {
        const fit = fitFamily(sample, family, range, options.reestimate === true, sample === x ? undefined : x);
        if (!Number.isFinite(fit.aic)) throw new FitError("the likelihood is not finite");
        fits.push(fit);
      } catch (e) {
        if (!(e instanceof FitError)) throw e;
        failed.push({ family, reason: e.message });
      }
    }
  });
  fits.sort((a, b) => a.aic - b.aic);
  const report: FitReport = { n, range, fits, failed };
  if (sample !== x) report.quantiles = sample.length;
  if (cropped) report.cropped = cropped;
  if (raised) report.raised = raised;
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
  // Counted first, then copied in order into an array of that size: no growing list of them.
  let count = 0;
  let above = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v >= threshold) count++;
    if (v > threshold) above++;
  }
  if (above < 2) return null;
  const tail = new Float64Array(count);
  for (let i = 0, k = 0; i < values.length; i++) if (values[i]! >= threshold) tail[k++] = values[i]!;
  const fit = fitParetoAbove(tail, threshold);
  return { threshold, count, alpha: (fit.spec as { alpha: number }).alpha };
}

export interface SpikeTailFit {
  /** A spike_tail spec (or a single family's when one side is empty). */
  spec: DistributionSpec;
  threshold: number;
  /** Share of values below the threshold. */
  spikeProbability: number;
  /** The best fit of the values below the threshold (null when there are none or too few). */
  spike: FitReport | null;
  /**
   * Pareto above the threshold, truncated at the largest value seen, alpha fitted as truncated
   * (null when no value reaches it).
   */
  tail: { alpha: number; count: number; max: number } | null;
}

/** How fitSpikeTail fits: where the tail ends, and the options of the family fit below the threshold. */
export interface SpikeTailOptions {
  /** The tail is truncated here (at least the largest value; default the largest value). */
  max?: number;
  /** For the family fit of the values below the threshold (its bounds' max is the threshold). */
  spike?: FitOptions;
}

/**
 * Values split at `threshold` (default 100, as for waits in milliseconds): the ones below fitted
 * by the best family truncated to [smallest value, threshold], the rest by a Pareto from the
 * threshold truncated at the largest value seen (or `options.max`); with probability
 * spikeProbability a draw comes from the spike. Truncated rather than clamped, so no draw piles
 * up at the threshold or the largest value (clamps put 2.2-2.6% of the waits generated from the
 * OpenClaw traces' fits at an agent's longest wait, benchmarks/fit-truncation.ts).
 */
export function fitSpikeTail(values: ArrayLike<number>, threshold = 100, options: SpikeTailOptions = {}): SpikeTailFit {
  // Both sides counted, then copied in order into arrays of their size (as paretoTail).
  let under = 0;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < threshold) under++;
    if (v > max) max = v;
  }
  const below = new Float64Array(under);
  const tailValues = new Float64Array(values.length - under);
  for (let i = 0, b = 0, a = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < threshold) below[b++] = v;
    else tailValues[a++] = v;
  }
  const n = below.length + tailValues.length;
  if (n === 0) throw new FitError("no values to fit");
  if (options.max !== undefined) max = Math.max(max, options.max);
  const p = below.length / n;
  let spikeReport: FitReport | null = null;
  let spike: DistributionSpec | null = null;
  if (below.length > 0) {
    // Truncated at the threshold itself, where the tail starts: the law has no atom there, so [min, threshold] is [min, threshold).
    spikeReport = below.length >= 2 ? fitFamilies(below, { ...options.spike, bounds: { ...options.spike?.bounds, max: threshold } }) : null;
    spike = spikeReport?.fits[0]?.spec ?? median(below);
  }
  let tail: SpikeTailFit["tail"] = null;
  let tailSpec: DistributionSpec | null = null;
  if (tailValues.length > 0) {
    let alpha: number;
    try {
      // Twice the least mass truncation accepts, so rounding alpha in a written spec cannot take it below.
      const fit = fitTruncatedParetoAbove(tailValues, threshold, max, 2 * MIN_TRUNCATED_MASS);
      alpha = (fit.spec as { alpha: number }).alpha;
    } catch (e) {
      if (!(e instanceof FitError)) throw e;
      alpha = Infinity; // every tail value sits at the threshold
    }
    tail = { alpha, count: tailValues.length, max };
    tailSpec = Number.isFinite(alpha) ? { type: "pareto", scale: threshold, alpha, max, truncate: true } : threshold;
  }
  const spec: DistributionSpec =
    spike !== null && tailSpec !== null ? { type: "spike_tail", spikeProbability: p, spike, tail: tailSpec } : (spike ?? tailSpec)!;
  return { spec, threshold, spikeProbability: p, spike: spikeReport, tail };
}

function median(values: ArrayLike<number>): number {
  return percentile(sortedCopy(values), 0.5);
}
