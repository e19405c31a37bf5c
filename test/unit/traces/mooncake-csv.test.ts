import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { csvRows, parseCsvTrace } from "../../../src/traces/csv.js";
import { parseMooncake } from "../../../src/traces/mooncake.js";
import { readTrace } from "../../../src/traces/read.js";
import { traceSessionGraphs } from "../../../src/traces/sessions.js";
import { validateSession } from "../../../src/workload/graph.js";
import { fixtures } from "../../support/traces.js";

describe("Mooncake traces", () => {
  it("reads each line as a request arriving at its timestamp; a prompt that starts with an earlier whole prompt continues it", async () => {
    const trace = await readTrace(join(fixtures, "mooncake.jsonl"), { blockSize: 16 });
    expect(trace.format).toBe("mooncake");
    expect(trace.blockSize).toBe(16);
    // Line 4 ([1, 2, 3, 9], 64 tokens) starts with line 1's three whole blocks: it continues line 1.
    // Blocks [1, 2] are shared by three of five prompts (a scaffold), so line 2 continues nothing.
    expect(trace.requests.map((r) => r.historyParent)).toEqual([null, null, null, "line-1", null]);
    const a = analyzeTrace(trace);
    expect(a).toMatchObject({ requests: 5, sessions: 4, peakInFlight: null, waitAfterReadyMs: { count: 1, max: 250 } });
    expect(a.arrivals).toMatchObject({ sessions: 4, spanMs: 900 });
    expect(traceSessionGraphs(trace).map((g) => g.arrivalMs)).toEqual([0, 100, 100, 900]);
  });

  it("measures prefix overlap with the history parent and with anything seen before, by hash ids", async () => {
    const a = analyzeTrace(await readTrace(join(fixtures, "mooncake.jsonl"), { blockSize: 16 }));
    // Line 4 repeats its parent's 3 blocks: 48 of 64 tokens.
    expect(a.prefixOverlap).toMatchObject({ measuredBy: "hash_ids", pairs: 1, sharedTokens: 48, promptTokens: 64 });
    // Seen in any earlier request: 32 of line 2, 48 of line 4, 16 of line 5 (capped at its 16-token prompt).
    expect(a.reusablePrefix).toMatchObject({ tokens: 32 + 48 + 16, promptTokens: 48 + 40 + 20 + 64 + 16 });
  });

  it("names file, line and field of a bad line", () => {
    expect(() => parseMooncake('{"timestamp": 0, "input_length": 10, "output_length": 1}\n{"timestamp": -5, "input_length": 10, "output_length": 1}', "m.jsonl")).toThrow(
      "m.jsonl:2: timestamp: expected a number >= 0, got -5",
    );
    expect(() => parseMooncake('{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": "1,2"}', "m.jsonl")).toThrow(
      'm.jsonl:1: hash_ids: expected a list of block hash ids, got "1,2"',
    );
  });
});

describe("CSV traces", () => {
  it("splits quoted fields, doubled quotes and CRLF line ends", () => {
    const rows = [...csvRows('a,b,c\r\n1,"x, ""y""",3\r\n"multi\nline",,\n')];
    expect(rows).toEqual([
      { line: 1, fields: ["a", "b", "c"] },
      { line: 2, fields: ["1", 'x, "y"', "3"] },
      { line: 3, fields: ["multi\nline", "", ""] },
    ]);
  });

  it("reads sessions, conversations (subagents), parents and types their edges", async () => {
    const trace = await readTrace(join(fixtures, "requests.csv"));
    expect(trace.format).toBe("csv");
    const byId = new Map(trace.requests.map((r) => [r.id, r]));
    expect(byId.get("a:1")).toMatchObject({ parents: [{ from: "a:0", type: "sequential" }], historyParent: "a:0", waitAfterReadyMs: 20 });
    expect(byId.get("a:s0")).toMatchObject({ conversation: "a/sub", parents: [{ from: "a:1", type: "subagent_spawn" }], historyParent: null });
    expect(byId.get("a:2")).toMatchObject({
      parents: [
        { from: "a:1", type: "sequential" },
        { from: "a:s1", type: "subagent_result" },
      ],
      waitAfterReadyMs: 1500,
      trigger: "subagent_result",
    });
    // No fresh_input_tokens: a first request's fresh input is its prompt.
    expect(byId.get("b:0")).toMatchObject({ freshInputTokens: 300, promptTokens: 300 });
    expect(byId.get("b:0")!.cachedTokens).toBeUndefined();
    const a = analyzeTrace(trace);
    expect(a).toMatchObject({ requests: 6, sessions: 2, userMessages: 2, peakInFlight: 2, conversations: { withRequests: 3, spawned: 1 } });
    expect(a.graph).toMatchObject({ longestPath: 5, maxFanIn: 2, edgesByType: { sequential: 3, subagent_spawn: 1, subagent_result: 1, dependency: 0 } });
    for (const g of traceSessionGraphs(trace)) validateSession(g);
  });

  it("chains rows of a session in order when there is no parents column, deriving fresh input from prompts", () => {
    const trace = parseCsvTrace("session_id,input_length,output_length\ns,100,10\ns,130,5\n", "c.csv");
    expect(trace.requests.map((r) => [r.id, r.historyParent, r.freshInputTokens])).toEqual([
      ["s:0", null, 100],
      ["s:1", "s:0", 20], // 130 - (100 + 10)
    ]);
  });

  it("names file, line and column of a bad value", () => {
    expect(() => parseCsvTrace("session_id,output_tokens,fresh_input_tokens\ns,10,5\ns,ten,5\n", "c.csv")).toThrow(
      'c.csv:3: output_tokens: expected a whole number >= 0, got "ten"',
    );
    expect(() => parseCsvTrace("session,output_tokens\n", "c.csv")).toThrow("c.csv:1: unknown column 'session' (expected some of session_id,");
    expect(() => parseCsvTrace("output_tokens,prompt_tokens,parents\n1,2,9\n", "c.csv")).toThrow("c.csv:2: parents: no request '9' in session row-2");
    expect(() => parseCsvTrace("output_tokens,fresh_input_tokens\n1,2,3\n", "c.csv")).toThrow("c.csv:2: expected 2 fields like the header, got 3");
    expect(() => parseCsvTrace('output_tokens,fresh_input_tokens\n1,"2\n', "c.csv")).toThrow("c.csv:2: a quoted field is not closed");
  });
});
