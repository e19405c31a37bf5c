import { defineConfig } from "vitest/config";
import { agentload } from "./src/vitest/plugin.js";

// Three projects: fast unit tests; integration tests that share one real llama-server (built and
// started once per run by test/integration/global-setup.ts); and the example workloads in
// benchmarks/, run by agentload's own pool against the built-in engine it starts for the run.
// They run one after the other (groupOrder): beside the unit tests, whose CPU-bound files kept
// both cores busy, integration runs were judged not valid for client lag (dispatches 38 to 138 ms
// late) — correctly: a client that shares its cores with a test runner measures itself.
const workloads = agentload({ include: ["benchmarks/**/*.workload.ts"], bench: { include: ["benchmarks/**/*.bench.ts"] } });
workloads.test = { ...workloads.test, sequence: { ...workloads.test?.sequence, groupOrder: 2 } };
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          sequence: { groupOrder: 1 },
          globalSetup: ["test/integration/global-setup.ts"],
          // One file at a time: the engine has few slots and timings must not contend.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 1_200_000,
        },
      },
      // Only benchmarks/: the fixture project under fixtures/ has workload files meant to fail.
      // Under vitest 5 its *.bench.ts files run in a "workloads (bench)" project beside it.
      workloads,
    ],
  },
});
