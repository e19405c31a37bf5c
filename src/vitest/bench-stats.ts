// A per-request metric in the shape of tinybench's Statistics, which vitest 5's bench reporter
// prints (min, max, mean, p75, p99, p995, p999, rme, samples) and `bench.from()` baselines store.
// The values are the metric's milliseconds per request (or per gap, for TBC), read from the run's
// HDR histogram; `hdr` carries the histogram itself, so a stored result can still be compared
// percentile by percentile with a confidence interval (see bench-compare.ts).
import { percentileOf, weightedValues } from "../metrics/compare.js";
import type { SerializedHistogram } from "../stats/histogram.js";

/** tinybench 6's Statistics, as vitest 5 types its bench results. */
export interface BenchStatistics {
  aad: number;
  critical: number;
  df: number;
  mad: number;
  max: number;
  mean: number;
  min: number;
  moe: number;
  p50: number;
  p75: number;
  p99: number;
  p995: number;
  p999: number;
  rme: number;
  samples: number[] | undefined;
  samplesCount: number;
  sd: number;
  sem: number;
  variance: number;
}

/** A latency row's statistics, with the histogram they came from. */
export interface MetricStatistics extends BenchStatistics {
  /** Which metric, e.g. "ttfc"; its unit is milliseconds. */
  metric: string;
  hdr: SerializedHistogram;
}

const Z975 = 1.959963984540054;

/**
 * Student's t quantile at 0.975 for df degrees of freedom (Cornish-Fisher to the fourth term;
 * within 0.05% from df 4). Not jstat's studentt.inv: it drifts for large df (1.95698 at df 1e9,
 * where the quantile is 1.95996), and a histogram of a long run has that many values.
 */
export function tCritical975(df: number): number {
  if (!(df >= 1)) return NaN;
  if (df === 1) return 12.706204736174698;
  if (df === 2) return 4.302652729749464;
  if (df === 3) return 3.182446305284263;
  const z = Z975;
  const z3 = z * z * z;
  const z5 = z3 * z * z;
  const z7 = z5 * z * z;
  const z9 = z7 * z * z;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3) +
    (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * df ** 4)
  );
}

/** The spread fields from the mean and the sum of squared deviations of n values. */
function spread(mean: number, squares: number, n: number): Pick<BenchStatistics, "critical" | "df" | "moe" | "rme" | "samples" | "samplesCount" | "sd" | "sem" | "variance"> {
  const df = n - 1;
  const variance = df > 0 ? squares / df : 0;
  const sd = Math.sqrt(variance);
  const sem = sd / Math.sqrt(n);
  const critical = tCritical975(df);
  const moe = Number.isFinite(critical) ? sem * critical : 0;
  return { critical, df, moe, rme: mean > 0 ? (moe / mean) * 100 : 0, samples: undefined, samplesCount: n, sd, sem, variance };
}

function emptyStatistics(): BenchStatistics {
  return { aad: 0, critical: NaN, df: 0, mad: 0, max: 0, mean: 0, min: 0, moe: 0, p50: 0, p75: 0, p99: 0, p995: 0, p999: 0, rme: 0, samples: undefined, samplesCount: 0, sd: 0, sem: 0, variance: 0 };
}

/** The statistics of a serialized histogram (milliseconds). Bucket midpoints stand for the values in the spread measures. */
export function statisticsOfHistogram(metric: string, hdr: SerializedHistogram): MetricStatistics {
  const w = weightedValues(hdr);
  const n = w.count;
  if (n === 0) return { ...emptyStatistics(), metric, hdr };
  const mean = hdr.sum / n;
  let squares = 0;
  let absolute = 0;
  for (let i = 0; i < w.counts.length; i++) {
    const mid = (w.lo[i]! + w.hi[i]!) / 2;
    const c = w.counts[i]!;
    squares += c * (mid - mean) * (mid - mean);
    absolute += c * Math.abs(mid - mean);
  }
  const p50 = percentileOf(w, 50);
  // Median absolute deviation: the median of |x - p50| over the buckets.
  const deviations = Array.from(w.counts, (c, i) => ({ d: Math.abs((w.lo[i]! + w.hi[i]!) / 2 - p50), c })).sort((a, b) => a.d - b.d);
  let seen = 0;
  let mad = 0;
  for (const { d, c } of deviations) {
    seen += c;
    if (seen >= n / 2) {
      mad = d;
      break;
    }
  }
  return {
    metric,
    hdr,
    ...spread(mean, squares, n),
    aad: absolute / n,
    mad,
    max: hdr.max,
    mean,
    min: hdr.min,
    p50,
    p75: percentileOf(w, 75),
    p99: percentileOf(w, 99),
    p995: percentileOf(w, 99.5),
    p999: percentileOf(w, 99.9),
  };
}

/** A rate measured once per run (e.g. requests per second): mean over the runs, spread when there are several. */
export function statisticsOfRates(rates: readonly number[]): BenchStatistics {
  const n = rates.length;
  if (n === 0) return emptyStatistics();
  const sorted = [...rates].sort((a, b) => a - b);
  const mean = rates.reduce((a, b) => a + b, 0) / n;
  const at = (p: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!;
  const p50 = at(50);
  const absDev = sorted.map((r) => Math.abs(r - p50)).sort((a, b) => a - b);
  return {
    ...spread(mean, rates.reduce((a, r) => a + (r - mean) * (r - mean), 0), n),
    aad: rates.reduce((a, r) => a + Math.abs(r - mean), 0) / n,
    mad: absDev[Math.min(n - 1, Math.ceil(n / 2) - 1)]!,
    max: sorted[n - 1]!,
    mean,
    min: sorted[0]!,
    p50,
    p75: at(75),
    p99: at(99),
    p995: at(99.5),
    p999: at(99.9),
  };
}
