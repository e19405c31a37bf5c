import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generateSessionAt, generateWorkload, iterateSessions, scaffoldsOf } from "../../../src/workload/generate.js";
import { depth, fanIn, fanOut, validateSession, width } from "../../../src/workload/graph.js";
import type { AgentSpec, WorkloadSpec } from "../../../src/workload/spec-types.js";
import { resolveSpec } from "../../../src/workload/spec.js";
import { sessionTokens } from "../../../src/workload/tokens.js";
import type { SessionGraph } from "../../../src/workload/types.js";
import { pythonFloat, pythonString, toVeekshaJsonl, veekshaLines } from "../../../src/workload/veeksha-jsonl.js";

const shared = join(dirname(fileURLToPath(import.meta.url)), "../../../../shared/traces/veeksha/case-study-2");
const haveShared = existsSync(shared);

function spec(agents: AgentSpec[], extra: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return { name: "t", seed: 7, sessions: 1, agents, ...extra };
}

const kinds = (s: SessionGraph) => s.nodes.map((n) => n.kind).join(",");
const maxOf = (m: Map<string, number>) => Math.max(...m.values());

describe("single requests and linear chains", () => {
  it("turns = 1 gives one request per session starting from the scaffold", () => {
    const w = generateWorkload(
      spec([{ name: "qa", turns: 1, freshInput: 100, output: 20, scaffold: { systemTokens: 30 } }], { sessions: 5 }),
    );
    expect(w.scaffolds).toEqual([{ id: "qa", systemTokens: 30, toolTokens: 0 }]);
    expect(w.sessions.map((s) => s.id)).toEqual(["0", "1", "2", "3", "4"]);
    for (const s of w.sessions) {
      expect(s).toEqual({
        id: s.id,
        agent: "qa",
        scaffoldId: "qa",
        nodes: [{ id: "0", parents: [], historyParent: null, freshInputTokens: 100, outputTokens: 20, waitAfterReadyMs: 0, kind: "turn" }],
      });
    }
  });

  it("a chain inherits the previous request's history, with task, fresh, output and wait sizes from the spec", () => {
    const [s] = generateWorkload(
      spec([{ name: "a", turns: 4, taskTokens: 900, freshInput: 50, output: 30, waitMs: 1500 }]),
    ).sessions;
    expect(s!.nodes).toEqual([
      { id: "0", parents: [], historyParent: null, freshInputTokens: 900, outputTokens: 30, waitAfterReadyMs: 0, kind: "turn" },
      { id: "1", parents: ["0"], historyParent: "0", freshInputTokens: 50, outputTokens: 30, waitAfterReadyMs: 1500, kind: "turn" },
      { id: "2", parents: ["1"], historyParent: "1", freshInputTokens: 50, outputTokens: 30, waitAfterReadyMs: 1500, kind: "turn" },
      { id: "3", parents: ["2"], historyParent: "2", freshInputTokens: 50, outputTokens: 30, waitAfterReadyMs: 1500, kind: "turn" },
    ]);
  });

  it("draws whole non-negative numbers from continuous distributions", () => {
    const w = generateWorkload(
      spec(
        [
          {
            name: "a",
            turns: { type: "uniform", min: 1, max: 6 },
            freshInput: { type: "normal", mean: 5, stddev: 20 },
            output: { type: "lognormal", mu: 4, sigma: 1 },
            waitMs: { type: "exponential", mean: 300 },
          },
        ],
        { sessions: 50 },
      ),
    );
    const lengths = new Set<number>();
    for (const s of w.sessions) {
      validateSession(s);
      lengths.add(s.nodes.length);
      for (const n of s.nodes) expect(Number.isInteger(n.waitAfterReadyMs)).toBe(true);
    }
    expect([...lengths].every((n) => n >= 1 && n <= 6)).toBe(true);
    expect(lengths.size).toBeGreaterThan(3);
  });
});

describe("branching DAGs", () => {
  const helper: AgentSpec = { name: "helper", weight: 0, turns: 2, freshInput: 40, output: 10, scaffold: { systemTokens: 300 } };

  function branching(turns: number, fanOutN: number, more: Partial<NonNullable<AgentSpec["subagents"]>> = {}): WorkloadSpec {
    return spec([
      {
        name: "main",
        turns,
        freshInput: 100,
        output: 20,
        subagents: { agent: "helper", spawnProbability: 1, fanOut: fanOutN, summaryTokens: 50, ...more },
      },
      helper,
    ]);
  }

  it("spawns fanOut subagents after every turn that has a next turn, which reads their reports", () => {
    const s = generateSessionAt(branching(3, 2), 0);
    validateSession(s);
    expect(kinds(s)).toBe("turn,spawn,turn,spawn,turn,report,spawn,turn,spawn,turn,report");
    // Each child starts from its own scaffold, depends on the spawning node, inherits no history.
    expect(s.nodes[1]).toEqual({ id: "1", parents: ["0"], historyParent: null, freshInputTokens: 40, outputTokens: 10, waitAfterReadyMs: 0, kind: "spawn", scaffoldId: "helper" });
    expect(s.nodes[2]).toMatchObject({ parents: ["1"], historyParent: "1", scaffoldId: "helper" });
    // The report continues the parent's history and carries every child's summary.
    expect(s.nodes[5]).toEqual({ id: "5", parents: ["0", "2", "4"], historyParent: "0", freshInputTokens: 100, outputTokens: 20, waitAfterReadyMs: 0, kind: "report" });
    expect(s.nodes[10]).toMatchObject({ parents: ["5", "7", "9"], historyParent: "5", kind: "report" });
    expect(s.nodes[0]!.scaffoldId).toBeUndefined();
    const tokens = sessionTokens(s, scaffoldsOf(branching(3, 2)));
    expect(tokens.get("1")!.promptTokens).toBe(340);
    expect(tokens.get("5")!.promptTokens).toBe(100 + 20 + 100);
  });

  for (const [turns, f, childTurns] of [
    [3, 2, 2],
    [5, 3, 1],
    [2, 4, 3],
  ] as const) {
    it(`has the depth, width, fan-out and fan-in the spec asks for (turns ${turns}, fanOut ${f}, child turns ${childTurns})`, () => {
      const w = spec([
        { name: "main", turns, freshInput: 100, output: 20, subagents: { agent: "helper", spawnProbability: 1, fanOut: f, summaryTokens: 5 } },
        { ...helper, turns: childTurns },
      ]);
      const s = generateSessionAt(w, 0);
      validateSession(s);
      expect(s.nodes.length).toBe(turns + (turns - 1) * f * childTurns);
      expect(depth(s)).toBe(1 + (turns - 1) * (childTurns + 1));
      expect(width(s)).toBe(f);
      expect(maxOf(fanOut(s))).toBe(f + 1);
      expect(maxOf(fanIn(s))).toBe(f + 1);
    });
  }

  it("nests subagents up to maxDepth, children spawning under the config they were spawned with", () => {
    const s2 = generateSessionAt(branching(2, 2, { maxDepth: 2 }), 0);
    validateSession(s2);
    // main: 1 turn + 2 helpers x (1 turn + 2 grandchildren x 2 turns + report) + report.
    expect(s2.nodes.length).toBe(1 + 2 * (1 + 2 * 2 + 1) + 1);
    expect(depth(s2)).toBe(6);
    expect(kinds(s2).split(",").filter((k) => k === "report").length).toBe(3);
    const s1 = generateSessionAt(branching(2, 2, { maxDepth: 1 }), 0);
    expect(s1.nodes.length).toBe(1 + 2 * 2 + 1);
    expect(depth(s1)).toBe(4);
  });

  it("a template's own subagents config governs its children", () => {
    const w = spec([
      { name: "main", turns: 2, freshInput: 1, output: 1, subagents: { agent: "mid", spawnProbability: 1, fanOut: 1, summaryTokens: 1, maxDepth: 3 } },
      { name: "mid", weight: 0, turns: 2, freshInput: 1, output: 1, subagents: { agent: "leaf", spawnProbability: 1, fanOut: 3, summaryTokens: 1, maxDepth: 2 } },
      { name: "leaf", weight: 0, turns: 1, freshInput: 1, output: 1 },
    ]);
    const s = generateSessionAt(w, 0);
    const scaffolds = s.nodes.map((n) => n.scaffoldId ?? "main");
    expect(scaffolds.filter((x) => x === "mid").length).toBe(2);
    expect(scaffolds.filter((x) => x === "leaf").length).toBe(3);
    expect(maxOf(fanIn(s))).toBe(4);
  });

  it("maxConcurrent: child k also waits for child k - maxConcurrent, so at most that many run at once", () => {
    const s = generateSessionAt(branching(2, 5, { maxConcurrent: 2 }), 0);
    validateSession(s);
    const firsts = s.nodes.filter((n) => n.kind === "spawn");
    expect(firsts.map((n) => n.parents)).toEqual([["0"], ["0"], ["0", "2"], ["0", "4"], ["0", "6"]]);
    expect(peakRunning(s, (id) => s.nodes[Number(id)]!.scaffoldId === "helper")).toBe(2);
    const unlimited = generateSessionAt(branching(2, 5), 0);
    expect(peakRunning(unlimited, (id) => unlimited.nodes[Number(id)]!.scaffoldId === "helper")).toBe(5);
  });

  it("spawns with spawnProbability per eligible turn and fanOut per spawn (random case)", () => {
    const w = spec(
      [
        {
          name: "main",
          turns: 20,
          freshInput: 10,
          output: 10,
          subagents: { agent: "helper", spawnProbability: 0.3, fanOut: { type: "uniform", min: 1, max: 3 }, summaryTokens: 5 },
        },
        { ...helper, turns: 1 },
      ],
      { sessions: 400 },
    );
    let reports = 0;
    let spawns = 0;
    let maxFan = 0;
    for (const s of iterateSessions(w)) {
      validateSession(s);
      reports += s.nodes.filter((n) => n.kind === "report").length;
      spawns += s.nodes.filter((n) => n.kind === "spawn").length;
      maxFan = Math.max(maxFan, maxOf(fanIn(s)) - 1);
    }
    // 400 sessions x 19 eligible turns: the spawn share has a standard deviation of about 0.005.
    expect(reports / (400 * 19)).toBeGreaterThan(0.27);
    expect(reports / (400 * 19)).toBeLessThan(0.33);
    // Mean of uniform{1,2,3} is 2, standard error about 0.02 here.
    expect(spawns / reports).toBeGreaterThan(1.9);
    expect(spawns / reports).toBeLessThan(2.1);
    expect(maxFan).toBe(3);
  });

  it("rejects a template that is not an agent", () => {
    expect(() => generateWorkload(spec([{ name: "m", turns: 2, freshInput: 1, output: 1, subagents: { agent: "nope", spawnProbability: 1, summaryTokens: 1 } }]))).toThrow(
      "workload 't': agents[0].subagents.agent 'nope' is not an agent name (expected one of m)",
    );
    expect(() =>
      generateWorkload(spec([{ name: "m", turns: 2, freshInput: 1, output: 1, subagents: { agent: "m", spawnProbability: 1, summaryTokens: 1, maxConcurrent: 0 } }])),
    ).toThrow("workload 't': agents[0].subagents.maxConcurrent must be a whole number >= 1, got 0");
  });
});

/** Peak number of nodes matching `count` running at once, when every node takes one time unit and starts as soon as it is ready. */
function peakRunning(s: SessionGraph, count: (id: string) => boolean): number {
  const start = new Map<string, number>();
  for (const n of s.nodes) start.set(n.id, Math.max(0, ...n.parents.map((p) => start.get(p)! + 1)));
  const perSlot = new Map<number, number>();
  for (const [id, t] of start) if (count(id)) perSlot.set(t, (perSlot.get(t) ?? 0) + 1);
  return Math.max(...perSlot.values());
}

describe("compaction", () => {
  const agent: AgentSpec = {
    name: "long",
    turns: 10,
    freshInput: 1000,
    output: 500,
    scaffold: { systemTokens: 400, toolTokens: 100 },
    compaction: { contextLimit: 5000, summaryTokens: 300, promptTokens: 200 },
  };

  it("compacts exactly when the next prompt would pass the context limit, then restarts from scaffold + summary", () => {
    const w = spec([agent]);
    const s = generateSessionAt(w, 0);
    validateSession(s);
    // Prompts 1500, 3000, 4500; the 4th would be 6000 > 5000, so a compaction runs first.
    expect(kinds(s)).toBe("turn,turn,turn,compaction,turn,turn,turn,compaction,turn,turn,turn,compaction,turn");
    expect(s.nodes[3]).toEqual({ id: "3", parents: ["2"], historyParent: "2", freshInputTokens: 200, outputTokens: 300, waitAfterReadyMs: 0, kind: "compaction" });
    expect(s.nodes[4]).toEqual({ id: "4", parents: ["3"], historyParent: null, freshInputTokens: 1300, outputTokens: 500, waitAfterReadyMs: 0, kind: "turn" });
    const tokens = sessionTokens(s, scaffoldsOf(w));
    expect(s.nodes.map((n) => tokens.get(n.id)!.promptTokens)).toEqual([1500, 3000, 4500, 5200, 1800, 3300, 4800, 5500, 1800, 3300, 4800, 5500, 1800]);
    expect(tokens.get("4")!.sharedPrefixTokens).toBe(0);
  });

  it("a prompt exactly at the limit does not compact", () => {
    const s = generateSessionAt(spec([{ ...agent, compaction: { contextLimit: 6000, summaryTokens: 300 } }]), 0);
    expect(kinds(s)).toBe("turn,turn,turn,turn,compaction,turn,turn,turn,compaction,turn,turn,turn");
    expect(s.nodes[4]!.freshInputTokens).toBe(200);
  });

  it("a report that would pass the limit is compacted too and still depends on the children", () => {
    const w = spec([
      { ...agent, turns: 2, subagents: { agent: "h", spawnProbability: 1, fanOut: 2, summaryTokens: 2000 } },
      { name: "h", weight: 0, turns: 1, freshInput: 5, output: 5 },
    ]);
    const s = generateSessionAt(w, 0);
    validateSession(s);
    expect(kinds(s)).toBe("turn,spawn,spawn,compaction,report");
    expect(s.nodes[4]).toMatchObject({ parents: ["3", "1", "2"], historyParent: null, freshInputTokens: 300 + 4000 });
  });
});

describe("agent mix and determinism", () => {
  const a: AgentSpec = { name: "a", weight: 3, turns: 1, freshInput: { type: "uniform", min: 1, max: 1000 }, output: 5 };
  const b: AgentSpec = { name: "b", weight: 1, turns: 2, freshInput: 7, output: 5 };
  const template: AgentSpec = { name: "c", weight: 0, turns: 1, freshInput: 7, output: 5 };

  it("mixes agent types in proportion to their weights, never starting weight-0 types", () => {
    const counts: Record<string, number> = {};
    for (const s of iterateSessions(spec([a, b, template], { sessions: 4000 }))) counts[s.agent!] = (counts[s.agent!] ?? 0) + 1;
    expect(counts.c).toBeUndefined();
    // Share of a: 0.75, standard deviation about 0.007 with 4000 sessions.
    expect(counts.a! / 4000).toBeGreaterThan(0.72);
    expect(counts.a! / 4000).toBeLessThan(0.78);
    expect(counts.a! + counts.b!).toBe(4000);
  });

  it("session i is the same whether or not others are generated", () => {
    const big = [...iterateSessions(spec([a, b], { sessions: 30 }))];
    const small = [...iterateSessions(spec([a, b], { sessions: 10 }))];
    expect(big.slice(0, 10)).toEqual(small);
    expect(generateSessionAt(spec([a, b], { sessions: 30 }), 17)).toEqual(big[17]);
  });

  it("a spec with its defaults filled in generates the same sessions as written", () => {
    const written = spec([{ ...a, turns: 5, freshInput: { type: "lognormal", mu: 5, sigma: 1 } }, b], { sessions: 20 });
    expect(generateWorkload(resolveSpec(written)).sessions).toEqual(generateWorkload(written).sessions);
  });

  it("adding a quantity does not shift the others", () => {
    const plain = [...iterateSessions(spec([{ ...b, turns: 6, freshInput: { type: "lognormal", mu: 5, sigma: 1 } }], { sessions: 20 }))];
    const withWaits = [
      ...iterateSessions(spec([{ ...b, turns: 6, freshInput: { type: "lognormal", mu: 5, sigma: 1 }, waitMs: { type: "exponential", mean: 1000 } }], { sessions: 20 })),
    ];
    const fresh = (ss: SessionGraph[]) => ss.map((s) => s.nodes.map((n) => n.freshInputTokens));
    expect(fresh(withWaits)).toEqual(fresh(plain));
    expect(withWaits.some((s) => s.nodes.some((n) => n.waitAfterReadyMs > 0))).toBe(true);
  });

  it("turning subagents on changes only the report turns of the main chain", () => {
    const base: AgentSpec = { ...b, turns: 12, freshInput: { type: "uniform", min: 1, max: 10_000 }, output: { type: "uniform", min: 1, max: 10_000 } };
    const plain = generateSessionAt(spec([base]), 3);
    const branched = generateSessionAt(spec([{ ...base, subagents: { agent: "c", spawnProbability: 0.5, summaryTokens: 1 } }, template]), 3);
    const main = branched.nodes.filter((n) => n.scaffoldId === undefined);
    expect(main.length).toBe(plain.nodes.length);
    expect(main.some((n) => n.kind === "report")).toBe(true);
    main.forEach((n, t) => {
      expect(n.outputTokens).toBe(plain.nodes[t]!.outputTokens);
      if (n.kind !== "report") expect(n.freshInputTokens).toBe(plain.nodes[t]!.freshInputTokens);
    });
  });

  it("the same seed gives byte-identical JSONL, another seed another file", () => {
    const mixed = spec(
      [
        { ...a, turns: { type: "uniform", min: 1, max: 8 }, waitMs: { type: "lognormal", mu: 6, sigma: 2 }, subagents: { agent: "c", spawnProbability: 0.4, fanOut: 2, summaryTokens: 30 } },
        b,
        template,
      ],
      { sessions: 50 },
    );
    const one = toVeekshaJsonl(generateWorkload(mixed));
    expect(toVeekshaJsonl(generateWorkload(mixed))).toBe(one);
    expect(toVeekshaJsonl(generateWorkload({ ...mixed, seed: 8 }))).not.toBe(one);
    expect(one.split("\n").length).toBeGreaterThan(50);
  });

  it("rejects specs where no agent can start a session", () => {
    expect(() => generateWorkload(spec([template]))).toThrow("workload 't': agents[].weight are all 0");
  });
});

describe("Veeksha JSONL", () => {
  it("formats floats like Python's repr and strings like json.dumps", () => {
    expect([0, 1.5, 0.032, 120.065, 1e-4, 1e-5, 1.5e-7, 1e15, 1e16, 1.2345678901234568e17, 3].map(pythonFloat)).toEqual([
      "0.0",
      "1.5",
      "0.032",
      "120.065",
      "0.0001",
      "1e-05",
      "1.5e-07",
      "1000000000000000.0",
      "1e+16",
      "1.2345678901234568e+17",
      "3.0",
    ]);
    expect(pythonString('a"é\u007f\n')).toBe('"a\\"\\u00e9\\u007f\\n"');
  });

  it("counts the scaffold in input_length and the history parent's prompt and reply as cacheable", () => {
    const w = generateWorkload(spec([{ name: "x", turns: 2, freshInput: 10, output: 4, waitMs: 250, scaffold: { systemTokens: 90, toolTokens: 10 } }]));
    expect(toVeekshaJsonl(w)).toBe(
      // The scaffold rides in the agentload key of the line that starts from it (Veeksha ignores the
      // key); that line's new input is its whole prompt, what Veeksha must send to match it.
      '{"agentload": {"agent": "x", "scaffold": {"id": "x", "system_tokens": 90, "tool_tokens": 10}}, "cacheable_history_tokens": 0, "input_length": 110, "new_input_length": 110, "node_id": 0, "output_length": 4, "session_context": {"history_parent": null, "node_id": 0, "parent_nodes": [], "wait_after_ready": 0.0}, "session_id": 0, "workload": "t"}\n' +
        '{"cacheable_history_tokens": 114, "input_length": 124, "new_input_length": 10, "node_id": 1, "output_length": 4, "session_context": {"history_parent": 0, "node_id": 1, "parent_nodes": [0], "wait_after_ready": 0.25}, "session_id": 0, "workload": "t"}\n',
    );
  });

  it.skipIf(!haveShared)("reproduces Veeksha's workload_a_linear.jsonl byte for byte (needs ../shared)", () => {
    const linear = spec([{ name: "linear", turns: 5, freshInput: 500, output: 300 }], { name: "linear", sessions: 30 });
    expect(toVeekshaJsonl(generateWorkload(linear))).toBe(readFileSync(join(shared, "workload_a_linear.jsonl"), "utf8"));
  });

  it.skipIf(!haveShared)("writes Veeksha's workload_b_dag.jsonl byte for byte from its topology (needs ../shared)", () => {
    // Veeksha's DAG forks inherited histories, which the generator does not make; the writer must still handle it.
    const meta = JSON.parse(readFileSync(join(shared, "workload_shape_metadata.json"), "utf8")) as {
      topologies: { dag: { node_id: number; history_parent: number | null; parent_nodes: number[] }[] };
    };
    const nodes = meta.topologies.dag.map((t) => ({
      id: String(t.node_id),
      parents: t.parent_nodes.map(String),
      historyParent: t.history_parent === null ? null : String(t.history_parent),
      freshInputTokens: 500,
      outputTokens: 300,
      waitAfterReadyMs: 0,
    }));
    const sessions = Array.from({ length: 10 }, (_, i) => ({ id: `dag-${i}`, nodes }));
    const text = [...veekshaLines(sessions, { workload: "dag", scaffolds: [] })].map((l) => `${l}\n`).join("");
    expect(text).toBe(readFileSync(join(shared, "workload_b_dag.jsonl"), "utf8"));
  });
});
