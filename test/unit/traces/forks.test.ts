// Forks within one conversation (Veeksha DAG branches) fitted as subagents that inherit history.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { forksAsSpawns } from "../../../src/traces/forks.js";
import { workloadTrace } from "../../../src/traces/from-workload.js";
import { readTrace } from "../../../src/traces/read.js";
import { RequestTable, tableTrace, traceMeta } from "../../../src/traces/table.js";
import { fitTrace } from "../../../src/traces/to-spec.js";
import type { Trace, TraceRequest } from "../../../src/traces/types.js";
import { generateSessionAt, generateWorkload } from "../../../src/workload/generate.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { haveShared, sharedSkipReason, sharedTraces } from "../../support/traces.js";

const req = (id: string, historyParent: string | null, more: string[] = []): TraceRequest => ({
  id,
  conversation: "c",
  parents: [...(historyParent ? [historyParent] : []), ...more].map((from) => ({ from, type: "sequential" as const })),
  historyParent,
  freshInputTokens: 10,
  outputTokens: 5,
});

describe("forks cut into chains", () => {
  // 0 -> 1 -> {2, 3 -> 5 -> 6}, 1 -> 4; 6 also waits for 2.
  const trace: Trace = { format: "csv", source: "t", requests: [req("0", null), req("1", "0"), req("2", "1"), req("3", "1"), req("4", "1"), req("5", "3"), req("6", "5", ["2"])] };

  it("the child with most descendants continues; the others are spawned, and a result crossing back is read", () => {
    const cut = forksAsSpawns(trace).requests;
    const by = new Map(cut.map((r) => [r.id, r]));
    expect(["0", "1", "3", "5", "6"].map((id) => by.get(id)!.conversation)).toEqual(["c", "c", "c", "c", "c"]);
    expect(by.get("2")!.conversation).toBe("c/fork-2");
    expect(by.get("4")!.conversation).toBe("c/fork-4");
    expect(by.get("2")!.parents).toEqual([{ from: "1", type: "subagent_spawn" }]);
    expect(by.get("2")!.historyParent).toBe("1");
    expect(by.get("6")!.parents).toEqual([{ from: "5", type: "sequential" }, { from: "2", type: "subagent_result" }]);
  });

  it("cuts a trace read into columns without making its requests, and lists the spawned conversations", () => {
    const listed: Trace = { ...trace, conversations: [{ id: "c" }] };
    const columns = tableTrace(RequestTable.from(listed.requests), traceMeta(listed));
    const cut = forksAsSpawns(columns);
    expect(Object.getOwnPropertyDescriptor(cut, "requests")?.get).toBeDefined();
    // Numbered in order of their first request, as a table lists them.
    expect(cut.table!.conversations).toEqual(["c", "c/fork-2", "c/fork-4"]);
    expect(cut.conversations).toEqual([{ id: "c" }, { id: "c/fork-2", spawnedBy: "c" }, { id: "c/fork-4", spawnedBy: "c" }]);
    expect(cut.table!.fresh).toBe(columns.table!.fresh);
    expect(cut.requests).toEqual(forksAsSpawns(trace).requests);
    // The trace cut is left as it was.
    expect(columns.table!.request(3).conversation).toBe("c");
  });

  it("leaves a trace without forks as it is", () => {
    const chain: Trace = { format: "csv", source: "t", requests: [req("0", null), req("1", "0")] };
    expect(forksAsSpawns(chain)).toBe(chain);
  });
});

describe("subagents that inherit history", () => {
  it("a child's first request continues the spawning turn's conversation", () => {
    const s = generateSessionAt(
      {
        name: "f",
        seed: 1,
        sessions: 1,
        agents: [
          { name: "m", turns: 3, freshInput: 50, output: 5, subagents: { agent: "b", inheritHistory: true, spawnProbability: 1, fanOut: 2, summaryTokens: 5 } },
          { name: "b", weight: 0, turns: 2, freshInput: 20, output: 5 },
        ],
      },
      0,
    );
    const firsts = s.nodes.filter((n) => n.kind === "spawn");
    expect(firsts).toHaveLength(4);
    for (const f of firsts) expect(f.historyParent).toBe(f.parents[0]);
  });
});

describe.skipIf(!haveShared)(haveShared ? "case study 2's Veeksha DAG fitted and generated again" : `Veeksha DAG fit (${sharedSkipReason})`, () => {
  it("keeps its requests and prompt tokens (fitted as one chain it gave 2.4 times the tokens)", async () => {
    const trace = await readTrace(join(sharedTraces, "veeksha/case-study-2/workload_b_dag.jsonl"));
    const truth = analyzeTrace(trace);
    const { spec } = fitTrace(trace);
    expect(spec.agents[0]!.subagents!.inheritHistory).toBe(true);
    let prompt = 0;
    let requests = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const a = analyzeTrace(workloadTrace(generateWorkload(validateSpec({ ...spec, seed }))));
      prompt += a.prompt!.tokens.sum / 5;
      requests += a.requests / 5;
    }
    expect(requests).toBe(truth.requests);
    expect(Math.abs(prompt / truth.prompt!.tokens.sum - 1)).toBeLessThan(0.05);
  });
});
