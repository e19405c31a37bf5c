// A subagent DAG: a lead agent fans out to helper subagents (at most two at once), whose reports
// join its next request. The spec comes from the TypeScript DSL; describeWorkload runs it.
// (In your repository, import from "agentload/vitest".)
import { expect } from "vitest";
import { agent, concurrent, describeWorkload, slo, uniform, workload } from "../src/vitest/index.js";
import { generateSessionAt } from "../src/workload/generate.js";

const spec = workload("subagents", {
  seed: 3,
  sessions: 2,
  agents: [
    agent("lead", {
      scaffold: { systemTokens: 300, toolTokens: 300 },
      turns: 3,
      freshInput: 40,
      output: 8,
      waitMs: 20,
      subagents: { agent: "helper", spawnProbability: 0.7, fanOut: uniform(2, 3), summaryTokens: 30, maxDepth: 1, maxConcurrent: 2 },
    }),
    agent("helper", { weight: 0, scaffold: { systemTokens: 150, toolTokens: 100 }, turns: uniform(1, 2), freshInput: 30, output: 8 }),
  ],
  traffic: concurrent(2),
  slo: { e2e: { p95: "20s" }, errorRate: { max: 0 } },
});

describeWorkload("subagent DAG", { spec }, (run) => {
  slo("every node of every session graph ran", () => {
    const nodes = Array.from({ length: spec.sessions }, (_, i) => generateSessionAt(spec, i).nodes.length).reduce((a, b) => a + b, 0);
    expect(run.summary.counts.ok).toBe(nodes);
  });
  slo("subagents decode side by side", () => {
    // With fan-out and two sessions at once, some of the time at least two requests decode together.
    expect(run.summary.decode.maxConcurrent).toBeGreaterThanOrEqual(2);
  });
});
