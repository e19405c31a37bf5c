// Several runs of one workload as one: the blocks of an interleaved A/B comparison (see
// vitest/bench-provider.ts) are separate runs whose requests together are the measurement.
// Histograms, counts and token sums add up exactly; rates are recomputed over the summed wall
// time; statistics are recomputed from the merged histograms. What cannot be added (decode
// overlap, goodput, prompt-token accuracy, the output-from-usage share, the server's own window
// gauges) is taken from the first run.
import { LatencyHistogram, type SerializedHistogram } from "../stats/histogram.js";
import { mergeIdealCaches } from "./cache-attribution.js";
import type { ServerCacheHitRate } from "./server-cache.js";
import type { HistogramName, RunSummary } from "./summary.js";

function sumRecords<K extends string>(records: Partial<Record<K, number>>[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const r of records) for (const [k, v] of Object.entries(r) as [K, number][]) out[k] = (out[k] ?? 0) + v;
  return out;
}

function mergeHistograms(all: SerializedHistogram[]): LatencyHistogram {
  const merged = new LatencyHistogram();
  for (const h of all) merged.merge(LatencyHistogram.fromJSON(h));
  return merged;
}

function mergeServerHitRate(all: (ServerCacheHitRate | null)[]): ServerCacheHitRate | null {
  const counters = all.filter((s): s is ServerCacheHitRate => s !== null && s.kind === "counters" && s.hits !== null && s.queries !== null);
  if (counters.length !== all.length || counters.length === 0) return all[0] ?? null;
  const hits = counters.reduce((a, s) => a + s.hits!, 0);
  const queries = counters.reduce((a, s) => a + s.queries!, 0);
  return { ...counters[0]!, hits, queries, rate: queries > 0 ? hits / queries : 0 };
}

/** The weighted mean of a per-run ratio over the runs that have it; null when none has. */
function weighted(summaries: readonly RunSummary[], value: (s: RunSummary) => number | null, weight: (s: RunSummary) => number): number | null {
  let total = 0;
  let weights = 0;
  for (const s of summaries) {
    const v = value(s);
    if (v === null) continue;
    total += v * weight(s);
    weights += weight(s);
  }
  return weights > 0 ? total / weights : null;
}

/** One summary of several runs' summaries (at least one). */
export function mergeRunSummaries(summaries: readonly RunSummary[]): RunSummary {
  const first = summaries[0];
  if (!first) throw new Error("mergeRunSummaries: no summaries to merge");
  if (summaries.length === 1) return first;
  const wallMs = summaries.reduce((a, s) => a + s.wallMs, 0);
  const sum = (f: (s: RunSummary) => number) => summaries.reduce((a, s) => a + f(s), 0);
  const counts = {
    requests: sum((s) => s.counts.requests),
    ok: sum((s) => s.counts.ok),
    failed: sum((s) => s.counts.failed),
    aborted: sum((s) => s.counts.aborted),
    sessions: sum((s) => s.counts.sessions),
    warmupRequests: sum((s) => s.counts.warmupRequests),
    warmupSessions: sum((s) => s.counts.warmupSessions),
  };
  const perSec = (x: number) => (wallMs > 0 ? x / (wallMs / 1000) : 0);
  const histograms = {} as Record<HistogramName, SerializedHistogram>;
  const merged = {} as Record<HistogramName, LatencyHistogram>;
  for (const name of Object.keys(first.histograms) as HistogramName[]) {
    merged[name] = mergeHistograms(summaries.map((s) => s.histograms[name]).filter((h): h is SerializedHistogram => h !== undefined));
    histograms[name] = merged[name].toJSON();
  }
  const latency = { ...first.latency };
  for (const name of Object.keys(latency) as (keyof RunSummary["latency"])[]) latency[name] = merged[name]?.stats() ?? null;
  const tokens = {
    ...first.tokens,
    output: sum((s) => s.tokens.output),
    expectedPrompt: sum((s) => s.tokens.expectedPrompt),
    reportedPrompt: sum((s) => s.tokens.reportedPrompt),
    cached: summaries.every((s) => s.tokens.cached === null) ? null : sum((s) => s.tokens.cached ?? 0),
  };
  const dispatchLateness = merged.dispatchLateness?.stats() ?? null;
  const problems = summaries.flatMap((s, i) => s.health.problems.map((p) => `run ${i + 1}: ${p}`));
  const dispatchHealthy = summaries.every((s) => s.dispatch.healthy);
  return {
    ...first,
    wallMs,
    counts,
    errors: {
      rate: counts.ok + counts.failed > 0 ? counts.failed / (counts.ok + counts.failed) : 0,
      byKind: sumRecords(summaries.map((s) => s.errors.byKind)),
      byStatus: sumRecords(summaries.map((s) => s.errors.byStatus)) as Record<string, number>,
    },
    throughput: {
      requestsPerSec: perSec(counts.ok),
      outputTokensPerSec: perSec(tokens.output),
      promptTokensPerSec: perSec(sum((s) => s.throughput.promptTokensPerSec * (s.wallMs / 1000))),
    },
    tokens,
    latency,
    prefix: {
      ...first.prefix,
      // Σ shared / Σ expected, exactly: each run's shared tokens are its reuse times its expected tokens.
      expectedReuse: weighted(summaries, (s) => s.prefix.expectedReuse, (s) => s.tokens.expectedPrompt),
      // Each run's rate is over the requests that report cached tokens, a count the summary does
      // not keep: weighted by reported prompt tokens, exact when every request reports both.
      requestHitRate: weighted(summaries, (s) => s.prefix.requestHitRate, (s) => s.tokens.reportedPrompt),
      server: mergeServerHitRate(summaries.map((s) => s.prefix.server)),
      // Not the first run's: the runs' ideal caches added up (left out unless every run has one).
      ideal: mergeIdealCaches(summaries.map((s) => s.prefix.ideal)),
    },
    dispatch: { ...first.dispatch, lateness: dispatchLateness, healthy: dispatchHealthy },
    health: { healthy: problems.length === 0, problems },
    histograms,
  };
}
