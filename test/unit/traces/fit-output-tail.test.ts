// Outputs with a tail of their own (to-spec.ts outputTail): a Pareto above the agent's 90th
// percentile, up to the largest output of the whole trace, where it beats one family on AIC.
import { describe, expect, it } from "vitest";
import { workloadTrace } from "../../../src/traces/from-workload.js";
import { fitTrace } from "../../../src/traces/to-spec.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import type { DistributionSpec, WorkloadSpec } from "../../../src/workload/spec-types.js";

const spec = (output: DistributionSpec, helperOutput: DistributionSpec = 5000): WorkloadSpec => ({
  name: "outputs",
  seed: 21,
  sessions: 40,
  agents: [
    { name: "a", turns: 20, freshInput: 50, output, subagents: { agent: "h", spawnProbability: 0.05, summaryTokens: 20 } },
    { name: "h", weight: 0, turns: 2, freshInput: 50, output: helperOutput },
  ],
});

const outputFit = (s: WorkloadSpec) => fitTrace(workloadTrace(generateWorkload(s))).quantities.find((q) => q.agent === "main" && q.quantity === "output")!;

describe("fit of outputs with a long tail", () => {
  it("fits a body and a Pareto tail up to the trace's largest output, any agent's", () => {
    // 92% short replies, 8% long ones on a power law: one family misses the long ones.
    const heavy: DistributionSpec = {
      type: "spike_tail",
      spikeProbability: 0.92,
      spike: { type: "lognormal", mu: 4.5, sigma: 0.6 },
      tail: { type: "pareto", scale: 400, alpha: 1.2, max: 4000, truncate: true },
    };
    const q = outputFit(spec(heavy));
    expect(q.method).toMatch(/\+tail$/);
    expect(q.tailAic!.withTail).toBeLessThan(q.tailAic!.single);
    const tail = q.spikeTail!.tail!;
    // The subagent's replies of 5,000 tokens are the trace's longest: the main agent's tail reaches them.
    expect(tail.max).toBe(5000);
    expect(tail.alpha).toBeGreaterThan(0.6);
    expect(tail.alpha).toBeLessThan(2);
  });

  it("keeps one family where it is the law", () => {
    const q = outputFit(spec({ type: "inverse_gaussian", mean: 300, shape: 200 }, 80));
    // Inverse Gaussian and lognormal are close on 800 values; either is one family, with no tail.
    expect(["inverse_gaussian", "lognormal"]).toContain(q.method);
    expect(q.tailAic).toBeUndefined();
  });
});
