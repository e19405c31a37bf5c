// A run folder read back as a trace (record -> replay): a real run against the scripted server,
// then the folder as a trace: the session graphs that ran (subagents, compactions, scaffolds),
// the measured dispatches and ends, a failed request kept; and hand-made records for the rules.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestEndAt } from "../../../src/records/request-end.js";
import type { RequestRecord } from "../../../src/records/types.js";
import { planFromTrace } from "../../../src/run/replay.js";
import { runWorkload, type RunResult } from "../../../src/run/run.js";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { workloadTrace } from "../../../src/traces/from-workload.js";
import { readTrace } from "../../../src/traces/read.js";
import { parseRunRecords } from "../../../src/traces/run-folder.js";
import { traceSessionGraphs } from "../../../src/traces/sessions.js";
import type { Trace } from "../../../src/traces/types.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import type { WorkloadSpec } from "../../../src/workload/spec-types.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { sessionTokens } from "../../../src/workload/tokens.js";
import { normalStream, startFaultServer, type FaultScript, type FaultServer, type ReceivedRequest } from "../../support/fault-server.js";

const spec: WorkloadSpec = {
  name: "recorded",
  seed: 3,
  sessions: 2,
  agents: [
    {
      name: "lead",
      scaffold: { systemTokens: 120, toolTokens: 40 },
      taskTokens: 30,
      turns: 4,
      freshInput: 40,
      output: 3,
      waitMs: 5,
      subagents: { agent: "helper", spawnProbability: 1, fanOut: 2, summaryTokens: 10 },
      compaction: { contextLimit: 240, summaryTokens: 20, promptTokens: 10 },
    },
    { name: "helper", weight: 0, scaffold: { systemTokens: 60, toolTokens: 0 }, taskTokens: 20, turns: 2, freshInput: 10, output: 3 },
  ],
  traffic: { mode: "concurrent", concurrency: 2, onError: "continue" },
};

const ok = (): FaultScript => normalStream({ tokens: ["a", " b", " c"], usage: { prompt: 10, completion: 3 } });
const notFound: FaultScript = { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] };

describe("a run folder read back as a trace", () => {
  let server: FaultServer;
  let result: RunResult;
  let records: RequestRecord[];
  let trace: Trace;

  beforeAll(async () => {
    let chats = 0;
    // The third recorded chat request fails (HTTP 500); the run goes on (onError: continue).
    const script = (req: ReceivedRequest): FaultScript => {
      if (!req.url.endsWith("/chat/completions")) return notFound;
      if (req.body.includes('"warm up"')) return ok();
      chats++;
      return chats === 3 ? { status: 500, headers: { "content-type": "application/json" }, steps: [{ raw: '{"error":"boom"}' }] } : ok();
    };
    server = await startFaultServer({ fallback: script });
    result = await runWorkload({ spec: validateSpec(spec), target: { apiUrl: server.baseUrl }, outDir: mkdtempSync(join(tmpdir(), "agentload-recorded-")) });
    records = readFileSync(join(result.dir, "records.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RequestRecord);
    trace = await readTrace(result.dir);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it("is the workload that ran: conversations, subagents, parents, history, kinds, scaffolds, sizes", () => {
    const made = workloadTrace(generateWorkload(spec));
    const kinds = new Set(made.requests.map((r) => r.kind));
    expect([...kinds].sort()).toEqual(["compaction", "report", "spawn", "turn"]);
    expect(trace.format).toBe("agentload-run");
    expect(trace.source).toBe(join(result.dir, "records.jsonl"));
    const shape = (t: Trace) =>
      t.requests
        .map((r) => ({ id: r.id, conversation: r.conversation, parents: r.parents, historyParent: r.historyParent, fresh: r.freshInputTokens, output: r.outputTokens, kind: r.kind, scaffold: r.scaffold }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(shape(trace)).toEqual(shape(made));
    expect(trace.conversations).toEqual(made.conversations);
  });

  it("keeps the failed request, and carries the measured dispatches, ends and prompt tokens", () => {
    const failed = records.filter((r) => r.error);
    expect(failed.map((r) => r.error!.status)).toEqual([500]);
    expect(trace.requests).toHaveLength(records.length);
    for (const r of records) {
      const request = trace.requests.find((q) => q.id === `${r.sessionId}:${r.nodeId}`)!;
      expect(request.dispatchedMs).toBe(r.dispatchedAt);
      expect(request.respondedMs).toBe(requestEndAt(r));
      expect(request.promptTokens).toBe(r.promptTokens ?? r.expectedPromptTokens);
    }
  });

  it("replays as it ran: arrivals and waits measured, the same prompt sizes, the scaffolds shared", () => {
    const graphs = traceSessionGraphs(trace);
    const firstDispatch = Math.min(...records.map((r) => r.dispatchedAt));
    for (const graph of graphs) {
      const own = records.filter((r) => r.sessionId === graph.id);
      expect(graph.arrivalMs).toBe(Math.min(...own.map((r) => r.dispatchedAt)) - firstDispatch);
      for (const node of graph.nodes) {
        const r = own.find((x) => `${x.sessionId}:${x.nodeId}` === node.id)!;
        const ready = Math.max(...(r.parents ?? []).map((p) => requestEndAt(own.find((x) => x.nodeId === p)!)));
        expect(node.waitAfterReadyMs).toBeCloseTo(r.parents ? Math.max(0, r.dispatchedAt - ready) : 0, 6);
      }
    }
    const plan = planFromTrace(trace, { timed: true });
    const workload = generateWorkload(spec);
    expect(plan.scaffolds).toEqual(workload.scaffolds);
    workload.sessions.forEach((original, i) => {
      const replayed = plan.sessionAt(i);
      expect(replayed.id).toBe(original.id);
      // By node: the replay sends the session's requests in the order they were dispatched.
      const want = Object.fromEntries([...sessionTokens(original, workload.scaffolds)].map(([id, t]) => [id, t.promptTokens]));
      const got = Object.fromEntries([...sessionTokens(replayed, plan.scaffolds)].map(([id, t]) => [id.slice(id.indexOf(":") + 1), t.promptTokens]));
      expect(got).toEqual(want);
    });
    expect(analyzeTrace(trace)).toMatchObject({ requests: records.length, sessions: 2 });
  });

  it("record -> replay -> record: the replay's own folder reads back as the same graph", async () => {
    const replay = await runWorkload({ plan: planFromTrace(trace, { timed: true }), target: { apiUrl: server.baseUrl }, outDir: mkdtempSync(join(tmpdir(), "agentload-replayed-")) });
    const again = await readTrace(replay.dir);
    const shape = (t: Trace) =>
      t.requests
        .map((r) => ({ id: r.id.replace(/^(\w+):\1:/, "$1:"), conversation: r.conversation, kind: r.kind, scaffold: r.scaffold, fresh: r.freshInputTokens, output: r.outputTokens, parents: r.parents.length }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(again.requests).toHaveLength(trace.requests.length);
    expect(shape(again).map((r) => [r.kind, r.scaffold?.id, r.fresh, r.output, r.parents])).toEqual(shape(trace).map((r) => [r.kind, r.scaffold?.id, r.fresh, r.output, r.parents]));
    expect(again.conversations!.filter((c) => c.spawnedBy).length).toBe(trace.conversations!.filter((c) => c.spawnedBy).length);
    // The replay's records name each session's agent type, as the recorded run's did (per-agent sub-metrics).
    const replayed = readFileSync(join(replay.dir, "records.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as RequestRecord);
    expect(new Set(replayed.map((r) => r.agent))).toEqual(new Set(["lead"]));
  }, 60_000);
});

const line = (r: Partial<RequestRecord> & { sessionId: string; nodeId: string }) =>
  JSON.stringify({ readyAt: 0, plannedAt: 0, dispatchedAt: 0, chunkAt: [], expectedPromptTokens: 10, sharedPrefixTokens: 0, freshInputTokens: 10, requestedOutputTokens: 2, ...r });

describe("records.jsonl rules", () => {
  it("older records (no historyParent anywhere) continue their first parent's conversation, a spawn starts its own", () => {
    const text = [
      line({ sessionId: "0", nodeId: "0", dispatchedAt: 0, doneAt: 5 }),
      line({ sessionId: "0", nodeId: "1", kind: "spawn", parents: ["0"], readyAt: 5, dispatchedAt: 6, doneAt: 9 }),
      line({ sessionId: "0", nodeId: "2", kind: "report", parents: ["0", "1"], readyAt: 9, dispatchedAt: 12, doneAt: 20 }),
    ].join("\n");
    const trace = parseRunRecords(`${text}\n`, "r.jsonl");
    expect(trace.requests.map((r) => [r.id, r.historyParent, r.conversation])).toEqual([
      ["0:0", null, "0"],
      ["0:1", null, "0/1"],
      ["0:2", "0:0", "0"],
    ]);
    expect(trace.requests[2]!.parents).toEqual([
      { from: "0:0", type: "sequential" },
      { from: "0:1", type: "subagent_result" },
    ]);
    expect(trace.requests[2]!.waitAfterReadyMs).toBe(3);
  });

  it("leaves out a torn last line and names the line of a bad one", () => {
    const good = line({ sessionId: "0", nodeId: "0" });
    expect(parseRunRecords(`${good}\n{"sessionId": "0", "nod`, "r.jsonl").requests).toHaveLength(1);
    expect(() => parseRunRecords(`${good}\n${line({ sessionId: "0", nodeId: "1", freshInputTokens: -1 })}\n`, "r.jsonl")).toThrow(
      "r.jsonl:2: freshInputTokens: expected a whole number >= 0, got -1",
    );
    expect(() => parseRunRecords(`${good}\n${line({ sessionId: "0", nodeId: "1", parents: ["7"], historyParent: "7" })}\n`, "r.jsonl")).toThrow(
      "r.jsonl:2: parent '7' of session 0 node 1 has no record dispatched before it",
    );
    expect(() => parseRunRecords(`${good}\n${good}\n`, "r.jsonl")).toThrow("r.jsonl:2: session 0 node 0 is recorded twice (line 1 too)");
  });

  it("a run folder is found from the folder and from its records.jsonl", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "agentload-runfolder-")), "run-x");
    await mkdir(dir);
    writeFileSync(join(dir, "records.jsonl"), `${line({ sessionId: "0", nodeId: "0" })}\n`);
    expect((await readTrace(dir)).format).toBe("agentload-run");
    expect((await readTrace(dir, { format: "agentload-run" })).format).toBe("agentload-run");
    expect((await readTrace(join(dir, "records.jsonl"))).format).toBe("agentload-run");
  });
});
