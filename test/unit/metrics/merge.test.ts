import { describe, expect, test } from "vitest";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import { LatencyHistogram } from "../../../src/stats/histogram.js";
import { mergeRunSummaries } from "../../../src/metrics/merge.js";
import type { HistogramName, RunSummary } from "../../../src/metrics/summary.js";
import { syntheticRecords, type SyntheticRunOptions } from "../../support/synthetic-run.js";

/** A run's summary from synthetic records; `lateMs` delays every dispatch past its plan. */
function summaryOf(o: SyntheticRunOptions, lateMs = 0): RunSummary {
  const records = syntheticRecords(o).map((r) => ({ ...r, dispatchedAt: r.plannedAt + lateMs }));
  return summarizeRecords(records, { wallMs: records.length * 1000 });
}

describe("mergeRunSummaries", () => {
  const one = summaryOf({ seed: "merge-1", requests: 120, failures: 3 });
  const two = summaryOf({ seed: "merge-2", requests: 80, failures: 7, slowdown: 2 }, 50);
  const merged = mergeRunSummaries([one, two]);

  test("one summary is returned as it is", () => {
    expect(mergeRunSummaries([one])).toBe(one);
  });

  test("no summaries throw", () => {
    expect(() => mergeRunSummaries([])).toThrow(/no summaries/);
  });

  test("counts and wall time add up", () => {
    expect(merged.wallMs).toBe(one.wallMs + two.wallMs);
    expect(merged.counts).toEqual({
      requests: 210,
      ok: 200,
      failed: 10,
      aborted: 0,
      sessions: one.counts.sessions + two.counts.sessions,
      warmupRequests: 0,
      warmupSessions: 0,
    });
    expect(merged.errors.byKind).toEqual({ http: 10 });
    expect(merged.errors.byStatus).toEqual({ "503": 10 });
    expect(merged.tokens.output).toBe(one.tokens.output + two.tokens.output);
    expect(merged.tokens.expectedPrompt).toBe(one.tokens.expectedPrompt + two.tokens.expectedPrompt);
  });

  test("histograms hold both runs' values; latency statistics come from them", () => {
    for (const name of Object.keys(one.histograms) as HistogramName[]) {
      expect(merged.histograms[name]!.count, name).toBe(one.histograms[name]!.count + two.histograms[name]!.count);
      expect(merged.histograms[name]!.sum, name).toBeCloseTo(one.histograms[name]!.sum + two.histograms[name]!.sum, 6);
    }
    const ttfc = merged.latency.ttfc!;
    expect(ttfc.count).toBe(one.latency.ttfc!.count + two.latency.ttfc!.count);
    expect(ttfc.max).toBe(Math.max(one.latency.ttfc!.max, two.latency.ttfc!.max));
    expect(ttfc.min).toBe(Math.min(one.latency.ttfc!.min, two.latency.ttfc!.min));
    expect(ttfc.mean).toBeCloseTo((one.latency.ttfc!.mean * 120 + two.latency.ttfc!.mean * 80) / 200, 6);
    // The merged median lies between the two runs' medians (the second run is twice as slow).
    expect(ttfc.p50).toBeGreaterThan(one.latency.ttfc!.p50);
    expect(ttfc.p50).toBeLessThan(two.latency.ttfc!.p50);
    expect(LatencyHistogram.fromJSON(merged.histograms.ttfc).stats()).toEqual(ttfc);
    expect(merged.latency.e2e!.count).toBe(200);
    expect(merged.dispatch.lateness!.count).toBe(210);
  });

  test("rates are recomputed over the summed wall time", () => {
    expect(merged.errors.rate).toBeCloseTo(10 / 210, 12);
    expect(merged.throughput.requestsPerSec).toBeCloseTo(200 / (merged.wallMs / 1000), 12);
    expect(merged.throughput.outputTokensPerSec).toBeCloseTo(merged.tokens.output / (merged.wallMs / 1000), 12);
    const prompt = one.throughput.promptTokensPerSec * (one.wallMs / 1000) + two.throughput.promptTokensPerSec * (two.wallMs / 1000);
    expect(merged.throughput.promptTokensPerSec).toBeCloseTo(prompt / (merged.wallMs / 1000), 9);
  });

  test("health problems are kept, each prefixed with its run", () => {
    const late = summaryOf({ seed: "merge-3", requests: 30 }, 40);
    expect(late.health.problems.length).toBeGreaterThan(0);
    expect(two.health.problems.length).toBeGreaterThan(0);
    expect(one.health.healthy).toBe(true);

    expect(merged.health.healthy).toBe(false);
    expect(merged.health.problems).toEqual(two.health.problems.map((p) => `run 2: ${p}`));
    expect(merged.dispatch.healthy).toBe(false);

    const both = mergeRunSummaries([late, two]);
    expect(both.health.problems).toEqual([...late.health.problems.map((p) => `run 1: ${p}`), ...two.health.problems.map((p) => `run 2: ${p}`)]);

    const healthy = mergeRunSummaries([one, summaryOf({ seed: "merge-4", requests: 30 })]);
    expect(healthy.health).toEqual({ healthy: true, problems: [] });
    expect(healthy.dispatch.healthy).toBe(true);
  });

  test("does not change the summaries it merges", () => {
    const a = summaryOf({ seed: "merge-5", requests: 40 });
    const b = summaryOf({ seed: "merge-6", requests: 40 });
    const before = JSON.stringify([a, b]);
    mergeRunSummaries([a, b, a]);
    expect(JSON.stringify([a, b])).toBe(before);
  });

  test("three summaries merge as well", () => {
    const three = mergeRunSummaries([one, two, one]);
    expect(three.counts.requests).toBe(123 + 87 + 123);
    expect(three.histograms.ttfc.count).toBe(120 + 80 + 120);
    expect(three.wallMs).toBe(2 * one.wallMs + two.wallMs);
  });

  test("prefix ratios keep their definitions: a run merged with itself keeps its rates", () => {
    const records = syntheticRecords({ seed: "merge-hit", requests: 10 }).map((r, i) =>
      i % 2 === 0 ? { ...r, promptTokens: 1000, cachedTokens: 800, expectedPromptTokens: 1000, sharedPrefixTokens: 500 } : { ...r, promptTokens: 1000, cachedTokens: undefined, expectedPromptTokens: 1000, sharedPrefixTokens: 500 },
    );
    const s = summarizeRecords(records, { wallMs: 10_000 });
    const twice = mergeRunSummaries([s, s]);
    expect(twice.prefix.requestHitRate).toBeCloseTo(s.prefix.requestHitRate!, 12);
    expect(twice.prefix.expectedReuse).toBeCloseTo(s.prefix.expectedReuse!, 12);
  });

  test("the ideal caches add up: tokens summed, rates made again; none unless every run has one", () => {
    const missed = (history: number) => ({ scaffold: 10, blocks: 0, spawn: 0, compaction: 0, ttl: 0, fork: 0, history });
    const idealOf = (prompt: number, hit: number, ideal: number, cached: number) => ({
      ttlMs: 300_000,
      infinite: { requests: 10, promptTokens: prompt, hitTokens: hit, hitRate: hit / prompt, missed: missed(0), fresh: prompt - hit - 10 },
      lru: null,
      achieved: { requests: 10, idealTokens: ideal, cachedTokens: cached, ratio: cached / ideal, missed: missed(ideal - cached), beyondIdeal: 0 },
    });
    const a = { ...one, prefix: { ...one.prefix, ideal: idealOf(1000, 800, 800, 400) } };
    const b = { ...two, prefix: { ...two.prefix, ideal: idealOf(3000, 1500, 1500, 1500) } };
    const ideal = mergeRunSummaries([a, b]).prefix.ideal!;
    expect(ideal.infinite).toMatchObject({ requests: 20, promptTokens: 4000, hitTokens: 2300, hitRate: 2300 / 4000, fresh: 1680 });
    expect(ideal.infinite.missed.scaffold).toBe(20);
    expect(ideal.achieved).toMatchObject({ requests: 20, idealTokens: 2300, cachedTokens: 1900, ratio: 1900 / 2300, beyondIdeal: 0 });
    expect(ideal.achieved!.missed.history).toBe(400);
    expect(mergeRunSummaries([a, two]).prefix.ideal).toBeUndefined();
    expect(mergeRunSummaries([a, { ...b, prefix: { ...b.prefix, ideal: { ...b.prefix.ideal, ttlMs: 60_000 } } }]).prefix.ideal).toBeUndefined();
  });

  test("expected reuse is shared over expected tokens across runs, not a mean per request", () => {
    const at = (seed: string, expected: number, shared: number) =>
      summarizeRecords(
        syntheticRecords({ seed, requests: 10 }).map((r) => ({ ...r, expectedPromptTokens: expected, sharedPrefixTokens: shared })),
        { wallMs: 10_000 },
      );
    const merged = mergeRunSummaries([at("reuse-a", 100, 50), at("reuse-b", 1000, 900)]);
    expect(merged.prefix.expectedReuse).toBeCloseTo(9500 / 11000, 9);
  });
});
