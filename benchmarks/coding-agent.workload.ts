// An agentic coding chain as vitest tests: each session is a chain of tool-calling turns on a
// shared scaffold (system prompt + tool definitions), with heavy-tailed tool results and bursty
// waits between turns. Small enough for the built-in tiny engine in a few seconds.
// (In your repository, import from "agentload/vitest".)
import { expect } from "vitest";
import {
  benchWorkload,
  concurrent,
  describeWorkload,
  exponential,
  inverseGaussian,
  lognormal,
  pareto,
  session,
  slo,
  spikeTail,
  uniform,
} from "../src/vitest/index.js";

const traffic = concurrent(2);

describeWorkload(
  "coding agent",
  {
    seed: 7,
    sessions: 4,
    traffic,
    // Each objective becomes one test (and one JUnit test case). Generous bounds: the tiny
    // engine on a busy CI machine must still pass; a real engine's would be tighter.
    slo: { ttfc: { p95: "10s" }, tpot: { p95: "500ms" }, errorRate: { max: 0 } },
  },
  (run) => {
    session("coder", {
      scaffold: { systemTokens: 400, toolTokens: 600 },
      taskTokens: lognormal({ mu: 4.5, sigma: 0.5, max: 400 }),
      turns: uniform(5, 8),
      // Tool results: mostly short, now and then a long file read.
      freshInput: lognormal({ mu: 3.5, sigma: 1, min: 8, max: 600 }),
      output: inverseGaussian({ mean: 12, shape: 30, min: 2, max: 32 }),
      // Bursty waits: usually a quick tool call, sometimes a slow one.
      waitMs: spikeTail({ spikeProbability: 0.8, spike: exponential(10), tail: pareto({ scale: 50, alpha: 1.5, max: 400 }) }),
    });

    slo("TTFC p99 under 10s", () => expect(run.ttfc).toHavePercentileBelow(99, "10s"));
    slo("time between chunks p95 under 500ms", () => expect(run).toMeetSLO({ tbc: { p95: "500ms" } }));
    slo("every request succeeds and the server reuses the shared history", () => {
      expect(run.summary.counts.failed).toBe(0);
      // Later turns resend the whole conversation: with caching on, most prompt tokens are reused.
      expect(run.summary.prefix.server?.rate).toBeGreaterThan(0.5);
    });
  },
);

// The same chain as a `vitest bench` task (npm run bench): whole runs timed end to end.
benchWorkload("coding agent, whole run", {
  seed: 7,
  sessions: 2,
  traffic,
  iterations: 3,
  agents: [{ name: "coder", scaffold: { systemTokens: 400, toolTokens: 600 }, turns: 4, freshInput: 40, output: 8 }],
});
