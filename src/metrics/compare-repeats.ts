// Is a workload slower than its baseline, judged across whole runs? compare.ts bootstraps the
// requests of one run against those of another, which only knows within-run sampling noise; two
// identical runs of the built-in engine differ by more than that (machine state, server warm-up,
// scheduling), so a small minimum effect fails unchanged runs. With repeats, each run of the
// workload gives one value per percentile, and the interval of the ratio comes from the spread
// between runs on both sides, which holds within-run noise and the variance between the runs of
// one measurement. It does not hold what changes between measurements: measured here
// (`npm run bench:regression`), the engine's speed differed by 10-15% between engine processes
// and over time while the 3 runs of one verdict agreed closely, and 4 of 9 unchanged verdicts
// failed at a 10% minimum effect.
//
// The statistic: the difference of the mean log values (new minus baseline), with Welch's t
// interval (unequal variances, Welch-Satterthwaite degrees of freedom); exponentiated it is the
// ratio of geometric means and its confidence interval. Logs, because latency changes are
// multiplicative and their spread grows with their level.
//
// Runtime-neutral: no Node APIs.
import type { DistributionStats } from "../stats/histogram.js";
import { studentTQuantile } from "../stats/special.js";
import { comparisonLines, compareSettings, judgeInterval, samplesNeeded, type CompareOptions, type HistogramComparison, type PercentileComparison, type SkippedComparison } from "./compare.js";
import type { HistogramName } from "./summary.js";

/** One run's statistics per latency metric (a RunSummary's `latency`). */
export type RepeatStats = Partial<Record<string, DistributionStats | null>>;

/** The percentiles each repeat keeps (DistributionStats): the ones a comparison across repeats can use. */
export const REPEAT_PERCENTILES = [50, 90, 95, 99] as const;

/** Below this many runs on a side there is no spread to judge by. */
export const MIN_REPEATS = 2;

/** A value's log, with zero (a metric below the clock's resolution) kept finite. */
const logOf = (v: number) => Math.log(Math.max(v, 1e-6));

function meanAndVariance(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const variance = xs.length > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1) : 0;
  return { mean, variance };
}

/**
 * Welch's interval for mean(log next) - mean(log old), as a ratio interval. Equal values on both
 * sides (a deterministic metric) give a zero-width interval at their ratio.
 */
export function repeatRatioInterval(old: readonly number[], next: readonly number[], confidence: number) {
  const a = meanAndVariance(old.map(logOf));
  const b = meanAndVariance(next.map(logOf));
  const va = a.variance / old.length;
  const vb = b.variance / next.length;
  const se = Math.sqrt(va + vb);
  const diff = b.mean - a.mean;
  let half = 0;
  if (se > 0) {
    const dof = (va + vb) ** 2 / ((va > 0 ? va ** 2 / (old.length - 1) : 0) + (vb > 0 ? vb ** 2 / (next.length - 1) : 0));
    half = studentTQuantile(1 - (1 - confidence) / 2, dof) * se;
  }
  return { ratio: Math.exp(diff), old: Math.exp(a.mean), new: Math.exp(b.mean), low: Math.exp(diff - half), high: Math.exp(diff + half) };
}

/**
 * The paired interval for mean(log next_i - log old_i), run i of each side measured next to each
 * other (toMatchBaseline's interleaved runs): what drifts between pairs (the machine's speed over
 * minutes) cancels within each pair, and only how the pairs' differences spread enters the width
 * (Student's t, n - 1 degrees of freedom). Equal differences give a zero-width interval.
 */
export function pairedRatioInterval(old: readonly number[], next: readonly number[], confidence: number) {
  if (old.length !== next.length) throw new Error(`pairedRatioInterval: ${old.length} baseline runs against ${next.length} new ones; pairs need as many of each`);
  const d = meanAndVariance(next.map((v, i) => logOf(v) - logOf(old[i]!)));
  const half = d.variance > 0 ? studentTQuantile(1 - (1 - confidence) / 2, old.length - 1) * Math.sqrt(d.variance / old.length) : 0;
  const a = meanAndVariance(old.map(logOf));
  const b = meanAndVariance(next.map(logOf));
  return { ratio: Math.exp(d.mean), old: Math.exp(a.mean), new: Math.exp(b.mean), low: Math.exp(d.mean - half), high: Math.exp(d.mean + half) };
}

export interface RepeatCompareOptions extends CompareOptions {
  /** Run i of each side was measured next to the other's run i: judge their differences (pairedRatioInterval). */
  paired?: boolean;
}

/**
 * Compares each chosen metric's percentiles across the repeats of a baseline and of a new
 * measurement (each at least MIN_REPEATS runs). Same options and verdict rule as
 * compareHistograms: a percentile fails when its whole interval is beyond the minimum effect.
 */
export function compareRepeats(baseline: readonly RepeatStats[], current: readonly RepeatStats[], options: RepeatCompareOptions = {}): HistogramComparison {
  if (baseline.length < MIN_REPEATS || current.length < MIN_REPEATS) {
    throw new Error(`compareRepeats: each side needs at least ${MIN_REPEATS} runs (baseline ${baseline.length}, new ${current.length})`);
  }
  const { paired = false, ...rest } = options;
  const s = compareSettings(rest);
  const interval = paired ? pairedRatioInterval : repeatRatioInterval;
  const comparisons: PercentileComparison[] = [];
  const skipped: SkippedComparison[] = [];
  const across = paired ? `across ${baseline.length} interleaved pairs of runs` : `across ${baseline.length} and ${current.length} runs`;
  for (const metric of s.metrics as readonly HistogramName[]) {
    const olds = baseline.map((r) => r[metric] ?? null);
    const news = current.map((r) => r[metric] ?? null);
    if (olds.some((x) => x === null) || news.some((x) => x === null)) {
      const side = olds.some((x) => x === null) ? "some baseline run" : "some new run";
      skipped.push({ metric, reason: "missing", message: `${metric}: not compared, ${side} measured no ${metric}` });
      continue;
    }
    const o = olds as DistributionStats[];
    const n = news as DistributionStats[];
    for (const percentile of s.percentiles(metric)) {
      const label = `${metric} p${percentile}`;
      if (!(REPEAT_PERCENTILES as readonly number[]).includes(percentile)) {
        skipped.push({ metric, percentile, reason: "missing", message: `${label}: not compared, runs keep only p${REPEAT_PERCENTILES.join(", p")}` });
        continue;
      }
      const key = `p${percentile}` as "p50" | "p90" | "p95" | "p99";
      const needed = samplesNeeded(s, percentile);
      const fewest = { old: Math.min(...o.map((x) => x.count)), new: Math.min(...n.map((x) => x.count)) };
      if (fewest.old < needed || fewest.new < needed) {
        skipped.push({
          metric,
          percentile,
          reason: "too-few-samples",
          message: `${label}: not compared, too few values per run (baseline at least ${fewest.old}, new at least ${fewest.new}; needs ${needed})`,
        });
        continue;
      }
      const ci = interval(
        o.map((x) => x[key]),
        n.map((x) => x[key]),
        s.confidence,
      );
      const oldCount = o.reduce((a, x) => a + x.count, 0);
      const newCount = n.reduce((a, x) => a + x.count, 0);
      const judged = judgeInterval(s, { metric, percentile, label, oldCount, newCount }, ci);
      comparisons.push({ ...judged, message: `${judged.message} (${across})` });
    }
  }
  return { pass: comparisons.every((c) => c.pass), comparisons, skipped, ranks: {}, lines: comparisonLines(comparisons, skipped) };
}
