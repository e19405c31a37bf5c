// The workload shapes `fit` now writes (issue 15), run on the real llama.cpp engine: subagents that
// do not block and are read later or never, spawn bursts in a window, forks that inherit history,
// reasoning dropped at new user messages, and conversations that differ in size. Every request
// must run in DAG order with exactly the prompt tokens the workload expects, as the server counts
// them, and the children that do not block must overlap their parent's later turns.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { runWorkload } from "../../src/run/run.js";
import type { RequestRecord } from "../../src/run/types.js";
import { generateSessionAt } from "../../src/workload/generate.js";
import { validateSpec } from "../../src/workload/spec.js";

const engine = inject("engine");
const outDir = mkdtempSync(join(tmpdir(), "agentload-shapes-"));

const spec = validateSpec({
  name: "fitted-shapes",
  seed: 12,
  sessions: 2,
  agents: [
    {
      name: "lead",
      scaffold: { systemTokens: 200, toolTokens: 100 },
      turns: 9,
      freshInput: { type: "lognormal", mu: 3.5, sigma: 0.5, min: 10, max: 120, truncate: true },
      freshInputSpread: 0.4,
      output: 12,
      waitMs: 5,
      reasoning: { share: 0.5, inHistory: "visible_across_user_turns", userTurnProbability: 0.3 },
      subagents: {
        agent: "worker",
        spawnProbability: 1,
        spawnWindow: { from: 0.1, to: 0.2 },
        burstTurns: 2,
        turnsShare: 0.5,
        summaryTokens: 20,
        blocking: false,
        joinProbability: 0.5,
        maxDepth: 2,
      },
    },
    {
      name: "worker",
      weight: 0,
      scaffold: { systemTokens: 120, toolTokens: 0 },
      turns: 3,
      freshInput: 30,
      output: 10,
      reasoning: { share: 0.4, inHistory: "visible" },
      subagents: { agent: "branch", inheritHistory: true, spawnProbability: 0.5, summaryTokens: 10, maxDepth: 2 },
    },
    { name: "branch", weight: 0, turns: 2, freshInput: 25, output: 8 },
  ],
  traffic: { mode: "concurrent", concurrency: 2 },
});

describe("the shapes fit writes, on the real engine", () => {
  it("run in DAG order with exact prompt tokens; children that do not block overlap their parent", async () => {
    const result = await runWorkload({ spec, target: { apiUrl: engine.apiUrl, model: engine.model }, outDir });
    const records = readFileSync(join(result.dir, "records.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as RequestRecord);
    const byKey = new Map(records.map((r) => [`${r.sessionId}/${r.nodeId}`, r]));
    let dropped = 0;
    let forks = 0;
    let overlapping = 0;
    for (let s = 0; s < spec.sessions; s++) {
      const graph = generateSessionAt(spec, s);
      expect(records.filter((r) => r.sessionId === graph.id)).toHaveLength(graph.nodes.length);
      const byId = new Map(graph.nodes.map((n) => [n.id, n]));
      for (const node of graph.nodes) {
        const r = byKey.get(`${graph.id}/${node.id}`)!;
        expect(r.error, `${graph.id}/${node.id}`).toBeUndefined();
        for (const p of node.parents) expect(r.dispatchedAt).toBeGreaterThan(byKey.get(`${graph.id}/${p}`)!.doneAt!);
        expect(r.promptTokens, `${graph.id}/${node.id} (${node.kind}, drops ${node.dropReasoning ?? "nothing"})`).toBe(r.expectedPromptTokens);
        if (node.dropReasoning !== undefined) dropped++;
        if (node.kind === "spawn" && node.historyParent !== null) forks++;
        // A lead's child that does not block: the lead's next turn starts before the child ends.
        if (node.kind === "spawn" && node.historyParent === null) {
          const spawner = node.parents[0]!;
          const next = graph.nodes.find((n) => n.historyParent === spawner && n.scaffoldId === undefined);
          const last = [...graph.nodes].reverse().find((n) => n.scaffoldId === node.scaffoldId && reaches(byId, n.id, node.id));
          if (next && last && byKey.get(`${graph.id}/${next.id}`)!.dispatchedAt < byKey.get(`${graph.id}/${last.id}`)!.doneAt!) overlapping++;
        }
      }
    }
    expect(dropped).toBeGreaterThan(0);
    expect(forks).toBeGreaterThan(0);
    expect(overlapping).toBeGreaterThan(0);
    console.log(`[shapes] ${records.length} requests: ${dropped} drop reasoning, ${forks} forks, ${overlapping} children overlapping their lead's next turn`);
  });
});

/** Whether `to` is reached from `from` along history parents (the same chain). */
function reaches(byId: Map<string, { historyParent: string | null }>, to: string, from: string): boolean {
  for (let id: string | null = to; id !== null; id = byId.get(id)?.historyParent ?? null) if (id === from) return true;
  return false;
}
