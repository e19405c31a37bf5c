// Is a run slower than its baseline? Judged statistically, because identical runs differ a lot
// (TTFT p95 went from 58 to 164 ms between two identical runs of the built-in engine): a fixed
// percentage either fails on noise or misses regressions.
//
// For each metric and percentile the new/old ratio gets a bootstrap confidence interval, and a
// metric fails only when the whole interval lies beyond the user's minimum effect (e.g. more than
// 25% slower). The bootstrap resamples the values the two HDR histograms hold; the resampled
// percentile is drawn directly instead of resampling n values: the k-th smallest of n draws from
// the empirical distribution is the value at rank ceil(n U), U ~ Beta(k, n - k + 1). That is exact
// and costs O(log buckets) per replicate, so a run with a million TBC gaps is as cheap as one with
// a hundred requests. A Mann-Whitney rank test on the same values is reported beside it.
//
// Runtime-neutral: no Node APIs. Seeded, so a comparison gives the same answer every time.
import { decodeFromCompressedBase64, type JsHistogram } from "hdr-histogram-js";
import { standardGamma } from "../stats/samplers.js";
import { rngFor } from "../stats/random.js";
import { normalCdf } from "../stats/special.js";
import type { Rng } from "../stats/random.js";
import { formatMs } from "./format.js";
import { LatencyHistogram, type SerializedHistogram } from "../stats/histogram.js";
import { defaultCatalogue, parseMetricName } from "./catalogue.js";
import type { HistogramName } from "./summary.js";

const US_PER_MS = 1000;

/**
 * A histogram's values reconstructed from its HDR buckets: bucket i holds counts[i] values spread
 * evenly over [lo[i], hi[i]) ms, buckets ascending. Bucket ends are clamped into the exact
 * [min, max] the histogram kept, so the extremes are not bucket estimates.
 */
export interface WeightedValues {
  count: number;
  lo: Float64Array;
  hi: Float64Array;
  counts: Float64Array;
  /** Values in buckets 0..i. */
  cumulative: Float64Array;
  /** The HDR bucket's lowest equivalent value in µs: identical buckets of two histograms match. */
  keys: Float64Array;
}

export type HistogramInput = SerializedHistogram | LatencyHistogram;

export function weightedValues(input: HistogramInput): WeightedValues {
  const data = input instanceof LatencyHistogram ? input.toJSON() : input;
  if (data?.format !== "hdr-v2-us" || typeof data.hdr !== "string") {
    throw new Error(`not a serialized latency histogram: expected { format: "hdr-v2-us", hdr: "<base64>", ... }`);
  }
  const lo: number[] = [];
  const hi: number[] = [];
  const counts: number[] = [];
  const keys: number[] = [];
  if (data.count > 0) {
    // Decoding without WebAssembly gives a JsHistogram, whose buckets can be walked.
    const hdr = decodeFromCompressedBase64(data.hdr, 32, false) as unknown as JsHistogram;
    const total = hdr.totalCount;
    const clamp = (ms: number) => Math.min(data.max, Math.max(data.min, ms));
    let seen = 0;
    for (let i = 0; i < hdr.countsArrayLength && seen < total; i++) {
      const c = hdr.getCountAtIndex(i);
      if (c === 0) continue;
      const v = hdr.valueFromIndex(i);
      const low = hdr.lowestEquivalentValue(v);
      keys.push(low);
      lo.push(clamp(low / US_PER_MS));
      hi.push(clamp((hdr.highestEquivalentValue(v) + 1) / US_PER_MS));
      counts.push(c);
      seen += c;
    }
  }
  const cumulative = new Float64Array(counts.length);
  let sum = 0;
  counts.forEach((c, i) => (cumulative[i] = sum += c));
  return {
    count: sum,
    lo: Float64Array.from(lo),
    hi: Float64Array.from(hi),
    counts: Float64Array.from(counts),
    cumulative,
    keys: Float64Array.from(keys),
  };
}

/** The value of rank r (1 = smallest, count = largest). */
export function valueAtRank(w: WeightedValues, rank: number): number {
  if (w.count === 0) return NaN;
  const r = Math.min(w.count, Math.max(1, rank));
  let a = 0;
  let b = w.cumulative.length - 1;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (w.cumulative[mid]! >= r) b = mid;
    else a = mid + 1;
  }
  const before = w.cumulative[a]! - w.counts[a]!;
  const within = (r - before - 0.5) / w.counts[a]!;
  return w.lo[a]! + (w.hi[a]! - w.lo[a]!) * within;
}

/** Rank of percentile p (0..100] among n values: nearest rank, as HDR and the summary use. */
function rankOf(p: number, n: number): number {
  return Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
}

/** The reconstructed value at percentile p (0..100]; NaN when empty. */
export function percentileOf(w: WeightedValues, p: number): number {
  return valueAtRank(w, rankOf(p, w.count));
}

/** The percentile p of one bootstrap resample of w (see the module comment). */
function resampledPercentile(w: WeightedValues, p: number, rng: Rng): number {
  const n = w.count;
  const k = rankOf(p, n);
  const a = standardGamma(rng, k);
  const b = standardGamma(rng, n - k + 1);
  const u = a / (a + b);
  return valueAtRank(w, Math.ceil(u * n));
}

function ratioOf(next: number, old: number): number {
  if (old === 0) return next === 0 ? 1 : Infinity;
  return next / old;
}

/** Linear interpolation between order statistics of an ascending array. */
function quantileSorted(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const i = Math.floor(at);
  const j = Math.min(sorted.length - 1, i + 1);
  const a = sorted[i]!;
  const b = sorted[j]!;
  return a === b ? a : a + (b - a) * (at - i);
}

/**
 * A percentile bootstrap confidence interval of one run's percentile p: how far the percentile of
 * another sample of the same requests would fall (a sharded run's against one process, say).
 */
export function percentileInterval(w: WeightedValues, percentile: number, options: { confidence: number; resamples: number; rng: Rng }): { value: number; low: number; high: number } {
  const values = new Float64Array(options.resamples);
  for (let i = 0; i < options.resamples; i++) values[i] = resampledPercentile(w, percentile, options.rng);
  values.sort();
  const alpha = 1 - options.confidence;
  return { value: percentileOf(w, percentile), low: quantileSorted(values, alpha / 2), high: quantileSorted(values, 1 - alpha / 2) };
}

export interface RatioInterval {
  /** Point estimate: new percentile / old percentile. */
  ratio: number;
  old: number;
  new: number;
  low: number;
  high: number;
}

/**
 * A percentile bootstrap confidence interval of percentile(new) / percentile(old), the two runs
 * resampled independently.
 */
export function percentileRatioInterval(
  old: WeightedValues,
  next: WeightedValues,
  percentile: number,
  options: { confidence: number; resamples: number; rng: Rng },
): RatioInterval {
  const oldValue = percentileOf(old, percentile);
  const newValue = percentileOf(next, percentile);
  const ratios = new Float64Array(options.resamples);
  for (let i = 0; i < options.resamples; i++) {
    const o = resampledPercentile(old, percentile, options.rng);
    const n = resampledPercentile(next, percentile, options.rng);
    ratios[i] = ratioOf(n, o);
  }
  ratios.sort();
  const alpha = 1 - options.confidence;
  return {
    ratio: ratioOf(newValue, oldValue),
    old: oldValue,
    new: newValue,
    low: quantileSorted(ratios, alpha / 2),
    high: quantileSorted(ratios, 1 - alpha / 2),
  };
}

export interface RankTest {
  /** P(a new value > an old value) + P(tie) / 2: 0.5 means no shift; Mann-Whitney U / (n1 n2). */
  probabilityGreater: number;
  /** Normal approximation with the tie correction; positive when new is larger. */
  z: number;
  /** Two-sided. With thousands of values even a tiny shift is "significant": read it with the effect. */
  pValue: number;
}

/** Mann-Whitney U on the bucketed values (values in one HDR bucket are ties). Null when either is empty. */
export function mannWhitney(old: WeightedValues, next: WeightedValues): RankTest | null {
  const n1 = old.count;
  const n2 = next.count;
  if (n1 === 0 || n2 === 0) return null;
  let i = 0;
  let j = 0;
  let oldBelow = 0;
  let u = 0;
  let tieSum = 0;
  while (i < old.keys.length || j < next.keys.length) {
    const ko = i < old.keys.length ? old.keys[i]! : Infinity;
    const kn = j < next.keys.length ? next.keys[j]! : Infinity;
    const key = Math.min(ko, kn);
    const a = ko === key ? old.counts[i++]! : 0;
    const b = kn === key ? next.counts[j++]! : 0;
    u += b * (oldBelow + a / 2);
    oldBelow += a;
    const t = a + b;
    tieSum += t * t * t - t;
  }
  const total = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (total + 1 - tieSum / (total * (total - 1)));
  const z = variance > 0 ? (u - mean) / Math.sqrt(variance) : 0;
  return { probabilityGreater: u / (n1 * n2), z, pValue: Math.min(1, 2 * normalCdf(-Math.abs(z))) };
}

// ---------------------------------------------------------------------------------------------
// Comparing a run with its baseline.

export type CompareDirection = "slower" | "faster" | "either";

export interface CompareOptions {
  /** Histograms to compare (default ttfc, tpot, e2e). */
  metrics?: readonly HistogramName[];
  /**
   * Percentiles in (0, 100) (default 50 and 90: higher ones need many requests to say anything);
   * per metric allowed ({ ttfc: [50], e2e: [50, 90] }; a metric not named gets the default).
   */
  percentiles?: readonly number[] | Partial<Record<HistogramName, readonly number[]>>;
  /** Smallest change that counts, as a fraction: 0.25 = 25% slower (default 0.25); per metric allowed. */
  minEffect?: number | Partial<Record<HistogramName, number>>;
  /** Of the confidence interval (default 0.95). */
  confidence?: number;
  /** What fails: "slower" (default; faster is reported and passes), "faster", or "either". */
  direction?: CompareDirection;
  /** Bootstrap replicates (default 2000). */
  resamples?: number;
  /** Seed of the bootstrap; the default makes every comparison reproducible. */
  seed?: string | number;
  /**
   * Fewer values than this in either run and a metric is not compared (default 20); percentile p
   * also needs 5 values above it (p90: 50 values, p99: 500).
   */
  minSamples?: number;
}

export const compareDefaults = {
  metrics: ["ttfc", "tpot", "e2e"] as readonly HistogramName[],
  percentiles: [50, 90] as readonly number[],
  minEffect: 0.25,
  confidence: 0.95,
  direction: "slower" as CompareDirection,
  resamples: 2000,
  seed: "agentload/compare",
  minSamples: 20,
  /** A percentile needs this many values above it before its bootstrap means anything. */
  tailSamples: 5,
} as const;


export interface PercentileComparison {
  metric: HistogramName;
  percentile: number;
  /** "tpot p90" */
  label: string;
  old: number;
  new: number;
  oldCount: number;
  newCount: number;
  ratio: number;
  /** Confidence interval of the ratio. */
  low: number;
  high: number;
  confidence: number;
  minEffect: number;
  /** "slower": the whole interval is above 1 + minEffect; "faster": below 1 / (1 + minEffect). */
  change: "slower" | "faster" | "none";
  pass: boolean;
  /** `tpot p90: 9.6ms -> 15.1ms (+57%, 95% CI +41%..+74%) exceeds +25%` */
  message: string;
}

export interface SkippedComparison {
  metric: HistogramName;
  percentile?: number;
  reason: "missing" | "too-few-samples";
  message: string;
}

export interface HistogramComparison {
  pass: boolean;
  comparisons: PercentileComparison[];
  /** Not compared (they pass): too few values, or the histogram is absent on one side. */
  skipped: SkippedComparison[];
  /** Per compared metric; for reading only, the verdict rests on the intervals. */
  ranks: Partial<Record<HistogramName, RankTest>>;
  /** One line per comparison and skip, failures marked ✗. */
  lines: string[];
}

export type HistogramSet = Partial<Record<HistogramName, HistogramInput>>;

/** Compare options checked, with their defaults filled in. */
export interface CompareSettings {
  metrics: readonly HistogramName[];
  percentiles: (m: HistogramName) => readonly number[];
  minEffect: (m: HistogramName) => number;
  confidence: number;
  direction: CompareDirection;
  resamples: number;
  seed: string | number;
  minSamples: number;
}

/** Checks compare options (an error names the bad one) and fills in the defaults. */
export function compareSettings(options: CompareOptions): CompareSettings {
  const bad = (what: string, got: unknown) => new Error(`compare options: ${what}, got ${JSON.stringify(got)}`);
  const metrics = options.metrics ?? compareDefaults.metrics;
  // Any latency metric of the catalogue (or sub-metric) may be compared: a name neither run holds
  // is reported as not compared; a name that is not a metric name at all is an error.
  for (const m of metrics) if (typeof m !== "string" || !parseMetricName(m)) throw bad("metrics: expected latency metric names such as ttfc, tpot, e2e or ttfc{kind:spawn}", m);
  const given = options.percentiles ?? compareDefaults.percentiles;
  const checkPercentiles = (ps: unknown, where: string) => {
    if (!Array.isArray(ps) || ps.length === 0) throw bad(`${where}: expected a list of percentiles such as [50, 90]`, ps);
    for (const p of ps) if (!(typeof p === "number" && p > 0 && p < 100)) throw bad(`${where}: expected numbers between 0 and 100 (exclusive)`, p);
  };
  const perMetric = Array.isArray(given) ? undefined : (given as Partial<Record<HistogramName, readonly number[]>>);
  if (perMetric === undefined) checkPercentiles(given, "percentiles");
  else if (typeof perMetric !== "object" || perMetric === null) throw bad("percentiles: expected a list such as [50, 90], or one per metric such as { ttfc: [50] }", given);
  else {
    for (const [m, ps] of Object.entries(perMetric)) {
      if (!parseMetricName(m)) throw bad("percentiles: expected latency metric names as keys, such as ttfc or e2e", m);
      if (!metrics.includes(m)) throw bad(`percentiles.${m}: not among the compared metrics (${metrics.join(", ")})`, m);
      checkPercentiles(ps, `percentiles.${m}`);
    }
  }
  const effect = options.minEffect ?? compareDefaults.minEffect;
  const effects = typeof effect === "number" ? {} : effect;
  const checkEffect = (e: unknown, where: string) => {
    if (!(typeof e === "number" && Number.isFinite(e) && e >= 0)) throw bad(`${where}: expected a fraction >= 0 (0.25 = 25%)`, e);
  };
  if (typeof effect === "number") checkEffect(effect, "minEffect");
  else for (const [m, e] of Object.entries(effects)) checkEffect(e, `minEffect.${m}`);
  const confidence = options.confidence ?? compareDefaults.confidence;
  if (!(confidence > 0 && confidence < 1)) throw bad("confidence: expected a number between 0 and 1 (exclusive)", confidence);
  const direction = options.direction ?? compareDefaults.direction;
  if (!["slower", "faster", "either"].includes(direction)) throw bad(`direction: expected "slower", "faster" or "either"`, direction);
  const resamples = options.resamples ?? compareDefaults.resamples;
  if (!(Number.isInteger(resamples) && resamples >= 100)) throw bad("resamples: expected an integer >= 100", resamples);
  const minSamples = options.minSamples ?? compareDefaults.minSamples;
  if (!(Number.isInteger(minSamples) && minSamples >= 1)) throw bad("minSamples: expected an integer >= 1", minSamples);
  return {
    metrics,
    percentiles: (m) => (perMetric === undefined ? (given as readonly number[]) : (perMetric[m] ?? compareDefaults.percentiles)),
    minEffect: (m) => (typeof effect === "number" ? effect : (effects[m] ?? compareDefaults.minEffect)),
    confidence,
    direction,
    resamples,
    seed: options.seed ?? compareDefaults.seed,
    minSamples,
  };
}

/** Values each run needs before percentile p is compared: minSamples, and 5 above p (p90: 50, p99: 500). */
export function samplesNeeded(s: Pick<CompareSettings, "minSamples">, percentile: number): number {
  return Math.max(s.minSamples, Math.ceil((compareDefaults.tailSamples * 100) / (100 - percentile)));
}

/** The verdict on one percentile from its ratio interval: changed only when the whole interval is beyond the minimum effect. */
export function judgeInterval(
  s: CompareSettings,
  what: Pick<PercentileComparison, "metric" | "percentile" | "label" | "oldCount" | "newCount">,
  ci: RatioInterval,
): PercentileComparison {
  const minEffect = s.minEffect(what.metric);
  const change: PercentileComparison["change"] = ci.low > 1 + minEffect ? "slower" : ci.high < 1 / (1 + minEffect) ? "faster" : "none";
  const pass = change === "none" || (s.direction !== "either" && s.direction !== change);
  const result = { ...what, old: ci.old, new: ci.new, ratio: ci.ratio, low: ci.low, high: ci.high, confidence: s.confidence, minEffect, change };
  return { ...result, pass, message: comparisonMessage(result, s.direction) };
}

/** The comparison lines: one per compared percentile (failures marked ✗) and one per skip. */
export function comparisonLines(comparisons: readonly PercentileComparison[], skipped: readonly SkippedComparison[]): string[] {
  return [...comparisons.map((c) => `${c.pass ? "✓" : "✗"} ${c.message}`), ...skipped.map((k) => `- ${k.message}`)];
}

/**
 * Compares each chosen metric's percentiles between a baseline and a new run. Fails when some
 * percentile is confidently changed (in the failing direction) by more than its minimum effect.
 */
export function compareHistograms(baseline: HistogramSet, current: HistogramSet, options: CompareOptions = {}): HistogramComparison {
  const s = compareSettings(options);
  const comparisons: PercentileComparison[] = [];
  const skipped: SkippedComparison[] = [];
  const ranks: Partial<Record<HistogramName, RankTest>> = {};
  for (const metric of s.metrics) {
    const oldInput = baseline[metric];
    const newInput = current[metric];
    if (!oldInput && !newInput && !defaultCatalogue.get(parseMetricName(metric)?.base ?? "")) {
      const held = Object.keys(current).join(", ");
      throw new Error(`compare options: metrics: expected latency metrics the runs hold (${held}), got ${JSON.stringify(metric)}`);
    }
    if (!oldInput || !newInput) {
      const why = !oldInput && !newInput ? "neither run has its histogram" : !oldInput ? "the baseline has no histogram" : "the new run has no histogram";
      skipped.push({ metric, reason: "missing", message: `${metric}: not compared, ${why}` });
      continue;
    }
    const old = weightedValues(oldInput);
    const next = weightedValues(newInput);
    const rank = mannWhitney(old, next);
    if (rank) ranks[metric] = rank;
    for (const percentile of s.percentiles(metric)) {
      const label = `${metric} p${percentile}`;
      const needed = samplesNeeded(s, percentile);
      if (old.count < needed || next.count < needed) {
        skipped.push({
          metric,
          percentile,
          reason: "too-few-samples",
          message: `${label}: not compared, too few values (baseline ${old.count}, new ${next.count}; needs ${needed})`,
        });
        continue;
      }
      const rng = rngFor(s.seed, `${metric}/p${percentile}`);
      const ci = percentileRatioInterval(old, next, percentile, { confidence: s.confidence, resamples: s.resamples, rng });
      comparisons.push(judgeInterval(s, { metric, percentile, label, oldCount: old.count, newCount: next.count }, ci));
    }
  }
  const pass = comparisons.every((c) => c.pass);
  return { pass, comparisons, skipped, ranks, lines: comparisonLines(comparisons, skipped) };
}

// ---------------------------------------------------------------------------------------------
// Messages.

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** A ratio as a signed change: 1.57 -> "+57%", 0.968 -> "-3.2%", 1 -> "+0%". */
export function formatChange(ratio: number): string {
  if (ratio === Infinity) return "+∞%";
  if (!Number.isFinite(ratio)) return String(ratio);
  const pct = (ratio - 1) * 100;
  const digits = Math.abs(pct) >= 9.95 ? 0 : 1;
  const shown = trimZeros(Math.abs(pct).toFixed(digits));
  return `${pct < 0 && shown !== "0" ? "-" : "+"}${shown}%`;
}

/** `ttfc p50: 120ms -> 180ms (+50%, 95% CI +41%..+60%) exceeds +25%`. */
export function comparisonMessage(c: Omit<PercentileComparison, "pass" | "message">, direction: CompareDirection): string {
  const level = `${trimZeros((c.confidence * 100).toFixed(1))}%`;
  const head = `${c.label}: ${formatMs(c.old)} -> ${formatMs(c.new)} (${formatChange(c.ratio)}, ${level} CI ${formatChange(c.low)}..${formatChange(c.high)})`;
  const up = formatChange(1 + c.minEffect);
  const down = formatChange(1 / (1 + c.minEffect));
  if (c.change === "slower") return `${head} exceeds ${up}`;
  if (c.change === "faster") return `${head} beyond ${down} (faster)`;
  // Inside the band, or straddling its edge: too uncertain to call a change.
  const watched = { slower: c.high > 1 + c.minEffect, faster: c.low < 1 / (1 + c.minEffect) };
  const band = direction === "slower" ? up : direction === "faster" ? down : `${down}..${up}`;
  const straddles = direction === "either" ? watched.slower || watched.faster : watched[direction];
  return `${head} ${straddles ? "not clearly beyond" : "within"} ${band}`;
}
