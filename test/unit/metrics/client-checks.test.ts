// The client's own checks as validity problems: lag (more than 5%, and at least 3, of the requests
// later than max(25 ms, 10% of TTFC p50)), CPU saturation (busy windows) or an event-loop stall
// over 1 s, and achieved load (concurrency over the steady part, rate against the drawn schedule),
// each with its message and exit code 4.
import { describe, expect, it } from "vitest";
import { exitCode, EXIT } from "../../../src/cli/run.js";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import { cpuCheck, lagCheck, loadCheck, LAG_FLOOR_MS, STALL_LIMIT_MS, type AchievedLoad } from "../../../src/metrics/client-checks.js";
import { runValidity } from "../../../src/metrics/validity.js";
import type { RequestRecord } from "../../../src/records/types.js";

/** n requests 1 s apart, each `late` ms late (per index), with TTFC `ttfc` ms. */
function records(n: number, late: (i: number) => number, ttfc = 100): RequestRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const planned = i * 1000;
    const sent = planned + late(i);
    return {
      sessionId: `s${i}`,
      nodeId: "0",
      readyAt: planned,
      plannedAt: planned,
      dispatchedAt: sent,
      firstTokenAt: sent + ttfc,
      firstContentAt: sent + ttfc,
      chunkAt: [sent + ttfc, sent + ttfc + 10],
      doneAt: sent + ttfc + 10,
      completionTokens: 2,
      expectedPromptTokens: 10,
      sharedPrefixTokens: 0,
      freshInputTokens: 10,
      requestedOutputTokens: 2,
    };
  });
}

const summaryOf = (rs: RequestRecord[]) => summarizeRecords(rs, { wallMs: Math.max(1, rs.length) * 1000 });
const judged = (v: ReturnType<typeof runValidity>) => exitCode({ interrupted: false, passed: true, validity: v }, false);

describe("client lag", () => {
  it("keeps a run valid whose outliers are fewer than 5% of its requests, however late", () => {
    // The main job's shape: most dispatches within a few ms, single outliers (preemption, GC).
    const v = runValidity(summaryOf(records(100, (i) => (i % 25 === 0 ? 60 : 3), 5)));
    expect(v.client!.lag).toMatchObject({ ok: true, limitMs: LAG_FLOOR_MS, requests: 100, atLeast: 5 });
    expect(v.client!.lag.lateness).toBeCloseTo(3, 1);
    expect(v.valid).toBe(true);
  });

  it("is a validity problem (exit 4) when more than 5% of requests are later than the floor", () => {
    const v = runValidity(summaryOf(records(100, (i) => (i % 10 === 0 ? 40 : 1))));
    expect(v.client!.lag).toMatchObject({ ok: false, limitMs: 25, atLeast: 5 });
    expect(v.client!.lag.lateness).toBeCloseTo(40, 1);
    expect(v.valid).toBe(false);
    expect(v.problems).toEqual([
      "client lag: at least 5 of 100 requests were sent more than 25ms late (limit max(25ms, 10% of TTFC p50 100ms); the 5th latest 40ms): the server was offered its load later than planned and the client's delays are in the latencies (see ttfcScheduled)",
    ]);
    expect(judged(v)).toBe(EXIT.invalid);
  });

  it("needs at least 3 late requests: one or two in a small run are hiccups", () => {
    expect(lagCheck(summaryOf(records(20, (i) => (i < 2 ? 80 : 1)))).ok).toBe(true);
    const three = lagCheck(summaryOf(records(20, (i) => (i < 3 ? 80 : 1))));
    expect(three).toMatchObject({ ok: false, requests: 20, atLeast: 3 });
    expect(three.lateness).toBeCloseTo(80, 1);
    // Fewer requests than that: nothing to judge.
    expect(lagCheck(summaryOf(records(2, () => 500)))).toMatchObject({ ok: true, lateness: null });
  });

  it("scales the limit with TTFC p50: 40 ms late against a 1 s TTFC is a tenth of nothing", () => {
    const c = lagCheck(summaryOf(records(100, (i) => (i % 10 === 0 ? 40 : 1), 1000)));
    expect(c.limitMs).toBeCloseTo(100, 0);
    expect(c.ok).toBe(true);
    const late = lagCheck(summaryOf(records(100, (i) => (i % 10 === 0 ? 150 : 1), 1000)));
    expect(late.ok).toBe(false);
  });

  it("passes a run with nothing dispatched (other problems say so)", () => {
    expect(lagCheck(summaryOf([]))).toEqual({ requests: 0, atLeast: 3, lateness: null, ttfcP50: null, limitMs: 25, ok: true });
  });
});

describe("client CPU", () => {
  const run = summaryOf(records(10, () => 1));

  it("is a validity problem (exit 4) when more than a quarter of the windows were over 90% busy", () => {
    const v = runValidity(run, { clientCpu: { source: "eventLoopUtilization", windowMs: 1000, busy: [0.97, 0.99, 0.95, 0.2] } });
    expect(v.client!.cpu).toMatchObject({ ok: false, windows: 4, saturatedShare: 0.75, maxBusy: 0.99 });
    expect(v.problems).toEqual([
      "client saturated: event loop busy over 90% of a core in 75% of the run's 4 windows of 1000ms (limit 25%; mean 77.75%): results measure the client, not the server",
    ]);
    expect(judged(v)).toBe(EXIT.invalid);
  });

  it("lets a busy moment pass, and words the cpuUsage fallback as CPU", () => {
    expect(cpuCheck({ source: "cpuUsage", windowMs: 1000, busy: [0.95, 0.5, 0.4, 0.3] }).ok).toBe(true);
    const v = runValidity(run, { clientCpu: { source: "cpuUsage", windowMs: 1000, busy: [1.2, 1.1] } });
    expect(v.problems[0]).toMatch(/^client saturated: CPU over 90% of a core in 100% of the run's 2 windows of 1000ms/);
  });

  it("skips a runtime without the APIs, with its note among the warnings", () => {
    const note = "client CPU not sampled: this runtime has neither performance.eventLoopUtilization nor process.cpuUsage";
    const v = runValidity(run, { clientCpu: { source: null, windowMs: 1000, busy: [], note } });
    expect(v.valid).toBe(true);
    expect(v.client!.cpu).toMatchObject({ ok: true, meanBusy: null, note });
    expect(v.warnings).toContain(note);
  });
});

describe("event-loop stalls", () => {
  const run = summaryOf(records(10, () => 1));
  const quiet = { source: "eventLoopUtilization" as const, windowMs: 1000, busy: [0.1, 0.1, 0.1, 0.1] };

  it("is a validity problem (exit 4) when one stall reaches the limit, naming the requests it touched", () => {
    // The shape: one reply counted for 44 s on the event loop while a request streamed.
    const stalls = [
      { atMs: 1200, ms: 300, requests: 1, lines: [2] },
      { atMs: 3000, ms: 44_000, requests: 7, lines: [3, 4, 5, 6, 7] },
    ];
    const v = runValidity(run, { clientCpu: { ...quiet, stalls, stallCount: 2 } });
    expect(v.client!.cpu).toMatchObject({ ok: false, saturatedShare: 0, stallCount: 2, longestStall: stalls[1] });
    expect(v.problems).toEqual([
      "client event loop stalled 2 times for 200ms or more, the longest 44s at 3000ms into the run with 7 requests in flight (records.jsonl lines 3, 4, 5, 6, 7, ...), over the 1000ms limit: chunk stamps and timeouts of requests in flight were that late; results measure the client, not the server",
    ]);
    expect(judged(v)).toBe(EXIT.invalid);
  });

  it("names a shorter stall among the warnings, with the requests in flight, and keeps the run valid", () => {
    const v = runValidity(run, { clientCpu: { ...quiet, stalls: [{ atMs: 500, ms: STALL_LIMIT_MS - 1, requests: 1, lines: [4] }], stallCount: 1 } });
    expect(v.valid).toBe(true);
    expect(v.warnings).toContain("client event loop stalled once for 200ms or more, 999ms at 500ms into the run with 1 request in flight (records.jsonl line 4)");
  });

  it("judges stalls on a runtime without CPU figures, and says both when saturated and stalled", () => {
    expect(cpuCheck({ source: null, windowMs: 1000, busy: [], stalls: [{ atMs: 0, ms: STALL_LIMIT_MS }] }).ok).toBe(false);
    const v = runValidity(run, { clientCpu: { source: "eventLoopUtilization", windowMs: 1000, busy: [0.99, 0.99], stalls: [{ atMs: 0, ms: 5_000 }] } });
    expect(v.problems).toHaveLength(1);
    expect(v.problems[0]).toMatch(/^client saturated: .*; client event loop stalled once for 200ms or more, 5000ms at 0ms into the run, over the 1000ms limit/);
  });
});

describe("achieved load", () => {
  const run = summaryOf(records(10, () => 1));
  const concurrency = (achieved: number | null): AchievedLoad => ({ mode: "concurrency", target: 4, achieved, steadyMs: 20_000 });

  it("concurrency: more than 10% short of the target over the steady part is a validity problem (exit 4) naming both", () => {
    expect(loadCheck(concurrency(3.7)).ok).toBe(true);
    const v = runValidity(run, { achievedLoad: concurrency(3.2) });
    expect(v.problems).toEqual([
      "load short: mean 3.20 sessions in flight of 4 over the steady 20.0s, 20% short (limit 10%): the server was offered less load than the workload asks for",
    ]);
    expect(judged(v)).toBe(EXIT.invalid);
  });

  it("concurrency: no steady part (fewer sessions than lanes) is not judged", () => {
    const v = runValidity(run, { achievedLoad: { mode: "concurrency", target: 4, achieved: null, steadyMs: 0, note: "no steady part" } });
    expect(v.valid).toBe(true);
    expect(v.client!.load).toMatchObject({ ok: true, ratio: null });
  });

  it("rate: the released rate against the drawn schedule, the nominal target beside it", () => {
    const load: AchievedLoad = { mode: "rate", targetPerSec: 20, plannedPerSec: 18.5, achievedPerSec: 15, sessions: 400 };
    const v = runValidity(run, { achievedLoad: load });
    expect(v.problems).toEqual([
      "load short: 15.00 sessions/s released, schedule 18.50/s (target 20.00/s), 400 sessions, 18.92% short (limit 10%): the server was offered less load than the workload asks for",
    ]);
    expect(loadCheck({ ...load, achievedPerSec: 17.9 }).ok).toBe(true);
  });
});

describe("scheduled latencies", () => {
  it("add the lateness to TTFC and E2E, per request and in the summary", () => {
    const s = summaryOf(records(20, () => 30, 100));
    expect(s.latency.ttfc!.p50).toBeCloseTo(100, 1);
    expect(s.latency.ttfcScheduled!.p50).toBeCloseTo(130, 1);
    expect(s.latency.e2e!.max).toBeCloseTo(110, 1);
    expect(s.latency.e2eScheduled!.max).toBeCloseTo(140, 1);
  });
});
