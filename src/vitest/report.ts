// What a workload leaves for CI pages and dashboards: per SLO test, the measured metrics as
// test annotations (vitest's JUnit reporter writes a test's annotations as <property name value>,
// its JSON reporter keeps them too), and per run a metrics JSON under the project's outputDir
// (a copy of the run folder's summary.json with where it came from).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { RunResult } from "../run/run.js";
import type { SloVerdict } from "../metrics/slo.js";
import type { LatencyMetric, RunSummary } from "../metrics/summary.js";
import type { DistributionStats } from "../metrics/histogram.js";
import type { ServerInfo } from "./context.js";

export interface Property {
  name: string;
  value: string;
}

/** Numbers as JUnit property values: four decimals at most, no exponent for small values. */
function num(x: number): string {
  return String(Math.round(x * 10_000) / 10_000);
}

function statsProperties(metric: string, stats: DistributionStats | null, keys: readonly (keyof DistributionStats)[]): Property[] {
  if (!stats) return [{ name: `${metric}.count`, value: "0" }];
  return keys.map((k) => ({ name: k === "count" ? `${metric}.count` : `${metric}.${k}.ms`, value: num(stats[k]) }));
}

/** The prefix-cache hit rate the server reports, else the one from per-request usage. */
function cacheHitRate(summary: RunSummary): number | null {
  return summary.prefix.server?.rate ?? summary.prefix.requestHitRate ?? null;
}

/** A run at a glance, for a test that is not tied to one metric (slo(name, fn)). */
export function headlineProperties(summary: RunSummary): Property[] {
  const props: Property[] = [
    { name: "requests", value: String(summary.counts.requests) },
    { name: "errorRate", value: num(summary.errors.rate) },
  ];
  const wanted: [LatencyMetric, (keyof DistributionStats)[]][] = [
    ["ttfc", ["p50", "p95", "p99"]],
    ["tbc", ["p95"]],
    ["tpot", ["p95"]],
    ["e2e", ["p50", "p95"]],
  ];
  for (const [metric, keys] of wanted) {
    const stats = summary.latency[metric];
    if (stats) props.push(...statsProperties(metric, stats, keys));
  }
  props.push({ name: "outputTokensPerSec", value: num(summary.throughput.outputTokensPerSec) });
  const hit = cacheHitRate(summary);
  if (hit !== null) props.push({ name: "prefixCacheHitRate", value: num(hit) });
  return props;
}

/** One objective of the spec's slo section: its bound, the measured value and its metric's distribution. */
export function objectiveProperties(verdict: SloVerdict, summary: RunSummary): Property[] {
  const unit = verdict.metric === "errorRate" ? "ratio" : "ms";
  const props: Property[] = [
    { name: "objective", value: verdict.message.replace(/ [✓✗]$/, "") },
    { name: `limit.${unit}`, value: num(verdict.limit) },
    { name: `measured.${unit}`, value: verdict.measured === null ? "none" : num(verdict.measured) },
  ];
  if (verdict.metric === "errorRate") {
    props.push({ name: "requests", value: String(summary.counts.requests) }, { name: "failed", value: String(summary.counts.failed) });
  } else {
    props.push(...statsProperties(verdict.metric, summary.latency[verdict.metric], ["count", "p50", "p90", "p95", "p99", "max", "mean"]));
  }
  return props;
}

/** Task meta every workload test carries (vitest's JSON reporter writes a test's meta). */
export interface WorkloadTestMeta {
  workload: string;
  runDir: string;
  objective?: string;
  measured?: number | null;
  limit?: number;
  pass?: boolean;
}

export interface MetricsFile {
  workload: string;
  /** The workload file, relative to the project root. */
  file: string;
  finishedAt: string;
  server: ServerInfo;
  runDir: string;
  passed: boolean;
  interrupted: boolean;
  verdicts: SloVerdict[];
  summary: RunSummary;
}

/** `benchmarks/coding.workload.ts` + "cache off" -> `benchmarks-coding.workload--cache-off`. */
export function metricsFileName(relativeFile: string, workload: string): string {
  const slug = (s: string) => s.replace(/\.[cm]?[jt]sx?$/, "").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "");
  return `${slug(relativeFile)}--${slug(workload) || "workload"}.json`;
}

/** Writes <outputDir>/metrics/<file>--<workload>.json (the latest run of that workload) and returns its path. */
export function writeMetricsFile(
  outputDir: string,
  root: string,
  entry: { workload: string; testFile: string; server: ServerInfo; result: RunResult },
): string {
  const file = relative(root, entry.testFile).split("\\").join("/");
  const data: MetricsFile = {
    workload: entry.workload,
    file,
    finishedAt: new Date().toISOString(),
    server: entry.server,
    runDir: entry.result.dir,
    passed: entry.result.passed,
    interrupted: entry.result.interrupted,
    verdicts: entry.result.verdicts,
    summary: entry.result.summary,
  };
  const dir = join(outputDir, "metrics");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, metricsFileName(file, entry.workload));
  writeFileSync(path, JSON.stringify(data, null, 2) + "\n");
  return path;
}
