// Special functions and goodness-of-fit tests shared by the distributions, their tests and trace
// fitting. jstat supplies the incomplete gamma and log-gamma functions; the error function is
// written here because jstat's erfc is 1 - erf, which loses the far tails that the inverse Gaussian
// CDF and log-space tail probabilities need.
import jStat from "jstat";

const SQRT_PI = Math.sqrt(Math.PI);
const LOG_SQRT_PI = Math.log(SQRT_PI);
/** Below this the series for erf is used, above it the continued fraction for erfc. */
const ERF_SWITCH = 2;

/** erf(x) for 0 <= x < ERF_SWITCH: 2/sqrt(pi) exp(-x^2) sum (2x^2)^n x / (1*3*...*(2n+1)), all terms positive. */
function erfSeries(x: number): number {
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / SQRT_PI) * Math.exp(-x * x) * sum;
}

/**
 * The continued fraction x + (1/2)/(x + 1/(x + (3/2)/(x + ...))), for x >= ERF_SWITCH, so that
 * erfc(x) = exp(-x^2) / (sqrt(pi) * fraction). Evaluated by the modified Lentz method.
 */
function erfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return f;
}

/** The error function. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  const value = ax < ERF_SWITCH ? erfSeries(ax) : 1 - erfc(ax);
  return x < 0 ? -value : value;
}

/** The complementary error function 1 - erf(x), accurate to full relative precision for large x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < ERF_SWITCH) return 1 - erfSeries(x);
  if (x > 27) return 0; // below the smallest double
  return Math.exp(-x * x) / (SQRT_PI * erfcFraction(x));
}

/** ln erfc(x), finite far beyond where erfc(x) underflows. */
export function logErfc(x: number): number {
  if (x < ERF_SWITCH) return Math.log(erfc(x));
  if (x === Infinity) return -Infinity;
  return -x * x - LOG_SQRT_PI - Math.log(erfcFraction(x));
}

/** Standard normal CDF Phi(z), accurate in both tails. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** ln Phi(z), finite for very negative z. */
export function logNormalCdf(z: number): number {
  return Math.log(0.5) + logErfc(-z / Math.SQRT2);
}

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** ln Gamma(x) for x > 0. */
export function logGamma(x: number): number {
  return jStat.gammaln(x);
}

/** The p-quantile of Student's t distribution with `dof` (> 0, not necessarily whole) degrees of freedom. */
export function studentTQuantile(p: number, dof: number): number {
  return jStat.studentt.inv(p, dof);
}

/** Regularized lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a), for a > 0. */
export function regularizedGammaP(a: number, x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x === Infinity) return 1;
  const p = jStat.lowRegGamma(a, x);
  return Math.min(1, Math.max(0, p));
}

/** Result of a goodness-of-fit test. */
export interface GoodnessOfFit {
  statistic: number;
  /** Chance of a statistic at least this large if the sample came from the hypothesised distribution. */
  pValue: number;
}

/**
 * One-sample Kolmogorov-Smirnov statistic D = sup |F_n(x) - F(x)| of `samples` against a
 * continuous CDF.
 */
export function ksStatistic(samples: ArrayLike<number>, cdf: (x: number) => number): number {
  const n = samples.length;
  if (n === 0) throw new Error("ksStatistic: samples must not be empty");
  const sorted = Float64Array.from(samples).sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(sorted[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** One-sample Kolmogorov-Smirnov test of `samples` against a continuous CDF. */
export function ksTest(samples: ArrayLike<number>, cdf: (x: number) => number): GoodnessOfFit {
  const statistic = ksStatistic(samples, cdf);
  return { statistic, pValue: ksPValue(statistic, samples.length) };
}

/**
 * CDF of the Kolmogorov distribution, the limit of sqrt(n) D_n: P(K <= x) =
 * 1 - 2 sum_k (-1)^(k-1) exp(-2 k^2 x^2), or for small x the equivalent
 * sqrt(2 pi)/x sum_k exp(-(2k-1)^2 pi^2 / (8 x^2)), each used where it converges fast.
 */
export function kolmogorovCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x < 1) {
    const c = (Math.PI * Math.PI) / (8 * x * x);
    let sum = 0;
    for (let k = 1; k <= 20; k++) sum += Math.exp(-(2 * k - 1) * (2 * k - 1) * c);
    return (Math.sqrt(2 * Math.PI) / x) * sum;
  }
  return 1 - kolmogorovSurvival(x);
}

/** P(K > x) for x >= 1, summed directly so small p-values keep their relative precision. */
function kolmogorovSurvival(x: number): number {
  let sum = 0;
  for (let k = 1; k <= 20; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-300) break;
  }
  return Math.min(1, 2 * sum);
}

/** Up to this sample size the p-value is exact (Marsaglia-Tsang-Wang), above it asymptotic. */
const KS_EXACT_MAX_N = 140;

/**
 * P(D_n >= d): the p-value of a one-sample KS statistic d from n observations.
 * Exact for n <= 140 (closed forms near the ends of the range, else the matrix method of
 * Marsaglia, Tsang and Wang 2003, with their approximation where the p-value is tiny); above that
 * the Kolmogorov limit with Stephens' small-sample correction, evaluated at
 * d (sqrt(n) + 0.12 + 0.11 / sqrt(n)), within about 1% of the exact p-value.
 */
export function ksPValue(d: number, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`ksPValue: n must be an integer >= 1, got ${n}`);
  if (Number.isNaN(d)) return NaN;
  // D_n always lies in [1/(2n), 1]; near both ends the law has closed forms (Ruben and Gambino 1982).
  if (d <= 0.5 / n) return 1;
  if (d >= 1) return 0;
  if (d >= 1 - 1 / n) return 2 * (1 - d) ** n;
  if (d <= 1 / n) return 1 - Math.exp(logFactorial(n) + n * Math.log(2 * d - 1 / n));
  const sqrtN = Math.sqrt(n);
  if (n > KS_EXACT_MAX_N) {
    const lambda = d * (sqrtN + 0.12 + 0.11 / sqrtN);
    return lambda < 1 ? 1 - kolmogorovCdf(lambda) : kolmogorovSurvival(lambda);
  }
  const s = d * d * n;
  if (s > 7.24 || (s > 3.76 && n > 99)) {
    return Math.min(1, 2 * Math.exp(-(2.000071 + 0.331 / sqrtN + 1.409 / n) * s));
  }
  return Math.min(1, Math.max(0, 1 - ksExactCdf(n, d)));
}

/**
 * P(D_n < d) = n!/n^n (H^n)_kk for the m x m matrix H of Marsaglia, Tsang and Wang (2003), with
 * k = floor(n d) + 1, m = 2k - 1, h = k - n d. H is kept scaled during the powering (entries grow
 * like n^n / n!), the scale tracked as a logarithm.
 */
function ksExactCdf(n: number, d: number): number {
  const k = Math.floor(n * d) + 1;
  const m = 2 * k - 1;
  const h = k - n * d;
  const invFactorial = [1];
  for (let i = 1; i <= m; i++) invFactorial.push(invFactorial[i - 1]! / i);

  const H = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= Math.min(m - 1, i + 1); j++) H[i * m + j] = invFactorial[i - j + 1]!;
  }
  for (let i = 0; i < m; i++) {
    H[i * m] = H[i * m]! - h ** (i + 1) * invFactorial[i + 1]!;
    H[(m - 1) * m + i] = H[(m - 1) * m + i]! - h ** (m - i) * invFactorial[m - i]!;
  }
  if (2 * h - 1 > 0) H[(m - 1) * m] = H[(m - 1) * m]! + (2 * h - 1) ** m * invFactorial[m]!;

  const { matrix, logScale } = scaledMatrixPower(H, m, n);
  return matrix[(k - 1) * m + (k - 1)]! * Math.exp(logScale + logFactorial(n) - n * Math.log(n));
}

/** ln n!, summed exactly for small n. */
function logFactorial(n: number): number {
  if (n > 170) return logGamma(n + 1);
  let sum = 0;
  for (let i = 2; i <= n; i++) sum += Math.log(i);
  return sum;
}

/** A^power as matrix * exp(logScale), by repeated squaring with each product rescaled to max |entry| 1. */
function scaledMatrixPower(a: Float64Array, m: number, power: number): { matrix: Float64Array; logScale: number } {
  let result: Float64Array | null = null;
  let resultLog = 0;
  let base = a;
  let baseLog = 0;
  for (let p = power; p > 0; p = Math.floor(p / 2)) {
    if (p % 2 === 1) {
      if (result === null) {
        result = base;
        resultLog = baseLog;
      } else {
        result = multiply(result, base, m);
        resultLog += baseLog + rescale(result);
      }
    }
    if (p > 1) {
      base = multiply(base, base, m);
      baseLog = 2 * baseLog + rescale(base);
    }
  }
  return { matrix: result ?? identity(m), logScale: resultLog };
}

function multiply(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let l = 0; l < m; l++) {
      const ail = a[i * m + l]!;
      if (ail === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j] = out[i * m + j]! + ail * b[l * m + j]!;
    }
  }
  return out;
}

/** Divides the matrix by its largest |entry| and returns the log of that divisor. */
function rescale(a: Float64Array): number {
  let max = 0;
  for (const x of a) max = Math.max(max, Math.abs(x));
  if (max === 0) return 0;
  for (let i = 0; i < a.length; i++) a[i] = a[i]! / max;
  return Math.log(max);
}

function identity(m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) out[i * m + i] = 1;
  return out;
}

/**
 * Pearson's chi-square goodness-of-fit test of observed counts against expected counts (same
 * bins; pool bins so each expects at least about 5). `fittedParameters` is how many parameters
 * were estimated from the same data, each costing one degree of freedom.
 */
export function chiSquareTest(
  observed: readonly number[],
  expected: readonly number[],
  fittedParameters = 0,
): GoodnessOfFit & { degreesOfFreedom: number } {
  if (observed.length !== expected.length) {
    throw new Error(`chiSquareTest: ${observed.length} observed bins but ${expected.length} expected`);
  }
  const degreesOfFreedom = observed.length - 1 - fittedParameters;
  if (degreesOfFreedom < 1) {
    throw new Error(`chiSquareTest: need more bins than 1 + fitted parameters, got ${observed.length} bins`);
  }
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i]!;
    if (!(e > 0)) throw new Error(`chiSquareTest: expected count of bin ${i} must be > 0, got ${e}`);
    statistic += (observed[i]! - e) ** 2 / e;
  }
  const pValue = 1 - regularizedGammaP(degreesOfFreedom / 2, statistic / 2);
  return { statistic, degreesOfFreedom, pValue };
}
