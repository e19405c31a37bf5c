import { describe, expect, it } from "vitest";
import { analyzeTrace, stats } from "../../../src/traces/analyze.js";
import { orderedRequests } from "../../../src/traces/order.js";
import { traceSessionGraphs, traceSessions, waitAfterReady } from "../../../src/traces/sessions.js";
import type { Trace, TraceRequest } from "../../../src/traces/types.js";

/** A request with defaults for what a test does not care about. */
function req(id: string, fields: Partial<TraceRequest> = {}): TraceRequest {
  return { id, conversation: "c", parents: [], historyParent: null, freshInputTokens: 10, outputTokens: 5, ...fields };
}

function trace(requests: TraceRequest[]): Trace {
  return { format: "csv", source: "test", requests };
}

describe("trace analysis pieces", () => {
  it("percentiles interpolate like numpy", () => {
    expect(stats([4, 1, 3, 2])).toMatchObject({ count: 4, min: 1, p50: 2.5, p90: 3.7, max: 4, sum: 10, mean: 2.5 });
    expect(stats([])).toMatchObject({ count: 0, mean: 0, p50: 0 });
  });

  it("counts requests in flight over [dispatch, response): one ending as another starts does not overlap", () => {
    const at = (id: string, d: number, r: number) => req(id, { conversation: id, dispatchedMs: d, respondedMs: r });
    expect(analyzeTrace(trace([at("a", 0, 10), at("b", 10, 20), at("c", 20, 30)])).peakInFlight).toBe(1);
    expect(analyzeTrace(trace([at("a", 0, 10), at("b", 5, 20), at("c", 9, 12), at("d", 12, 13)])).peakInFlight).toBe(3);
  });

  it("groups requests into sessions by any edge, ordered by arrival; width and depth per session", () => {
    const t = trace([
      req("x1", { conversation: "x", dispatchedMs: 500, respondedMs: 600 }),
      req("y1", { conversation: "y", dispatchedMs: 100, respondedMs: 200 }),
      req("y2", { conversation: "y", parents: [{ from: "y1", type: "sequential" }], historyParent: "y1", dispatchedMs: 250, respondedMs: 300 }),
      req("y3", { conversation: "y", parents: [{ from: "y1", type: "dependency" }], dispatchedMs: 260, respondedMs: 400 }),
      req("z1", { conversation: "y", parents: [{ from: "y2", type: "subagent_spawn" }], dispatchedMs: 310, respondedMs: 350 }),
    ]);
    const sessions = traceSessions(t);
    expect(sessions.map((s) => [s.id, s.requests.map((r) => r.id), s.arrivalMs])).toEqual([
      ["y", ["y1", "y2", "y3", "z1"], 0],
      ["x", ["x1"], 400],
    ]);
    const a = analyzeTrace(t);
    // y1 -> {y2, y3}, y2 -> z1: depths 1, 2, 2, 3.
    expect(a.graph).toMatchObject({ longestPath: 3, maxWidth: 2, maxFanOut: 2, maxFanIn: 1 });
    // Only y2 has a history parent, so only its wait counts; the graph's y3 waits from its parent's response.
    expect(a.waitAfterReadyMs).toBeNull(); // no request records a wait
    const [y] = traceSessionGraphs(t);
    expect(y!.nodes.map((n) => n.waitAfterReadyMs)).toEqual([0, 50, 60, 10]);
  });

  it("falls back to the recorded wait when a parent's response time is unknown", () => {
    const parent = req("p");
    const child = req("c", { parents: [{ from: "p", type: "sequential" }], historyParent: "p", dispatchedMs: 100, waitAfterReadyMs: 42 });
    expect(waitAfterReady(child, () => parent)).toBe(42);
    expect(waitAfterReady({ ...child, waitAfterReadyMs: undefined }, () => parent)).toBe(0);
  });

  it("names duplicate ids, missing parents, stray history parents and cycles", () => {
    const check = (requests: TraceRequest[]) => () => orderedRequests(requests, "t.csv");
    expect(check([req("a"), req("a")])).toThrow("t.csv: request 2: request id 'a' is used twice (also request 1)");
    expect(check([req("a", { parents: [{ from: "b", type: "sequential" }] })])).toThrow("t.csv: request 1: parent 'b' of request 'a' is not in the trace");
    expect(check([req("a"), req("b", { historyParent: "a" })])).toThrow("t.csv: request 2: history parent 'a' of request 'b' is not among its parents");
    expect(
      check([req("a", { parents: [{ from: "b", type: "dependency" }] }), req("b", { parents: [{ from: "a", type: "dependency" }] })]),
    ).toThrow("t.csv: request 1: request 'a' is part of a dependency cycle");
  });

  it("puts requests in topological order, keeping the listed order where edges allow", () => {
    const out = orderedRequests([req("b", { parents: [{ from: "a", type: "sequential" }] }), req("c"), req("a")], "t");
    expect(out.map((r) => r.id)).toEqual(["c", "a", "b"]);
  });

  it("reports user messages and expansion only when the trace knows them", () => {
    expect(analyzeTrace(trace([req("a"), req("b")]))).toMatchObject({ userMessages: null, expansionFactor: null });
    const withTriggers = trace([req("a", { trigger: "user" }), req("b", { trigger: "tool_result", parents: [{ from: "a", type: "sequential" }], historyParent: "a" })]);
    expect(analyzeTrace(withTriggers)).toMatchObject({ userMessages: 1, expansionFactor: 2 });
  });
});
