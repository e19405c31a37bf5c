import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { readTrace } from "../../../src/traces/read.js";
import { fitTrace } from "../../../src/traces/to-spec.js";
import { workloadBlockTrace } from "../../../src/traces/workload-blocks.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import type { Workload } from "../../../src/workload/types.js";
import { fixtures } from "../../support/traces.js";

describe("a generated workload's prompts as hash-id blocks", () => {
  // Scaffold 10 tokens, blocks of 8: session 0 is a chain of two requests, session 1 one request.
  const workload: Workload = {
    name: "w",
    seed: "1",
    scaffolds: [{ id: "a", systemTokens: 6, toolTokens: 4 }],
    sessions: [
      {
        id: "0",
        scaffoldId: "a",
        nodes: [
          { id: "0", parents: [], historyParent: null, freshInputTokens: 12, outputTokens: 5, waitAfterReadyMs: 0 },
          { id: "1", parents: ["0"], historyParent: "0", freshInputTokens: 3, outputTokens: 2, waitAfterReadyMs: 0 },
        ],
      },
      { id: "1", scaffoldId: "a", nodes: [{ id: "0", parents: [], historyParent: null, freshInputTokens: 4, outputTokens: 1, waitAfterReadyMs: 0 }] },
    ],
  };

  it("gives equal ids to blocks whose text is equal up to their end", () => {
    const trace = workloadBlockTrace(workload, 8);
    const [first, second, other] = trace.requests.map((r) => r.hashIds!);
    // 22 tokens: blocks end at 8 (scaffold), 16, 22 (partial).
    expect(first).toHaveLength(3);
    // 10 + 12 + 5 (reply) + 3 = 30 tokens: the first two blocks are the parent's, then 24 and 30.
    expect(second).toHaveLength(4);
    expect(second!.slice(0, 2)).toEqual(first!.slice(0, 2));
    expect(second![2]).not.toBe(first![2]);
    // 14 tokens: the scaffold's block is shared across sessions, the partial one is not.
    expect(other).toHaveLength(2);
    expect(other![0]).toBe(first![0]);
    expect(other![1]).not.toBe(first![1]);
    expect(trace.blockSize).toBe(8);
    // Seen before: 16 of the second prompt, 8 of the other: 24 of 22 + 30 + 14.
    expect(analyzeTrace(trace).reusablePrefix).toEqual({ tokens: 24, promptTokens: 66, ratio: 24 / 66 });
  });

  it("rejects a block size that is not a whole number >= 1", () => {
    expect(() => workloadBlockTrace(workload, 0)).toThrow("blockSize must be a whole number >= 1, got 0");
  });

  // fixtures/traces/mooncake-chains.jsonl (see hash-chains.test.ts): conversations rebuilt from hash ids.
  it("fit -> generate keeps the trace's block reuse (an unbounded prefix cache's hits) within 5 points", async () => {
    const trace = await readTrace(join(fixtures, "mooncake-chains.jsonl"), { blockSize: 16 });
    const truth = analyzeTrace(trace).reusablePrefix!.ratio;
    const { spec } = fitTrace(trace, { sessions: 500 });
    expect(spec.agents[0]!.scaffold).toEqual({ systemTokens: 16, toolTokens: 0 });
    let sum = 0;
    for (const seed of [1, 2, 3]) sum += analyzeTrace(workloadBlockTrace(generateWorkload({ ...spec, seed }), 16)).reusablePrefix!.ratio;
    // 54.6% in the trace; 51.7% generated (29.5% when each request was a conversation of its own).
    expect(Math.abs(sum / 3 - truth)).toBeLessThan(0.05);
  });
});
