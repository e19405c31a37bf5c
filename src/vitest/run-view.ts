// What a workload test sees of its run: the RunResult, and each latency metric as a histogram
// (for any percentile) beside its summary statistics, so tests read `run.ttfc` rather than digging
// through the summary. Built once per run by describeWorkload.
import { LATENCY_METRICS } from "../metrics/catalogue.js";
import { LatencyHistogram, type DistributionStats } from "../stats/histogram.js";
import type { RunSummary } from "../metrics/summary.js";
import type { WorkloadFingerprint } from "../run/fingerprint.js";
import type { RunResult } from "../run/run.js";
import type { RepeatStats } from "../metrics/compare-repeats.js";
import type { BaselineOptions, SequentialPairs } from "./baseline-compare.js";
import type { ServerInfo } from "./context.js";

export interface MetricView {
  /** A catalogue latency metric or sub-metric: "ttfc", "sessionDuration", "ttfc{kind:spawn}". */
  name: string;
  histogram: LatencyHistogram;
  /** Null when nothing was measured. */
  stats: DistributionStats | null;
}

/** What served the run, as far as it is known; kept in metric snapshots so baselines say what they measured. */
export interface ServerEnvironment {
  /** "llama.cpp", "vllm", "sglang", or a URL for a server this tool did not start. */
  engine?: string;
  engineVersion?: string;
  model?: string;
  /** Parallel sequences the server decodes (llama.cpp --parallel). */
  slots?: number;
}

export interface WorkloadRun {
  name: string;
  result: RunResult;
  summary: RunSummary;
  ttfc: MetricView;
  ttfv: MetricView;
  tbc: MetricView;
  tpot: MetricView;
  e2e: MetricView;
  /** Any latency metric the run measured (every catalogue entry, built in or added, and each sub-metric kept). */
  metric(name: string): MetricView;
  /** The names metric() answers. */
  metricNames(): string[];
  /** failed / (ok + failed). */
  errorRate: number;
  throughput: RunSummary["throughput"];
  environment?: ServerEnvironment;
  /** What was run (spec hash and sessions), for metric snapshots. */
  fingerprint?: WorkloadFingerprint;
  /** With `repeats: N` (N >= 2): each run's latency statistics, for comparisons across runs. */
  repeats?: RepeatStats[];
  /** With describeWorkload's `baseline`: the same workload against the baseline server, its runs interleaved with these (toMatchBaseline). */
  baseline?: WorkloadRun;
  /** describeWorkload's `compare`: what toMatchBaseline() judges by when given no options, and what stopped sequential pairs. */
  compare?: BaselineOptions;
  /** With `repeats: { min, max }` and a baseline: how many pairs ran and whether they decided. */
  sequential?: SequentialPairs;
}


export function toWorkloadRun(name: string, result: RunResult & { repeats?: RunSummary[] }, environment?: ServerEnvironment): WorkloadRun {
  const summary = result.summary;
  const views = new Map<string, MetricView>();
  const view = (metric: string): MetricView => {
    let v = views.get(metric);
    if (!v) {
      const hist = summary.histograms[metric];
      if (!hist) throw new Error(`run ${JSON.stringify(name)} has no metric ${JSON.stringify(metric)}; it measured ${Object.keys(summary.histograms).join(", ")}`);
      v = { name: metric, histogram: LatencyHistogram.fromJSON(hist), stats: summary.latency[metric] ?? null };
      views.set(metric, v);
    }
    return v;
  };
  const [ttfc, ttfv, tbc, tpot, e2e] = LATENCY_METRICS.map(view) as [MetricView, MetricView, MetricView, MetricView, MetricView];
  const run: WorkloadRun = {
    name,
    result,
    summary,
    ttfc,
    ttfv,
    tbc,
    tpot,
    e2e,
    metric: view,
    metricNames: () => Object.keys(summary.histograms),
    errorRate: summary.errors.rate,
    throughput: summary.throughput,
    ...(result.fingerprint ? { fingerprint: result.fingerprint } : {}),
    ...(result.repeats && result.repeats.length > 1 ? { repeats: result.repeats.map((r) => r.latency) } : {}),
  };
  if (environment) run.environment = environment;
  return run;
}

export function isMetricView(value: unknown): value is MetricView {
  const v = value as Partial<MetricView> | null;
  // Duck-typed: the run may come from another copy of this package (built dist beside src).
  return typeof v === "object" && v !== null && typeof v.name === "string" && typeof v.histogram?.percentile === "function";
}

export function isWorkloadRun(value: unknown): value is WorkloadRun {
  const v = value as Partial<WorkloadRun> | null;
  return typeof v === "object" && v !== null && typeof v.name === "string" && isRunSummary(v.summary) && isMetricView(v.ttfc);
}

/** Loose check for a RunSummary (what toMeetSLO and the snapshots read). */
export function isRunSummary(value: unknown): value is RunSummary {
  const v = value as Partial<RunSummary> | null;
  return typeof v === "object" && v !== null && typeof v.latency === "object" && typeof v.counts === "object" && typeof v.histograms === "object";
}

/** What a snapshot says served a run. */
export function environmentOf(server: ServerInfo): ServerEnvironment {
  return {
    engine: server.builtIn ? "llama.cpp" : server.apiUrl,
    ...(server.model ? { model: server.model } : {}),
    ...(server.slots !== undefined ? { slots: server.slots } : {}),
  };
}
