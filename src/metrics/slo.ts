// SLO verdicts, k6-style: each bound in the spec becomes one line that passes or fails, e.g.
//   ttfc p95 < 750ms: measured 812.4ms ✗
//   error rate <= 2%: measured 0.5% ✓
// Latency bounds are strict (<), as in k6 thresholds; the error rate bound includes its limit, so
// `max: 0` can be met. A bound on a metric with no measurements fails: a gate cannot pass on no data.
import type { LatencyStat, ResolvedLatencyThreshold, ResolvedSloSpec } from "../workload/spec.js";
import { parseDuration } from "../workload/spec.js";
import { formatMs, formatPercent } from "./format.js";
import type { RequestMetrics } from "./request-metrics.js";
import type { LatencyMetric, RunSummary } from "./summary.js";

/** A resolved SloSpec; `ttfv` is read too, should the schema grow it. */
export type SloInput = ResolvedSloSpec & { ttfv?: ResolvedLatencyThreshold };

export interface SloVerdict {
  /** "ttfc p95", "error rate max". */
  name: string;
  metric: LatencyMetric | "errorRate";
  stat: LatencyStat;
  /** Milliseconds for latencies, a ratio for the error rate. */
  limit: number;
  /** Null when there was nothing to measure. */
  measured: number | null;
  pass: boolean;
  message: string;
}

export const LATENCY_METRICS: readonly LatencyMetric[] = ["ttfc", "ttfv", "tbc", "tpot", "e2e"];
const STATS: readonly LatencyStat[] = ["p50", "p90", "p95", "p99", "max", "mean"];

export function evaluateSlos(slo: SloInput, summary: RunSummary): SloVerdict[] {
  const verdicts: SloVerdict[] = [];
  for (const metric of LATENCY_METRICS) {
    const threshold = slo[metric];
    if (!threshold) continue;
    const stats = summary.latency[metric];
    for (const stat of STATS) {
      const raw = threshold[stat];
      if (raw === undefined) continue;
      const limit = parseDuration(raw);
      const measured = stats ? stats[stat] : null;
      const pass = measured !== null && measured < limit;
      const name = `${metric} ${stat}`;
      const shown = measured === null ? "no measurements" : `measured ${formatMs(measured)}`;
      verdicts.push({ name, metric, stat, limit, measured, pass, message: `${name} < ${formatMs(limit)}: ${shown} ${mark(pass)}` });
    }
  }
  if (slo.errorRate) {
    const limit = slo.errorRate.max;
    const decided = summary.counts.ok + summary.counts.failed;
    const measured = decided > 0 ? summary.errors.rate : null;
    const pass = measured !== null && measured <= limit;
    const shown = measured === null ? "no measurements" : `measured ${formatPercent(measured)}`;
    verdicts.push({
      name: "error rate max",
      metric: "errorRate",
      stat: "max",
      limit,
      measured,
      pass,
      message: `error rate <= ${formatPercent(limit)}: ${shown} ${mark(pass)}`,
    });
  }
  return verdicts;
}

function mark(pass: boolean): string {
  return pass ? "✓" : "✗";
}

/**
 * The limit one request must meet for goodput, per latency metric in the SLO. A spec bounds a
 * run's statistics, so a per-request limit is read from the bound on the upper tail: the first of
 * max, p99, p95, p90, p50, mean that is given. (A request "meets the ttfc SLO" when its own ttfc is
 * under the ttfc bound, as in vLLM's --goodput and DistServe.)
 */
export function requestLimits(slo: SloInput): Partial<Record<LatencyMetric, number>> {
  const limits: Partial<Record<LatencyMetric, number>> = {};
  for (const metric of LATENCY_METRICS) {
    const threshold = slo[metric];
    if (!threshold) continue;
    for (const stat of ["max", "p99", "p95", "p90", "p50", "mean"] as const) {
      const raw = threshold[stat];
      if (raw !== undefined) {
        limits[metric] = parseDuration(raw);
        break;
      }
    }
  }
  return limits;
}

/** The per-request values goodput compares with the limits. */
export type GoodputValues = Pick<RequestMetrics, "ttfc" | "ttfv" | "tpot" | "tbcMean" | "e2e">;

/**
 * Whether one successful request meets every per-request limit (strictly below it). tbc is judged
 * by the request's mean gap, since one slow gap in a long stream says little about the request.
 * A missing ttfc, ttfv or e2e fails its limit (nothing proves it was met); tpot and tbc of a
 * request with a single token or chunk are vacuous and pass.
 */
export function meetsRequestLimits(values: GoodputValues, limits: Partial<Record<LatencyMetric, number>>): boolean {
  const check = (value: number | undefined, limit: number | undefined, vacuous: boolean) =>
    limit === undefined || (value === undefined ? vacuous : value < limit);
  return (
    check(values.ttfc, limits.ttfc, false) &&
    check(values.ttfv, limits.ttfv, false) &&
    check(values.e2e, limits.e2e, false) &&
    check(values.tpot, limits.tpot, true) &&
    check(values.tbcMean, limits.tbc, true)
  );
}
