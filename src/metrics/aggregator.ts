// Streams RequestRecords into a RunSummary. Every latency metric of the catalogue goes into a
// mergeable histogram as records arrive (and each sub-metric asked for, e.g. ttfc{kind:spawn});
// besides those it keeps only a few numbers per successful request (the per-request values goodput
// is judged by, which need the SLO, and the decode span for the overlap sweep) and a start and end
// per session, so a long run need not hold its records. Warm-up records are counted and otherwise
// ignored.
import { requestEndAt } from "../records/request-end.js";
import type { ErrorKind, RequestRecord } from "../records/types.js";
import { decodeOverlap } from "./decode-overlap.js";
import { LatencyHistogram } from "../stats/histogram.js";
import type { PrometheusScrape } from "./prometheus.js";
import { requestMetrics } from "./request-metrics.js";
import { serverCacheHitRate } from "./server-cache.js";
import { defaultCatalogue, parseMetricName, recordMatches, type LatencyMetricDefinition, type MetricCatalogue, type MetricName } from "./catalogue.js";
import { meetsRequestLimits, requestLimits, type Objective, type SloInput } from "./slo.js";
import type { GoodputSummary, RunSummary } from "./summary.js";

/** Dispatch lateness p99 above this is a health note (metrics/client-checks.ts judges whether lag distorts the run). */
export const DEFAULT_LATENESS_THRESHOLD_MS = 10;

export interface AggregatorOptions {
  /** Used for goodput unless summarize() is given one. */
  slo?: SloInput | readonly Objective[];
  latenessThresholdMs?: number;
  /** The metrics to measure (default: the built-in catalogue). */
  catalogue?: MetricCatalogue;
  /** Sub-metrics to keep beside their metric, e.g. "ttfc{kind:spawn}" (those the SLO names are added). */
  submetrics?: readonly string[];
}

export interface SummarizeOptions {
  /** The measured wall time (after warm-up) that rates are computed over. */
  wallMs: number;
  /** Parsed /metrics scrapes taken before and after the run (see parsePrometheus). */
  serverBefore?: PrometheusScrape;
  serverAfter?: PrometheusScrape;
  slo?: SloInput | readonly Objective[];
}

export interface Aggregator {
  add(record: RequestRecord): void;
  summarize(options: SummarizeOptions): RunSummary;
}

interface Submetric {
  name: string;
  parsed: MetricName;
  def: LatencyMetricDefinition;
  hist: LatencyHistogram;
}

/** The sub-metrics an SLO names (metric names with tags). */
function submetricsOf(slo: SloInput | readonly Objective[] | undefined): string[] {
  if (!slo) return [];
  const names = Array.isArray(slo) ? (slo as readonly Objective[]).map((o) => o.metric) : Object.keys(slo);
  return names.filter((n) => n.includes("{"));
}

function recordValues(h: LatencyHistogram, v: number | readonly number[] | undefined): void {
  if (v === undefined) return;
  if (typeof v === "number") h.record(v);
  else for (const x of v) h.record(x);
}

export function createAggregator(options: AggregatorOptions = {}): Aggregator {
  const latenessThresholdMs = options.latenessThresholdMs ?? DEFAULT_LATENESS_THRESHOLD_MS;
  const catalogue = options.catalogue ?? defaultCatalogue;
  const latencyDefs = catalogue.latency();
  const requestDefs = latencyDefs.filter((d) => d.scope === "request" && d.values);
  const sessionDefs = latencyDefs.filter((d) => d.scope === "session" && d.sessionValue);
  const perRequestDefs = latencyDefs.filter((d) => d.perRequest);
  const hist = new Map<string, LatencyHistogram>(latencyDefs.map((d) => [d.name, new LatencyHistogram()]));
  const latenessHist = hist.get("dispatchLateness");
  const submetrics: Submetric[] = [];
  for (const name of new Set([...(options.submetrics ?? []), ...submetricsOf(options.slo)])) {
    const parsed = parseMetricName(name);
    const def = parsed ? catalogue.get(parsed.base) : undefined;
    if (!parsed || !def || def.kind !== "latency" || def.scope !== "request" || !def.values) {
      throw new Error(`aggregator: ${JSON.stringify(name)} is not a sub-metric of a per-request latency metric (e.g. ttfc{kind:spawn})`);
    }
    submetrics.push({ name, parsed, def, hist: new LatencyHistogram() });
  }
  /** Per session: first dispatch, last end, requests. */
  const spans = new Map<string, { start: number; end: number; requests: number }>();
  // Per successful request: each per-request metric's value (NaN = absent), then the decode span.
  const COLUMNS = perRequestDefs.length + 2;
  const C_DECODE_START = perRequestDefs.length;
  const C_DECODE_END = perRequestDefs.length + 1;
  const sessions = new Set<string>();
  const warmupSessions = new Set<string>();
  const byKind: Partial<Record<ErrorKind, number>> = {};
  const byStatus: Record<string, number> = {};
  let warmupRequests = 0;
  let requests = 0;
  let ok = 0;
  let failed = 0;
  let aborted = 0;
  let outputTokens = 0;
  let outputFromUsage = 0;
  let expectedPrompt = 0;
  let sharedPrefix = 0;
  let promptForThroughput = 0;
  let reportedPrompt = 0;
  let reported = 0;
  let exact = 0;
  let deviationSum = 0;
  let absDeviationSum = 0;
  let maxAbsDeviation = 0;
  let cachedSum = 0;
  let cachedReported = false;
  let hitCached = 0;
  let hitPrompt = 0;
  let rows = new Float64Array(COLUMNS * 1024);

  function keepRow(values: number[]): void {
    const at = (ok - 1) * COLUMNS;
    if (at + COLUMNS > rows.length) {
      const grown = new Float64Array(rows.length * 2);
      grown.set(rows);
      rows = grown;
    }
    rows.set(values, at);
  }

  function add(record: RequestRecord): void {
    if (record.warmup) {
      warmupRequests++;
      warmupSessions.add(record.sessionId);
      return;
    }
    requests++;
    sessions.add(record.sessionId);
    const m = requestMetrics(record);
    const end = requestEndAt(record);
    const span = spans.get(record.sessionId);
    if (span) {
      span.start = Math.min(span.start, record.dispatchedAt);
      span.end = Math.max(span.end, end);
      span.requests++;
    } else spans.set(record.sessionId, { start: record.dispatchedAt, end, requests: 1 });
    for (const def of requestDefs) if (def.includeFailed) recordValues(hist.get(def.name)!, def.values!(m, record));
    if (record.error) {
      const kind = record.error.kind;
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      if (kind === "aborted") aborted++;
      else failed++;
      if (kind === "http" && record.error.status !== undefined) {
        const key = String(record.error.status);
        byStatus[key] = (byStatus[key] ?? 0) + 1;
      }
      return;
    }
    ok++;
    for (const def of requestDefs) if (!def.includeFailed) recordValues(hist.get(def.name)!, def.values!(m, record));
    for (const sub of submetrics) if (recordMatches(record, sub.parsed.tags)) recordValues(sub.hist, sub.def.values!(m, record));

    outputTokens += m.outputTokens;
    if (m.outputTokensFrom === "usage") outputFromUsage++;
    expectedPrompt += m.expectedPromptTokens;
    sharedPrefix += m.sharedPrefixTokens;
    promptForThroughput += m.reportedPromptTokens ?? m.expectedPromptTokens;
    if (m.promptDeviation !== undefined) {
      reported++;
      reportedPrompt += m.reportedPromptTokens!;
      const abs = Math.abs(m.promptDeviation);
      if (abs === 0) exact++;
      deviationSum += m.promptDeviation;
      absDeviationSum += abs;
      if (abs > maxAbsDeviation) maxAbsDeviation = abs;
    }
    if (m.cachedTokens !== undefined) {
      cachedReported = true;
      cachedSum += m.cachedTokens;
      if (m.reportedPromptTokens !== undefined) {
        hitCached += m.cachedTokens;
        hitPrompt += m.reportedPromptTokens;
      }
    }
    const nan = (v: number | undefined) => v ?? NaN;
    keepRow([...perRequestDefs.map((d) => nan(d.perRequest!(m, record))), nan(m.decode?.start), nan(m.decode?.end)]);
  }

  function goodput(slo: SloInput | readonly Objective[] | undefined, perSec: (n: number) => number): GoodputSummary | null {
    if (!slo) return null;
    const limits = requestLimits(slo, catalogue);
    if (Object.keys(limits).length === 0) return null;
    let good = 0;
    const values: Record<string, number | undefined> = {};
    for (let i = 0; i < ok; i++) {
      const at = i * COLUMNS;
      perRequestDefs.forEach((d, c) => (values[d.name] = Number.isNaN(rows[at + c]!) ? undefined : rows[at + c]));
      if (meetsRequestLimits(values, limits, catalogue)) good++;
    }
    return { requests: good, perSec: perSec(good), share: ok > 0 ? good / ok : 0, limits };
  }

  function* decodeSpans(): Generator<{ start: number; end: number }> {
    for (let i = 0; i < ok; i++) {
      const start = rows[i * COLUMNS + C_DECODE_START]!;
      const end = rows[i * COLUMNS + C_DECODE_END]!;
      if (!Number.isNaN(start) && !Number.isNaN(end)) yield { start, end };
    }
  }

  function summarize(opts: SummarizeOptions): RunSummary {
    if (!(Number.isFinite(opts.wallMs) && opts.wallMs > 0)) {
      throw new Error(`summarize: wallMs must be a positive number of milliseconds, got ${opts.wallMs}`);
    }
    const seconds = opts.wallMs / 1000;
    const perSec = (n: number) => n / seconds;
    for (const def of sessionDefs) {
      const h = new LatencyHistogram();
      for (const span of spans.values()) {
        const v = def.sessionValue!(span);
        if (v !== undefined) h.record(v);
      }
      hist.set(def.name, h);
    }
    const lateness = latenessHist?.stats() ?? null;
    const dispatchHealthy = lateness === null || lateness.p99 <= latenessThresholdMs;
    const problems: string[] = [];
    if (!dispatchHealthy) {
      problems.push(
        `dispatch lateness p99 ${lateness!.p99.toFixed(1)}ms exceeds ${latenessThresholdMs}ms: some requests were sent late (validity's client lag judges whether it distorts the run)`,
      );
    }
    const decided = ok + failed;
    return {
      wallMs: opts.wallMs,
      counts: { requests, ok, failed, aborted, sessions: sessions.size, warmupRequests, warmupSessions: warmupSessions.size },
      errors: { rate: decided > 0 ? failed / decided : 0, byKind: { ...byKind }, byStatus: { ...byStatus } },
      throughput: {
        requestsPerSec: perSec(ok),
        outputTokensPerSec: perSec(outputTokens),
        promptTokensPerSec: perSec(promptForThroughput),
      },
      goodput: goodput(opts.slo ?? options.slo, perSec),
      tokens: {
        output: outputTokens,
        outputFromUsageShare: ok > 0 ? outputFromUsage / ok : null,
        expectedPrompt,
        reportedPrompt,
        cached: cachedReported ? cachedSum : null,
        promptAccuracy: {
          reported,
          exact,
          exactShare: reported > 0 ? exact / reported : null,
          meanDeviation: reported > 0 ? deviationSum / reported : null,
          meanAbsDeviation: reported > 0 ? absDeviationSum / reported : null,
          maxAbsDeviation: reported > 0 ? maxAbsDeviation : null,
        },
      },
      latency: Object.fromEntries([...[...hist].map(([name, h]) => [name, h.stats()]), ...submetrics.map((sub) => [sub.name, sub.hist.stats()])]) as RunSummary["latency"],
      prefix: {
        expectedReuse: expectedPrompt > 0 ? sharedPrefix / expectedPrompt : null,
        requestHitRate: hitPrompt > 0 ? hitCached / hitPrompt : null,
        server: opts.serverAfter ? serverCacheHitRate(opts.serverBefore, opts.serverAfter) : null,
      },
      decode: decodeOverlap(decodeSpans()),
      dispatch: { lateness, thresholdMs: latenessThresholdMs, healthy: dispatchHealthy },
      health: { healthy: problems.length === 0, problems },
      histograms: Object.fromEntries([...[...hist].map(([name, h]) => [name, h.toJSON()]), ...submetrics.map((sub) => [sub.name, sub.hist.toJSON()])]) as RunSummary["histograms"],
    };
  }

  return { add, summarize };
}

/** Summarizes records held in memory (tests, re-analysis of a records.jsonl). */
export function summarizeRecords(
  records: Iterable<RequestRecord>,
  options: SummarizeOptions & Pick<AggregatorOptions, "latenessThresholdMs" | "catalogue" | "submetrics">,
): RunSummary {
  const aggregator = createAggregator({
    latenessThresholdMs: options.latenessThresholdMs,
    ...(options.catalogue ? { catalogue: options.catalogue } : {}),
    submetrics: [...(options.submetrics ?? []), ...submetricsOf(options.slo)],
  });
  for (const record of records) aggregator.add(record);
  return aggregator.summarize(options);
}
