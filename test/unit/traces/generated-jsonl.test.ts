// agentload generate -> Veeksha JSONL -> read back: the same graph as the generated workload
// (subagents, compactions, the scaffold per agent, waits), so analyze, fit and `agentload run <file>` see
// what the spec made, and the lines stay what Veeksha reads.
import { describe, expect, it } from "vitest";
import { parseTraceText } from "../../../src/traces/detect.js";
import { workloadTrace } from "../../../src/traces/from-workload.js";
import { traceScaffolds, traceSessionGraphs } from "../../../src/traces/sessions.js";
import { planFromTrace } from "../../../src/run/replay.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import type { WorkloadSpec } from "../../../src/workload/spec-types.js";
import { nodeScaffold, sessionTokens } from "../../../src/workload/tokens.js";
import { toVeekshaJsonl } from "../../../src/workload/veeksha-jsonl.js";

const spec: WorkloadSpec = {
  name: "roundtrip",
  seed: 11,
  sessions: 6,
  agents: [
    {
      name: "lead",
      scaffold: { systemTokens: 900, toolTokens: 300 },
      taskTokens: 200,
      turns: 10,
      freshInput: { type: "uniform", min: 50, max: 400 },
      output: { type: "uniform", min: 20, max: 200 },
      waitMs: { type: "exponential", mean: 40 },
      subagents: { agent: "helper", spawnProbability: 0.4, fanOut: { type: "uniform", min: 1, max: 3 }, summaryTokens: 60, maxDepth: 2 },
      compaction: { contextLimit: 3000, summaryTokens: 150 },
    },
    {
      name: "helper",
      weight: 0,
      scaffold: { systemTokens: 500, toolTokens: 0 },
      taskTokens: 80,
      turns: { type: "uniform", min: 2, max: 4 },
      freshInput: 100,
      output: 40,
      waitMs: 5,
    },
  ],
};

const workload = generateWorkload(spec);
const text = toVeekshaJsonl(workload);

describe("generated Veeksha JSONL read back", () => {
  it("the spec makes every structure the test is about", () => {
    const kinds = new Set(workload.sessions.flatMap((s) => s.nodes.map((n) => n.kind)));
    expect([...kinds].sort()).toEqual(["compaction", "report", "spawn", "turn"]);
    // Depth 2: some helper spawned helpers of its own (a spawn whose first parent is itself in a subagent).
    expect(workload.sessions.some((s) => s.nodes.some((n) => n.kind === "spawn" && n.scaffoldId === "helper"))).toBe(true);
  });

  it("is the workload's own trace: conversations, subagents, edges, tokens, scaffolds, kinds, waits", async () => {
    const trace = await parseTraceText("w.jsonl", text);
    const expected = workloadTrace(workload);
    expect(trace.format).toBe("veeksha-session");
    expect(trace.requests).toEqual(expected.requests);
    expect(trace.conversations).toEqual(expected.conversations);
    expect(trace.conversations!.filter((c) => c.spawnedBy !== undefined).length).toBeGreaterThan(3);
    expect(new Set(trace.requests.map((r) => r.agent))).toEqual(new Set(["lead"]));
  });

  it("gives back the same session graphs, with each root's scaffold shared by name", async () => {
    const trace = await parseTraceText("w.jsonl", text);
    expect(traceScaffolds(trace)).toEqual(workload.scaffolds);
    const graphs = traceSessionGraphs(trace);
    expect(graphs).toHaveLength(workload.sessions.length);
    graphs.forEach((graph, i) => {
      const original = workload.sessions[i]!;
      const local = (id: string) => id.slice(id.indexOf(":") + 1);
      const read = graph.nodes.map((n) => ({
        id: local(n.id),
        parents: n.parents.map(local),
        historyParent: n.historyParent === null ? null : local(n.historyParent),
        freshInputTokens: n.freshInputTokens,
        outputTokens: n.outputTokens,
        waitAfterReadyMs: n.waitAfterReadyMs,
        kind: n.kind,
        scaffold: n.historyParent === null ? nodeScaffold(graph, n, traceScaffolds(trace))?.id : undefined,
      }));
      const made = original.nodes.map((n) => ({
        id: n.id,
        parents: n.parents,
        historyParent: n.historyParent,
        freshInputTokens: n.freshInputTokens,
        outputTokens: n.outputTokens,
        waitAfterReadyMs: n.waitAfterReadyMs,
        kind: n.kind,
        scaffold: n.historyParent === null ? nodeScaffold(original, n, workload.scaffolds)?.id : undefined,
      }));
      expect(read).toEqual(made);
    });
  });

  it("replays (agentload run <file>) with the same prompt sizes and the scaffolds as shared text", async () => {
    const plan = planFromTrace(await parseTraceText("w.jsonl", text));
    expect(plan.scaffolds).toEqual(workload.scaffolds);
    workload.sessions.forEach((original, i) => {
      const replayed = plan.sessionAt(i);
      const want = [...sessionTokens(original, workload.scaffolds).values()];
      const got = [...sessionTokens(replayed, plan.scaffolds).values()];
      expect(got).toEqual(want);
    });
  });

  it("writes the agentload key only where Veeksha's fields fall short, as json.dumps would", () => {
    const lines = text.trimEnd().split("\n");
    const first = lines[0]!;
    expect(first.startsWith('{"agentload": {"agent": "lead", "scaffold": {"id": "lead", "system_tokens": 900, "tool_tokens": 300}}, "cacheable_history_tokens": 0, ')).toBe(true);
    const turns = lines.filter((l) => !l.includes('"agentload"'));
    expect(turns.length).toBeGreaterThan(0);
    for (const line of lines) {
      const row = JSON.parse(line) as Record<string, unknown>;
      // Veeksha's required columns are all there.
      for (const key of ["session_id", "input_length", "new_input_length", "output_length", "session_context"]) expect(row).toHaveProperty(key);
    }
    expect(lines.some((l) => l.startsWith('{"agentload": {"kind": "spawn", "scaffold": {"id": "helper", "system_tokens": 500, "tool_tokens": 0}}'))).toBe(true);
  });

  it("Veeksha's replay sends every prompt at its input_length: a first request's new input is its whole prompt", () => {
    // Veeksha renders new_input_length tokens on top of the history parent's prompt and reply.
    const rows = text.trimEnd().split("\n").map((l) => JSON.parse(l) as { session_id: number; input_length: number; new_input_length: number; output_length: number; session_context: { node_id: number; history_parent: number | null } });
    const sent = new Map<string, number>();
    for (const row of rows) {
      const h = row.session_context.history_parent;
      const parent = h === null ? undefined : rows.find((r) => r.session_id === row.session_id && r.session_context.node_id === h)!;
      const prompt = (parent ? sent.get(`${row.session_id}:${h}`)! + parent.output_length : 0) + row.new_input_length;
      sent.set(`${row.session_id}:${row.session_context.node_id}`, prompt);
      expect(prompt).toBe(row.input_length);
    }
  });

  // Read as objects (fit) and straight into columns (analyze: GeneratedSessions.addPositions), the same errors.
  it.each([false, true])("names the line of an edited input_length, a bad kind and a scaffold that changes size (columns: %s)", async (columns) => {
    const lines = text.trimEnd().split("\n");
    const edited = [...lines];
    edited[1] = edited[1]!.replace(/"input_length": (\d+)/, (_, n: string) => `"input_length": ${Number(n) + 1}`);
    await expect(parseTraceText("w.jsonl", edited.join("\n"), { columns })).rejects.toThrow(/^w\.jsonl:2: input_length \d+, but the scaffold, the history parent's prompt and output and new_input_length add up to \d+$/);
    const badKind = [lines[0]!.replace('"agentload": {', '"agentload": {"kind": "nap", '), ...lines.slice(1)];
    await expect(parseTraceText("w.jsonl", badKind.join("\n"), { columns })).rejects.toThrow("w.jsonl:1: agentload.kind: expected one of turn, spawn, report, compaction, got \"nap\"");
    const secondRoot = lines.findIndex((l, i) => i > 0 && l.includes('"id": "lead"'));
    const resized = [...lines];
    resized[secondRoot] = resized[secondRoot]!.replace('"system_tokens": 900', '"system_tokens": 901').replace(/"input_length": (\d+)/, (_, n: string) => `"input_length": ${Number(n) + 1}`);
    await expect(parseTraceText("w.jsonl", resized.join("\n"), { columns })).rejects.toThrow(
      `w.jsonl:${secondRoot + 1}: agentload.scaffold: scaffold 'lead' has 901 + 300 tokens here, 900 + 300 on an earlier line (one scaffold is one text)`,
    );
    type Line = { agentload?: Record<string, unknown>; session_context: { history_parent: number | null } };
    const childAt = lines.findIndex((l) => (JSON.parse(l) as Line).session_context.history_parent !== null);
    const child = JSON.parse(lines[childAt]!) as Line;
    child.agentload = { ...child.agentload, scaffold: { id: "lead", system_tokens: 900, tool_tokens: 300 } };
    const scaffoldOnChild = [...lines];
    scaffoldOnChild[childAt] = JSON.stringify(child);
    await expect(parseTraceText("w.jsonl", scaffoldOnChild.join("\n"), { columns })).rejects.toThrow(
      `w.jsonl:${childAt + 1}: agentload.scaffold: only a request without history parent starts from a scaffold`,
    );
    const short = [...lines];
    short[0] = short[0]!.replace(/"new_input_length": \d+/, '"new_input_length": 10');
    await expect(parseTraceText("w.jsonl", short.join("\n"), { columns })).rejects.toThrow("w.jsonl:1: new_input_length 10 is shorter than its scaffold 'lead' (900 + 300 tokens)");
  });
});

describe("a generated trace with many agents", () => {
  // The reader keeps each line's `agentload` key as a code into the distinct keys it has seen,
  // comparing a new key with each up to 32 of them and looking it up by its text past that: 40
  // agents, each with its own scaffold, take both ways.
  const many: WorkloadSpec = {
    name: "many-agents",
    seed: 5,
    sessions: 120,
    agents: Array.from({ length: 40 }, (_, k) => ({
      name: `agent-${k}`,
      scaffold: { systemTokens: 100 + k, toolTokens: k % 3 === 0 ? 0 : 50 },
      taskTokens: 20,
      turns: 3,
      freshInput: { type: "uniform" as const, min: 10, max: 60 },
      output: { type: "uniform" as const, min: 5, max: 30 },
    })),
  };
  const manyWorkload = generateWorkload(many);
  const manyText = toVeekshaJsonl(manyWorkload);

  it.each([false, true])("reads back every session's agent, scaffold and kinds (columns: %s)", async (columns) => {
    const agents = new Set(manyWorkload.sessions.map((s) => s.agent));
    expect(agents.size).toBeGreaterThan(32);
    const trace = await parseTraceText("many.jsonl", manyText, { columns });
    expect(trace.requests).toEqual(workloadTrace(manyWorkload).requests);
  });
});
