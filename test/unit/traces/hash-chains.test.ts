import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { majorityPrefix, linkHashChains } from "../../../src/traces/hash-chains.js";
import { parseMooncake } from "../../../src/traces/mooncake.js";
import { readTrace } from "../../../src/traces/read.js";
import { traceSessionGraphs } from "../../../src/traces/sessions.js";
import type { TraceRequest } from "../../../src/traces/types.js";
import { sessionTokens } from "../../../src/workload/tokens.js";
import { fixtures } from "../../support/traces.js";

// fixtures/traces/mooncake-chains.jsonl, blocks of 16 tokens, every prompt starting with block 1
// (the scaffold): conversation A is lines 1 -> 5 -> 12; B forks (lines 7 and 11 both continue
// line 2); line 13 repeats line 9's whole blocks with a shorter prompt (a regeneration of it,
// so it continues line 3 like line 9 does); line 8 shares only the scaffold with line 4; line 15
// repeats line 14's whole blocks and is shorter, with no earlier request to continue (a sibling);
// lines 6 (empty prompt) and 10 (no output) are left out.
const read = () => readTrace(join(fixtures, "mooncake-chains.jsonl"), { blockSize: 16 });

function req(id: string, promptTokens: number, hashIds: number[], outputTokens = 4): TraceRequest {
  return { id, conversation: id, parents: [], historyParent: null, freshInputTokens: promptTokens, outputTokens, promptTokens, hashIds };
}

describe("conversations rebuilt from hash ids", () => {
  it("links each continuation to the request whose whole blocks its prompt starts with", async () => {
    const trace = await read();
    const byId = new Map(trace.requests.map((r) => [r.id, r]));
    expect(trace.requests.map((r) => [r.id, r.historyParent, r.conversation])).toEqual([
      ["line-1", null, "line-1"],
      ["line-2", null, "line-2"],
      ["line-3", null, "line-3"],
      ["line-4", null, "line-4"],
      ["line-5", "line-1", "line-1"],
      ["line-7", "line-2", "line-2"],
      ["line-8", null, "line-8"],
      ["line-9", "line-3", "line-3"],
      ["line-11", "line-2", "line-2"],
      ["line-12", "line-5", "line-1"],
      ["line-13", "line-3", "line-3"],
      ["line-14", null, "line-14"],
      ["line-15", "line-14", "line-14"],
    ]);
    // Fresh input: the prompt minus the parent's; its reply: the parent's output (8 tokens).
    expect(byId.get("line-5")).toMatchObject({ freshInputTokens: 68 - 40, replyTokens: 8, parents: [{ from: "line-1", type: "sequential" }], waitAfterReadyMs: 3000 });
    expect(byId.get("line-12")).toMatchObject({ freshInputTokens: 96 - 68, replyTokens: 8, waitAfterReadyMs: 4000 });
    expect(byId.get("line-13")).toMatchObject({ freshInputTokens: 66 - 36, replyTokens: 8 });
    // A sibling adds what it holds beyond the 3 shared blocks, and carries no reply.
    expect(byId.get("line-15")).toMatchObject({ freshInputTokens: 56 - 3 * 16, replyTokens: 0, waitAfterReadyMs: 500 });
    // A first request keeps its whole prompt as fresh input.
    expect(byId.get("line-8")).toMatchObject({ freshInputTokens: 40, parents: [] });
    expect(byId.get("line-8")!.replyTokens).toBeUndefined();
  });

  it("counts continuations and forks, and keeps a prefix most requests share out of the links", () => {
    const requests = [
      req("a", 40, [1, 2, 3]),
      req("b", 20, [1, 9]),
      req("c", 72, [1, 2, 4, 5, 6]),
      req("d", 40, [1, 7, 8]),
      req("e", 40, [1, 12, 13]),
      req("f", 40, [1, 14, 15]),
      req("g", 50, [1, 2, 10, 11]),
    ];
    expect(linkHashChains(requests, 16)).toEqual({ scaffoldBlocks: 1, continued: 2, siblings: 0, forks: 1 });
    // d shares only block 1 with b, whose whole blocks are just that: a scaffold, not a conversation.
    expect(requests.map((r) => r.historyParent)).toEqual([null, null, "a", null, null, null, "a"]);
    // Not longer than the request whose whole blocks it repeats, with nothing earlier: a sibling.
    const sib = [req("p", 60, [5, 6, 7, 8]), req("s", 56, [5, 6, 7, 9]), req("q", 20, [10, 11]), req("t", 20, [12, 13])];
    expect(linkHashChains(sib, 16)).toMatchObject({ continued: 1, siblings: 1 });
    expect(sib[1]).toMatchObject({ historyParent: "p", freshInputTokens: 56 - 48, replyTokens: 0 });
    // Without a shared scaffold the same single block links.
    const bare = [req("x", 20, [5, 6]), req("y", 30, [5, 7]), req("z", 40, [8, 9, 10]), req("w", 20, [11, 12])];
    expect(linkHashChains(bare, 16).scaffoldBlocks).toBe(0);
    expect(bare.map((r) => r.historyParent)).toEqual([null, "x", null, null]);
  });

  it("finds the leading ids more than half of the requests share", () => {
    expect(majorityPrefix([req("a", 48, [1, 5, 6]), req("b", 48, [1, 2, 4]), req("c", 48, [1, 7, 8])])).toMatchObject({ blocks: 1 });
    expect(majorityPrefix([req("a", 48, [1, 2, 3]), req("b", 48, [1, 2, 4]), req("c", 48, [1, 2, 6])]).blocks).toBe(2);
    expect(majorityPrefix([req("a", 48, [1, 2, 3]), req("b", 48, [7, 2, 4])]).blocks).toBe(0);
  });

  it("leaves out rows with an empty prompt or no output, and says how many", async () => {
    const trace = await read();
    expect(trace.requests).toHaveLength(13);
    expect(trace.skipped).toEqual({ rows: 2, why: "input_length or output_length 0" });
    expect(analyzeTrace(trace).skipped).toEqual({ rows: 2, why: "input_length or output_length 0" });
    expect(() => parseMooncake('{"timestamp": 0, "input_length": 0, "output_length": 3}\n', "z.jsonl")).toThrow(
      "z.jsonl: the trace has no requests (1 rows left out: input_length or output_length 0)",
    );
  });

  it("replays a continuation at the trace's prompt size: the runner carries the parent's reply, the node adds the rest", async () => {
    const trace = await read();
    const prompts = new Map(trace.requests.map((r) => [r.id, r.promptTokens]));
    const replayed = new Map<string, number>();
    for (const graph of traceSessionGraphs(trace)) for (const [id, tokens] of sessionTokens(graph, [])) replayed.set(id, tokens.promptTokens);
    for (const [id, prompt] of prompts) {
      // A sibling inherits its parent's whole conversation (60 + 8) before its own 8 tokens.
      expect([id, replayed.get(id)]).toEqual([id, id === "line-15" ? 60 + 8 + 8 : prompt]);
    }
  });
});

describe("hash ids of any size", () => {
  // The latest request by id is an array for ids from 0 up, grown as they come, and a map for the
  // others: the links must not depend on which one holds an id.
  const text = readFileSync(join(fixtures, "mooncake-chains.jsonl"), "utf8");
  const renumbered = (f: (id: number) => number) => text.replace(/"hash_ids": \[([^\]]*)\]/g, (_, ids: string) => `"hash_ids": [${ids.split(",").filter((x) => x.trim() !== "").map((x) => f(Number(x))).join(", ")}]`);
  const links = (t: string) => parseMooncake(t, "m.jsonl", 16).requests.map((r) => [r.id, r.historyParent, r.freshInputTokens]);

  it.each([
    ["past the first 1,024 (the array grows)", (id: number) => id * 1000 + 7],
    ["past the array's limit (the map)", (id: number) => id * 2 ** 25],
    ["negative", (id: number) => -id],
    ["beyond 32 bits", (id: number) => id + 2 ** 40],
    ["mixed", (id: number) => (id % 2 === 0 ? id * 2 ** 25 : id)],
  ])("links ids %s as it links small ones", (_, f) => {
    const expected = links(text);
    expect(expected.filter(([, parent]) => parent !== null)).toHaveLength(7);
    expect(links(renumbered(f))).toEqual(expected);
  });
});
