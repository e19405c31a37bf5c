// The metric catalogue, in the manner of k6's metric registry: every metric is declared once
// (name, label, unit, kind, how a request or a run yields it), and everything that handles
// metrics iterates over the catalogue: the aggregator keeps a histogram per latency metric, SLOs
// are validated against it (any metric, any stat it allows), goodput reads its per-request
// limits, snapshots and comparisons keep every histogram, the terminal table, JUnit properties and
// the vitest run view list it. Adding a metric is one entry here (or `catalogue.with(entry)` in a
// test or a project of your own) plus its test.
//
// Sub-metrics narrow a latency metric to the requests with a tag value, as k6's
// `http_req_duration{status:200}`: `ttfc{kind:spawn}`, `e2e{agent:explorer}`. The tags are a
// request's `kind` (turn, spawn, join, compaction, ...) and `agent` (the session's agent type).
import type { RequestRecord } from "../records/types.js";
import type { RequestMetrics } from "./request-metrics.js";
import type { LatencyMetric, RunSummary } from "./summary.js";

export type MetricKind = "latency" | "ratio" | "rate" | "count";

interface MetricBase {
  /** The key in specs, summaries and snapshots: `ttfc`. */
  name: string;
  /** For tables: `TTFC`. */
  label: string;
  description: string;
}

/** A distribution in milliseconds, kept as a histogram; SLOs bound its percentiles, max and mean from above. */
export interface LatencyMetricDefinition extends MetricBase {
  kind: "latency";
  /**
   * "request": values come from each measured request (values()); "session": one value per
   * session from its requests (sessionValue()).
   */
  scope: "request" | "session";
  /** Also from failed requests (default: successful ones only). */
  includeFailed?: boolean;
  /** What one request adds to the histogram: one value, several (TBC gaps) or none. */
  values?(m: RequestMetrics, record: RequestRecord): number | readonly number[] | undefined;
  /** One session's value from its first dispatch and last end (ms on the run's clock). */
  sessionValue?(span: { start: number; end: number; requests: number }): number | undefined;
  /**
   * Goodput: the value one successful request is judged by against this metric's SLO limit
   * (TBC: the request's mean gap). Absent: the metric has no per-request limit.
   */
  perRequest?(m: RequestMetrics, record: RequestRecord): number | undefined;
  /** Goodput: a request with no value passes (TPOT of a one-token reply) instead of failing. */
  vacuousWhenMissing?: boolean;
  /** Shown as a row of the terminal latency table (default true). */
  table?: boolean;
  /** Statistics a run's headline shows (JUnit properties of slo() tests), e.g. ["p50", "p95"]. */
  headline?: readonly ("p50" | "p90" | "p95" | "p99" | "max" | "mean")[];
}

/** One number per run read off its summary; SLOs bound it with `max` (<=) or `min` (>=). */
export interface SummaryMetricDefinition extends MetricBase {
  kind: "ratio" | "rate" | "count";
  /** Null when the run measured nothing it could be computed from. */
  value(summary: RunSummary): number | null;
  /** Part of a run's headline (JUnit properties of slo() tests). */
  headline?: boolean;
}

export type MetricDefinition = LatencyMetricDefinition | SummaryMetricDefinition;

/** Statistics an SLO may bound: any percentile as pNN (p50, p99.9), max, mean. */
export const LATENCY_STATS_HELP = "p50, p90, p95, p99 (any percentile pNN, e.g. p99.9), max, mean";
export const SUMMARY_STATS = ["max", "min"] as const;

/** `p99.9` -> 99.9; null for anything that is not a percentile in (0, 100). */
export function percentileOfStat(stat: string): number | null {
  const m = /^p(\d{1,2}(?:\.\d+)?)$/.exec(stat);
  if (!m) return null;
  const p = Number(m[1]);
  return p > 0 && p < 100 ? p : null;
}

export const TAG_NAMES = ["kind", "agent"] as const;
export type TagName = (typeof TAG_NAMES)[number];

export interface MetricName {
  /** The catalogue metric: `ttfc`. */
  base: string;
  /** `{ kind: "spawn" }` for `ttfc{kind:spawn}`. */
  tags: Partial<Record<TagName, string>>;
}

/** Parses `ttfc` or `ttfc{kind:spawn,agent:explorer}`; null when the syntax is wrong. */
export function parseMetricName(name: string): MetricName | null {
  const m = /^([A-Za-z][A-Za-z0-9_]*)(?:\{([^{}]*)\})?$/.exec(name);
  if (!m) return null;
  const tags: Partial<Record<TagName, string>> = {};
  if (m[2] !== undefined) {
    for (const part of m[2].split(",")) {
      const kv = /^\s*([A-Za-z]+)\s*:\s*([^\s,]+)\s*$/.exec(part);
      if (!kv || !(TAG_NAMES as readonly string[]).includes(kv[1]!)) return null;
      tags[kv[1] as TagName] = kv[2]!;
    }
  }
  return { base: m[1]!, tags };
}

/** Whether a record carries every tag value of a sub-metric. */
export function recordMatches(record: RequestRecord, tags: MetricName["tags"]): boolean {
  for (const [tag, value] of Object.entries(tags)) {
    const actual = tag === "kind" ? (record.kind ?? "turn") : record.agent;
    if (actual !== value) return false;
  }
  return true;
}

export class MetricCatalogue {
  private readonly byName: ReadonlyMap<string, MetricDefinition>;

  constructor(readonly definitions: readonly MetricDefinition[]) {
    const map = new Map<string, MetricDefinition>();
    for (const d of definitions) {
      if (!parseMetricName(d.name) || d.name.includes("{")) throw new Error(`metric catalogue: ${JSON.stringify(d.name)} is not a metric name (letters, digits, _)`);
      if (map.has(d.name)) throw new Error(`metric catalogue: ${d.name} is declared twice`);
      map.set(d.name, d);
    }
    this.byName = map;
  }

  /** A catalogue with more metrics (this one is unchanged). */
  with(...definitions: MetricDefinition[]): MetricCatalogue {
    return new MetricCatalogue([...this.definitions, ...definitions]);
  }

  get(name: string): MetricDefinition | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return this.definitions.map((d) => d.name);
  }

  latency(): LatencyMetricDefinition[] {
    return this.definitions.filter((d): d is LatencyMetricDefinition => d.kind === "latency");
  }

  summaryMetrics(): SummaryMetricDefinition[] {
    return this.definitions.filter((d): d is SummaryMetricDefinition => d.kind !== "latency");
  }
}

/** The metrics agentload measures. */
export const BUILTIN_METRICS: readonly MetricDefinition[] = [
  {
    name: "ttfc",
    label: "TTFC",
    description: "Time to first chunk carrying a generated token (content, reasoning or tool call), from dispatch.",
    kind: "latency",
    scope: "request",
    values: (m) => m.ttfc,
    perRequest: (m) => m.ttfc,
    headline: ["p50", "p95", "p99"],
  },
  {
    name: "ttfv",
    label: "TTFV",
    description: "Time to first visible content, from dispatch.",
    kind: "latency",
    scope: "request",
    values: (m) => m.ttfv,
    perRequest: (m) => m.ttfv,
  },
  {
    name: "tbc",
    label: "TBC",
    description: "Time between consecutive chunks, every gap of every request.",
    kind: "latency",
    scope: "request",
    values: (m) => m.tbcGaps,
    // One slow gap in a long stream says little about the request: it is judged by its mean gap.
    perRequest: (m) => m.tbcMean,
    vacuousWhenMissing: true,
    headline: ["p95"],
  },
  {
    name: "tbcRequestMean",
    label: "TBC per request",
    description: "Each request's mean gap between chunks.",
    kind: "latency",
    scope: "request",
    values: (m) => m.tbcMean,
  },
  {
    name: "tbcRequestMax",
    label: "TBC worst gap",
    description: "Each request's longest gap between chunks.",
    kind: "latency",
    scope: "request",
    values: (m) => m.tbcMax,
    table: false,
  },
  {
    name: "tpot",
    label: "TPOT",
    description: "Time per output token after the first: (e2e - ttfc) / (output tokens - 1).",
    kind: "latency",
    scope: "request",
    values: (m) => m.tpot,
    perRequest: (m) => m.tpot,
    vacuousWhenMissing: true,
    headline: ["p95"],
  },
  {
    name: "e2e",
    label: "E2E",
    description: "Dispatch to the end of the stream.",
    kind: "latency",
    scope: "request",
    values: (m) => m.e2e,
    perRequest: (m) => m.e2e,
    headline: ["p50", "p95"],
  },
  // Coordinated omission: a client that falls behind its plan sends later and so measures less
  // queueing than a user would have seen. These start the clock at the planned dispatch: for
  // open-loop (rate, timed) sessions the first request's is the arrival schedule, for a dependent
  // request the time its parents ended plus its wait. They equal TTFC/E2E plus the lateness.
  {
    name: "ttfcScheduled",
    label: "TTFC from plan",
    description: "Time to first chunk from the planned dispatch (arrival, or parents' end + wait): TTFC that includes the client's lateness.",
    kind: "latency",
    scope: "request",
    values: (m) => m.ttfcScheduled,
    perRequest: (m) => m.ttfcScheduled,
  },
  {
    name: "e2eScheduled",
    label: "E2E from plan",
    description: "Planned dispatch to the end of the stream: E2E that includes the client's lateness.",
    kind: "latency",
    scope: "request",
    values: (m) => m.e2eScheduled,
    perRequest: (m) => m.e2eScheduled,
  },
  {
    name: "dispatchLateness",
    label: "dispatch lateness",
    description: "How late the client sent each request against its plan: the client's own health.",
    kind: "latency",
    scope: "request",
    includeFailed: true,
    values: (m) => m.dispatchLateness,
  },
  {
    name: "sessionDuration",
    label: "session duration",
    description: "A session's first dispatch to its last request's end.",
    kind: "latency",
    scope: "session",
    sessionValue: (s) => s.end - s.start,
  },
  {
    name: "errorRate",
    label: "error rate",
    description: "Failed requests over decided ones (ok + failed; requests aborted by a stop are neither).",
    kind: "ratio",
    value: (s) => (s.counts.ok + s.counts.failed > 0 ? s.errors.rate : null),
  },
  {
    name: "requestsPerSec",
    label: "requests/s",
    description: "Successful requests per second of wall time.",
    kind: "rate",
    value: (s) => (s.wallMs > 0 ? s.throughput.requestsPerSec : null),
  },
  {
    name: "outputTokensPerSec",
    label: "output tokens/s",
    description: "Output tokens of successful requests per second of wall time.",
    kind: "rate",
    value: (s) => (s.wallMs > 0 ? s.throughput.outputTokensPerSec : null),
    headline: true,
  },
  {
    name: "goodputPerSec",
    label: "goodput/s",
    description: "Successful requests within every per-request SLO limit, per second.",
    kind: "rate",
    value: (s) => s.goodput?.perSec ?? null,
  },
  {
    name: "cacheHitRate",
    label: "prefix-cache hit rate",
    description: "Prompt tokens served from the server's prefix cache: its counters, else per-request usage.",
    kind: "ratio",
    value: (s) => s.prefix.server?.rate ?? s.prefix.requestHitRate ?? null,
    headline: true,
  },
  {
    name: "requests",
    label: "requests",
    description: "Measured requests (warm-up excluded).",
    kind: "count",
    value: (s) => s.counts.requests,
  },
];

/** The per-request latency metrics every run view and bench table names: run.ttfc, ..., run.e2e. */
export const LATENCY_METRICS: readonly LatencyMetric[] = ["ttfc", "ttfv", "tbc", "tpot", "e2e"];

/** The catalogue runs use unless given another. */
export const defaultCatalogue = new MetricCatalogue(BUILTIN_METRICS);

/**
 * The catalogue a finished run can be judged by: `base`, plus a latency entry for every other
 * histogram the summary holds (metrics a test's own catalogue added), so its SLOs and matchers
 * work on a summary read back from disk.
 */
export function catalogueOfSummary(summary: Pick<RunSummary, "histograms">, base: MetricCatalogue = defaultCatalogue): MetricCatalogue {
  const extra: LatencyMetricDefinition[] = [];
  for (const name of Object.keys(summary.histograms)) {
    if (name.includes("{") || base.get(name)) continue;
    extra.push({ name, label: name, description: `${name} (measured by the run's own catalogue)`, kind: "latency", scope: "request" });
  }
  return extra.length > 0 ? base.with(...extra) : base;
}
