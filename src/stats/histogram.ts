// A mergeable, serializable latency histogram. Values are milliseconds; the HDR histogram
// underneath records whole microseconds with 3 significant digits, so a percentile is within
// 0.1% (plus 1 µs) of the exact one. Count, sum, min and max are kept exactly beside it, so the
// mean and max are not bucket estimates, and percentiles are clamped into [min, max].
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from "hdr-histogram-js";

const US_PER_MS = 1000;
const SIGNIFICANT_DIGITS = 3;

/** The plain-data form of a LatencyHistogram (what summary.json and metric snapshots store). */
export interface SerializedHistogram {
  /** Format marker: HDR histogram V2, compressed, base64; values in microseconds. */
  format: "hdr-v2-us";
  count: number;
  /** Exact, in milliseconds (0 when count is 0). */
  sum: number;
  min: number;
  max: number;
  hdr: string;
}

/** Mean, percentiles and extremes of one metric, in its unit (milliseconds for latencies). */
export interface DistributionStats {
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export class LatencyHistogram {
  private readonly hdr: Histogram;
  private n = 0;
  private total = 0;
  private lo = Infinity;
  private hi = -Infinity;

  constructor(hdr?: Histogram) {
    this.hdr = hdr ?? build({ numberOfSignificantValueDigits: SIGNIFICANT_DIGITS, autoResize: true });
  }

  get count(): number {
    return this.n;
  }

  /** Records one value in milliseconds. Negative values are recorded as 0 (the HDR scale starts there). */
  record(ms: number): void {
    if (!Number.isFinite(ms)) throw new Error(`histogram value must be a finite number of milliseconds, got ${ms}`);
    const v = Math.max(0, ms);
    this.hdr.recordValue(Math.round(v * US_PER_MS));
    this.n += 1;
    this.total += v;
    if (v < this.lo) this.lo = v;
    if (v > this.hi) this.hi = v;
  }

  /** Adds every value of `other` to this histogram. */
  merge(other: LatencyHistogram): this {
    if (other.n === 0) return this;
    this.hdr.add(other.hdr);
    this.n += other.n;
    this.total += other.total;
    this.lo = Math.min(this.lo, other.lo);
    this.hi = Math.max(this.hi, other.hi);
    return this;
  }

  /** The value at percentile p (0..100), in milliseconds; NaN when empty. */
  percentile(p: number): number {
    if (this.n === 0) return NaN;
    const v = this.hdr.getValueAtPercentile(p) / US_PER_MS;
    return Math.min(this.hi, Math.max(this.lo, v));
  }

  get mean(): number {
    return this.n === 0 ? NaN : this.total / this.n;
  }

  /** Summary statistics, or null when nothing was recorded. */
  stats(): DistributionStats | null {
    if (this.n === 0) return null;
    return {
      count: this.n,
      mean: this.mean,
      min: this.lo,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.hi,
    };
  }

  toJSON(): SerializedHistogram {
    return {
      format: "hdr-v2-us",
      count: this.n,
      sum: this.total,
      min: this.n === 0 ? 0 : this.lo,
      max: this.n === 0 ? 0 : this.hi,
      hdr: encodeIntoCompressedBase64(this.hdr),
    };
  }

  static fromJSON(data: SerializedHistogram): LatencyHistogram {
    if (data?.format !== "hdr-v2-us" || typeof data.hdr !== "string") {
      throw new Error(`not a serialized latency histogram: expected { format: "hdr-v2-us", hdr: "<base64>", ... }`);
    }
    const h = new LatencyHistogram(decodeFromCompressedBase64(data.hdr));
    h.hdr.autoResize = true;
    h.n = data.count;
    h.total = data.sum;
    h.lo = data.count === 0 ? Infinity : data.min;
    h.hi = data.count === 0 ? -Infinity : data.max;
    return h;
  }
}

/** A new histogram holding the values of all the given ones. */
export function mergeHistograms(histograms: Iterable<LatencyHistogram>): LatencyHistogram {
  const out = new LatencyHistogram();
  for (const h of histograms) out.merge(h);
  return out;
}
