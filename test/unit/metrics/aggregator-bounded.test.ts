// A run's aggregator holds what its running sessions and requests in flight need, however long the
// run: after 100k requests, no per-request values, no per-session state of ended sessions, and
// decode events only since the last settle. Its figures are those of the same records summarized
// at once (summarizeRecords keeps everything until the end).
import { describe, expect, it } from "vitest";
import { createAggregator, summarizeRecords } from "../../../src/metrics/aggregator.js";
import { decodeOverlap, DecodeSweep, type Span } from "../../../src/metrics/decode-overlap.js";
import type { RequestRecord } from "../../../src/records/types.js";
import { rngFor } from "../../../src/stats/random.js";

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Sessions of `turns` requests one after another, a new session every ~2 ms: records in the order they end, each session's last marked. */
function soak(sessions: number, turns: number): { records: RequestRecord[]; lastOfSession: boolean[] } {
  const rng = rngFor(1, "soak");
  const all: RequestRecord[] = [];
  for (let s = 0; s < sessions; s++) {
    let t = s * 2 + rng.next();
    for (let j = 0; j < turns; j++) {
      const dispatchedAt = round3(t);
      const firstTokenAt = round3(t + 5 + 40 * rng.next());
      const doneAt = round3(firstTokenAt + 10 + 30 * rng.next());
      const failed = rng.next() < 0.02;
      all.push({
        sessionId: `s${s}`,
        nodeId: String(j),
        readyAt: dispatchedAt,
        plannedAt: round3(dispatchedAt - rng.next()),
        dispatchedAt,
        firstTokenAt,
        chunkAt: [firstTokenAt, doneAt],
        doneAt,
        completionTokens: 2,
        promptTokens: 100,
        cachedTokens: 60,
        expectedPromptTokens: 100,
        sharedPrefixTokens: 50,
        freshInputTokens: 50,
        requestedOutputTokens: 2,
        ...(failed ? { error: { kind: "http" as const, status: 503, message: "busy" } } : {}),
      });
      t = doneAt + 3 * rng.next();
    }
  }
  all.sort((a, b) => a.doneAt! - b.doneAt!);
  const seen = new Map<string, number>();
  for (const r of all) seen.set(r.sessionId, (seen.get(r.sessionId) ?? 0) + 1);
  const left = new Map(seen);
  const lastOfSession = all.map((r) => {
    const n = left.get(r.sessionId)! - 1;
    left.set(r.sessionId, n);
    return n === 0;
  });
  return { records: all, lastOfSession };
}

describe("a bounded aggregator fed as a run feeds it", () => {
  const SLO = { ttfc: { p95: 30 }, e2e: { p99: 60 } };
  const { records, lastOfSession } = soak(25_000, 4);
  // What a run knows when it adds record i: nothing added later was dispatched before this.
  const laterDispatch = new Float64Array(records.length + 1).fill(Infinity);
  for (let i = records.length - 1; i >= 0; i--) laterDispatch[i] = Math.min(laterDispatch[i + 1]!, records[i]!.dispatchedAt);

  it("holds nothing per request or ended session after 100k requests, and reports what summarizing them at once does", () => {
    expect(records).toHaveLength(100_000);
    const agg = createAggregator({ slo: SLO, bounded: true });
    let most = { openSessions: 0, decodeEvents: 0 };
    records.forEach((r, i) => {
      agg.add(r);
      if (lastOfSession[i]) agg.sessionEnded(r.sessionId);
      if ((i + 1) % 1024 === 0) agg.settle(laterDispatch[i + 1]!);
      const held = agg.held();
      most = { openSessions: Math.max(most.openSessions, held.openSessions), decodeEvents: Math.max(most.decodeEvents, held.decodeEvents) };
    });
    expect(agg.held()).toMatchObject({ openSessions: 0, openWarmupSessions: 0, requestRows: 0 });
    // About 25 sessions run at once here. The sweep keeps 2 events per span added since its last
    // settle, and per span still open after the earliest request in flight (a few dozen): 200k
    // events if it kept them all.
    expect(most.openSessions).toBeLessThan(100);
    expect(most.decodeEvents).toBeLessThanOrEqual(2 * (1024 + 200));

    const bounded = agg.summarize({ wallMs: 60_000 });
    const atOnce = summarizeRecords(records, { wallMs: 60_000, slo: SLO });
    expect(bounded.counts).toEqual(atOnce.counts);
    expect(bounded.counts.sessions).toBe(25_000);
    expect(bounded.decode).toEqual(atOnce.decode);
    expect(bounded.decode.maxConcurrent).toBeGreaterThan(5);
    expect(bounded.goodput).toEqual(atOnce.goodput);
    expect(bounded.goodput!.requests).toBeGreaterThan(0);
    expect(bounded.goodput!.requests).toBeLessThan(bounded.counts.ok);
    for (const [name, stats] of Object.entries(atOnce.latency)) {
      // Session durations go into their histogram as sessions end, not in first-seen order: the
      // exact sum (hence the mean) may differ in its last bits.
      if (name === "sessionDuration") expect({ ...bounded.latency[name], mean: 0 }).toEqual({ ...stats, mean: 0 });
      else expect(bounded.latency[name], name).toEqual(stats);
    }
    expect(bounded.latency.sessionDuration!.mean).toBeCloseTo(atOnce.latency.sessionDuration!.mean, 9);
  });

  it("judges goodput by its own SLO only", () => {
    const agg = createAggregator({ slo: SLO, bounded: true });
    records.slice(0, 10).forEach((r) => agg.add(r));
    expect(() => agg.summarize({ wallMs: 1000, slo: { ttfc: { p50: 10 } } })).toThrow(/bounded aggregator judges goodput by its own SLO only/);
    expect(agg.summarize({ wallMs: 1000, slo: SLO }).goodput).toEqual(summarizeRecords(records.slice(0, 10), { wallMs: 1000, slo: SLO }).goodput);
  });

  it("an unbounded one keeps a row per successful request, to judge goodput by any SLO", () => {
    const agg = createAggregator({ slo: SLO });
    records.slice(0, 1000).forEach((r) => agg.add(r));
    expect(agg.held().requestRows).toBe(records.slice(0, 1000).filter((r) => !r.error).length);
    expect(agg.summarize({ wallMs: 1000, slo: { ttfc: { p50: 10 } } }).goodput).toEqual(summarizeRecords(records.slice(0, 1000), { wallMs: 1000, slo: { ttfc: { p50: 10 } } }).goodput);
  });

  it("frees a warm-up session when it ends, still counting it", () => {
    const agg = createAggregator({ bounded: true });
    for (let s = 0; s < 1000; s++) {
      agg.add({ ...records[s]!, sessionId: `w${s}`, warmup: true });
      agg.sessionEnded(`w${s}`);
    }
    expect(agg.held().openWarmupSessions).toBe(0);
    expect(agg.summarize({ wallMs: 1000 }).counts).toMatchObject({ warmupRequests: 1000, warmupSessions: 1000, requests: 0 });
  });
});

describe("DecodeSweep", () => {
  it("settled as spans arrive gives decodeOverlap's figures to the bit", () => {
    for (const seed of [1, 2, 3]) {
      const rng = rngFor(seed, "sweep");
      // Integer-ish and repeated times too, so events share instants.
      const spans: Span[] = Array.from({ length: 5000 }, (_, i) => {
        const start = Math.round(i * 3 + 50 * rng.next()) / (rng.next() < 0.5 ? 1 : 8);
        return { start, end: start + Math.round(100 * rng.next()) / 4 };
      });
      const byEnd = [...spans].sort((a, b) => a.end - b.end);
      const laterStart = new Float64Array(byEnd.length + 1).fill(Infinity);
      for (let i = byEnd.length - 1; i >= 0; i--) laterStart[i] = Math.min(laterStart[i + 1]!, byEnd[i]!.start);
      const sweep = new DecodeSweep();
      byEnd.forEach((s, i) => {
        sweep.add(s);
        if (i % 37 === 0) sweep.settle(laterStart[i + 1]!);
      });
      expect(sweep.result()).toEqual(decodeOverlap(spans));
      expect(sweep.pendingEvents).toBeLessThan(200);
    }
  });
});
