// Maximum-likelihood fits of the continuous families a workload spec can name, each returning its
// parameters in the DistributionSpec shape distributions.ts builds from, with the log-likelihood
// of the data under them. Closed forms where they exist; gamma and Weibull solve their score
// equation by safeguarded Newton steps.
import type { DistributionSpec } from "../workload/distributions.js";
import { logGamma } from "../stats/special.js";

export type Family = "inverse_gaussian" | "lognormal" | "weibull" | "gamma" | "exponential" | "pareto" | "normal";

export const FAMILIES: readonly Family[] = ["inverse_gaussian", "lognormal", "weibull", "gamma", "exponential", "pareto", "normal"];

/** A family's maximum-likelihood parameters on some data. */
export interface MleFit {
  spec: DistributionSpec;
  /** Free parameters (for AIC). */
  parameters: number;
  logLikelihood: number;
}

/** Data a family cannot be fitted to (e.g. zeros for a family on (0, inf)). */
export class FitError extends Error {
  override name = "FitError";
}

const LOG_2PI = Math.log(2 * Math.PI);

interface Moments {
  n: number;
  min: number;
  mean: number;
  meanLog: number;
}

/**
 * The moments of the values fitFamilies is fitting every family to, while it does (held): each
 * family took its own pass of logarithms over them, 0.1-0.3 s of analyze of a million requests.
 */
let held: { x: Float64Array; plain?: Moments; positive?: Moments; notPositive?: string } | undefined;

/** Runs `fit` with the moments of `x` kept after their first pass; `x` must not change meanwhile. */
export function withHeldMoments<T>(x: Float64Array, fit: () => T): T {
  const before = held;
  held = { x };
  try {
    return fit();
  } finally {
    held = before;
  }
}

function moments(x: Float64Array, needPositive: boolean): Moments {
  if (held?.x !== x) return momentsOf(x, needPositive);
  // The sum and the least value are the same pass either way: the logs' moments serve a plain fit too.
  const known = needPositive ? held.positive : (held.plain ?? held.positive);
  if (known) return known;
  // Values a family on (0, inf) cannot take fail each such family with the same reason, found once.
  if (needPositive && held.notPositive !== undefined) throw new FitError(held.notPositive);
  let m: Moments;
  try {
    m = momentsOf(x, needPositive);
  } catch (e) {
    if (needPositive && e instanceof FitError) held.notPositive = e.message;
    throw e;
  }
  if (needPositive) held.positive = m;
  else held.plain = m;
  return m;
}

function momentsOf(x: Float64Array, needPositive: boolean): Moments {
  const n = x.length;
  if (n < 2) throw new FitError(`needs at least 2 values, got ${n}`);
  let sum = 0;
  let sumLog = 0;
  let min = Infinity;
  for (const v of x) {
    sum += v;
    if (v < min) min = v;
    if (needPositive) sumLog += Math.log(v);
  }
  if (needPositive && !(min > 0)) {
    let zeros = 0;
    for (const v of x) if (v <= 0) zeros++;
    throw new FitError(`needs values > 0, got ${zeros} value${zeros === 1 ? "" : "s"} <= 0`);
  }
  return { n, min, mean: sum / n, meanLog: sumLog / n };
}

function allEqual(x: Float64Array): boolean {
  for (const v of x) if (v !== x[0]) return false;
  return true;
}

export function fitNormal(x: Float64Array): MleFit {
  const { n, mean } = moments(x, false);
  let ss = 0;
  for (const v of x) ss += (v - mean) ** 2;
  const stddev = Math.sqrt(ss / n);
  if (!(stddev > 0)) throw new FitError("all values are equal");
  return { spec: { type: "normal", mean, stddev }, parameters: 2, logLikelihood: -n * Math.log(stddev) - (n / 2) * LOG_2PI - ss / (2 * stddev * stddev) };
}

export function fitExponential(x: Float64Array): MleFit {
  const { n, mean, min } = moments(x, false);
  if (min < 0) throw new FitError("needs values >= 0");
  if (!(mean > 0)) throw new FitError("all values are 0");
  return { spec: { type: "exponential", mean }, parameters: 1, logLikelihood: -n * Math.log(mean) - n };
}

export function fitLognormal(x: Float64Array): MleFit {
  const { n, meanLog } = moments(x, true);
  let ss = 0;
  for (const v of x) ss += (Math.log(v) - meanLog) ** 2;
  const sigma = Math.sqrt(ss / n);
  if (!(sigma > 0)) throw new FitError("all values are equal");
  // sum of -ln(x sigma sqrt(2 pi)) - (ln x - mu)^2 / (2 sigma^2)
  const logLikelihood = -n * meanLog - n * Math.log(sigma) - (n / 2) * LOG_2PI - n / 2;
  return { spec: { type: "lognormal", mu: meanLog, sigma }, parameters: 2, logLikelihood };
}

export function fitInverseGaussian(x: Float64Array): MleFit {
  const { n, mean, meanLog } = moments(x, true);
  let s = 0;
  for (const v of x) s += 1 / v - 1 / mean;
  if (!(s > 0)) throw new FitError("all values are equal");
  const shape = n / s;
  let sq = 0;
  for (const v of x) sq += (v - mean) ** 2 / v;
  const logLikelihood = (n / 2) * Math.log(shape) - (n / 2) * LOG_2PI - 1.5 * n * meanLog - (shape * sq) / (2 * mean * mean);
  return { spec: { type: "inverse_gaussian", mean, shape }, parameters: 2, logLikelihood };
}

export function fitPareto(x: Float64Array): MleFit {
  const { n, min, meanLog } = moments(x, true);
  const s = n * (meanLog - Math.log(min));
  if (!(s > 0)) throw new FitError("all values are equal");
  const alpha = n / s;
  return paretoFit(n, min, alpha, meanLog);
}

/** A Pareto with a given scale (threshold): alpha = n / sum ln(x / scale), over values >= scale. */
export function fitParetoAbove(x: Float64Array, scale: number): MleFit {
  const { n, min, meanLog } = moments(x, true);
  if (min < scale) throw new FitError(`needs values >= the scale ${scale}, got ${min}`);
  const s = n * (meanLog - Math.log(scale));
  if (!(s > 0)) throw new FitError(`all values equal the scale ${scale}`);
  return paretoFit(n, scale, n / s, meanLog);
}

/**
 * A Pareto from `scale` truncated at `max`, fitted by maximum likelihood of the truncated law to
 * values in [scale, max]. With c = ln(max/scale) and S the mean of ln(x/scale), the score per value
 * is 1/alpha - c / (e^(alpha c) - 1) - S, decreasing in alpha from c/2 - S (alpha -> 0, the
 * log-uniform law) to -S: one root when S < c/2, found by bisection. The untruncated estimate
 * 1/S is too large on values cut off at max (it explains their absence by a lighter tail).
 * When S >= c/2 the values lean to the top as much as a log-uniform or more, which no Pareto does:
 * alpha is then the smallest that keeps `minMass` of the law in [scale, max] (truncation needs it).
 */
export function fitTruncatedParetoAbove(x: Float64Array, scale: number, max: number, minMass: number): MleFit {
  const { n, min, meanLog } = moments(x, true);
  let largest = -Infinity;
  for (const v of x) largest = Math.max(largest, v);
  if (min < scale || largest > max) throw new FitError(`needs values in [${scale}, ${max}], got ${min} to ${largest}`);
  const s = meanLog - Math.log(scale);
  if (!(s > 0)) throw new FitError(`all values equal the scale ${scale}`);
  const c = Math.log(max / scale);
  // The smallest alpha whose truncation to [scale, max] holds minMass: 1 - e^(-alpha c) = minMass.
  const least = -Math.log1p(-minMass) / c;
  const score = (alpha: number) => 1 / alpha - c / Math.expm1(alpha * c) - s;
  let alpha = least;
  if (score(least) > 0) {
    let lo = least;
    let hi = Math.max(2 * least, 1 / s); // score(1/s) = -c / (e^(c/s) - 1) < 0
    for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
      const mid = (lo + hi) / 2;
      if (score(mid) > 0) lo = mid;
      else hi = mid;
    }
    alpha = (lo + hi) / 2;
  }
  // The truncated density alpha scale^alpha x^-(alpha+1) / (1 - (scale/max)^alpha) summed over the values.
  const logLikelihood = paretoFit(n, scale, alpha, meanLog).logLikelihood - n * Math.log(-Math.expm1(-alpha * c));
  return { spec: { type: "pareto", scale, alpha, max, truncate: true }, parameters: 2, logLikelihood };
}

function paretoFit(n: number, scale: number, alpha: number, meanLog: number): MleFit {
  const logLikelihood = n * Math.log(alpha) + n * alpha * Math.log(scale) - (alpha + 1) * n * meanLog;
  return { spec: { type: "pareto", scale, alpha }, parameters: 2, logLikelihood };
}

/** digamma(x) for x > 0: shifted up past 10, then the asymptotic series (error below 1e-13). */
export function digamma(x: number): number {
  let shift = 0;
  while (x < 10) {
    shift -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  const series = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132)))));
  return shift + Math.log(x) - 0.5 / x - series;
}

/** trigamma(x) for x > 0, the same way. */
export function trigamma(x: number): number {
  let shift = 0;
  while (x < 10) {
    shift += 1 / (x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  const series = (1 / x) * (1 + 1 / (2 * x) + f * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f * (1 / 30)))));
  return shift + series;
}

export function fitGamma(x: Float64Array): MleFit {
  const { n, mean, meanLog } = moments(x, true);
  const s = Math.log(mean) - meanLog;
  if (!(s > 0) || allEqual(x)) throw new FitError("all values are equal");
  // Solve ln k - digamma(k) = s (decreasing in k) from Minka's starting point.
  let k = (3 - s + Math.sqrt((s - 3) ** 2 + 24 * s)) / (12 * s);
  for (let i = 0; i < 100; i++) {
    const step = (Math.log(k) - digamma(k) - s) / (1 / k - trigamma(k));
    let next = k - step;
    if (!(next > 0)) next = k / 2;
    const done = Math.abs(next - k) <= 1e-13 * k;
    k = next;
    if (done) break;
  }
  const scale = mean / k;
  const logLikelihood = (k - 1) * n * meanLog - (n * mean) / scale - n * k * Math.log(scale) - n * logGamma(k);
  return { spec: { type: "gamma", shape: k, scale }, parameters: 2, logLikelihood };
}

export function fitWeibull(x: Float64Array): MleFit {
  const { n, meanLog } = moments(x, true);
  if (allEqual(x)) throw new FitError("all values are equal");
  const logs = Float64Array.from(x, Math.log);
  let maxLog = -Infinity;
  for (const l of logs) if (l > maxLog) maxLog = l;
  // With u = ln x - max ln x (so x^k never overflows): g(k) = sum e^{ku} u / sum e^{ku} + maxLog - 1/k - meanLog,
  // increasing in k; its root is the shape.
  const sums = (k: number) => {
    let a = 0;
    let b = 0;
    let c = 0;
    for (const l of logs) {
      const u = l - maxLog;
      const w = Math.exp(k * u);
      a += w;
      b += w * u;
      c += w * u * u;
    }
    return { a, b, c };
  };
  const g = (k: number) => {
    const { a, b } = sums(k);
    return b / a + maxLog - 1 / k - meanLog;
  };
  let lo = 1e-3;
  let hi = 1;
  while (g(hi) < 0 && hi < 1e4) hi *= 2;
  while (g(lo) > 0 && lo > 1e-8) lo /= 2;
  let k = (lo + hi) / 2;
  for (let i = 0; i < 200; i++) {
    const { a, b, c } = sums(k);
    const value = b / a + maxLog - 1 / k - meanLog;
    if (value > 0) hi = k;
    else lo = k;
    const slope = c / a - (b / a) ** 2 + 1 / (k * k);
    let next = k - value / slope;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    const done = Math.abs(next - k) <= 1e-13 * k;
    k = next;
    if (done) break;
  }
  const { a } = sums(k);
  const logScale = maxLog + Math.log(a / n) / k;
  const scale = Math.exp(logScale);
  // sum of ln k - ln scale + (k - 1)(ln x - ln scale) - (x / scale)^k; the last sums to n at the MLE.
  const logLikelihood = n * Math.log(k) - n * logScale + (k - 1) * n * (meanLog - logScale) - n;
  return { spec: { type: "weibull", shape: k, scale }, parameters: 2, logLikelihood };
}

export function fitOne(family: Family, x: Float64Array): MleFit {
  switch (family) {
    case "inverse_gaussian":
      return fitInverseGaussian(x);
    case "lognormal":
      return fitLognormal(x);
    case "weibull":
      return fitWeibull(x);
    case "gamma":
      return fitGamma(x);
    case "exponential":
      return fitExponential(x);
    case "pareto":
      return fitPareto(x);
    case "normal":
      return fitNormal(x);
  }
}
