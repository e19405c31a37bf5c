// Streams RequestRecords into a RunSummary. Latencies go into mergeable histograms as they
// arrive; besides those it keeps only a few numbers per successful request (the values goodput is
// judged by, which need the SLO, and the decode span for the overlap sweep), so a long run need
// not hold its records. Warm-up records are counted and otherwise ignored.
import type { ErrorKind, RequestRecord } from "../run/types.js";
import { decodeOverlap } from "./decode-overlap.js";
import { LatencyHistogram } from "./histogram.js";
import type { PrometheusScrape } from "./prometheus.js";
import { requestMetrics } from "./request-metrics.js";
import { serverCacheHitRate } from "./server-cache.js";
import { meetsRequestLimits, requestLimits, type SloInput } from "./slo.js";
import type { GoodputSummary, HistogramName, RunSummary } from "./summary.js";

/** Dispatch lateness p99 above this marks a run unhealthy: the client, not the server, was slow. */
export const DEFAULT_LATENESS_THRESHOLD_MS = 10;

export interface AggregatorOptions {
  /** Used for goodput unless summarize() is given one. */
  slo?: SloInput;
  latenessThresholdMs?: number;
}

export interface SummarizeOptions {
  /** The measured wall time (after warm-up) that rates are computed over. */
  wallMs: number;
  /** Parsed /metrics scrapes taken before and after the run (see parsePrometheus). */
  serverBefore?: PrometheusScrape;
  serverAfter?: PrometheusScrape;
  slo?: SloInput;
}

export interface Aggregator {
  add(record: RequestRecord): void;
  summarize(options: SummarizeOptions): RunSummary;
}

const HISTOGRAMS: readonly HistogramName[] = ["ttfc", "ttfv", "tbc", "tbcRequestMean", "tbcRequestMax", "tpot", "e2e", "dispatchLateness"];

/** Per successful request: goodput values (NaN = absent) and the decode span. */
const COLUMNS = 7;
const [C_TTFC, C_TTFV, C_TBC_MEAN, C_TPOT, C_E2E, C_DECODE_START, C_DECODE_END] = [0, 1, 2, 3, 4, 5, 6] as const;

export function createAggregator(options: AggregatorOptions = {}): Aggregator {
  const latenessThresholdMs = options.latenessThresholdMs ?? DEFAULT_LATENESS_THRESHOLD_MS;
  const hist = Object.fromEntries(HISTOGRAMS.map((name) => [name, new LatencyHistogram()])) as Record<HistogramName, LatencyHistogram>;
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
    hist.dispatchLateness.record(m.dispatchLateness);
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
    if (m.ttfc !== undefined) hist.ttfc.record(m.ttfc);
    if (m.ttfv !== undefined) hist.ttfv.record(m.ttfv);
    for (const gap of m.tbcGaps) hist.tbc.record(gap);
    if (m.tbcMean !== undefined) hist.tbcRequestMean.record(m.tbcMean);
    if (m.tbcMax !== undefined) hist.tbcRequestMax.record(m.tbcMax);
    if (m.tpot !== undefined) hist.tpot.record(m.tpot);
    if (m.e2e !== undefined) hist.e2e.record(m.e2e);

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
    keepRow([nan(m.ttfc), nan(m.ttfv), nan(m.tbcMean), nan(m.tpot), nan(m.e2e), nan(m.decode?.start), nan(m.decode?.end)]);
  }

  function goodput(slo: SloInput | undefined, perSec: (n: number) => number): GoodputSummary | null {
    if (!slo) return null;
    const limits = requestLimits(slo);
    if (Object.keys(limits).length === 0) return null;
    let good = 0;
    for (let i = 0; i < ok; i++) {
      const at = i * COLUMNS;
      const value = (c: number) => (Number.isNaN(rows[at + c]!) ? undefined : rows[at + c]);
      const values = { ttfc: value(C_TTFC), ttfv: value(C_TTFV), tbcMean: value(C_TBC_MEAN), tpot: value(C_TPOT), e2e: value(C_E2E) };
      if (meetsRequestLimits(values, limits)) good++;
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
    const lateness = hist.dispatchLateness.stats();
    const dispatchHealthy = lateness === null || lateness.p99 <= latenessThresholdMs;
    const problems: string[] = [];
    if (!dispatchHealthy) {
      problems.push(
        `dispatch lateness p99 ${lateness!.p99.toFixed(1)}ms exceeds ${latenessThresholdMs}ms: the client lagged, so its delays are in the latencies`,
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
      latency: {
        ttfc: hist.ttfc.stats(),
        ttfv: hist.ttfv.stats(),
        tbc: hist.tbc.stats(),
        tbcRequestMean: hist.tbcRequestMean.stats(),
        tbcRequestMax: hist.tbcRequestMax.stats(),
        tpot: hist.tpot.stats(),
        e2e: hist.e2e.stats(),
      },
      prefix: {
        expectedReuse: expectedPrompt > 0 ? sharedPrefix / expectedPrompt : null,
        requestHitRate: hitPrompt > 0 ? hitCached / hitPrompt : null,
        server: opts.serverAfter ? serverCacheHitRate(opts.serverBefore, opts.serverAfter) : null,
      },
      decode: decodeOverlap(decodeSpans()),
      dispatch: { lateness, thresholdMs: latenessThresholdMs, healthy: dispatchHealthy },
      health: { healthy: problems.length === 0, problems },
      histograms: Object.fromEntries(HISTOGRAMS.map((name) => [name, hist[name].toJSON()])) as RunSummary["histograms"],
    };
  }

  return { add, summarize };
}

/** Summarizes records held in memory (tests, re-analysis of a records.jsonl). */
export function summarizeRecords(
  records: Iterable<RequestRecord>,
  options: SummarizeOptions & Pick<AggregatorOptions, "latenessThresholdMs">,
): RunSummary {
  const aggregator = createAggregator({ latenessThresholdMs: options.latenessThresholdMs });
  for (const record of records) aggregator.add(record);
  return aggregator.summarize(options);
}
