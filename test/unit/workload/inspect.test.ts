import { describe, expect, it } from "vitest";
import { generateWorkload } from "../../../src/workload/generate.js";
import { inspectSessions, inspectWorkload, percentile, renderStats, summarize } from "../../../src/workload/inspect.js";
import type { RequestNode, Workload } from "../../../src/workload/types.js";

function node(id: string, parents: string[], fresh: number, output: number, wait: number, extra: Partial<RequestNode> = {}): RequestNode {
  return { id, parents, historyParent: parents[0] ?? null, freshInputTokens: fresh, outputTokens: output, waitAfterReadyMs: wait, ...extra };
}

describe("percentiles", () => {
  it("interpolate linearly between order statistics (numpy's default)", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
    expect(percentile([5], 0.99)).toBe(5);
    expect(percentile([], 0.5)).toBe(0);
    expect(summarize([4, 1, 3, 2])).toEqual({ count: 4, mean: 2.5, p50: 2.5, p90: expect.closeTo(3.7, 12), p99: expect.closeTo(3.97, 12), max: 4, sum: 10 });
  });
});

describe("inspectWorkload", () => {
  // Session "a": scaffold 100; 0 -> {1, 2 (a subagent)} -> 3 (report). Session "b": one request.
  const workload: Workload = {
    name: "hand",
    seed: "1",
    scaffolds: [
      { id: "main", systemTokens: 60, toolTokens: 40 },
      { id: "sub", systemTokens: 10, toolTokens: 0 },
    ],
    sessions: [
      {
        id: "a",
        agent: "main",
        scaffoldId: "main",
        nodes: [
          node("0", [], 20, 10, 0),
          node("1", ["0"], 30, 10, 100),
          node("2", ["0"], 5, 7, 300, { historyParent: null, scaffoldId: "sub", kind: "spawn" }),
          node("3", ["1", "2"], 8, 2, 500, { kind: "report" }),
        ],
      },
      { id: "b", agent: "main", scaffoldId: "main", nodes: [node("0", [], 50, 1, 0)] },
    ],
  };

  it("counts sessions, requests, shapes, token distributions and expected reuse", () => {
    const s = inspectWorkload(workload);
    expect(s.name).toBe("hand");
    expect(s.sessions).toBe(2);
    expect(s.requests).toBe(5);
    expect(s.agents).toEqual({ main: 2 });
    expect(s.requestsPerSession).toMatchObject({ count: 2, mean: 2.5, max: 4 });
    expect(s.depth).toMatchObject({ max: 3, sum: 4 });
    expect(s.width).toMatchObject({ max: 2, sum: 3 });
    expect(s.maxFanOut).toBe(2);
    expect(s.maxFanIn).toBe(2);
    expect(s.freshInputTokens).toMatchObject({ count: 5, sum: 113, max: 50, p50: 20 });
    expect(s.outputTokens).toMatchObject({ sum: 30, max: 10 });
    // Roots wait for nothing, so only the three dependent requests count.
    expect(s.waitAfterReadyMs).toMatchObject({ count: 3, mean: 300, p50: 300, max: 500 });
    // Prompts: a0 120, a1 120+10+30=160, a2 10+5=15, a3 160+10+8=178, b0 150.
    expect(s.promptTokens).toMatchObject({ sum: 120 + 160 + 15 + 178 + 150, max: 178 });
    expect(s.sharedPrefixTokens).toBe(130 + 170);
    expect(s.promptReuseRatio).toBeCloseTo(300 / 623, 12);
    expect(s.kinds).toEqual({ turn: 3, spawn: 1, report: 1, compaction: 0 });
  });

  it("agrees with Veeksha's own totals for its linear workload (30 x 5 requests, 500 fresh, 300 output)", () => {
    const w = generateWorkload({ name: "linear", seed: 1, sessions: 30, agents: [{ name: "l", turns: 5, freshInput: 500, output: 300 }] });
    const s = inspectWorkload(w);
    // workload_shape_metadata.json: total_cacheable_history_tokens 240000, total_effective_input_tokens 315000.
    expect(s.sharedPrefixTokens).toBe(240_000);
    expect(s.promptTokens.sum).toBe(315_000);
    expect(s.promptTokens.mean).toBe(2100);
    expect(s.requests).toBe(150);
    expect(s.depth.max).toBe(5);
    expect(s.width.max).toBe(1);
  });

  it("rejects a broken graph, naming it", () => {
    const broken = { ...workload, sessions: [{ id: "x", nodes: [node("0", ["9"], 1, 1, 0)] }] };
    expect(() => inspectWorkload(broken)).toThrow("session 'x', node '0': parent '9' does not exist");
  });

  it("an empty workload has zero statistics, not NaN", () => {
    const s = inspectSessions([], [], "none");
    expect(s.requests).toBe(0);
    expect(s.promptReuseRatio).toBe(0);
    expect(s.freshInputTokens).toEqual({ count: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0, sum: 0 });
  });

  it("renders a table with one row per quantity", () => {
    const text = renderStats(inspectWorkload(workload));
    expect(text).toContain("workload hand\n");
    expect(text).toContain("sessions 2 (main 2), requests 5");
    expect(text).toContain("requests by kind: turn 3, spawn 1, report 1, compaction 0");
    expect(text).toContain("expected prompt reuse ratio 48.2% (300 of 623 prompt tokens)");
    expect(text).toMatch(/^wait ms\s+3\s+300\s+300\s+460\s+496\s+500$/m);
    expect(text).toMatch(/^fresh input tok\s+5\s+22\.60\s+20\s+/m);
  });
});
