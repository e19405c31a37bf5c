// Veeksha's run outputs (a hand-made run folder with the fields Veeksha writes): the dispatch trace
// joined with the request metrics is the run's DAG with measured times; the metrics alone are
// chains; bad lines name their line.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { parseTraceText } from "../../../src/traces/detect.js";
import { readTrace } from "../../../src/traces/read.js";
import { traceSessionGraphs } from "../../../src/traces/sessions.js";
import { parseVeekshaDispatchTrace, parseVeekshaRequestMetrics } from "../../../src/traces/veeksha-run.js";
import { fixtures } from "../../support/traces.js";

const run = join(fixtures, "veeksha/run");
const dispatch = join(run, "traces/dispatch_trace.jsonl");
const metrics = join(run, "metrics/request_level_metrics.jsonl");

describe("Veeksha run outputs", () => {
  it("a run folder reads as its DAG: parents and history from the dispatch trace, sizes and times from the metrics", async () => {
    for (const path of [run, dispatch]) {
      const trace = await readTrace(path);
      expect(trace.format).toBe("veeksha-dispatch-trace");
      expect(trace.source).toBe(dispatch);
      const join3 = trace.requests.find((r) => r.id === "0:3")!;
      expect(join3).toMatchObject({
        parents: [
          { from: "0:1", type: "dependency" },
          { from: "0:2", type: "sequential" },
        ],
        historyParent: "0:2",
        freshInputTokens: 25,
        outputTokens: 5,
        promptTokens: 195,
        dispatchedMs: 1200,
        respondedMs: 1600,
        waitAfterReadyMs: 200,
      });
    }
  });

  it("leaves out a request that never completed (no metrics row)", async () => {
    const trace = await readTrace(run);
    expect(trace.requests.map((r) => r.id).sort()).toEqual(["0:0", "0:1", "0:2", "0:3", "1:0"]);
    // Measured wait: dispatched at 1.2 s, its parents ended at 0.9 and 1.0 s.
    const graph = traceSessionGraphs(trace).find((g) => g.id === "0")!;
    expect(graph.nodes.find((n) => n.id === "0:3")!.waitAfterReadyMs).toBeCloseTo(200, 9);
    expect(analyzeTrace(trace).graph).toMatchObject({ longestPath: 3, maxWidth: 2, maxFanIn: 2 });
  });

  it("the metrics alone: each session a chain in dispatch order", async () => {
    const trace = await readTrace(metrics);
    expect(trace.format).toBe("veeksha-request-metrics");
    const s0 = trace.requests.filter((r) => r.conversation === "0");
    expect(s0.map((r) => [r.id, r.historyParent])).toEqual([
      ["0:0", null],
      ["0:3", "0:0"],
      ["0:4", "0:3"],
      ["0:5", "0:4"],
    ]);
  });

  it("a dispatch trace without its metrics says what it needs; bad lines name their line", async () => {
    const text = '{"request_id": 0, "session_id": 0, "session_size": 1, "dispatched_at": 0.0, "session_context": {"node_id": 0, "wait_after_ready": 0.0, "parent_nodes": [], "history_parent": null}}\n';
    await expect(parseTraceText("d.jsonl", text)).rejects.toThrow("d.jsonl: a Veeksha dispatch trace has no output sizes; read it with its run's metrics/request_level_metrics.jsonl");
    const row = { request_id: 0, session_id: 0, scheduler_dispatched_at: 0, client_completed_at: 1, num_delta_prompt_tokens: 5, num_total_prompt_tokens: 5, num_output_tokens: 2 };
    expect(() => parseVeekshaRequestMetrics(`${JSON.stringify(row)}\n${JSON.stringify({ ...row, request_id: 1, client_completed_at: -1 })}\n`, "m.jsonl")).toThrow(
      "m.jsonl:2: client_completed_at: expected a number >= 0, got -1",
    );
    expect(() => parseVeekshaRequestMetrics(`${JSON.stringify(row)}\n${JSON.stringify(row)}\n`, "m.jsonl")).toThrow("m.jsonl:2: request_id: request 0 has a row on line 1 too");
    const orphan = text.replace('"parent_nodes": []', '"parent_nodes": [0]').replace('"history_parent": null', '"history_parent": 3');
    expect(() => parseVeekshaDispatchTrace(orphan, "d.jsonl", { text: `${JSON.stringify(row)}\n`, file: "m.jsonl" })).toThrow(
      "d.jsonl:1: session_context.history_parent: history parent 3 is not among parent_nodes",
    );
  });
});
