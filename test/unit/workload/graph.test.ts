import { describe, expect, it } from "vitest";
import { depth, depthLevels, fanIn, fanOut, toposort, validateSession, width } from "../../../src/workload/graph.js";
import { promptReuseRatio, addReuse, sessionTokens } from "../../../src/workload/tokens.js";
import type { RequestNode, SessionGraph } from "../../../src/workload/types.js";

function node(id: string, parents: string[], extra: Partial<RequestNode> = {}): RequestNode {
  return {
    id,
    parents,
    historyParent: parents[0] ?? null,
    freshInputTokens: 10,
    outputTokens: 5,
    waitAfterReadyMs: 0,
    ...extra,
  };
}

function session(nodes: RequestNode[], id = "s1"): SessionGraph {
  return { id, nodes };
}

// 0 -> 1 -> {2, 3, 4} -> 5 (fan-out 3, fan-in 3), 5's history from 1.
const diamond = session([
  node("0", []),
  node("1", ["0"]),
  node("2", ["1"], { historyParent: null }),
  node("3", ["1"], { historyParent: null }),
  node("4", ["1"], { historyParent: null }),
  node("5", ["1", "2", "3", "4"], { historyParent: "1" }),
]);

describe("validateSession", () => {
  it("accepts a well-formed DAG", () => {
    expect(() => validateSession(diamond)).not.toThrow();
    expect(() => validateSession(session([]))).not.toThrow();
  });

  const broken: [string, RequestNode[], RegExp][] = [
    ["duplicate id", [node("a", []), node("a", [])], /session 's1', node 'a': duplicate node id/],
    ["empty id", [node("", [])], /session 's1': node id must be a non-empty string/],
    ["missing parent", [node("a", []), node("b", ["zz"])], /node 'b': parent 'zz' does not exist/],
    ["self parent", [node("a", ["a"])], /node 'a': lists itself as a parent/],
    ["parent listed twice", [node("a", []), node("b", ["a", "a"])], /node 'b': parent 'a' is listed twice/],
    [
      "history parent not a parent",
      [node("a", []), node("b", []), node("c", ["a"], { historyParent: "b" })],
      /node 'c': historyParent 'b' is not among its parents \[a\]/,
    ],
    ["fractional fresh tokens", [node("a", [], { freshInputTokens: 1.5 })], /node 'a': freshInputTokens must be a non-negative integer, got 1.5/],
    ["negative output tokens", [node("a", [], { outputTokens: -1 })], /node 'a': outputTokens must be a non-negative integer, got -1/],
    ["negative wait", [node("a", [], { waitAfterReadyMs: -3 })], /node 'a': waitAfterReadyMs must be a finite non-negative number/],
    ["cycle", [node("r", []), node("a", ["r", "c"]), node("b", ["a"]), node("c", ["b"])], /cycle: .*a -> b -> c -> a|cycle: .*c -> a -> b -> c|cycle: .*b -> c -> a -> b/],
    ["out of order", [node("b", ["a"]), node("a", [])], /node 'b': listed before its parent 'a' \(nodes must be in topological order\)/],
  ];
  for (const [what, nodes, message] of broken) {
    it(`rejects ${what}`, () => {
      expect(() => validateSession(session(nodes))).toThrow(message);
    });
  }
});

describe("toposort", () => {
  it("orders parents first and keeps the listed order where it can", () => {
    const shuffled = session([diamond.nodes[5]!, diamond.nodes[3]!, diamond.nodes[1]!, diamond.nodes[0]!, diamond.nodes[2]!, diamond.nodes[4]!]);
    const sorted = toposort(shuffled);
    expect(sorted.nodes.map((n) => n.id)).toEqual(["0", "1", "3", "2", "4", "5"]);
    expect(() => validateSession(sorted)).not.toThrow();
  });

  it("rejects cycles and missing parents", () => {
    expect(() => toposort(session([node("a", ["b"]), node("b", ["a"])]))).toThrow(/session 's1', node '[ab]': cycle: /);
    expect(() => toposort(session([node("a", ["x"])]))).toThrow(/parent 'x' does not exist/);
  });
});

describe("shape measures", () => {
  it("depth, width, fan-out and fan-in of a fan-out/fan-in graph", () => {
    expect(depth(diamond)).toBe(4);
    expect(width(diamond)).toBe(3);
    expect(Object.fromEntries(depthLevels(diamond))).toEqual({ 0: 1, 1: 2, 2: 3, 3: 3, 4: 3, 5: 4 });
    expect(Object.fromEntries(fanOut(diamond))).toEqual({ 0: 1, 1: 4, 2: 1, 3: 1, 4: 1, 5: 0 });
    expect(Object.fromEntries(fanIn(diamond))).toEqual({ 0: 0, 1: 1, 2: 1, 3: 1, 4: 1, 5: 4 });
  });

  it("depth uses the longest path, not the shortest", () => {
    // 0 -> 1 -> 2 -> 3, and 0 -> 3 directly: 3 is on level 4.
    const g = session([node("0", []), node("1", ["0"]), node("2", ["1"]), node("3", ["0", "2"], { historyParent: "2" })]);
    expect(depth(g)).toBe(4);
    expect(width(g)).toBe(1);
  });

  it("an empty session has depth and width 0", () => {
    expect(depth(session([]))).toBe(0);
    expect(width(session([]))).toBe(0);
  });
});

describe("token accounting", () => {
  const scaffolds = [{ id: "coder", systemTokens: 100, toolTokens: 50 }];

  it("prompt = scaffold + inherited history + fresh; shared = history parent's prompt + reply", () => {
    const g: SessionGraph = { id: "s", scaffoldId: "coder", nodes: diamond.nodes };
    const t = sessionTokens(g, scaffolds);
    expect(t.get("0")).toEqual({ promptTokens: 160, sharedPrefixTokens: 0, scaffoldTokens: 150 });
    expect(t.get("1")).toEqual({ promptTokens: 175, sharedPrefixTokens: 165, scaffoldTokens: 150 });
    // Children without a history parent start over from the scaffold.
    expect(t.get("2")).toEqual({ promptTokens: 160, sharedPrefixTokens: 0, scaffoldTokens: 150 });
    expect(t.get("5")).toEqual({ promptTokens: 190, sharedPrefixTokens: 180, scaffoldTokens: 150 });
    const totals = addReuse({ promptTokens: 0, sharedPrefixTokens: 0 }, t.values());
    expect(totals).toEqual({ promptTokens: 160 + 175 + 160 * 3 + 190, sharedPrefixTokens: 165 + 180 });
    expect(promptReuseRatio(totals)).toBeCloseTo(345 / 1005, 12);
  });

  it("a node's own scaffold overrides the session's, and template overheads are added where they belong", () => {
    const g: SessionGraph = {
      id: "s",
      scaffoldId: "coder",
      nodes: [node("0", [], { scaffoldId: "none" }), node("1", ["0"])],
    };
    const t = sessionTokens(g, [...scaffolds, { id: "none", systemTokens: 0, toolTokens: 0 }], { scaffold: 7, fresh: 3, reply: 2 });
    expect(t.get("0")).toEqual({ promptTokens: 13, sharedPrefixTokens: 0, scaffoldTokens: 0 });
    expect(t.get("1")).toEqual({ promptTokens: 13 + 5 + 2 + 10 + 3, sharedPrefixTokens: 20, scaffoldTokens: 0 });
  });

  it("names the session and node of an unknown scaffold", () => {
    const g: SessionGraph = { id: "s9", scaffoldId: "ghost", nodes: [node("0", [])] };
    expect(() => sessionTokens(g, scaffolds)).toThrow("session 's9', node '0': unknown scaffold 'ghost'");
  });

  it("the reuse ratio of nothing is 0", () => {
    expect(promptReuseRatio({ promptTokens: 0, sharedPrefixTokens: 0 })).toBe(0);
  });
});
