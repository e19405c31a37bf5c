// vitest 5 benchmarks (`vitest bench`, or `vitest run` with the bench project): agentic workloads
// through vitest's own bench API, run by agentload's benchmark provider against the built-in
// engine. Each registration's table row is its TTFC per request; beside it the provider prints a
// row per metric (TTFC, TTFV, TBC, TPOT, E2E). Under vitest 4 this file is not collected.
// (In your repository, import from "agentload/vitest".)
import { expect, test } from "vitest";
import { agent, concurrent, workload, workloadTask } from "../src/vitest/index.js";

// Long shared history, short fresh turns: what a prefix cache is for.
const coder = workload("coder", {
  seed: 11,
  sessions: 4,
  agents: [agent("coder", { scaffold: { systemTokens: 600, toolTokens: 400 }, turns: 6, freshInput: 40, output: 8 })],
  traffic: concurrent(1),
});

test("coding agent: per-request latency, baseline in __benchmarks__/", async ({ bench }) => {
  const result = await bench("coder", workloadTask({ spec: coder })).run();
  expect(result).toMatchMetricSnapshot({ metrics: ["ttfc", "e2e"], percentiles: [50], minEffect: 1 });
});

test("prefix cache on vs off, interleaved", async ({ bench }) => {
  const results = await bench.compare(
    bench("cache on", workloadTask({ spec: coder, engine: { prefixCache: true, slots: 1 } })),
    bench("cache off", workloadTask({ spec: coder, engine: { prefixCache: false, slots: 1 } })),
  );
  const on = results.get("cache on");
  const off = results.get("cache off");
  // TTFC p50 with a 95% interval: recomputing ~1k tokens of history costs far more than 25%.
  expect(on).toBeFasterThan(off, { delta: 0.25 });
  expect(off).not.toBeFasterThan(on);
  expect(off).toBeSlowerThan(on, { delta: 0.25 });
});
