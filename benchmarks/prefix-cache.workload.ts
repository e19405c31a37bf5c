// Prefix caching on vs off: the same long-history workload against two built-in engines, one
// keeping prompt KV between requests and one recomputing every prompt. The pair shows what an
// engine's prefix cache is worth and fails if caching stops working (or starts working when off).
// (In your repository, import from "agentload/vitest".)
import { expect } from "vitest";
import { agent, concurrent, describeWorkload, slo, workload, type WorkloadRun } from "../src/vitest/index.js";

const spec = workload("prefix-cache", {
  seed: 5,
  sessions: 2,
  agents: [agent("coder", { scaffold: { systemTokens: 500, toolTokens: 400 }, turns: 5, freshInput: 40, output: 8 })],
  traffic: concurrent(1),
  slo: { errorRate: { max: 0 } },
});

let cached: WorkloadRun;

describeWorkload("cache on", { spec, engine: { prefixCache: true, slots: 1 } }, (run) => {
  cached = run;
  slo("the server serves most prompt tokens from its cache", () => {
    expect(run.summary.prefix.server?.rate).toBeGreaterThan(0.7);
  });
});

describeWorkload("cache off", { spec, engine: { prefixCache: false, slots: 1 } }, (run) => {
  slo("the server recomputes every prompt", () => {
    expect(run.summary.prefix.server?.rate ?? 0).toBe(0);
  });
  slo("without the cache the first chunk comes later", () => {
    // Every later turn re-reads a history of about a thousand tokens instead of a few dozen fresh tokens.
    expect(run.ttfc.histogram.percentile(50)).toBeGreaterThan(cached.ttfc.histogram.percentile(50));
  });
});
