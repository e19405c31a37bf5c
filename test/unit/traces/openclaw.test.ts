import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { parseOpenClawDag } from "../../../src/traces/openclaw-dag.js";
import { parseOpenClawSessions } from "../../../src/traces/openclaw-session.js";
import { readTrace } from "../../../src/traces/read.js";
import { traceSessionGraphs } from "../../../src/traces/sessions.js";
import type { Trace } from "../../../src/traces/types.js";
import { validateSession } from "../../../src/workload/graph.js";
import { charTokenizer, fixtures } from "../../support/traces.js";

const dagFile = join(fixtures, "openclaw/dag.json");
const sessionsDir = join(fixtures, "openclaw/sessions");

/** The structure of a trace with ids replaced by positions in dispatch order, to compare traces whose ids differ. */
function shape(trace: Trace) {
  const requests = [...trace.requests].sort((a, b) => a.dispatchedMs! - b.dispatchedMs!);
  const position = new Map(requests.map((r, i) => [r.id, i]));
  return requests.map((r) => ({
    parents: r.parents.map((e) => [position.get(e.from), e.type]),
    history: r.historyParent === null ? null : position.get(r.historyParent),
    output: r.outputTokens,
    prompt: r.promptTokens,
    cached: r.cachedTokens,
    dispatched: r.dispatchedMs,
    responded: r.respondedMs,
    wait: r.waitAfterReadyMs,
    trigger: r.trigger,
  }));
}

describe("OpenClaw dag.json", () => {
  it("reads nodes, typed edges, history parents and the listed sessions", async () => {
    const trace = await readTrace(dagFile);
    expect(trace.format).toBe("openclaw-dag");
    // Topological order: s:1 comes after m:2 which spawns it, m:4 after s:2.
    expect(trace.requests.map((r) => r.id)).toEqual(["m:1", "m:2", "s:1", "m:3", "s:2", "m:4"]);
    const m4 = trace.requests[5]!;
    expect(m4.parents).toEqual([
      { from: "m:3", type: "sequential" },
      { from: "s:2", type: "subagent_result" },
    ]);
    expect(m4.historyParent).toBe("m:3");
    expect(m4).toMatchObject({ freshInputTokens: 150, outputTokens: 20, promptTokens: 1500, cachedTokens: 1200, waitAfterReadyMs: 12000, trigger: "subagent_result" });
    // A first request's injected tokens are its scaffold; a later one's are not.
    expect(trace.requests[0]!.scaffoldTokens).toBe(900);
    expect(m4.scaffoldTokens).toBeUndefined();
    expect(trace.conversations).toEqual([
      { id: "m", key: "agent:main:main" },
      { id: "s", key: "agent:main:subagent:abc", spawnedBy: "agent:main:main", label: "counter" },
      { id: "e", key: "agent:main:other" },
    ]);
  });

  it("analyzes to figures worked out by hand", async () => {
    const a = analyzeTrace(await readTrace(dagFile));
    expect(a).toMatchObject({
      requests: 6,
      sessions: 1,
      conversations: { listed: 3, withRequests: 2, spawned: 1 },
      userMessages: 1, // s:1's "user" trigger is the subagent's task, not a person
      expansionFactor: 6,
      peakInFlight: 2,
      wallTimeMs: 20_000,
    });
    expect(a.graph).toEqual({
      longestPath: 5, // m:1 m:2 s:1 s:2 m:4
      maxWidth: 2, // s:1 and m:3 share depth 3
      maxFanOut: 2,
      maxFanIn: 2,
      edges: 6,
      edgesByType: { sequential: 4, subagent_spawn: 1, subagent_result: 1, dependency: 0 },
    });
    expect(a.freshInputTokens).toMatchObject({ count: 6, sum: 2170, min: 60, max: 1000, p50: 120 });
    expect(a.outputTokens).toMatchObject({ sum: 280, max: 80 });
    expect(a.waitAfterReadyMs).toMatchObject({ count: 4, p50: 25, max: 12000, under100ms: 3, shareUnder100ms: 0.75, over10s: 1, shareOver10s: 0.25 });
    expect(a.prompt).toEqual(expect.objectContaining({ uncachedTokens: 2500, cachedTokens: 4100, usedContext: 1500 }));
    // Shared = prompt - fresh over the four requests with a history parent: (1030 + 1210 + 840 + 1350) / 4800.
    expect(a.prefixOverlap).toMatchObject({ pairs: 4, promptTokens: 4800, sharedTokens: 4430, measuredBy: "prompt_minus_fresh" });
  });

  it("becomes a session graph that waits from readiness (all parents done), with spawn and report kinds", async () => {
    const [graph, ...rest] = traceSessionGraphs(await readTrace(dagFile));
    expect(rest).toEqual([]);
    validateSession(graph!);
    expect(graph!.arrivalMs).toBe(0);
    const node = (id: string) => graph!.nodes.find((n) => n.id === id)!;
    expect(node("s:1")).toMatchObject({ kind: "spawn", historyParent: null, waitAfterReadyMs: 100 });
    // m:4 is ready when s:2 (10:00:07) finishes, after m:3 (10:00:06): 11 s, not the trace's 12 s after m:3.
    expect(node("m:4")).toMatchObject({ kind: "report", parents: ["m:3", "s:2"], waitAfterReadyMs: 11_000 });
    expect(node("m:1")).toMatchObject({ kind: "turn", freshInputTokens: 1000, waitAfterReadyMs: 0 });
  });

  it("names the file and the JSON path of a bad value", () => {
    const bad = (patch: (d: { nodes: Record<string, unknown>[]; edges: Record<string, unknown>[] }) => void) => async () => {
      const data = JSON.parse(await readFile(dagFile, "utf8"));
      patch(data);
      return parseOpenClawDag(JSON.stringify(data), "x/dag.json");
    };
    return Promise.all([
      expect(bad((d) => ((d.nodes[2]!.usage as Record<string, unknown>).output = "many"))()).rejects.toThrow(
        'x/dag.json: $.nodes[2].usage.output: expected a whole number >= 0, got "many"',
      ),
      expect(bad((d) => (d.edges[1]!.type = "parallel"))()).rejects.toThrow(
        'x/dag.json: $.edges[1].type: expected one of sequential, subagent_spawn, subagent_result, got "parallel"',
      ),
      expect(bad((d) => (d.edges[0]!.to = "m:9"))()).rejects.toThrow("x/dag.json: $.edges[0].to: no node has id 'm:9'"),
      expect(bad((d) => d.edges.push({ from: "m:4", to: "m:1", type: "sequential", is_history_parent: false }))()).rejects.toThrow(
        "dependency cycle",
      ),
    ]);
  });
});

describe("OpenClaw session logs", () => {
  const read = () => readTrace(sessionsDir, { tokenizer: charTokenizer });

  it("builds requests, spawn and completion edges across sessions, with sessions.json", async () => {
    const trace = await read();
    expect(trace.format).toBe("openclaw-session");
    // Topological, and otherwise in the order the files were read: the child after main's a3.
    expect(trace.requests.map((r) => r.id)).toEqual([
      "main-0001:a1",
      "main-0001:a2",
      "main-0001:a3",
      "child-0002:c2",
      "child-0002:c4",
      "main-0001:a4",
    ]);
    // The aborted reply a5 (zero usage) is not a request.
    expect(trace.requests.some((r) => r.id.endsWith(":a5"))).toBe(false);
    expect(trace.requests[3]!.parents).toEqual([{ from: "main-0001:a2", type: "subagent_spawn" }]);
    expect(trace.requests[5]!.parents).toEqual([
      { from: "main-0001:a3", type: "sequential" },
      { from: "child-0002:c4", type: "subagent_result" },
    ]);
    expect(trace.userMessages).toBe(1);
    expect(trace.conversations).toEqual([
      { id: "main-0001", key: "agent:main:main" },
      { id: "child-0002", key: "agent:main:subagent:abc", spawnedBy: "agent:main:main", label: "counter" },
      { id: "idle-0003", key: "agent:main:other" },
    ]);
  });

  it("counts fresh input by dag.json's rules (here one token per character)", async () => {
    const fresh = (await read()).requests.map((r) => r.freshInputTokens);
    // a1: a first request's fresh input is its whole prompt (usage input + cacheRead).
    // a2: tool result "a.txt b.txt" (11) + a1's thinking "plan" (4) + tool call: "exec" (4) + '{"command": "ls"}' (17) + 1.
    // a3: the sessions_spawn result (83) + a2's call: "sessions_spawn" (14) + its arguments as JSON (52) + 1.
    // c4: tool result "2 a.txt" (7) + c2's call: "exec" (4) + '{"command": "wc -l a.txt"}' (26) + 1.
    // a4: the injected completion message (139) + a3's reply "waiting" (7).
    expect(fresh).toEqual([1000, 11 + 4 + 4 + 17 + 1, 150, 800, 7 + 4 + 26 + 1, 139 + 7]);
    const trace = await read();
    // Scaffold of a first request: its prompt minus the user's text ("count files", 11; the task, 20).
    expect(trace.requests[0]!.scaffoldTokens).toBe(989);
    expect(trace.requests[3]!.scaffoldTokens).toBe(780);
  });

  it("has the same structure, usage, timings and waits as the fixture's dag.json", async () => {
    const [raw, dag] = await Promise.all([read(), readTrace(dagFile)]);
    expect(shape(raw)).toEqual(shape(dag));
    const a = analyzeTrace(raw);
    const b = analyzeTrace(dag);
    for (const key of ["requests", "sessions", "conversations", "userMessages", "graph", "peakInFlight", "wallTimeMs", "waitAfterReadyMs", "prompt", "outputTokens"] as const) {
      expect(a[key], key).toEqual(b[key]);
    }
  });

  it("links a child by its task text when no sessions.json maps its key", async () => {
    const files = await Promise.all(
      ["main-0001.jsonl", "child-0002.jsonl"].map(async (f) => ({ name: f, text: await readFile(join(sessionsDir, f), "utf8") })),
    );
    const trace = await parseOpenClawSessions(files, { tokenizer: charTokenizer });
    expect(trace.requests.find((r) => r.id === "child-0002:c2")!.parents).toEqual([{ from: "main-0001:a2", type: "subagent_spawn" }]);
    expect(trace.conversations!.find((c) => c.id === "child-0002")).toEqual({ id: "child-0002", spawnedBy: "main-0001", label: "counter" });
  });

  it("reads a single session log alone", async () => {
    const trace = await readTrace(join(sessionsDir, "child-0002.jsonl"), { tokenizer: charTokenizer });
    expect(trace.requests.map((r) => r.id)).toEqual(["child-0002:c2", "child-0002:c4"]);
    expect(trace.requests[1]!.waitAfterReadyMs).toBe(10);
  });

  it("names the file and line of a bad entry", async () => {
    const text = await readFile(join(sessionsDir, "child-0002.jsonl"), "utf8");
    const lines = text.trim().split("\n");
    const parse = (body: string) => parseOpenClawSessions([{ name: "child.jsonl", text: body }], { tokenizer: charTokenizer });
    await expect(parse([...lines.slice(0, 2), "{not json", ...lines.slice(2)].join("\n"))).rejects.toThrow(/^child\.jsonl:3: not valid JSON/);
    await expect(parse(lines.map((l) => l.replace('"parentId":"c2"', '"parentId":"zz"')).join("\n"))).rejects.toThrow(
      "child.jsonl:4: parentId: no earlier entry has id 'zz'",
    );
    await expect(parse(lines.map((l) => l.replace('"output":80', '"output":-1')).join("\n"))).rejects.toThrow(
      "child.jsonl:5: message.usage.output: expected a whole number >= 0, got -1",
    );
  });
});
