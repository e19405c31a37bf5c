import { describe, expect, it } from "vitest";
import { createAggregator, summarizeRecords } from "../../../src/metrics/aggregator.js";
import { decodeOverlap } from "../../../src/metrics/decode-overlap.js";
import { parsePrometheus } from "../../../src/metrics/prometheus.js";
import { requestMetrics } from "../../../src/metrics/request-metrics.js";
import type { RequestRecord } from "../../../src/run/types.js";

function record(over: Partial<RequestRecord>): RequestRecord {
  return {
    sessionId: "s1",
    nodeId: "n",
    readyAt: 0,
    plannedAt: 0,
    dispatchedAt: 0,
    chunkAt: [],
    expectedPromptTokens: 0,
    sharedPrefixTokens: 0,
    freshInputTokens: 0,
    requestedOutputTokens: 0,
    ...over,
  };
}

// A: 4 tokens from usage, reasoning first (content from the second chunk), 2 ms late.
const A = record({
  nodeId: "a",
  plannedAt: 98,
  dispatchedAt: 100,
  firstTokenAt: 150,
  firstContentAt: 160,
  chunkAt: [150, 160, 175, 180],
  doneAt: 182,
  completionTokens: 4,
  promptTokens: 1010,
  cachedTokens: 800,
  expectedPromptTokens: 1000,
  sharedPrefixTokens: 900,
});
// B: no usage (2 chunks counted), exact prompt tokens, on time.
const B = record({
  nodeId: "b",
  plannedAt: 200,
  dispatchedAt: 200,
  firstTokenAt: 230,
  firstContentAt: 230,
  chunkAt: [230, 250],
  doneAt: 250,
  promptTokens: 500,
  cachedTokens: 400,
  expectedPromptTokens: 500,
  sharedPrefixTokens: 450,
});
const C = record({ sessionId: "s2", nodeId: "c", plannedAt: 290, dispatchedAt: 300, error: { kind: "http", status: 503, message: "busy" } });
const D = record({ sessionId: "s2", nodeId: "d", plannedAt: 400, dispatchedAt: 400, firstTokenAt: 420, chunkAt: [420], error: { kind: "reset", message: "closed" } });
const E = record({ sessionId: "s3", nodeId: "e", plannedAt: 500, dispatchedAt: 500, error: { kind: "aborted", message: "stopped" } });
// Warm-up: awful numbers that must not show anywhere but the warm-up counts.
const W = record({
  sessionId: "w",
  nodeId: "w",
  warmup: true,
  plannedAt: 0,
  dispatchedAt: 900,
  firstTokenAt: 5900,
  chunkAt: [5900, 9000],
  doneAt: 9000,
  expectedPromptTokens: 10,
});

describe("requestMetrics", () => {
  it("computes every per-request metric from the timestamps", () => {
    const m = requestMetrics(A);
    expect(m.ok).toBe(true);
    expect(m.ttfc).toBe(50);
    expect(m.ttfv).toBe(60);
    expect(m.e2e).toBe(82);
    expect(m.tpot).toBeCloseTo(32 / 3, 12);
    expect(m.tbcGaps).toEqual([10, 15, 5]);
    expect(m.tbcMean).toBe(10);
    expect(m.tbcMax).toBe(15);
    expect(m.outputTokens).toBe(4);
    expect(m.outputTokensFrom).toBe("usage");
    expect(m.promptDeviation).toBe(10);
    expect(m.cachedTokens).toBe(800);
    expect(m.dispatchLateness).toBe(2);
    expect(m.decode).toEqual({ start: 150, end: 182 });
  });

  it("measures TTFC and E2E from the planned dispatch too: the lateness stays in them", () => {
    const m = requestMetrics(A);
    expect(m.ttfcScheduled).toBe(52);
    expect(m.e2eScheduled).toBe(84);
    // A dependent request planned at readyAt + wait, sent 40 ms late by a busy client.
    const late = requestMetrics(record({ readyAt: 1000, plannedAt: 1020, dispatchedAt: 1060, firstTokenAt: 1090, chunkAt: [1090], doneAt: 1100 }));
    expect(late).toMatchObject({ ttfc: 30, ttfcScheduled: 70, e2e: 40, e2eScheduled: 80, dispatchLateness: 40 });
    expect(requestMetrics(C).ttfcScheduled).toBeUndefined();
  });

  it("counts chunks without usage, and leaves tpot and tbc undefined for one token", () => {
    expect(requestMetrics(B)).toMatchObject({ outputTokens: 2, outputTokensFrom: "chunks", tpot: 20, promptDeviation: 0 });
    const one = requestMetrics(record({ dispatchedAt: 10, firstTokenAt: 30, chunkAt: [30], doneAt: 31 }));
    expect(one.tpot).toBeUndefined();
    expect(one.tbcMean).toBeUndefined();
    expect(one.tbcGaps).toEqual([]);
    expect(one.e2e).toBe(21);
    expect(one.ttfv).toBeUndefined();
  });

  it("takes e2e from the last chunk when doneAt is missing", () => {
    const m = requestMetrics(record({ dispatchedAt: 0, firstTokenAt: 5, chunkAt: [5, 9, 14] }));
    expect(m.e2e).toBe(14);
    expect(m.tpot).toBeCloseTo(4.5, 12);
    expect(m.promptDeviation).toBeUndefined();
  });

  it("marks failed requests", () => {
    expect(requestMetrics(C).ok).toBe(false);
    expect(requestMetrics(C).dispatchLateness).toBe(10);
  });
});

describe("aggregator", () => {
  const summary = summarizeRecords([A, B, C, D, E, W], { wallMs: 1000 });

  it("counts requests, sessions, warm-up and errors by kind", () => {
    expect(summary.counts).toEqual({ requests: 5, ok: 2, failed: 2, aborted: 1, sessions: 3, warmupRequests: 1, warmupSessions: 1 });
    expect(summary.errors.byKind).toEqual({ http: 1, reset: 1, aborted: 1 });
    expect(summary.errors.byStatus).toEqual({ "503": 1 });
    // Aborted requests are neither successes nor failures.
    expect(summary.errors.rate).toBe(0.5);
  });

  it("aggregates latencies of successful requests only, warm-up excluded", () => {
    const { ttfc, ttfv, tbc, tpot, e2e, tbcRequestMean, tbcRequestMax } = summary.latency;
    expect(ttfc).toMatchObject({ count: 2, mean: 40, min: 30, max: 50 });
    expect(ttfc!.p50).toBeCloseTo(30, 1);
    expect(ttfc!.p99).toBe(50);
    expect(ttfv).toMatchObject({ count: 2, mean: 45, max: 60 });
    expect(tbc).toMatchObject({ count: 4, mean: 12.5, min: 5, max: 20 });
    expect(tbcRequestMean).toMatchObject({ count: 2, mean: 15, max: 20 });
    expect(tbcRequestMax).toMatchObject({ count: 2, min: 15, max: 20 });
    expect(tpot!.mean).toBeCloseTo((32 / 3 + 20) / 2, 9);
    expect(e2e).toMatchObject({ count: 2, mean: 66, max: 82 });
  });

  it("computes throughput over the wall time", () => {
    expect(summary.wallMs).toBe(1000);
    expect(summary.throughput.requestsPerSec).toBe(2);
    expect(summary.throughput.outputTokensPerSec).toBe(6);
    expect(summary.throughput.promptTokensPerSec).toBe(1510);
    expect(summarizeRecords([A, B], { wallMs: 4000 }).throughput.outputTokensPerSec).toBe(1.5);
  });

  it("reports token accounting and prompt exactness", () => {
    expect(summary.tokens).toEqual({
      output: 6,
      outputFromUsageShare: 0.5,
      expectedPrompt: 1500,
      reportedPrompt: 1510,
      cached: 1200,
      promptAccuracy: { reported: 2, exact: 1, exactShare: 0.5, meanDeviation: 5, meanAbsDeviation: 5, maxAbsDeviation: 10 },
    });
  });

  it("compares the prefix reuse the workload intends with the cache hits reported", () => {
    expect(summary.prefix.expectedReuse).toBeCloseTo(0.9, 12);
    expect(summary.prefix.requestHitRate).toBeCloseTo(1200 / 1510, 12);
    expect(summary.prefix.server).toBeNull();
    const withServer = summarizeRecords([A], {
      wallMs: 1000,
      serverBefore: parsePrometheus("llamacpp:prompt_tokens_total 10\nllamacpp:prompt_tokens_cached_total 0\n"),
      serverAfter: parsePrometheus("llamacpp:prompt_tokens_total 220\nllamacpp:prompt_tokens_cached_total 800\n"),
    });
    expect(withServer.prefix.server).toMatchObject({ engine: "llama.cpp", hits: 800, queries: 1010, rate: 800 / 1010 });
  });

  it("leaves hit rates null when nothing reports cached tokens", () => {
    const s = summarizeRecords([record({ dispatchedAt: 0, firstTokenAt: 1, chunkAt: [1], doneAt: 1, promptTokens: 5, expectedPromptTokens: 5 })], { wallMs: 1 });
    expect(s.prefix.requestHitRate).toBeNull();
    expect(s.tokens.cached).toBeNull();
  });

  it("measures decode overlap over successful requests", () => {
    expect(summary.decode).toEqual({ maxConcurrent: 1, decodeTimeMs: 52, meanConcurrent: 1, shareAtLeast: [1] });
  });

  it("flags the run unhealthy when dispatch lateness p99 passes the threshold", () => {
    expect(summary.dispatch.lateness).toMatchObject({ count: 5, min: 0, max: 10 });
    expect(summary.dispatch).toMatchObject({ thresholdMs: 10, healthy: true });
    expect(summary.health).toEqual({ healthy: true, problems: [] });
    const strict = summarizeRecords([A, B, C, D, E], { wallMs: 1000, latenessThresholdMs: 5 });
    expect(strict.dispatch.healthy).toBe(false);
    expect(strict.health.healthy).toBe(false);
    expect(strict.health.problems[0]).toMatch(/dispatch lateness p99 10\.0ms exceeds 5ms/);
  });

  it("is plain JSON and carries serialized histograms", () => {
    const copy = JSON.parse(JSON.stringify(summary));
    expect(copy).toEqual(summary);
    expect(Object.keys(summary.histograms).sort()).toEqual(
      ["dispatchLateness", "e2e", "e2eScheduled", "sessionDuration", "tbc", "tbcRequestMax", "tbcRequestMean", "tpot", "ttfc", "ttfcScheduled", "ttfv"].sort(),
    );
    expect(summary.histograms.tbc.count).toBe(4);
  });

  it("summarizes an empty run without dividing by zero", () => {
    const empty = createAggregator().summarize({ wallMs: 10 });
    expect(empty.counts.requests).toBe(0);
    expect(empty.errors.rate).toBe(0);
    expect(empty.latency.ttfc).toBeNull();
    expect(empty.prefix.expectedReuse).toBeNull();
    expect(empty.decode.maxConcurrent).toBe(0);
    expect(empty.dispatch.healthy).toBe(true);
  });

  it("rejects a wall time that is not positive", () => {
    expect(() => createAggregator().summarize({ wallMs: 0 })).toThrow(/wallMs must be a positive/);
  });
});

describe("goodput", () => {
  it("counts successful requests meeting every per-request limit", () => {
    // A: ttfc 50, B: ttfc 30.
    const s = summarizeRecords([A, B, C], { wallMs: 2000, slo: { ttfc: { p95: 40 } } });
    expect(s.goodput).toEqual({ requests: 1, perSec: 0.5, share: 0.5, limits: { ttfc: 40 } });
  });

  it("takes the SLO from the aggregator options, summarize() overriding it", () => {
    const agg = createAggregator({ slo: { e2e: { max: 60 } } });
    for (const r of [A, B]) agg.add(r);
    expect(agg.summarize({ wallMs: 1000 }).goodput?.requests).toBe(1); // B's e2e 50 < 60, A's 82 is not
    expect(agg.summarize({ wallMs: 1000, slo: { e2e: { max: 100 } } }).goodput?.requests).toBe(2);
  });

  it("judges tpot and tbc per request (tbc by the request's mean gap)", () => {
    // A: tpot 10.67, mean gap 10; B: tpot 20, mean gap 20.
    expect(summarizeRecords([A, B], { wallMs: 1000, slo: { tpot: { p50: 15 } } }).goodput?.requests).toBe(1);
    expect(summarizeRecords([A, B], { wallMs: 1000, slo: { tbc: { p99: 12 } } }).goodput?.requests).toBe(1);
    expect(summarizeRecords([A, B], { wallMs: 1000, slo: { tbc: { p99: 25 }, tpot: { p99: 25 } } }).goodput?.requests).toBe(2);
  });

  it("reads the per-request limit from the upper-tail bound", () => {
    const s = summarizeRecords([A, B], { wallMs: 1000, slo: { ttfc: { p50: 10, max: 60 } } });
    expect(s.goodput).toMatchObject({ requests: 2, limits: { ttfc: 60 } });
  });

  it("is null without latency limits", () => {
    expect(summarizeRecords([A], { wallMs: 1000 }).goodput).toBeNull();
    expect(summarizeRecords([A], { wallMs: 1000, slo: { errorRate: { max: 0.1 } } }).goodput).toBeNull();
  });
});

describe("decodeOverlap", () => {
  it("measures a hand-made timeline", () => {
    // 0-5: 1 decoding, 5-8: 3, 8-10: 2, 10-15: 1, 15-20: none, 20-40: 1 (two spans that touch).
    const d = decodeOverlap([
      { start: 0, end: 10 },
      { start: 5, end: 15 },
      { start: 5, end: 8 },
      { start: 20, end: 30 },
      { start: 30, end: 40 },
      { start: 12, end: 12 },
    ]);
    expect(d.maxConcurrent).toBe(3);
    expect(d.decodeTimeMs).toBe(35);
    expect(d.shareAtLeast).toEqual([1, 5 / 35, 3 / 35]);
    expect(d.meanConcurrent).toBeCloseTo((30 * 1 + 2 * 2 + 3 * 3) / 35, 12);
  });

  it("handles spans that start together and no spans at all", () => {
    const d = decodeOverlap([
      { start: 0, end: 4 },
      { start: 0, end: 4 },
    ]);
    expect(d).toEqual({ maxConcurrent: 2, decodeTimeMs: 4, meanConcurrent: 2, shareAtLeast: [1, 1] });
    expect(decodeOverlap([])).toEqual({ maxConcurrent: 0, decodeTimeMs: 0, meanConcurrent: 0, shareAtLeast: [] });
  });
});
