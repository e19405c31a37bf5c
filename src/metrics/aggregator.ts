// Streams RequestRecords into a RunSummary. Every latency metric of the catalogue goes into a
// mergeable histogram as records arrive (and each sub-metric asked for, e.g. ttfc{kind:spawn});
// goodput is counted as they arrive against the aggregator's SLO; the decode overlap is swept as
// they arrive (decode-overlap.ts DecodeSweep). What it keeps beyond that:
//  - per session still running: its first dispatch, last end and requests, until sessionEnded()
//    puts its duration into the histogram (a run says so for every session);
//  - per span not yet settled: its decode events, until settle(t) folds those before t (a run
//    settles the time of its earliest dispatch still in flight);
//  - per successful request: the values goodput is judged by (7 numbers with the built-in
//    catalogue), so summarize() can judge goodput by another SLO, unless `bounded`, as a run's
//    aggregator is.
// A bounded aggregator fed by a run so holds what its sessions and requests in flight need, however
// long the run (test/unit/metrics/aggregator-bounded.test.ts). Warm-up records are counted and
// otherwise ignored.
import { requestEndAt } from "../records/request-end.js";
import type { ErrorKind, RequestRecord } from "../records/types.js";
import { DecodeSweep } from "./decode-overlap.js";
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
  /**
   * Keep nothing per request: goodput is judged by `slo` only (summarize() given another SLO
   * throws). Default false: each successful request's per-request values are kept (56 bytes with
   * the built-in catalogue) so summarize() can judge goodput by any SLO.
   */
  bounded?: boolean;
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
  /** No record of this session comes any more: its duration goes into the histogram and its state is freed. */
  sessionEnded(sessionId: string): void;
  /** No record added from now on has a decode span starting before `before` (run clock, ms): the overlap sweep folds what came before. */
  settle(before: number): void;
  /** What the aggregator holds that grows with sessions or requests (tests: it stays bounded). */
  held(): AggregatorHeld;
  summarize(options: SummarizeOptions): RunSummary;
}

export interface AggregatorHeld {
  /** Sessions with a record and no sessionEnded() yet. */
  openSessions: number;
  /** Warm-up sessions with a record and no sessionEnded() yet. */
  openWarmupSessions: number;
  /** Successful requests whose per-request values are kept (0 when bounded). */
  requestRows: number;
  /** Decode events not yet settled. */
  decodeEvents: number;
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
  /** Per session still running: first dispatch, last end, requests. */
  const spans = new Map<string, { start: number; end: number; requests: number }>();
  /** Per session metric: the sessions ended so far. */
  const endedSessions = new Map<string, LatencyHistogram>(sessionDefs.map((d) => [d.name, new LatencyHistogram()]));
  let sessionsEnded = 0;
  const bounded = options.bounded === true;
  // Per successful request (unless bounded): each per-request metric's value (NaN = absent).
  const COLUMNS = perRequestDefs.length;
  const openWarmupSessions = new Set<string>();
  let warmupSessionsSeen = 0;
  const decode = new DecodeSweep();
  const ownLimits = options.slo ? requestLimits(options.slo, catalogue) : {};
  const judgesGoodput = Object.keys(ownLimits).length > 0;
  let good = 0;
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
  let rows = new Float64Array(bounded ? 0 : COLUMNS * 1024);

  function keepRow(values: Record<string, number | undefined>): void {
    const at = (ok - 1) * COLUMNS;
    if (at + COLUMNS > rows.length) {
      const grown = new Float64Array(Math.max(rows.length * 2, COLUMNS * 1024));
      grown.set(rows);
      rows = grown;
    }
    perRequestDefs.forEach((d, c) => (rows[at + c] = values[d.name] ?? NaN));
  }

  function add(record: RequestRecord): void {
    if (record.warmup) {
      warmupRequests++;
      if (!openWarmupSessions.has(record.sessionId)) {
        openWarmupSessions.add(record.sessionId);
        warmupSessionsSeen++;
      }
      return;
    }
    requests++;
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
    if (m.decode) decode.add(m.decode);
    if (!judgesGoodput && bounded) return;
    const values: Record<string, number | undefined> = {};
    for (const d of perRequestDefs) values[d.name] = d.perRequest!(m, record);
    if (judgesGoodput && meetsRequestLimits(values, ownLimits, catalogue)) good++;
    if (!bounded) keepRow(values);
  }

  function sessionEnded(sessionId: string): void {
    openWarmupSessions.delete(sessionId);
    const span = spans.get(sessionId);
    if (!span) return;
    spans.delete(sessionId);
    sessionsEnded++;
    for (const def of sessionDefs) {
      const v = def.sessionValue!(span);
      if (v !== undefined) endedSessions.get(def.name)!.record(v);
    }
  }

  function goodput(slo: SloInput | readonly Objective[] | undefined, perSec: (n: number) => number): GoodputSummary | null {
    if (!slo) return null;
    if (slo === options.slo) return judgesGoodput ? { requests: good, perSec: perSec(good), share: ok > 0 ? good / ok : 0, limits: ownLimits } : null;
    if (bounded) throw new Error("summarize: a bounded aggregator judges goodput by its own SLO only (it keeps no per-request values)");
    const limits = requestLimits(slo, catalogue);
    if (Object.keys(limits).length === 0) return null;
    let met = 0;
    const values: Record<string, number | undefined> = {};
    for (let i = 0; i < ok; i++) {
      const at = i * COLUMNS;
      perRequestDefs.forEach((d, c) => (values[d.name] = Number.isNaN(rows[at + c]!) ? undefined : rows[at + c]));
      if (meetsRequestLimits(values, limits, catalogue)) met++;
    }
    return { requests: met, perSec: perSec(met), share: ok > 0 ? met / ok : 0, limits };
  }

  function summarize(opts: SummarizeOptions): RunSummary {
    if (!(Number.isFinite(opts.wallMs) && opts.wallMs > 0)) {
      throw new Error(`summarize: wallMs must be a positive number of milliseconds, got ${opts.wallMs}`);
    }
    const seconds = opts.wallMs / 1000;
    const perSec = (n: number) => n / seconds;
    for (const def of sessionDefs) {
      // The sessions ended so far, and those still open (all of them when nothing said sessions ended).
      const h = new LatencyHistogram().merge(endedSessions.get(def.name)!);
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
      counts: { requests, ok, failed, aborted, sessions: sessionsEnded + spans.size, warmupRequests, warmupSessions: warmupSessionsSeen },
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
      decode: decode.result(),
      dispatch: { lateness, thresholdMs: latenessThresholdMs, healthy: dispatchHealthy },
      health: { healthy: problems.length === 0, problems },
      histograms: Object.fromEntries([...[...hist].map(([name, h]) => [name, h.toJSON()]), ...submetrics.map((sub) => [sub.name, sub.hist.toJSON()])]) as RunSummary["histograms"],
    };
  }

  return {
    add,
    sessionEnded,
    settle: (before) => decode.settle(before),
    held: () => ({ openSessions: spans.size, openWarmupSessions: openWarmupSessions.size, requestRows: bounded ? 0 : ok, decodeEvents: decode.pendingEvents }),
    summarize,
  };
}

/** Summarizes records held in memory (tests, re-analysis of a records.jsonl). */
export function summarizeRecords(
  records: Iterable<RequestRecord>,
  options: SummarizeOptions & Pick<AggregatorOptions, "latenessThresholdMs" | "catalogue" | "submetrics">,
): RunSummary {
  const aggregator = createAggregator({
    ...(options.slo ? { slo: options.slo } : {}),
    latenessThresholdMs: options.latenessThresholdMs,
    ...(options.catalogue ? { catalogue: options.catalogue } : {}),
    submetrics: [...(options.submetrics ?? []), ...submetricsOf(options.slo)],
  });
  for (const record of records) aggregator.add(record);
  return aggregator.summarize(options);
}
