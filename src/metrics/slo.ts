// SLOs, k6-style: `metric: { stat: limit }` for any metric of the catalogue (catalogue.ts), each
// bound one line that passes or fails:
//   ttfc p95 < 750ms: measured 812.4ms ✗
//   ttfc{kind:spawn} p99 < 2s: measured 1.2s ✓
//   error rate <= 2%: measured 0.5% ✓
//   cache hit rate >= 80%: measured 86.1% ✓
// Latency bounds are upper bounds and strict (<), as in k6 thresholds; a run-level metric is
// bounded with `max` (<=, so `errorRate: { max: 0 }` can be met) or `min` (>=). A bound on a
// metric with no measurements fails: a gate cannot pass on no data. SLOs are checked against the
// catalogue once (sloProblems / resolveSlo), with errors that name the metrics and stats there are.
import { didYouMean } from "../stats/did-you-mean.js";
import { LatencyHistogram } from "../stats/histogram.js";
import { parseDuration } from "../stats/units.js";
import {
  defaultCatalogue,
  LATENCY_STATS_HELP,
  parseMetricName,
  percentileOfStat,
  SUMMARY_STATS,
  type LatencyMetricDefinition,
  type MetricCatalogue,
  type MetricDefinition,
} from "./catalogue.js";
import { formatMs, formatNumber, formatPercent } from "./format.js";
import type { RequestMetrics } from "./request-metrics.js";
import type { RequestRecord } from "../records/types.js";
import type { RunSummary } from "./summary.js";

/** SLOs as a spec's `slo:` or a matcher states them: metric -> stat -> limit (durations as "750ms" or ms). */
export type SloInput = Readonly<Record<string, unknown>>;

/** One bound, checked against the catalogue, its limit in the metric's unit (ms for latencies). */
export interface Objective {
  /** "ttfc p95", "ttfc{kind:spawn} p99", "error rate max". */
  name: string;
  /** The metric as written: `ttfc` or `ttfc{kind:spawn}`. */
  metric: string;
  stat: string;
  limit: number;
  bound: "below" | "at most" | "at least";
  /** "ttfc p95 < 750ms", "error rate <= 2%". */
  title: string;
}

export interface SloVerdict {
  name: string;
  metric: string;
  stat: string;
  /** Milliseconds for latencies, the metric's unit otherwise. */
  limit: number;
  /** Null when there was nothing to measure. */
  measured: number | null;
  pass: boolean;
  message: string;
}

export interface SloProblem {
  /** Path below the SLO object: ["ttfc", "p100"]. */
  path: (string | number)[];
  message: string;
}

function unitText(def: MetricDefinition, value: number): string {
  if (def.kind === "latency") return formatMs(value);
  if (def.kind === "ratio") return formatPercent(value);
  return formatNumber(value, def.kind === "rate" ? 2 : 0);
}

function displayName(def: MetricDefinition, metric: string): string {
  return def.kind === "latency" ? metric : def.label;
}

type Checked = { objective: Objective } | { problem: SloProblem };

function checkBound(metric: string, stat: string, raw: unknown, catalogue: MetricCatalogue): Checked {
  const parsed = parseMetricName(metric);
  const names = catalogue.names();
  if (!parsed) {
    return { problem: { path: [metric], message: `not a metric name: expected a catalogue metric (${names.join(", ")}), optionally with tags such as ttfc{kind:spawn} or e2e{agent:explorer}` } };
  }
  const def = catalogue.get(parsed.base);
  if (!def) {
    const hint = didYouMean(parsed.base, names);
    return { problem: { path: [metric], message: `unknown metric ${JSON.stringify(parsed.base)}${hint ? ` (did you mean ${hint}?)` : ""}; the metrics are ${names.join(", ")}` } };
  }
  const tagged = Object.keys(parsed.tags).length > 0;
  if (tagged && (def.kind !== "latency" || def.scope !== "request")) {
    return { problem: { path: [metric], message: `${parsed.base} has no sub-metrics: tags such as {kind:spawn} narrow per-request latency metrics only` } };
  }
  const display = displayName(def, metric);
  if (def.kind === "latency") {
    const p = percentileOfStat(stat);
    if (p === null && stat !== "max" && stat !== "mean") {
      const hint = didYouMean(stat, ["p50", "p90", "p95", "p99", "max", "mean"]);
      return { problem: { path: [metric, stat], message: `unknown statistic ${JSON.stringify(stat)} for ${metric}${hint ? ` (did you mean ${hint}?)` : ""}; latency metrics take ${LATENCY_STATS_HELP}` } };
    }
    let limit: number;
    try {
      if (typeof raw !== "number" && typeof raw !== "string") throw new Error("not a duration");
      limit = parseDuration(raw);
      if (!(limit >= 0)) throw new Error("negative");
    } catch {
      return { problem: { path: [metric, stat], message: `expected a duration such as "750ms", "1.5s" or a number of milliseconds, got ${JSON.stringify(raw)}` } };
    }
    return { objective: { name: `${metric} ${stat}`, metric, stat, limit, bound: "below", title: `${display} ${stat} < ${formatMs(limit)}` } };
  }
  if (!(SUMMARY_STATS as readonly string[]).includes(stat)) {
    return { problem: { path: [metric, stat], message: `unknown statistic ${JSON.stringify(stat)} for ${metric}: it is one number per run, bounded with max (at most) or min (at least)` } };
  }
  if (typeof raw !== "number" || !Number.isFinite(raw) || raw < 0 || (def.kind === "ratio" && raw > 1)) {
    return { problem: { path: [metric, stat], message: `expected ${def.kind === "ratio" ? "a ratio from 0 to 1 (0.02 = 2%)" : "a number >= 0"}, got ${JSON.stringify(raw)}` } };
  }
  const bound = stat === "max" ? "at most" : "at least";
  return { objective: { name: `${display} ${stat}`, metric, stat, limit: raw, bound, title: `${display} ${stat === "max" ? "<=" : ">="} ${unitText(def, raw)}` } };
}

function walk(slo: unknown, catalogue: MetricCatalogue): Checked[] {
  if (slo === undefined || slo === null) return [];
  if (typeof slo !== "object" || Array.isArray(slo)) return [{ problem: { path: [], message: "expected an object of metric: { stat: limit }, e.g. { ttfc: { p95: \"750ms\" }, errorRate: { max: 0.02 } }" } }];
  const out: Checked[] = [];
  for (const [metric, threshold] of Object.entries(slo as Record<string, unknown>)) {
    if (threshold === undefined) continue;
    if (typeof threshold !== "object" || threshold === null || Array.isArray(threshold) || Object.keys(threshold).length === 0) {
      // An unknown name is the more useful message when both are wrong.
      const named = checkBound(metric, "max", 0, catalogue);
      out.push("problem" in named && named.problem.path.length === 1 ? named : { problem: { path: [metric], message: "expected an object of stat: limit with at least one bound, e.g. { p95: \"750ms\" }" } });
      continue;
    }
    for (const [stat, raw] of Object.entries(threshold)) out.push(checkBound(metric, stat, raw, catalogue));
  }
  // One order whatever the order written: the catalogue's metrics in turn (each sub-metric after
  // its metric), percentiles ascending, then max, mean (run-level metrics: max, min).
  const order = new Map(catalogue.names().map((n, i) => [n, i]));
  const key = (c: Checked): [number, string, number] => {
    const path = "problem" in c ? c.problem.path.map(String) : [c.objective.metric, c.objective.stat];
    const metric = path[0] ?? "";
    const stat = path[1] ?? "";
    const base = parseMetricName(metric)?.base ?? metric;
    const p = percentileOfStat(stat);
    const statRank = p !== null ? p : { max: 200, mean: 300, min: 400 }[stat] ?? 500;
    return [order.get(base) ?? order.size, metric === base ? "" : metric, statRank];
  };
  return out
    .map((c, i) => ({ c, i, k: key(c) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1].localeCompare(b.k[1]) || a.k[2] - b.k[2] || a.i - b.i)
    .map((x) => x.c);
}

/** What is wrong with an SLO object against the catalogue; empty when nothing is. */
export function sloProblems(slo: unknown, catalogue: MetricCatalogue = defaultCatalogue): SloProblem[] {
  return walk(slo, catalogue).flatMap((c) => ("problem" in c ? [c.problem] : []));
}

/** One line per problem: `<where>.ttfc.p100: unknown statistic ...` (where: "slo", "spec.yaml: slo"). */
export function sloProblemLines(problems: readonly SloProblem[], where = "slo"): string[] {
  return problems.map((p) => `${[where, ...p.path].join(".")}: ${p.message}`);
}

/** The SLO's bounds in the order they are written; a TypeError listing every problem when some are wrong. */
export function resolveSlo(slo: unknown, catalogue: MetricCatalogue = defaultCatalogue, where = "slo"): Objective[] {
  const checked = walk(slo, catalogue);
  const problems = checked.flatMap((c) => ("problem" in c ? [c.problem] : []));
  if (problems.length > 0) {
    throw new TypeError(`invalid SLO:\n${sloProblemLines(problems, where).map((l) => `  ${l}`).join("\n")}`);
  }
  return checked.flatMap((c) => ("objective" in c ? [c.objective] : []));
}

/** The measured value of an objective's statistic; null when nothing was measured. */
export function measure(objective: Pick<Objective, "metric" | "stat">, summary: RunSummary, catalogue: MetricCatalogue = defaultCatalogue): number | null {
  const parsed = parseMetricName(objective.metric);
  const def = parsed ? catalogue.get(parsed.base) : undefined;
  if (!def) return null;
  if (def.kind !== "latency") return def.value(summary);
  const stats = summary.latency[objective.metric];
  if (stats && objective.stat in stats) return (stats as unknown as Record<string, number>)[objective.stat] ?? null;
  const hist = summary.histograms[objective.metric];
  if (!hist || hist.count === 0) return null;
  const h = LatencyHistogram.fromJSON(hist);
  if (objective.stat === "max") return h.stats()!.max;
  if (objective.stat === "mean") return h.mean;
  const p = percentileOfStat(objective.stat);
  return p === null ? null : h.percentile(p);
}

function isObjectiveList(slo: SloInput | readonly Objective[]): slo is readonly Objective[] {
  return Array.isArray(slo);
}

export function evaluateSlos(slo: SloInput | readonly Objective[], summary: RunSummary, catalogue: MetricCatalogue = defaultCatalogue): SloVerdict[] {
  const objectives = isObjectiveList(slo) ? slo : resolveSlo(slo, catalogue);
  return objectives.map((o) => {
    const def = catalogue.get(parseMetricName(o.metric)?.base ?? "");
    const measured = measure(o, summary, catalogue);
    const pass = measured !== null && (o.bound === "below" ? measured < o.limit : o.bound === "at most" ? measured <= o.limit : measured >= o.limit);
    const shown = measured === null ? "no measurements" : `measured ${def ? unitText(def, measured) : String(measured)}`;
    return { name: o.name, metric: o.metric, stat: o.stat, limit: o.limit, measured, pass, message: `${o.title}: ${shown} ${pass ? "✓" : "✗"}` };
  });
}

/** Per-request limits for goodput: metric -> ms, for untagged metrics with a per-request value. */
export type RequestLimits = Record<string, number>;

/**
 * The limit one request must meet for goodput, per latency metric in the SLO. An SLO bounds a
 * run's statistics, so a per-request limit is read from the bound on the upper tail: the first of
 * max, p99.x, p99, p95, p90, ..., mean that is given. (A request "meets the ttfc SLO" when its own
 * ttfc is under the ttfc bound, as in vLLM's --goodput and DistServe.)
 */
export function requestLimits(slo: SloInput | readonly Objective[], catalogue: MetricCatalogue = defaultCatalogue): RequestLimits {
  const objectives = isObjectiveList(slo) ? slo : resolveSlo(slo, catalogue);
  const rank = (stat: string) => (stat === "max" ? 1000 : stat === "mean" ? -1 : (percentileOfStat(stat) ?? -2));
  const best = new Map<string, Objective>();
  for (const o of objectives) {
    const def = catalogue.get(o.metric);
    if (!def || def.kind !== "latency" || !def.perRequest) continue;
    const seen = best.get(o.metric);
    if (!seen || rank(o.stat) > rank(seen.stat)) best.set(o.metric, o);
  }
  return Object.fromEntries([...best].map(([metric, o]) => [metric, o.limit]));
}

/**
 * Whether one successful request meets every per-request limit (strictly below it). A missing
 * value fails its limit (nothing proves it was met) unless the metric says it is vacuous then
 * (TPOT and TBC of a request with a single token or chunk).
 */
export function meetsRequestLimits(values: Record<string, number | undefined>, limits: RequestLimits, catalogue: MetricCatalogue = defaultCatalogue): boolean {
  for (const [metric, limit] of Object.entries(limits)) {
    const value = values[metric];
    if (value === undefined) {
      const def = catalogue.get(metric) as LatencyMetricDefinition | undefined;
      if (!def?.vacuousWhenMissing) return false;
    } else if (!(value < limit)) return false;
  }
  return true;
}

/** A request's per-request values of every metric that has one. */
export function perRequestValues(m: RequestMetrics, record: RequestRecord, catalogue: MetricCatalogue = defaultCatalogue): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const def of catalogue.latency()) if (def.perRequest) out[def.name] = def.perRequest(m, record);
  return out;
}
