// The summary of one run: plain JSON data (it is written to summary.json as is). Times are
// milliseconds, rates are per second, ratios are in [0, 1]; a statistic with nothing to measure
// is null.
import type { ErrorKind } from "../records/types.js";
import type { DecodeOverlap } from "./decode-overlap.js";
import type { DistributionStats, SerializedHistogram } from "../stats/histogram.js";
import type { ServerCacheHitRate } from "./server-cache.js";
import type { IdealCacheSummary } from "./cache-attribution.js";

export type LatencyMetric = "ttfc" | "ttfv" | "tbc" | "tpot" | "e2e";
/** The built-in latency metrics, all kept as histograms (see catalogue.ts). */
export type BuiltinHistogramName =
  | LatencyMetric
  | "tbcRequestMean"
  | "tbcRequestMax"
  | "ttfcScheduled"
  | "e2eScheduled"
  | "dispatchLateness"
  | "sessionDuration";
/** A histogram of the summary: a catalogue latency metric (built in or added) or a sub-metric such as "ttfc{kind:spawn}". */
export type HistogramName = BuiltinHistogramName | (string & Record<never, never>);

export interface RunCounts {
  /** Measured requests (warm-up excluded). */
  requests: number;
  ok: number;
  /** Requests that ended in an error other than "aborted". */
  failed: number;
  /** Requests cut off because the run was stopped; neither ok nor failed. */
  aborted: number;
  /** Sessions with at least one measured request. */
  sessions: number;
  warmupRequests: number;
  warmupSessions: number;
}

export interface ErrorSummary {
  /** failed / (ok + failed): aborted requests say nothing about the server. */
  rate: number;
  byKind: Partial<Record<ErrorKind, number>>;
  /** HTTP status of "http" errors, e.g. { "503": 2 }. */
  byStatus: Record<string, number>;
}

export interface ThroughputSummary {
  /** Successful requests per second of wall time. */
  requestsPerSec: number;
  /** Output tokens of successful requests per second of wall time. */
  outputTokensPerSec: number;
  /** Reported prompt tokens (else expected) of successful requests per second of wall time. */
  promptTokensPerSec: number;
}

export interface GoodputSummary {
  /** Successful requests that met every per-request limit (see requestLimits in slo.ts). */
  requests: number;
  perSec: number;
  /** requests / ok. */
  share: number;
  /** The per-request limits applied, ms. */
  limits: Record<string, number>;
}

export interface PromptTokenAccuracy {
  /** Successful requests whose server reported prompt tokens. */
  reported: number;
  /** Of those, how many matched the expected count exactly. */
  exact: number;
  exactShare: number | null;
  /** Mean of (reported - expected). */
  meanDeviation: number | null;
  meanAbsDeviation: number | null;
  maxAbsDeviation: number | null;
}

export interface TokenSummary {
  /** Output tokens of successful requests (usage, else chunk count). */
  output: number;
  /** Share of successful requests whose output count came from the server's usage. */
  outputFromUsageShare: number | null;
  expectedPrompt: number;
  /** Sum of reported prompt tokens (successful requests that report them). */
  reportedPrompt: number;
  /** Sum of reported cached tokens; null when no request reported any. */
  cached: number | null;
  promptAccuracy: PromptTokenAccuracy;
}

export interface PrefixSummary {
  /**
   * Share of prompt tokens each request repeats of its history parent: Σ shared / Σ expected
   * (within sessions only; `ideal.infinite.hitRate` adds scaffolds and hash-id blocks shared across them).
   */
  expectedReuse: number | null;
  /** Σ cachedTokens / Σ promptTokens over successful requests that report both (usage details). */
  requestHitRate: number | null;
  /** From the server's counters before and after the run. */
  server: ServerCacheHitRate | null;
  /**
   * The ideal prefix cache of the run's requests in their dispatch order, and the server's cached
   * tokens against it (cache-attribution.ts); absent when it was not computed (records alone,
   * merged runs).
   */
  ideal?: IdealCacheSummary;
}

export interface DispatchSummary {
  /** dispatchedAt - plannedAt over all measured requests. */
  lateness: DistributionStats | null;
  thresholdMs: number;
  /** lateness p99 <= thresholdMs. */
  healthy: boolean;
}

export interface RunSummary {
  /** The measured wall time the rates are over. */
  wallMs: number;
  counts: RunCounts;
  errors: ErrorSummary;
  throughput: ThroughputSummary;
  /** Null when no SLO with latency limits was given. */
  goodput: GoodputSummary | null;
  tokens: TokenSummary;
  /** Successful requests only; tbc pools every gap, tbcRequestMean/Max are per request. */
  latency: Record<BuiltinHistogramName, DistributionStats | null> & Record<string, DistributionStats | null>;
  prefix: PrefixSummary;
  decode: DecodeOverlap;
  dispatch: DispatchSummary;
  health: { healthy: boolean; problems: string[] };
  histograms: Record<BuiltinHistogramName, SerializedHistogram> & Record<string, SerializedHistogram>;
}
