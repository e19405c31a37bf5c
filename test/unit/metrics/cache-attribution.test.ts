import { describe, expect, it } from "vitest";
import { idealCacheOfRun, missesByReason, DEFAULT_CACHE_TTL_MS } from "../../../src/metrics/cache-attribution.js";
import { noMisses } from "../../../src/metrics/ideal-cache.js";
import type { RequestRecord } from "../../../src/records/types.js";
import type { RequestNode, Scaffold, SessionGraph } from "../../../src/workload/types.js";

const scaffolds: Scaffold[] = [{ id: "a", systemTokens: 100, toolTokens: 0 }];
const node = (id: string, over: Partial<RequestNode> = {}): RequestNode => ({ id, parents: [], historyParent: null, freshInputTokens: 10, outputTokens: 10, waitAfterReadyMs: 0, ...over });

function record(sessionId: string, nodeId: string, over: Partial<RequestRecord>): RequestRecord {
  return { sessionId, nodeId, readyAt: 0, plannedAt: 0, dispatchedAt: 0, chunkAt: [], expectedPromptTokens: 0, sharedPrefixTokens: 0, freshInputTokens: 10, requestedOutputTokens: 10, ...over };
}

// Two sessions of scaffold a; each root has a child, and s1's root a second child (a fork).
// Expected counts as a run records them: a template of 4 tokens around the scaffold (104), 3 around
// new input, 2 around an inherited reply (which tokenized to 11 in the child's prompt).
const s1: SessionGraph = { id: "s1", scaffoldId: "a", nodes: [node("0"), node("1", { parents: ["0"], historyParent: "0" }), node("2", { parents: ["0"], historyParent: "0" })] };
const s2: SessionGraph = { id: "s2", scaffoldId: "a", nodes: [node("0"), node("1", { parents: ["0"], historyParent: "0" })] };
const sessions = new Map([s1, s2].map((g) => [g.id, g]));
const root = { expectedPromptTokens: 117, sharedPrefixTokens: 0, scaffoldTokens: 104 };
const kid = { expectedPromptTokens: 117 + 13 + 13, sharedPrefixTokens: 130 };

describe("a run's cache against the ideal", () => {
  const records = [
    record("s1", "0", { ...root, dispatchedAt: 0, doneAt: 10, cachedTokens: 0 }),
    record("s2", "0", { ...root, dispatchedAt: 20, doneAt: 30, cachedTokens: 60 }), // ideal 104: scaffold lost 44
    record("s1", "1", { ...kid, readyAt: 10, dispatchedAt: 40, doneAt: 50, cachedTokens: 130 }), // ideal 130: all there
    record("s1", "2", { ...kid, readyAt: 10, dispatchedAt: 60, doneAt: 70, cachedTokens: 104 }), // a fork: 26 lost
    record("s2", "1", { ...kid, readyAt: 30, dispatchedAt: 80, doneAt: 90, cachedTokens: 133 }), // 3 beyond the ideal
  ];

  it("gives the infinite cache's hit rate with the scaffold shared across sessions", () => {
    const ideal = idealCacheOfRun(records, sessions, scaffolds);
    expect(ideal.infinite).toMatchObject({ requests: 5, promptTokens: 2 * 117 + 3 * 143, hitTokens: 104 + 3 * 130, fresh: 2 * 13 + 3 * 13 });
    expect(ideal.infinite.missed).toEqual({ ...noMisses(), scaffold: 104 });
    expect(ideal.infinite.hitRate).toBeCloseTo(494 / 663, 12);
    expect(ideal.ttlMs).toBe(DEFAULT_CACHE_TTL_MS);
    expect(ideal.lru).toBeNull();
  });

  it("puts each request's shortfall down to its reason, and what the server had beyond the ideal apart", () => {
    const { achieved } = idealCacheOfRun(records, sessions, scaffolds);
    expect(achieved).toMatchObject({ requests: 5, idealTokens: 494, cachedTokens: 427, beyondIdeal: 3 });
    expect(achieved!.missed).toEqual({ ...noMisses(), scaffold: 44, fork: 26 });
    expect(achieved!.ratio).toBeCloseTo(427 / 494, 12);
    const missed = Object.values(achieved!.missed).reduce((a, b) => a + b, 0);
    expect(missed - achieved!.beyondIdeal).toBe(achieved!.idealTokens - achieved!.cachedTokens);
    expect(missesByReason(achieved!.missed)).toEqual([["scaffold", 44], ["fork", 26]]);
  });

  it("names a request that waited longer than the TTL", () => {
    const late = records.map((r) => (r.sessionId === "s1" && r.nodeId === "2" ? { ...r, readyAt: 10, dispatchedAt: 60 } : r));
    const { achieved } = idealCacheOfRun(late, sessions, scaffolds, { ttlMs: 49 });
    expect(achieved!.missed).toEqual({ ...noMisses(), scaffold: 44, ttl: 26 });
  });

  it("fills the cache with warm-up requests without counting them, and leaves out failed ones", () => {
    const warm = [record("s1", "0", { ...root, dispatchedAt: 0, doneAt: 10, warmup: true }), ...records.slice(1)];
    warm[2] = { ...warm[2]!, error: { kind: "http", status: 500, message: "boom" } };
    const ideal = idealCacheOfRun(warm, sessions, scaffolds);
    // s2/0 finds the warm-up's scaffold; s1/1 failed before its first token: neither sent nor counted.
    expect(ideal.infinite).toMatchObject({ requests: 3, hitTokens: 104 + 130 + 130, missed: noMisses() });
  });

  it("takes the scaffold from the graph for records without scaffoldTokens", () => {
    const old = records.map((r) => ({ ...r, scaffoldTokens: undefined }));
    const ideal = idealCacheOfRun(old, sessions, scaffolds);
    expect(ideal.infinite.missed.scaffold).toBe(100);
  });

  it("simulates an LRU cache when asked", () => {
    const ideal = idealCacheOfRun(records, sessions, scaffolds, { lruBlocks: 1000 });
    expect(ideal.lru).toMatchObject({ blocks: 1000, blockTokens: 16, requests: 5 });
    expect(ideal.lru!.hitTokens).toBeLessThanOrEqual(ideal.infinite.hitTokens);
  });
});
