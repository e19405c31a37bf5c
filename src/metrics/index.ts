// Metrics: per-request measurements, run aggregation, server counters and SLO verdicts.
export { createAggregator, summarizeRecords, DEFAULT_LATENESS_THRESHOLD_MS } from "./aggregator.js";
export type { Aggregator, AggregatorOptions, SummarizeOptions } from "./aggregator.js";
export { decodeOverlap } from "./decode-overlap.js";
export type { DecodeOverlap, Span } from "./decode-overlap.js";
export { formatMs, formatNumber, formatPercent } from "./format.js";
export { LatencyHistogram, mergeHistograms } from "./histogram.js";
export type { DistributionStats, SerializedHistogram } from "./histogram.js";
export { parsePrometheus, sumSeries } from "./prometheus.js";
export type { PrometheusScrape } from "./prometheus.js";
export { requestMetrics } from "./request-metrics.js";
export type { RequestMetrics } from "./request-metrics.js";
export { serverCacheHitRate } from "./server-cache.js";
export type { ServerCacheHitRate } from "./server-cache.js";
export { evaluateSlos, meetsRequestLimits, requestLimits, LATENCY_METRICS } from "./slo.js";
export type { GoodputValues, SloInput, SloVerdict } from "./slo.js";
export type * from "./summary.js";
export { compareHistograms, compareDefaults } from "./compare.js";
export type { CompareOptions, HistogramComparison, HistogramSet } from "./compare.js";
