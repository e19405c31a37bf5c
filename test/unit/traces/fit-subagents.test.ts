// Fitting how subagents are spawned (issue 15, item 1): whether parents wait, which reports are
// read, where in a chain spawns happen and in what runs, how long children run, and each level
// of nesting on its own.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { workloadTrace } from "../../../src/traces/from-workload.js";
import { readTrace } from "../../../src/traces/read.js";
import { timedByModel } from "../../../src/traces/service-model.js";
import { fitTrace } from "../../../src/traces/to-spec.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import type { Trace, TraceRequest } from "../../../src/traces/types.js";
import type { SubagentSpec, WorkloadSpec } from "../../../src/workload/spec-types.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { haveShared, sharedSkipReason, sharedTraces } from "../../support/traces.js";

function fitOf(spec: WorkloadSpec) {
  return fitTrace(workloadTrace(generateWorkload(spec))).spec;
}

const samplesOf = (d: unknown): number[] => (typeof d === "number" ? [d] : ((d as { samples?: number[] }).samples ?? []));

describe("fit of subagents from a known workload", () => {
  const truth: SubagentSpec = {
    agent: "helper",
    spawnProbability: 0.5,
    spawnWindow: { from: 0.1, to: 0.3 },
    burstTurns: 3,
    summaryTokens: 40,
    turnsShare: 0.8,
    blocking: false,
    joinProbability: 0.25,
  };
  const spec: WorkloadSpec = {
    name: "known",
    seed: 5,
    sessions: 60,
    agents: [
      { name: "main", turns: 30, freshInput: { type: "lognormal", mu: 5, sigma: 1 }, output: 50, waitMs: 10, subagents: truth },
      { name: "helper", weight: 0, turns: 5, freshInput: 20, output: 10 },
    ],
  };

  it("finds that parents do not wait, and about the share of reports read", () => {
    const sub = fitOf(spec).agents[0]!.subagents!;
    expect(sub.agent).toBe("subagent");
    expect(sub.blocking).toBe(false);
    expect(sub.joinProbability).toBeGreaterThan(0.15);
    expect(sub.joinProbability).toBeLessThan(0.35);
  });

  it("finds the window, the runs of spawning turns and the children's share of what their parent has left", () => {
    const sub = fitOf(spec).agents[0]!.subagents!;
    expect(sub.spawnWindow!.from).toBeGreaterThanOrEqual(0.09);
    expect(sub.spawnWindow!.to).toBeLessThanOrEqual(0.31);
    // Runs of 3; two runs that touch read as one longer run.
    const runs = samplesOf(sub.burstTurns);
    expect(runs.filter((n) => n === 3).length / runs.length).toBeGreaterThan(0.6);
    for (const share of samplesOf(sub.turnsShare)) expect(Math.abs(share - 0.8)).toBeLessThan(0.1);
  });

  it("a blocking workload is fitted as blocking, with no join settings", () => {
    const blocking = { ...truth, blocking: undefined, joinProbability: undefined, turnsShare: undefined };
    const sub = fitOf({ ...spec, agents: [{ ...spec.agents[0]!, subagents: blocking }, spec.agents[1]!] }).agents[0]!.subagents!;
    expect(sub.blocking).toBeUndefined();
    expect(sub.joinProbability).toBeUndefined();
    expect(sub.turnsShare).toBeUndefined();
  });

  it("each level of nesting is an agent of its own, with its own spawn rate", () => {
    const nested: WorkloadSpec = {
      name: "nested",
      seed: 2,
      sessions: 30,
      agents: [
        { name: "lead", turns: 20, freshInput: 50, output: 20, subagents: { agent: "mid", spawnProbability: 0.3, summaryTokens: 10, maxDepth: 2 } },
        { name: "mid", weight: 0, turns: 10, freshInput: 30, output: 10, subagents: { agent: "leaf", spawnProbability: 0.1, summaryTokens: 5, maxDepth: 2 } },
        { name: "leaf", weight: 0, turns: 3, freshInput: 10, output: 5 },
      ],
    };
    const fitted = fitOf(nested);
    expect(fitted.agents.map((a) => a.name)).toEqual(["main", "subagent", "subagent-2"]);
    const [main, mid, leaf] = fitted.agents;
    expect(main!.subagents!.agent).toBe("subagent");
    expect(mid!.subagents!.agent).toBe("subagent-2");
    expect(leaf!.subagents).toBeUndefined();
    expect(main!.subagents!.maxDepth).toBe(2);
    // One template for both levels averaged 0.1 with the leaves' 0 spawns.
    expect(main!.subagents!.spawnProbability).toBeGreaterThan(0.2);
    expect(mid!.subagents!.spawnProbability).toBeGreaterThan(0.05);
    expect(mid!.subagents!.spawnProbability).toBeLessThan(0.15);
  });
});

describe.skipIf(!haveShared)(
  haveShared ? "case-study-2-branching: fitted workloads keep the subagents' shape" : `case-study-2-branching fit (${sharedSkipReason})`,
  () => {
    it("10 seeds' means of requests, subagents, longest path and width are within 20% of the trace's", async () => {
      const trace = await readTrace(join(sharedTraces, "openclaw/case-study-2-branching/dag.json"));
      const truth = analyzeTrace(trace);
      const { spec } = fitTrace(trace);
      expect(spec.agents.map((a) => a.name)).toEqual(["main", "subagent", "subagent-2"]);
      expect(spec.agents[0]!.subagents!.blocking).toBe(false);
      const figures = { requests: 0, spawned: 0, longestPath: 0, maxWidth: 0 };
      for (let seed = 1; seed <= 10; seed++) {
        const a = analyzeTrace(timedByModel(workloadTrace(generateWorkload(validateSpec({ ...spec, seed }))), undefined));
        figures.requests += a.requests / 10;
        figures.spawned += a.conversations.spawned / 10;
        figures.longestPath += a.graph.longestPath / 10;
        figures.maxWidth += a.graph.maxWidth / 10;
      }
      const within = (actual: number, expected: number) => expect(Math.abs(actual / expected - 1)).toBeLessThanOrEqual(0.2);
      within(figures.requests, truth.requests);
      within(figures.spawned, truth.conversations.spawned);
      within(figures.longestPath, truth.graph.longestPath);
      within(figures.maxWidth, truth.graph.maxWidth);
    });
  },
);

describe("fit of how conversations differ in what their turns add", () => {
  it("finds a known spread, and none where chains are alike", () => {
    const spec = (spread: number): WorkloadSpec => ({
      name: "spread",
      seed: 6,
      sessions: 60,
      agents: [{ name: "a", turns: 20, freshInput: { type: "lognormal", mu: 5, sigma: 0.7 }, output: 20, freshInputSpread: spread }],
    });
    const fitted = fitOf(spec(1)).agents[0]!;
    expect(fitted.freshInputSpread).toBeGreaterThan(0.75);
    expect(fitted.freshInputSpread).toBeLessThan(1.25);
    expect(fitOf(spec(0)).agents[0]!.freshInputSpread).toBeUndefined();
  });
});

describe("fit of how what turns add grows with the chain's length (freshInputByTurns)", () => {
  const spec = (exponent: number): WorkloadSpec => ({
    name: "by-turns",
    seed: 11,
    sessions: 80,
    agents: [
      {
        name: "a",
        turns: { type: "uniform", min: 4, max: 40 },
        freshInput: { type: "lognormal", mu: 5, sigma: 0.7 },
        output: 20,
        freshInputSpread: 0.3,
        ...(exponent !== 0 ? { freshInputByTurns: { exponent, referenceTurns: 15 } } : {}),
      },
    ],
  });

  it("finds a known exponent, the lengths it saw, and the spread left beside it", () => {
    const fitted = fitOf(spec(1)).agents[0]!;
    const by = fitted.freshInputByTurns!;
    expect(by.exponent).toBeGreaterThan(0.8);
    expect(by.exponent).toBeLessThan(1.2);
    expect(by.minTurns).toBe(4);
    expect(by.maxTurns).toBe(40);
    // Its reference is the conversations' geometric mean length: between the shortest and longest.
    expect(by.referenceTurns).toBeGreaterThan(10);
    expect(by.referenceTurns).toBeLessThan(25);
    expect(fitted.freshInputSpread).toBeGreaterThan(0.15);
    expect(fitted.freshInputSpread).toBeLessThan(0.45);
  });

  it("writes none where length and size are unrelated", () => {
    expect(fitOf(spec(0)).agents[0]!.freshInputByTurns).toBeUndefined();
  });
});

describe("fit of how what turns add changes along a chain (freshInputByPosition)", () => {
  const spec = (slope: number): WorkloadSpec => ({
    name: "by-position",
    seed: 12,
    sessions: 40,
    agents: [
      {
        name: "a",
        turns: { type: "uniform", min: 8, max: 30 },
        freshInput: { type: "lognormal", mu: 5, sigma: 0.8 },
        output: 20,
        freshInputSpread: 0.4,
        ...(slope !== 0 ? { freshInputByPosition: slope } : {}),
      },
    ],
  });

  it("finds a known slope beside the chains' own spread, and fits the family with it divided out", () => {
    const fitted = fitOf(spec(2)).agents[0]!;
    expect(fitted.freshInputByPosition).toBeGreaterThan(1.6);
    expect(fitted.freshInputByPosition).toBeLessThan(2.4);
    expect(fitted.freshInputSpread).toBeGreaterThan(0.2);
    expect(fitted.freshInputSpread).toBeLessThan(0.6);
    // Half way along the chain the factor is 1: the family's median is the workload's exp(5) = 148.
    const law = fitted.freshInput as { type: string; mu: number; sigma: number };
    expect(law.type).toBe("lognormal");
    expect(Math.abs(law.mu - 5)).toBeLessThan(0.2);
    expect(Math.abs(law.sigma - 0.8)).toBeLessThan(0.15);
  });

  it("writes none where a turn's place and its size are unrelated", () => {
    expect(fitOf(spec(0)).agents[0]!.freshInputByPosition).toBeUndefined();
  });
});

describe("fit of large turns that cluster in some chains (freshInputLarge)", () => {
  // Tool results of tens of tokens and file reads of thousands: two kinds of turns.
  const spec = (correlation: number): WorkloadSpec => ({
    name: "large",
    seed: 13,
    sessions: 60,
    agents: [
      {
        name: "a",
        turns: 25,
        freshInput: { type: "spike_tail", spikeProbability: 0.85, spike: { type: "lognormal", mu: 3.5, sigma: 0.6 }, tail: { type: "lognormal", mu: 8.5, sigma: 0.5 } },
        output: 20,
        freshInputSpread: 0.4,
        freshInputLarge: { above: 1000, ...(correlation > 0 ? { correlation } : {}) },
      },
    ],
  });

  it("tells large turns apart and finds how much they cluster", () => {
    const large = fitOf(spec(0.4)).agents[0]!.freshInputLarge!;
    expect(large.above).toBeGreaterThan(100);
    expect(large.correlation).toBeGreaterThan(0.2);
    expect(large.correlation).toBeLessThan(0.6);
  });

  it("writes no correlation where large turns fall independently", () => {
    expect(fitOf(spec(0)).agents[0]!.freshInputLarge?.correlation).toBeUndefined();
  });

  it("tells none apart in one kind of turn", () => {
    const one: WorkloadSpec = { ...spec(0), agents: [{ name: "a", turns: 25, freshInput: { type: "lognormal", mu: 5, sigma: 1 }, output: 20, freshInputSpread: 0.6 }] };
    expect(fitOf(one).agents[0]!.freshInputLarge).toBeUndefined();
  });
});

describe("what a turn adds, measured from the trace's prompts", () => {
  // One conversation whose producer counts reads at half their size (the branching OpenClaw trace
  // counted 50,000 tokens for a read that grew the prompt by 103,355), with a template of 7
  // tokens a message the small reads show; the prompts say what the server saw.
  const trace = (counts: boolean) => {
    const requests: TraceRequest[] = [];
    let prompt = 1000;
    for (let k = 0; k < 40; k++) {
      const read = k % 4 === 3 ? 4000 + 100 * k : 40 + k;
      const counted = read >= 1000 ? read / 2 : read;
      if (k > 0) prompt += 30 + read + 7;
      requests.push({
        id: `r${k}`,
        conversation: "c",
        parents: k > 0 ? [{ from: `r${k - 1}`, type: "sequential" }] : [],
        historyParent: k > 0 ? `r${k - 1}` : null,
        freshInputTokens: k > 0 ? counted : 1000,
        outputTokens: 30,
        ...(counts ? {} : { promptTokens: prompt }),
      });
    }
    const t: Trace = { format: "openclaw-dag", source: "test", requests };
    return t;
  };
  const largest = (t: Trace) => (fitTrace(t).spec.agents[0]!.freshInput as { max: number }).max;

  it("takes the growth of the prompt less the parent's reply and the template's tokens", () => {
    expect(largest(trace(false))).toBe(4000 + 100 * 39);
  });

  it("takes the trace's own count where it gives no prompt sizes", () => {
    expect(largest(trace(true))).toBe((4000 + 100 * 39) / 2);
  });
});

describe("sizes that pile at a cap (a tool result cut at a limit)", () => {
  const capped = (spread: number): WorkloadSpec => ({
    name: "capped",
    seed: 9,
    sessions: 40,
    agents: [
      {
        name: "a",
        turns: 30,
        freshInput: {
          type: "spike_tail",
          spikeProbability: 0.05,
          spike: 5000,
          tail: { type: "lognormal", mu: 5, sigma: 1, min: 1, max: 4000, truncate: true },
          max: 5000,
        },
        output: 20,
        ...(spread > 0 ? { freshInputSpread: spread } : {}),
      },
    ],
  });

  it("is fitted as an atom at the cap with the family below it, its share and value as drawn", () => {
    for (const spread of [0, 0.6]) {
      const fresh = fitOf(capped(spread)).agents[0]!.freshInput as unknown as Record<string, unknown>;
      expect(fresh.type).toBe("spike_tail");
      expect(fresh.spike).toBe(5000);
      expect(fresh.max).toBe(5000);
      expect(Math.abs((fresh.spikeProbability as number) - 0.05)).toBeLessThan(0.015);
      // The family below the cap is truncated below it.
      expect((fresh.tail as { max: number }).max).toBeLessThan(5000 * 0.999);
    }
  });

  it("is not found where values thin out toward their largest", () => {
    const spec: WorkloadSpec = { name: "plain", seed: 9, sessions: 40, agents: [{ name: "a", turns: 30, freshInput: { type: "lognormal", mu: 5, sigma: 1 }, output: 20 }] };
    expect((fitOf(spec).agents[0]!.freshInput as { type: string }).type).not.toBe("spike_tail");
  });

  it("capOf needs at least three values at the largest and enough below it to fit", async () => {
    const { capOf } = await import("../../../src/traces/to-spec.js");
    const below = [10, 20, 30, 40, 50, 60, 70, 80];
    expect(capOf([...below, 100, 100, 99.95])).toEqual({ value: 100, lowest: 99.9, count: 3 });
    expect(capOf([...below, 100, 100])).toBeUndefined();
    expect(capOf([...below.slice(1), 100, 100, 100])).toBeUndefined();
    // Repeated values below are not enough: eight distinct ones are.
    expect(capOf([...below.slice(1), ...below.slice(1), 100, 100, 100])).toBeUndefined();
  });
});
