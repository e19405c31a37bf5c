import { describe, expect, it } from "vitest";
import { cacheTotals, noMisses, requestsInOrder, simulatePrefixCache, type CacheRequest } from "../../../src/metrics/ideal-cache.js";
import { promptSegments } from "../../../src/workload/prompt-segments.js";
import { sessionTokens } from "../../../src/workload/tokens.js";
import type { RequestNode, Scaffold, SessionGraph } from "../../../src/workload/types.js";

const scaffolds: Scaffold[] = [
  { id: "a", systemTokens: 100, toolTokens: 0 },
  { id: "b", systemTokens: 200, toolTokens: 0 },
  { id: "sub", systemTokens: 50, toolTokens: 0 },
  { id: "c", systemTokens: 100, toolTokens: 5 },
];

function node(id: string, over: Partial<RequestNode> = {}): RequestNode {
  return { id, parents: [], historyParent: null, freshInputTokens: 10, outputTokens: 10, waitAfterReadyMs: 0, ...over };
}
const child = (id: string, parent: string, over: Partial<RequestNode> = {}) => node(id, { parents: [parent], historyParent: parent, ...over });
const graph = (id: string, scaffoldId: string | undefined, nodes: RequestNode[]): SessionGraph => ({ id, nodes, ...(scaffoldId ? { scaffoldId } : {}) });

/** Requests dispatched in the order given, each ending before the next is sent; waits by "session/node". */
function inOrder(graphs: SessionGraph[], order: string[], waits: Record<string, number> = {}): CacheRequest[] {
  const prompts = new Map(graphs.map((g) => [g.id, promptSegments(g, sessionTokens(g, scaffolds))]));
  return order.map((key, i) => {
    const [sessionId, nodeId] = key.split("/") as [string, string];
    return { sessionId, prompt: prompts.get(sessionId)!.get(nodeId)!, dispatchAt: i, prefilledAt: i + 0.25, endAt: i + 0.5, waitMs: waits[key] ?? 0, measured: true, replied: true };
  });
}

const lru = (blocks: number) => ({ ttlMs: 500, lru: { blocks, blockTokens: 10 } });

describe("the infinite prefix cache", () => {
  it("shares a scaffold across sessions: cold the first time, a hit after", () => {
    const result = simulatePrefixCache(requestsInOrder([graph("s1", "a", [node("0")]), graph("s2", "a", [node("0")])], scaffolds), { ttlMs: 500 });
    expect(result.infinite[0]).toEqual({ promptTokens: 110, hitTokens: 0, missed: { ...noMisses(), scaffold: 100 }, fresh: 10, reason: "scaffold" });
    expect(result.infinite[1]).toEqual({ promptTokens: 110, hitTokens: 100, missed: noMisses(), fresh: 10, reason: "scaffold" });
  });

  it("does not share scaffolds that differ", () => {
    const result = simulatePrefixCache(requestsInOrder([graph("s1", "a", [node("0")]), graph("s2", "b", [node("0")])], scaffolds), { ttlMs: 500 });
    expect(result.infinite[1]!.missed.scaffold).toBe(200);
    expect(result.infinite[1]!.hitTokens).toBe(0);
  });

  it("gives a child its history parent's prompt and reply", () => {
    const result = simulatePrefixCache(requestsInOrder([graph("s1", "a", [node("0"), child("1", "0", { freshInputTokens: 7 })])], scaffolds), { ttlMs: 500 });
    expect(result.infinite[1]).toMatchObject({ promptTokens: 127, hitTokens: 120, fresh: 7, reason: "history" });
  });

  it("shares hash-id blocks across sessions up to the first id that differs", () => {
    const a = graph("s1", undefined, [node("0", { freshInputTokens: 35, prefixBlocks: { ids: [1, 2, 3], blockSize: 10 } })]);
    const b = graph("s2", undefined, [node("0", { freshInputTokens: 30, prefixBlocks: { ids: [1, 2, 9], blockSize: 10 } })]);
    const c = graph("s3", undefined, [node("0", { freshInputTokens: 30, prefixBlocks: { ids: [2, 1, 3], blockSize: 10 } })]);
    const result = simulatePrefixCache(requestsInOrder([a, b, c], scaffolds), { ttlMs: 500 });
    expect(result.infinite[0]).toMatchObject({ hitTokens: 0, fresh: 35 });
    expect(result.infinite[1]).toMatchObject({ hitTokens: 20, fresh: 10 });
    // Same ids in another order are another prefix.
    expect(result.infinite[2]).toMatchObject({ hitTokens: 0, fresh: 30 });
    expect(cacheTotals(requestsInOrder([a, b, c], scaffolds), result.infinite)).toMatchObject({ requests: 3, promptTokens: 95, hitTokens: 20, hitRate: 20 / 95 });
  });

  it("counts a first-seen subagent scaffold as a scaffold miss and a second subagent's as a hit", () => {
    const g = graph("s1", "a", [node("0"), node("1", { parents: ["0"], scaffoldId: "sub" }), node("2", { parents: ["0"], scaffoldId: "sub" })]);
    const result = simulatePrefixCache(requestsInOrder([g], scaffolds), { ttlMs: 500 });
    expect(result.infinite[1]).toMatchObject({ hitTokens: 0, missed: { ...noMisses(), scaffold: 50 }, reason: "spawn" });
    expect(result.infinite[2]).toMatchObject({ hitTokens: 50, missed: noMisses(), reason: "spawn" });
  });

  it("shares a prompt only once its first token is out: two sessions sent together both compute their scaffold", () => {
    const g = [graph("s1", "a", [node("0")]), graph("s2", "a", [node("0")]), graph("s3", "a", [node("0")])];
    const prompts = g.map((x) => promptSegments(x, sessionTokens(x, scaffolds)).get("0")!);
    const request = (k: number, dispatchAt: number, prefilledAt: number): CacheRequest => ({ sessionId: `s${k + 1}`, prompt: prompts[k]!, dispatchAt, prefilledAt, endAt: prefilledAt + 5, waitMs: 0, measured: true, replied: true });
    // s2 is sent before s1's first token; s3 after it (times may come in any order in the list).
    const result = simulatePrefixCache([request(2, 25, 40), request(0, 0, 20), request(1, 10, 30)], { ttlMs: 500, lru: { blocks: 100, blockTokens: 10 } });
    expect(result.infinite.map((o) => o.hitTokens)).toEqual([100, 0, 0]);
    expect(result.infinite.map((o) => o.missed.scaffold)).toEqual([0, 100, 100]);
    expect(result.lru!.map((o) => o.hitTokens)).toEqual([100, 0, 0]);
    expect(result.lru!.map((o) => o.missed.scaffold)).toEqual([0, 100, 100]);
  });

  it("takes a first token stamped at its dispatch instant as after it", () => {
    const g = graph("s1", "a", [node("0")]);
    const prompt = promptSegments(g, sessionTokens(g, scaffolds)).get("0")!;
    const result = simulatePrefixCache([{ sessionId: "s1", prompt, dispatchAt: 3, prefilledAt: 3, endAt: 3, waitMs: 0, measured: true, replied: true }], { ttlMs: 500 });
    expect(result.infinite[0]).toMatchObject({ hitTokens: 0, missed: { ...noMisses(), scaffold: 100 } });
  });

  it("does not count the warm-up's requests, which still fill the cache", () => {
    const requests = requestsInOrder([graph("s1", "a", [node("0")]), graph("s2", "a", [node("0")])], scaffolds);
    requests[0]!.measured = false;
    const totals = cacheTotals(requests, simulatePrefixCache(requests, { ttlMs: 500 }).infinite);
    expect(totals).toMatchObject({ requests: 1, promptTokens: 110, hitTokens: 100, missed: noMisses(), fresh: 10 });
  });

  it("sees a parent's reply only once the parent has ended", () => {
    const g = graph("s1", "a", [node("0"), child("1", "0")]);
    const prompts = promptSegments(g, sessionTokens(g, scaffolds));
    const at = (id: string, dispatchAt: number, endAt: number): CacheRequest => ({ sessionId: "s1", prompt: prompts.get(id)!, dispatchAt, prefilledAt: dispatchAt + 0.5, endAt, waitMs: 0, measured: true, replied: id !== "0" });
    // The parent's reply never reached the cache (it failed): the child misses it as history.
    const result = simulatePrefixCache([at("0", 0, 1), at("1", 2, 3)], { ttlMs: 500 });
    expect(result.infinite[1]).toMatchObject({ hitTokens: 110, missed: { ...noMisses(), history: 10 }, fresh: 10 });
  });
});

describe("the LRU prefix cache", () => {
  // Scaffold a: 10 blocks of 10 tokens; b: 20 blocks, enough to evict all of a from a 21-block cache.
  const a = graph("A", "a", [node("0"), child("1", "0"), child("2", "0"), node("3", { parents: ["0"], scaffoldId: "sub" }), node("4", { parents: ["0"], scaffoldId: "sub" })]);
  const b = graph("B", "b", [node("0"), child("1", "0"), child("2", "1"), child("3", "2")]);

  it("hits what is still there and counts the partial last block as new input", () => {
    const g = graph("A", "a", [node("0", { freshInputTokens: 15 }), child("1", "0")]);
    const result = simulatePrefixCache(inOrder([g], ["A/0", "A/1"]), lru(100));
    // 0: 100 scaffold + 15 fresh = 11 whole blocks + 5 tokens never cached.
    expect(result.lru![0]).toMatchObject({ promptTokens: 115, hitTokens: 0, missed: { ...noMisses(), scaffold: 100 }, fresh: 15 });
    // 1: 115 + 10 reply + 10 fresh = 135: 12 of its 13 blocks were the parent's conversation (125 tokens).
    expect(result.lru![1]).toMatchObject({ promptTokens: 135, hitTokens: 120, missed: noMisses(), fresh: 15, reason: "history" });
    expect(result.infinite[1]!.hitTokens).toBe(125);
  });

  it("counts a block that mixes first-seen scaffold and new input as new input", () => {
    const result = simulatePrefixCache(inOrder([graph("C", "c", [node("0", { freshInputTokens: 15 })])], ["C/0"]), lru(100));
    // 105 scaffold + 15 fresh: blocks 0-9 scaffold, block 10 = 5 scaffold + 5 fresh, block 11 fresh.
    expect(result.lru![0]).toMatchObject({ promptTokens: 120, missed: { ...noMisses(), scaffold: 100 }, fresh: 20 });
    expect(result.infinite[0]).toMatchObject({ missed: { ...noMisses(), scaffold: 105 }, fresh: 15 });
  });

  it("evicts the least recently used blocks: a history parent's conversation lost", () => {
    const result = simulatePrefixCache(inOrder([a, b], ["A/0", "B/0", "A/1"]), lru(21));
    expect(result.lru![2]).toMatchObject({ hitTokens: 0, missed: { ...noMisses(), history: 120 }, fresh: 10, reason: "history" });
    expect(result.infinite[2]).toMatchObject({ hitTokens: 120, missed: noMisses() });
    // A cache large enough keeps it.
    expect(simulatePrefixCache(inOrder([a, b], ["A/0", "B/0", "A/1"]), lru(40)).lru![2]).toMatchObject({ hitTokens: 120, missed: noMisses() });
  });

  it("names a second child's loss a fork", () => {
    const result = simulatePrefixCache(inOrder([a, b], ["A/0", "A/1", "B/0", "A/2"]), lru(21));
    expect(result.lru![1]).toMatchObject({ hitTokens: 120, reason: "history" });
    expect(result.lru![3]).toMatchObject({ hitTokens: 0, missed: { ...noMisses(), fork: 120 }, reason: "fork" });
  });

  it("names a loss after a wait longer than the TTL a ttl miss, and a shorter wait's a history miss", () => {
    const long = simulatePrefixCache(inOrder([a, b], ["A/0", "B/0", "A/1"], { "A/1": 501 }), lru(21));
    expect(long.lru![2]).toMatchObject({ missed: { ...noMisses(), ttl: 120 }, reason: "ttl" });
    const short = simulatePrefixCache(inOrder([a, b], ["A/0", "B/0", "A/1"], { "A/1": 500 }), lru(21));
    expect(short.lru![2]).toMatchObject({ missed: { ...noMisses(), history: 120 }, reason: "history" });
  });

  it("names a subagent's lost scaffold a spawn miss", () => {
    const result = simulatePrefixCache(inOrder([a, b], ["A/0", "A/3", "B/0", "A/4"]), lru(21));
    expect(result.lru![1]).toMatchObject({ missed: { ...noMisses(), scaffold: 50 }, reason: "spawn" });
    expect(result.lru![3]).toMatchObject({ hitTokens: 0, missed: { ...noMisses(), spawn: 50 }, fresh: 10, reason: "spawn" });
  });

  it("names the lost scaffold of the request after a compaction a compaction miss", () => {
    const g = graph("A", "a", [node("0"), child("1", "0", { kind: "compaction" }), node("2", { parents: ["1"] })]);
    const result = simulatePrefixCache(inOrder([g, b], ["A/0", "A/1", "B/0", "A/2"]), lru(21));
    expect(result.lru![3]).toMatchObject({ hitTokens: 0, missed: { ...noMisses(), compaction: 100 }, fresh: 10, reason: "compaction" });
  });

  it("names a session's lost scaffold a scaffold miss", () => {
    const a2 = graph("A2", "a", [node("0")]);
    const result = simulatePrefixCache(inOrder([a, b, a2], ["A/0", "B/0", "A2/0"]), lru(21));
    expect(result.lru![2]).toMatchObject({ hitTokens: 0, missed: { ...noMisses(), scaffold: 100 }, reason: "scaffold" });
    expect(result.infinite[2]).toMatchObject({ hitTokens: 100, missed: noMisses() });
  });

  it("evicts a prefix's tail before its start", () => {
    // 12 blocks of A's conversation, then B/0's 21 and its reply's 1 in a 25-block cache: A's first 3 survive.
    const result = simulatePrefixCache(inOrder([a, b], ["A/0", "B/0", "A/1"]), lru(25));
    expect(result.lru![2]).toMatchObject({ hitTokens: 30, missed: { ...noMisses(), history: 90 } });
  });

  it("names a session's lost hash-id blocks a blocks miss, and tells a block seen before from a new one", () => {
    const m = (id: string, ids: number[]) => graph(id, undefined, [node("0", { freshInputTokens: 40, prefixBlocks: { ids, blockSize: 20 } })]);
    // M2's 4 blocks (and its reply's) evict M1's from a 4-block cache; M3 repeats M1's 40 tokens.
    const result = simulatePrefixCache(inOrder([m("M1", [1, 2]), m("M2", [3, 4]), m("M3", [1, 2]), m("M4", [1, 5])], ["M1/0", "M2/0", "M3/0", "M4/0"]), lru(4));
    expect(result.lru![2]).toMatchObject({ hitTokens: 0, missed: { ...noMisses(), blocks: 40 }, fresh: 0, reason: "blocks" });
    // M4 finds M3's first block (20 tokens), and its second block is new.
    expect(result.lru![3]).toMatchObject({ hitTokens: 20, missed: noMisses(), fresh: 20, reason: "blocks" });
  });

  it("refuses a block size or capacity that is not a positive integer", () => {
    expect(() => simulatePrefixCache(inOrder([a], ["A/0"]), { ttlMs: 1, lru: { blocks: 0, blockTokens: 10 } })).toThrow(/blocks must be a positive integer, got 0/);
    expect(() => simulatePrefixCache(inOrder([a], ["A/0"]), { ttlMs: 1, lru: { blocks: 4, blockTokens: 1.5 } })).toThrow(/blockTokens must be a positive integer, got 1.5/);
  });
});
