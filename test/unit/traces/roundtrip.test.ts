// Generate from a known spec, read the workload as a trace (in memory), fit, and recover the
// parameters within sampling error. Tolerances are about 4-5 standard errors of each estimate at
// these sample sizes, so a wrong estimator fails while sampling noise does not.
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeTrace } from "../../../src/traces/analyze.js";
import { workloadTrace } from "../../../src/traces/from-workload.js";
import { fitTrace, type TraceFit } from "../../../src/traces/to-spec.js";
import { createDistribution, type DistributionSpec } from "../../../src/workload/distributions.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import { rngFor } from "../../../src/stats/random.js";
import type { AgentSpec, WorkloadSpec } from "../../../src/workload/spec-types.js";
import { validateSpec } from "../../../src/workload/spec.js";

const spec: WorkloadSpec = {
  name: "round-trip",
  seed: 7,
  sessions: 300,
  agents: [
    {
      name: "coder",
      scaffold: { systemTokens: 2000, toolTokens: 500 },
      taskTokens: { type: "lognormal", mu: 6, sigma: 0.5 },
      turns: 12,
      freshInput: { type: "lognormal", mu: 5, sigma: 1 },
      output: { type: "inverse_gaussian", mean: 300, shape: 200 },
      waitMs: {
        type: "spike_tail",
        spikeProbability: 0.75,
        spike: { type: "lognormal", mu: 3, sigma: 0.5, max: 100 },
        tail: { type: "pareto", scale: 100, alpha: 1.2, max: 100_000 },
      },
      subagents: { agent: "helper", spawnProbability: 0.2, fanOut: 1, summaryTokens: 150 },
    },
    {
      name: "helper",
      weight: 0,
      scaffold: { systemTokens: 800, toolTokens: 0 },
      taskTokens: 120,
      turns: { type: "uniform", min: 3, max: 6 },
      freshInput: { type: "gamma", shape: 2, scale: 100 },
      output: 80,
    },
  ],
};

let fit: TraceFit;
let main: AgentSpec;
let helper: AgentSpec;

/** The fitted parameters of one family for one quantity (from the ranking, whichever family won). */
function familyFit(agent: string, quantity: string, family: string): Record<string, number> {
  const q = fit.quantities.find((x) => x.agent === agent && x.quantity === quantity)!;
  const report = q.report ?? q.spikeTail?.spike;
  return report!.fits.find((f) => f.family === family)!.spec as unknown as Record<string, number>;
}

const mean = (d: DistributionSpec) => createDistribution(d, rngFor(1, "mean")).mean();

beforeAll(() => {
  const trace = workloadTrace(generateWorkload(spec));
  fit = fitTrace(trace);
  [main, helper] = fit.spec.agents as [AgentSpec, AgentSpec];
});

describe("generate, read as a trace, fit", () => {
  it("gives a valid spec with the same shape: sessions, a main agent and a subagent template", () => {
    validateSpec(fit.spec);
    expect(fit.spec.sessions).toBe(300);
    expect(fit.spec.agents.map((a) => [a.name, a.weight])).toEqual([
      ["main", undefined],
      ["subagent", 0],
    ]);
    expect(main.turns).toBe(12);
    expect(main.scaffold).toEqual({ systemTokens: 2500, toolTokens: 0 });
    expect(helper.scaffold).toEqual({ systemTokens: 800, toolTokens: 0 });
    expect(helper.taskTokens).toBe(120);
    expect(helper.output).toBe(80);
  });

  it("recovers fresh input, output and task sizes", () => {
    expect(main.freshInput).toMatchObject({ type: "lognormal" });
    const fresh = familyFit("main", "freshInput", "lognormal");
    expect(Math.abs(fresh.mu! - 5)).toBeLessThan(0.1);
    expect(Math.abs(fresh.sigma! - 1)).toBeLessThan(0.07);
    const output = familyFit("main", "output", "inverse_gaussian");
    expect(Math.abs(output.mean! - 300) / 300).toBeLessThan(0.05);
    expect(Math.abs(output.shape! - 200) / 200).toBeLessThan(0.12);
    const task = familyFit("main", "taskTokens", "lognormal");
    expect(Math.abs(task.mu! - 6)).toBeLessThan(0.15);
    expect(Math.abs(task.sigma! - 0.5)).toBeLessThan(0.1);
    const helperFresh = familyFit("subagent", "freshInput", "gamma");
    expect(Math.abs(helperFresh.shape! - 2) / 2).toBeLessThan(0.15);
    expect(Math.abs(mean(helper.freshInput) - 200) / 200).toBeLessThan(0.06);
    // Turn counts are resampled (a handful of integers), so their mean is the sample's.
    expect(helper.turns).toMatchObject({ type: "empirical" });
    expect(Math.abs(mean(helper.turns) - 4.5)).toBeLessThan(0.15);
  });

  it("recovers the spike-plus-tail waits", () => {
    const waits = fit.quantities.find((q) => q.agent === "main" && q.quantity === "waitMs")!.spikeTail!;
    expect(Math.abs(waits.spikeProbability - 0.75)).toBeLessThan(0.035);
    expect(Math.abs(waits.tail!.alpha - 1.2) / 1.2).toBeLessThan(0.15);
    const spike = familyFit("main", "waitMs", "lognormal");
    expect(Math.abs(spike.mu! - 3)).toBeLessThan(0.08);
  });

  it("recovers how subagents are spawned and what they report", () => {
    const sub = main.subagents!;
    expect(sub.agent).toBe("subagent");
    expect(Math.abs(sub.spawnProbability - 0.2)).toBeLessThan(0.035);
    expect(sub.fanOut).toBe(1);
    expect(sub.summaryTokens).toBe(150);
    expect(sub.maxDepth).toBe(1);
    expect(helper.subagents).toBeUndefined();
  });

  it("generates from the fitted spec a workload that analyzes like the original", () => {
    const original = analyzeTrace(workloadTrace(generateWorkload(spec)));
    const again = analyzeTrace(workloadTrace(generateWorkload({ ...fit.spec, seed: 99 })));
    expect(again.sessions).toBe(original.sessions);
    expect(Math.abs(again.requests - original.requests) / original.requests).toBeLessThan(0.05);
    // Output means of ~6500 heavy-tailed draws, each side about 2% noisy, plus the fit's own error.
    expect(Math.abs(again.outputTokens.mean - original.outputTokens.mean) / original.outputTokens.mean).toBeLessThan(0.1);
    expect(Math.abs(again.freshInputTokens.p50 - original.freshInputTokens.p50) / original.freshInputTokens.p50).toBeLessThan(0.1);
  });
});
