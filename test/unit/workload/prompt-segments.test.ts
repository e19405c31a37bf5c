import { describe, expect, it } from "vitest";
import { promptSegments, type PromptCounts } from "../../../src/workload/prompt-segments.js";
import type { RequestNode, SessionGraph } from "../../../src/workload/types.js";

const node = (id: string, over: Partial<RequestNode> = {}): RequestNode => ({ id, parents: [], historyParent: null, freshInputTokens: 10, outputTokens: 5, waitAfterReadyMs: 0, ...over });
const counts = (entries: [string, PromptCounts][]) => new Map(entries);

describe("a prompt as shared segments", () => {
  it("starts a root from its scaffold, a child from its parent's conversation, the reply sized by what the child inherits", () => {
    const graph: SessionGraph = { id: "s", scaffoldId: "a", nodes: [node("0"), node("1", { parents: ["0"], historyParent: "0" })] };
    const p = promptSegments(graph, counts([["0", { promptTokens: 117, sharedPrefixTokens: 0, scaffoldTokens: 104 }], ["1", { promptTokens: 143, sharedPrefixTokens: 130, scaffoldTokens: 104 }]]));
    expect(p.get("0")).toEqual({
      nodeId: "0",
      start: { from: "session" },
      own: [{ key: "s:a", tokens: 104, kind: "scaffold" }, { key: "f:s/0", tokens: 13, kind: "fresh" }],
      reply: { key: "r:s/0", tokens: 13, kind: "reply" },
    });
    expect(p.get("1")).toEqual({ nodeId: "1", start: { from: "history", parent: "0" }, own: [{ key: "f:s/1", tokens: 13, kind: "fresh" }], reply: null });
  });

  it("tells a subagent's first request and the request after a compaction by their parents", () => {
    const graph: SessionGraph = {
      id: "s",
      scaffoldId: "a",
      nodes: [node("0"), node("1", { parents: ["0"], scaffoldId: "sub" }), node("2", { parents: ["0"], historyParent: "0", kind: "compaction" }), node("3", { parents: ["2"] })],
    };
    const c = { promptTokens: 50, sharedPrefixTokens: 0, scaffoldTokens: 40 };
    const p = promptSegments(graph, counts([["0", c], ["1", c], ["2", { promptTokens: 70, sharedPrefixTokens: 55, scaffoldTokens: 40 }], ["3", c]]));
    expect(p.get("1")!.start).toEqual({ from: "spawn" });
    expect(p.get("1")!.own[0]).toEqual({ key: "s:sub", tokens: 40, kind: "scaffold" });
    expect(p.get("3")!.start).toEqual({ from: "compaction" });
    expect(p.get("3")!.own[0]!.key).toBe("s:a");
  });

  it("puts hash-id blocks first in the new input, the last cut by the content, and the template after them", () => {
    const graph: SessionGraph = { id: "m", nodes: [node("0", { freshInputTokens: 25, prefixBlocks: { ids: [7, 8, 9], blockSize: 10 } })] };
    const p = promptSegments(graph, counts([["0", { promptTokens: 28, sharedPrefixTokens: 0, scaffoldTokens: 0 }]]));
    expect(p.get("0")!.own).toEqual([
      { key: "b:7:10", tokens: 10, kind: "block" },
      { key: "b:8:10", tokens: 10, kind: "block" },
      { key: "b:9:5", tokens: 5, kind: "block" },
      { key: "f:m/0", tokens: 3, kind: "fresh" },
    ]);
  });

  it("makes a request whose history parent was not sent all its own", () => {
    const graph: SessionGraph = { id: "s", scaffoldId: "a", nodes: [node("0"), node("1", { parents: ["0"], historyParent: "0" })] };
    const p = promptSegments(graph, counts([["1", { promptTokens: 143, sharedPrefixTokens: 130, scaffoldTokens: 104 }]]));
    expect(p.has("0")).toBe(false);
    expect(p.get("1")!.own).toEqual([{ key: "f:s/1", tokens: 143, kind: "fresh" }]);
  });
});

describe("prompts that drop reasoning", () => {
  it("repeat their conversation only up to the first dropped reply; the ideal cache hits that far", async () => {
    const { sessionTokens } = await import("../../../src/workload/tokens.js");
    const { simulatePrefixCache } = await import("../../../src/metrics/ideal-cache.js");
    const r = (id: string, parent: string | null, extra: Partial<RequestNode> = {}) =>
      node(id, { parents: parent ? [parent] : [], historyParent: parent, outputTokens: 10, reasoningTokens: 6, ...extra });
    // 0 -> 1 -> 2 (a new user turn: drops all reasoning) ; 1 -> 3 (visible only: its parent's reply)
    const graph: SessionGraph = { id: "s", scaffoldId: "a", nodes: [r("0", null), r("1", "0"), r("2", "1", { dropReasoning: "all" }), r("3", "1", { dropReasoning: "parent" })] };
    const tokens = sessionTokens(graph, [{ id: "a", systemTokens: 100, toolTokens: 0 }]);
    const p = promptSegments(graph, tokens);
    expect(p.get("2")!.start).toEqual({ from: "history", parent: "1", upTo: tokens.get("0")!.promptTokens });
    expect(p.get("3")!.start).toEqual({ from: "history", parent: "1", upTo: tokens.get("1")!.promptTokens });
    const requests = graph.nodes.map((n, i) => ({ sessionId: "s", prompt: p.get(n.id)!, dispatchAt: i * 10, prefilledAt: i * 10 + 1, endAt: i * 10 + 5, waitMs: 0, measured: true, replied: true }));
    const outcome = simulatePrefixCache(requests, { ttlMs: 1e9 }).infinite;
    expect(outcome[2]!.hitTokens).toBe(tokens.get("0")!.promptTokens);
    expect(outcome[3]!.hitTokens).toBe(tokens.get("1")!.promptTokens);
  });
});
