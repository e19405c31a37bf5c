// Bad input to a run that no spec check sees (issue 12): a trace of more sessions than a spread
// into Math.max can take, replay options past the spec's limits, a trace request too large to
// render; and the run's own guards: lanes capped at the session count, timers far away.
import { afterEach, describe, expect, it, vi } from "vitest";
import { planFromTrace } from "../../../src/run/replay.js";
import { TimerQueue } from "../../../src/run/timer-queue.js";
import { runConcurrent } from "../../../src/run/traffic/concurrent.js";
import type { Trace, TraceRequest } from "../../../src/traces/types.js";

/** A Mooncake-like trace: n single-request sessions, one a millisecond. */
function manySessions(n: number): Trace {
  const requests: TraceRequest[] = [];
  for (let i = 0; i < n; i++) {
    requests.push({ id: String(i), conversation: `s${i}`, parents: [], historyParent: null, freshInputTokens: 4, outputTokens: 2, dispatchedMs: i });
  }
  return { format: "mooncake", source: "big.jsonl", requests };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("planFromTrace with bad input", () => {
  it("plans a trace of 200,000 sessions (the last arrival is found without spreading them into Math.max)", () => {
    const plan = planFromTrace(manySessions(200_000), { timed: true, wrap: true, sessions: 400_000 });
    expect(plan.sessions).toBe(400_000);
    // The second cycle starts one mean gap after the last arrival (199,999 ms).
    expect(plan.sessionAt(200_000).arrivalMs).toBeCloseTo(199_999 + 199_999 / 199_999, 6);
  });

  it("checks the options a spec also has as the spec does, naming the option", () => {
    const trace = manySessions(3);
    expect(() => planFromTrace(trace, { sessions: 0 })).toThrow("sessions: expected an integer >= 1, got 0");
    expect(() => planFromTrace(trace, { concurrency: 0 })).toThrow("concurrency: expected an integer >= 1, got 0");
    expect(() => planFromTrace(trace, { concurrency: 1e9 })).toThrow("concurrency: expected an integer <= 100000 (more sessions at once than one client can keep active), got 1000000000");
    expect(() => planFromTrace(trace, { durationSeconds: 3e6 })).toThrow("durationSeconds: expected a number <= 2147483 (24.8 days, the longest a timer can wait), got 3000000");
    expect(() => planFromTrace(trace, { warmupSessions: -1 })).toThrow("warmupSessions: expected an integer >= 0, got -1");
    expect(() => planFromTrace(trace, { warmupSessions: 3 })).toThrow("warmupSessions: expected fewer than the 3 sessions the replay releases, got 3 (nothing would be measured)");
    expect(planFromTrace(trace, { warmupSessions: 2 }).traffic.warmupSessions).toBe(2);
  });

  it("releases an untimed replay at a session rate when asked, and refuses rate with timed or concurrency", () => {
    const trace = manySessions(3);
    expect(planFromTrace(trace, { rate: 2 }).traffic).toMatchObject({ mode: "rate", arrivals: { type: "poisson", rate: 2 } });
    expect(planFromTrace(trace, { rate: 0.5, arrivals: "constant", wrap: true, sessions: 9 }).traffic).toMatchObject({ mode: "rate", arrivals: { type: "constant", rate: 0.5 }, maxSessions: 9 });
    expect(() => planFromTrace(trace, { rate: 0 })).toThrow("--rate must be a number of sessions per second > 0, got 0");
    expect(() => planFromTrace(trace, { rate: 1, timed: true })).toThrow(/--rate is for untimed replays/);
    expect(() => planFromTrace(trace, { rate: 1, concurrency: 2 })).toThrow("give --rate (sessions per second) or --concurrency (sessions at once), not both");
  });

  it("refuses a trace request larger than any context, naming the session and request", () => {
    const trace = manySessions(2);
    trace.requests[1]!.freshInputTokens = 2e7;
    expect(() => planFromTrace(trace)).toThrow("big.jsonl: session s1 request 1: a prompt of 20,000,000 tokens; expected at most 10,000,000 tokens a request");
  });
});

describe("the run's guards", () => {
  it("concurrency far above the session count runs only as many lanes as sessions", async () => {
    const sessions = manySessions(2).requests.map((r) => ({ id: r.id, nodes: [] }));
    const released = await runConcurrent(
      { concurrency: 1e9, rampUpMs: 0, sessions: 2 },
      { timers: new TimerQueue(), now: () => performance.now(), nextSession: () => sessions.shift(), runSession: async () => {}, stopped: () => false },
    );
    expect(released).toBe(2);
  });

  it("an entry further away than a timer can wait arms a timer of at most 2^31 - 1 ms, once", () => {
    const spy = vi.spyOn(globalThis, "setTimeout");
    const timers = new TimerQueue(() => 0);
    timers.at(40 * 24 * 3600 * 1000, () => {}); // 40 days
    const delays = spy.mock.calls.map((c) => c[1]);
    expect(delays).toEqual([2 ** 31 - 1]);
    timers.clear();
  });
});
