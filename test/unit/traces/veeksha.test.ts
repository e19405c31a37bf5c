import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { readTrace } from "../../../src/traces/read.js";
import { traceSessionGraphs } from "../../../src/traces/sessions.js";
import { parseVeekshaRequestLog, parseVeekshaSession, parseVeekshaSharedPrefix } from "../../../src/traces/veeksha.js";
import { planFromTrace } from "../../../src/run/replay.js";
import { depth, validateSession } from "../../../src/workload/graph.js";
import { sessionTokens } from "../../../src/workload/tokens.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import { toVeekshaJsonl } from "../../../src/workload/veeksha-jsonl.js";
import { fixtures, haveShared, sharedSkipReason, sharedTraces } from "../../support/traces.js";

const veeksha = join(fixtures, "veeksha");

describe("Veeksha timed_synthetic_session", () => {
  it("reads session_context: parents, history parent, waits in seconds", async () => {
    const trace = await readTrace(join(veeksha, "session.jsonl"));
    expect(trace.format).toBe("veeksha-session");
    const join3 = trace.requests.find((r) => r.id === "0:3")!;
    expect(join3).toMatchObject({
      parents: [
        { from: "0:1", type: "dependency" },
        { from: "0:2", type: "sequential" },
      ],
      historyParent: "0:2",
      freshInputTokens: 50,
      promptTokens: 220,
      sharedPrefixTokens: 170,
      waitAfterReadyMs: 12_000,
    });
    const a = analyzeTrace(trace);
    expect(a).toMatchObject({ requests: 6, sessions: 2, userMessages: null });
    expect(a.graph).toMatchObject({ longestPath: 3, maxWidth: 2, maxFanOut: 2, maxFanIn: 2 });
    expect(a.waitAfterReadyMs).toMatchObject({ count: 4, under100ms: 2, over10s: 1, max: 12_000 });
    // Cacheable history is the shared prefix: (120 + 120 + 170 + 88) of (150 + 160 + 220 + 98).
    expect(a.prefixOverlap).toMatchObject({ measuredBy: "cacheable_history", sharedTokens: 498, promptTokens: 628 });
    expect(a.prompt).toMatchObject({ cachedTokens: null, usedContext: 220 });
  });

  it("reads legacy rows (no session_context) as a chain in turn_idx order", async () => {
    const trace = await readTrace(join(veeksha, "legacy.jsonl"));
    expect(trace.format).toBe("veeksha-session");
    expect(trace.requests.map((r) => [r.id, r.historyParent, r.freshInputTokens, r.waitAfterReadyMs])).toEqual([
      ["5:0", null, 150, undefined],
      ["5:1", "5:0", 60, 1500],
      ["5:2", "5:1", 20, 250],
    ]);
  });

  it("reads back what our Veeksha writer writes", () => {
    const spec = {
      name: "rt",
      seed: 3,
      sessions: 4,
      agents: [
        { name: "a", scaffold: { systemTokens: 50, toolTokens: 10 }, turns: { type: "uniform" as const, min: 2, max: 5 }, freshInput: 40, output: 20, waitMs: 250, subagents: { agent: "b", spawnProbability: 0.5, summaryTokens: 15 } },
        { name: "b", weight: 0, turns: 2, freshInput: 30, output: 10 },
      ],
    };
    const workload = generateWorkload(spec);
    const trace = parseVeekshaSession(toVeekshaJsonl(workload), "rt.jsonl");
    const graphs = traceSessionGraphs(trace);
    expect(graphs.map((g) => g.nodes.length)).toEqual(workload.sessions.map((s) => s.nodes.length));
    graphs.forEach((g, i) => {
      validateSession(g);
      const original = workload.sessions[i]!;
      expect(g.nodes.map((n) => [n.parents.length, n.outputTokens, n.waitAfterReadyMs])).toEqual(
        original.nodes.map((n) => [n.parents.length, n.outputTokens, n.parents.length > 0 ? n.waitAfterReadyMs : 0]),
      );
    });
  });

  it("names file, line and field of a bad row", () => {
    const row = (ctx: string) => `{"session_id": 0, "input_length": 5, "new_input_length": 5, "output_length": 1, "session_context": ${ctx}}`;
    const ok = row('{"node_id": 0, "parent_nodes": [], "history_parent": null, "wait_after_ready": 0}');
    expect(() => parseVeekshaSession(`${ok}\n${row('{"node_id": 1, "parent_nodes": ["x"], "history_parent": null, "wait_after_ready": 0}')}\n`, "v.jsonl")).toThrow(
      'v.jsonl:2: session_context.parent_nodes[0]: expected a whole number >= 0, got "x"',
    );
    expect(() => parseVeekshaSession(`${ok}\n${row('{"node_id": 1, "parent_nodes": [7], "history_parent": 7, "wait_after_ready": 0}')}`, "v.jsonl")).toThrow(
      "v.jsonl: line 2: parent '0:7' of request '0:1' is not in the trace",
    );
    expect(() => parseVeekshaSession(`${ok}\n{"session_id": 0, "input_length": 5, "output_length": 1, "session_context": null}`, "v.jsonl")).toThrow(
      "v.jsonl:2: session_context: session 0: either every row has session_context or none does",
    );
    // A session whose first row lacks session_context and a later row has it: named at its first row.
    const other = `{"session_id": 5, "input_length": 5, "new_input_length": 5, "output_length": 1}`;
    const later = `{"session_id": 5, "input_length": 7, "new_input_length": 1, "output_length": 1, "session_context": {"node_id": 1, "parent_nodes": [], "history_parent": null, "wait_after_ready": 0}}`;
    expect(() => parseVeekshaSession(`${ok}
${ok}`.replace('"node_id": 0', '"node_id": 0') + `
${other}
${ok}
${later}
`, "v.jsonl")).toThrow(
      "v.jsonl:3: session_context: session 5: either every row has session_context or none does",
    );
  });
});

describe("Veeksha request_log and shared_prefix", () => {
  it("request_log: rows are single-request sessions unless they share a session_id", async () => {
    const trace = await readTrace(join(veeksha, "request-log.jsonl"));
    expect(trace.format).toBe("veeksha-request-log");
    const a = analyzeTrace(trace);
    expect(a).toMatchObject({ requests: 5, sessions: 4 });
    expect(trace.requests.map((r) => [r.id, r.historyParent, r.promptTokens])).toEqual([
      ["row-1", null, 512],
      ["row-2", null, 1024],
      ["row-3", null, 64],
      ["chat", null, 200],
      ["chat:5", "chat", undefined],
    ]);
    expect(() => parseVeekshaRequestLog('{"input_length": 5}', "r.jsonl")).toThrow("r.jsonl:1: output_length: expected a whole number >= 0, got nothing");
  });

  it("shared_prefix: chains per session, hash ids give the prefix overlap", async () => {
    const trace = await readTrace(join(veeksha, "shared-prefix.jsonl"), { blockSize: 512 });
    expect(trace.format).toBe("veeksha-shared-prefix");
    expect(trace.requests[1]).toMatchObject({ historyParent: "1:0", hashIds: [101, 102, 103], waitAfterReadyMs: 3000 });
    const a = analyzeTrace(trace);
    // 1:1 repeats 1:0's two blocks: 1024 of its 1536 prompt tokens.
    expect(a.prefixOverlap).toMatchObject({ pairs: 1, sharedTokens: 1024, promptTokens: 1536, measuredBy: "hash_ids" });
    // Seen before: nothing of 1:0, two blocks of 1:1, block 101 of session 2's first prompt.
    expect(a.reusablePrefix).toEqual({ tokens: 1024 + 512, promptTokens: 1024 + 1536 + 1024, ratio: 1536 / 3584 });
    expect(() => parseVeekshaSharedPrefix('{"session_id": 1, "input_length": 1, "new_input_length": 1, "output_length": 1, "hash_ids": [1.5]}', "s.jsonl")).toThrow(
      "s.jsonl:1: hash_ids[0]: expected an integer block hash id, got 1.5",
    );
  });
});

interface Topology {
  node_id: number;
  parent_nodes: number[];
  history_parent: number | null;
  wait_after_ready: number;
}

describe.skipIf(!haveShared)(haveShared ? "Veeksha case-study-2 traces against their metadata" : `Veeksha case-study-2 (${sharedSkipReason})`, () => {
  const dir = join(sharedTraces, "veeksha/case-study-2");

  it.each(["linear", "dag"] as const)("%s: the totals and the per-session topology the metadata describes", async (kind) => {
    const meta = JSON.parse(await readFile(join(dir, "workload_shape_metadata.json"), "utf8"));
    const expected = meta.workloads[kind];
    const topology: Topology[] = meta.topologies[kind];
    const trace = await readTrace(join(dir, kind === "linear" ? "workload_a_linear.jsonl" : "workload_b_dag.jsonl"));
    const a = analyzeTrace(trace);
    expect(a.requests).toBe(expected.total_requests);
    expect(a.sessions).toBe(expected.sessions);
    expect(a.freshInputTokens.sum).toBe(expected.total_new_input_tokens);
    expect(a.outputTokens.sum).toBe(expected.total_output_tokens);
    expect(a.prompt!.tokens.sum).toBe(expected.total_effective_input_tokens);
    expect(a.prompt!.usedContext).toBe(expected.max_effective_input_tokens);
    expect(a.prefixOverlap!.sharedTokens).toBe(expected.total_cacheable_history_tokens);
    for (const graph of traceSessionGraphs(trace)) {
      validateSession(graph);
      const local = (id: string) => Number(id.split(":")[1]);
      const nodes = graph.nodes.map((n) => ({
        node_id: local(n.id),
        parent_nodes: n.parents.map(local),
        history_parent: n.historyParent === null ? null : local(n.historyParent),
        wait_after_ready: n.waitAfterReadyMs / 1000,
      }));
      expect(nodes).toEqual(topology);
    }
  });

  it("dag: a replay (agentload run <file>) keeps the DAG, not a chain: prompt tokens as the metadata says (379,000, not x2.4)", async () => {
    const meta = JSON.parse(await readFile(join(dir, "workload_shape_metadata.json"), "utf8"));
    const plan = planFromTrace(await readTrace(join(dir, "workload_b_dag.jsonl")));
    let total = 0;
    let most = 0;
    for (let i = 0; i < plan.sessions; i++) {
      const session = plan.sessionAt(i);
      expect(depth(session)).toBe(5);
      for (const t of sessionTokens(session, plan.scaffolds).values()) {
        total += t.promptTokens;
        most = Math.max(most, t.promptTokens);
      }
    }
    expect(total).toBe(meta.workloads.dag.total_effective_input_tokens);
    expect(most).toBe(meta.workloads.dag.max_effective_input_tokens);
  });

  it("dag: longest path 5, width 9 (the third level's fan-out), fan-out and fan-in 4", async () => {
    const a = analyzeTrace(await readTrace(join(dir, "workload_b_dag.jsonl")));
    expect(a.graph).toMatchObject({ longestPath: 5, maxWidth: 9, maxFanOut: 4, maxFanIn: 4 });
  });
});
