// A finished run as JUnit <property name value> pairs (vitest's JUnit reporter writes a test's
// annotations so): the headline of a run, and one objective with its metric's distribution. Both
// iterate the metric catalogue, so a metric added there shows up here without an edit.
import { catalogueOfSummary, parseMetricName, type MetricCatalogue } from "../metrics/catalogue.js";
import type { SloVerdict } from "../metrics/slo.js";
import type { RunSummary } from "../metrics/summary.js";
import type { DistributionStats } from "../stats/histogram.js";

export interface Property {
  name: string;
  value: string;
}

/** Numbers as JUnit property values: four decimals at most, no exponent for small values. */
function num(x: number): string {
  return String(Math.round(x * 10_000) / 10_000);
}

function statsProperties(metric: string, stats: DistributionStats | null | undefined, keys: readonly (keyof DistributionStats)[]): Property[] {
  if (!stats) return [{ name: `${metric}.count`, value: "0" }];
  return keys.map((k) => ({ name: k === "count" ? `${metric}.count` : `${metric}.${k}.ms`, value: num(stats[k]) }));
}

/** Property names of run-level metrics kept as they were before the catalogue. */
const LEGACY_NAMES: Record<string, string> = { cacheHitRate: "prefixCacheHitRate" };

/** A run at a glance, for a test that is not tied to one metric (slo(name, fn)). */
export function headlineProperties(summary: RunSummary, catalogue: MetricCatalogue = catalogueOfSummary(summary)): Property[] {
  const props: Property[] = [
    { name: "requests", value: String(summary.counts.requests) },
    { name: "errorRate", value: num(summary.errors.rate) },
  ];
  for (const def of catalogue.latency()) {
    const stats = summary.latency[def.name];
    if (def.headline && stats) props.push(...statsProperties(def.name, stats, def.headline));
  }
  for (const def of catalogue.summaryMetrics()) {
    if (!def.headline) continue;
    const value = def.value(summary);
    if (value !== null) props.push({ name: LEGACY_NAMES[def.name] ?? def.name, value: num(value) });
  }
  return props;
}

/** One objective of an SLO: its bound, the measured value and its metric's distribution. */
export function objectiveProperties(verdict: SloVerdict, summary: RunSummary, catalogue: MetricCatalogue = catalogueOfSummary(summary)): Property[] {
  const def = catalogue.get(parseMetricName(verdict.metric)?.base ?? "");
  const unit = !def || def.kind === "latency" ? "ms" : def.kind;
  const props: Property[] = [
    { name: "objective", value: verdict.message.replace(/ [✓✗]$/, "") },
    { name: `limit.${unit}`, value: num(verdict.limit) },
    { name: `measured.${unit}`, value: verdict.measured === null ? "none" : num(verdict.measured) },
  ];
  if (def?.kind === "latency") {
    props.push(...statsProperties(verdict.metric, summary.latency[verdict.metric], ["count", "p50", "p90", "p95", "p99", "max", "mean"]));
  } else {
    props.push({ name: "requests", value: String(summary.counts.requests) }, { name: "failed", value: String(summary.counts.failed) });
  }
  return props;
}
