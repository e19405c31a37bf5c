// Subagents that do not block their parent, spawn windows and bursts, and children whose length
// follows what their parent has left (issue 15, item 1).
import { describe, expect, it } from "vitest";
import { generateSessionAt, generateWorkload } from "../../../src/workload/generate.js";
import { validateSession } from "../../../src/workload/graph.js";
import type { AgentSpec, SubagentSpec, WorkloadSpec } from "../../../src/workload/spec-types.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { SpecError } from "../../../src/workload/spec-errors.js";
import type { SessionGraph } from "../../../src/workload/types.js";

function spec(sub: Partial<SubagentSpec>, main: Partial<AgentSpec> = {}, helper: Partial<AgentSpec> = {}, sessions = 1): WorkloadSpec {
  return {
    name: "t",
    seed: 3,
    sessions,
    agents: [
      { name: "main", turns: 10, freshInput: 100, output: 20, waitMs: 5, subagents: { agent: "helper", spawnProbability: 1, summaryTokens: 40, ...sub }, ...main },
      { name: "helper", weight: 0, turns: 4, freshInput: 30, output: 10, ...helper },
    ],
  };
}

/** The main chain's nodes (those with the session's own scaffold) in order. */
function mainChain(s: SessionGraph) {
  return s.nodes.filter((n) => n.scaffoldId === undefined);
}
/** First node of each child chain, in creation order. */
function spawns(s: SessionGraph) {
  return s.nodes.filter((n) => n.kind === "spawn");
}

describe("subagents that do not block", () => {
  it("blocking: false lets the parent go on: no main turn waits for a child when no report is read", () => {
    const s = generateSessionAt(spec({ blocking: false, joinProbability: 0 }), 0);
    validateSession(s);
    const main = mainChain(s);
    expect(main).toHaveLength(10);
    expect(spawns(s)).toHaveLength(9);
    for (let i = 1; i < main.length; i++) {
      expect(main[i]!.parents).toEqual([main[i - 1]!.id]);
      expect(main[i]!.kind).toBe("turn");
      expect(main[i]!.freshInputTokens).toBe(100);
    }
  });

  it("the default blocks: the next turn reads every child's report", () => {
    const s = generateSessionAt(spec({}), 0);
    const main = mainChain(s);
    expect(main.slice(1).every((n) => n.kind === "report" && n.parents.length === 2)).toBe(true);
  });

  it("a read report joins a later turn, never before the child has had its turns", () => {
    const s = generateSessionAt(spec({ blocking: false, joinProbability: 1, joinAfterTurns: 1 }, { turns: 30 }, { turns: 3 }), 0);
    validateSession(s);
    const main = mainChain(s);
    const position = new Map(main.map((n, i) => [n.id, i]));
    const byId = new Map(s.nodes.map((n) => [n.id, n]));
    let reports = 0;
    for (const [i, node] of main.entries()) {
      for (const p of node.parents) {
        if (position.has(p)) continue;
        reports++;
        // Walk the child's chain back to its spawn to find where it started.
        let first = byId.get(p)!;
        while (first.kind !== "spawn") first = byId.get(first.historyParent ?? first.parents[0]!)!;
        const spawnedAfter = position.get(first.parents[0]!)!;
        expect(i - spawnedAfter).toBeGreaterThanOrEqual(Math.min(3, main.length - 1 - spawnedAfter));
      }
      if (node.parents.length > 1) expect(node.kind).toBe("report");
    }
    // Every child is read: the ones due past the last turn land on it.
    expect(reports).toBe(spawns(s).length);
  });

  it("joinProbability reads about that share of reports, over many sessions", () => {
    const w = generateWorkload(spec({ blocking: false, joinProbability: 0.3 }, {}, {}, 200));
    let children = 0;
    let read = 0;
    for (const s of w.sessions) {
      children += spawns(s).length;
      for (const n of mainChain(s)) read += Math.max(0, n.parents.length - 1);
    }
    expect(children).toBe(200 * 9);
    expect(read / children).toBeGreaterThan(0.25);
    expect(read / children).toBeLessThan(0.35);
  });

  it("spawnWindow keeps spawns to its part of the chain, and burstTurns makes runs of spawning turns", () => {
    const windowed = generateSessionAt(spec({ blocking: false, joinProbability: 0, spawnWindow: { from: 0.2, to: 0.4 } }, { turns: 20 }), 0);
    const main = mainChain(windowed);
    const spawnedAfter = spawns(windowed).map((n) => main.findIndex((m) => m.id === n.parents[0]));
    expect(spawnedAfter).toEqual([4, 5, 6, 7, 8]);

    const burst = generateSessionAt(spec({ blocking: false, joinProbability: 0, spawnProbability: 1, spawnWindow: { from: 0, to: 0 }, burstTurns: 4 }, { turns: 20 }), 0);
    const burstMain = mainChain(burst);
    expect(spawns(burst).map((n) => burstMain.findIndex((m) => m.id === n.parents[0]))).toEqual([0, 1, 2, 3]);
  });

  it("turnsShare sets a child's length from the turns its parent has left", () => {
    const s = generateSessionAt(spec({ blocking: false, joinProbability: 0, turnsShare: 0.5 }, { turns: 11 }, { turns: 100 }), 0);
    const main = mainChain(s);
    const byChain = new Map<string, number>();
    for (const first of spawns(s)) {
      const after = main.findIndex((m) => m.id === first.parents[0]);
      let length = 1;
      for (let n = s.nodes.find((x) => x.historyParent === first.id); n; n = s.nodes.find((x) => x.historyParent === n!.id)) length++;
      byChain.set(first.id, length);
      expect(length).toBe(Math.max(1, Math.round(0.5 * (11 - 1 - after))));
    }
    expect(byChain.size).toBe(10);
  });

  it("adding the new settings with their defaults generates the same sessions", () => {
    const plain = generateWorkload(spec({ spawnProbability: 0.4, fanOut: 2 }, {}, {}, 5));
    const explicit = generateWorkload(spec({ spawnProbability: 0.4, fanOut: 2, blocking: true, spawnWindow: { from: 0, to: 1 } }, {}, {}, 5));
    expect(explicit.sessions).toEqual(plain.sessions);
  });
});

describe("the spec says what does not fit", () => {
  const problems = (s: WorkloadSpec) => {
    try {
      validateSpec(s, { source: "t.yaml" });
      return "";
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      return e.message;
    }
  };
  it("join settings need blocking: false", () => {
    expect(problems(spec({ joinProbability: 0.5 }))).toMatch(/agents\[0\]\.subagents\.joinProbability.*applies only to subagents that do not block/s);
    expect(problems(spec({ blocking: false, joinProbability: 0.5, joinAfterTurns: 2 }))).toBe("");
  });
  it("a window must not end before it starts; bursts and joins count whole turns", () => {
    expect(problems(spec({ spawnWindow: { from: 0.6, to: 0.2 } }))).toMatch(/spawnWindow.*expected from <= to, got from 0.6 and to 0.2/s);
    expect(problems(spec({ burstTurns: 0 }))).toMatch(/burstTurns.*expected a number >= 1/s);
    expect(problems(spec({ blocking: false, joinAfterTurns: 1.5 }))).toMatch(/joinAfterTurns.*whole number/s);
  });
});

describe("zero-length draws", () => {
  it("a request never asks for 0 tokens and a bare first prompt is never empty", () => {
    const w = generateWorkload({
      name: "z",
      seed: 1,
      sessions: 50,
      agents: [{ name: "a", turns: 3, freshInput: { type: "lognormal", mu: -3, sigma: 0.5 }, output: { type: "lognormal", mu: -3, sigma: 0.5, min: 0 } }],
    });
    for (const s of w.sessions) {
      for (const n of s.nodes) expect(n.outputTokens).toBeGreaterThanOrEqual(1);
      expect(s.nodes[0]!.freshInputTokens).toBeGreaterThanOrEqual(1);
    }
  });
});

describe("conversations that differ in what their turns add (freshInputSpread)", () => {
  const base = (spread: number, sessions = 400, max?: number): WorkloadSpec => ({
    name: "spread",
    seed: 8,
    sessions,
    agents: [{ name: "a", turns: 6, freshInput: max === undefined ? 100 : { type: "fixed", value: 100, max }, output: 5, freshInputSpread: spread }],
  });
  const chainMeans = (w: ReturnType<typeof generateWorkload>) => w.sessions.map((s) => s.nodes.slice(1).reduce((t, n) => t + n.freshInputTokens, 0) / (s.nodes.length - 1));

  it("each chain draws its own factor, of median 1, within two standard deviations", () => {
    const means = chainMeans(generateWorkload(base(0.8)));
    const sorted = [...means].sort((a, b) => a - b);
    expect(Math.abs(sorted[means.length / 2]! / 100 - 1)).toBeLessThan(0.12);
    // Its mean is exp(sigma^2 / 2) = 1.38 (a little less, truncated at 2 sigma).
    const overall = means.reduce((s, m) => s + m, 0) / means.length;
    expect(overall / 100).toBeGreaterThan(1.2);
    expect(overall / 100).toBeLessThan(1.45);
    // Within a chain every turn has the same factor: the fixed 100 times it, rounded.
    for (const s of generateWorkload(base(0.8, 20)).sessions) expect(new Set(s.nodes.slice(1).map((n) => n.freshInputTokens)).size).toBe(1);
    expect(Math.min(...means)).toBeGreaterThanOrEqual(Math.floor(100 * Math.exp(-1.6)));
    expect(Math.max(...means)).toBeLessThanOrEqual(Math.ceil(100 * Math.exp(1.6)));
    expect(new Set(chainMeans(generateWorkload(base(0, 20)))).size).toBe(1);
  });

  it("a turn never passes freshInput's max", () => {
    for (const m of chainMeans(generateWorkload(base(1.5, 100, 150)))) expect(m).toBeLessThanOrEqual(150);
  });

  it("freshInputByTurns scales a chain's turns by (turns / referenceTurns) ^ exponent, its length kept within [minTurns, maxTurns]", () => {
    const spec = (turns: number): WorkloadSpec => ({
      name: "by-turns",
      seed: 3,
      sessions: 1,
      agents: [{ name: "a", turns, freshInput: 100, output: 5, freshInputByTurns: { exponent: 1, referenceTurns: 10, minTurns: 5, maxTurns: 20 } }],
    });
    const mean = (turns: number) => chainMeans(generateWorkload(spec(turns)))[0]!;
    expect(mean(10)).toBe(100);
    expect(mean(15)).toBe(150);
    expect(mean(20)).toBe(200);
    // Past the lengths the factor was fitted on it is not extrapolated.
    expect(mean(40)).toBe(200);
    expect(mean(3)).toBe(50);
  });

  it("freshInputByPosition scales turn t of T by exp(slope * (t / T - 1/2)), never past freshInput's max", () => {
    const sizes = (max?: number) =>
      generateWorkload({
        name: "by-position",
        seed: 3,
        sessions: 1,
        agents: [{ name: "a", turns: 5, freshInput: max === undefined ? 100 : { type: "fixed", value: 100, max }, output: 5, freshInputByPosition: 2 }],
      }).sessions[0]!.nodes.slice(1).map((n) => n.freshInputTokens);
    expect(sizes()).toEqual([1, 2, 3, 4].map((t) => Math.round(100 * Math.exp(2 * (t / 5 - 0.5)))));
    expect(sizes(150)).toEqual([55, 82, 122, 150]);
  });

  describe("freshInputLarge", () => {
    // A quarter of draws are 1,000-token reads, the rest 10-token tool results.
    const spec = (large: { above: number; correlation?: number }, extra: Partial<WorkloadSpec["agents"][number]> = {}): WorkloadSpec => ({
      name: "large",
      seed: 4,
      sessions: 400,
      agents: [{ name: "a", turns: 21, freshInput: { type: "empirical", samples: [10, 10, 10, 1000] }, output: 5, freshInputLarge: large, ...extra }],
    });
    const turnsOf = (w: ReturnType<typeof generateWorkload>) => w.sessions.map((s) => s.nodes.slice(1).map((n) => n.freshInputTokens));
    const largeCounts = (w: ReturnType<typeof generateWorkload>, above: number) => turnsOf(w).map((t) => t.filter((x) => x > above).length);
    const meanAndVariance = (xs: number[]) => {
      const m = xs.reduce((s, x) => s + x, 0) / xs.length;
      return { m, v: xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length };
    };

    it("keeps a large draw's size whatever the chain's factors, and scales the others", () => {
      const sizes = turnsOf(generateWorkload(spec({ above: 500 }, { freshInputSpread: 1 }))).flat();
      const large = sizes.filter((x) => x > 500);
      expect(large.length).toBeGreaterThan(0);
      expect(new Set(large)).toEqual(new Set([1000]));
      // The 10-token results are scaled by each chain's factor.
      expect(new Set(sizes.filter((x) => x <= 500)).size).toBeGreaterThan(5);
    });

    it("keeps freshInput's share of large turns, and clusters them by chain with a correlation", () => {
      const alone = meanAndVariance(largeCounts(generateWorkload(spec({ above: 500 })), 500));
      const clustered = meanAndVariance(largeCounts(generateWorkload(spec({ above: 500, correlation: 0.5 })), 500));
      // 20 later turns a chain, a quarter large: 5 on average either way.
      expect(Math.abs(alone.m - 5)).toBeLessThan(0.4);
      expect(Math.abs(clustered.m - 5)).toBeLessThan(0.8);
      // Binomial variance 20 * 0.25 * 0.75 = 3.75; with correlation 0.5, 3.75 * (1 + 19 * 0.5) = 39.
      expect(alone.v).toBeLessThan(5);
      expect(clustered.v).toBeGreaterThan(25);
    });

    it("moves large turns along the chain with freshInputByPosition, their share over the chain kept", () => {
      const sizes = turnsOf(generateWorkload(spec({ above: 500 }, { freshInputByPosition: 3 })));
      const share = (from: number, to: number) => {
        const slice = sizes.flatMap((t) => t.slice(from, to));
        return slice.filter((x) => x > 500).length / slice.length;
      };
      expect(share(0, 5)).toBeLessThan(0.15);
      expect(share(15, 20)).toBeGreaterThan(0.4);
      expect(Math.abs(share(0, 20) - 0.25)).toBeLessThan(0.03);
    });
  });

  it("a draw at freshInput's max (a fitted cap) stays there whatever the chain's factor", () => {
    const spec = base(1.5, 100, 100);
    for (const m of chainMeans(generateWorkload(spec))) expect(m).toBe(100);
  });
});

describe("the TypeScript DSL", () => {
  it("takes the same subagent, reasoning and spread settings as a YAML spec, through the same validation", async () => {
    const { agent, workload } = await import("../../../src/workload/dsl.js");
    const lead = agent("lead", {
      turns: 12,
      freshInput: 80,
      freshInputSpread: 0.5,
      output: 30,
      reasoning: { share: 0.5, inHistory: "visible_across_user_turns", userTurnProbability: 0.1 },
      subagents: { agent: "worker", spawnProbability: 0.5, spawnWindow: { from: 0, to: 0.5 }, burstTurns: 2, turnsShare: 0.8, summaryTokens: 20, blocking: false, joinProbability: 0.5 },
    });
    const built = workload("dsl", { seed: 2, sessions: 3, agents: [lead, agent("worker", { weight: 0, turns: 3, freshInput: 10, output: 5 })] });
    expect(generateWorkload(built).sessions).toHaveLength(3);
    expect(() => workload("bad", { seed: 2, sessions: 1, agents: [{ ...lead, subagents: { ...lead.subagents!, blocking: true } }, agent("worker", { weight: 0, turns: 1, freshInput: 1, output: 1 })] })).toThrow(
      /workload\("bad"\).*joinProbability.*applies only to subagents that do not block/s,
    );
  });
});
