// Does the metric-snapshot comparison catch a real regression without crying wolf? Against the
// built-in llama.cpp engine: one baseline run, then 10 unchanged runs and 10 runs with the server
// slowed 1.5x (benchmarks/support/throttle.ts), each compared with the baseline the way
// toMatchMetricSnapshot does (default options). Goal: 0 of 10 false failures, 10 of 10 detected.
//
// Run: npx tsx benchmarks/snapshot-regression.ts [runs=10]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLlamaServer } from "../src/engine/llama-server.js";
import { compareHistograms } from "../src/metrics/compare.js";
import type { RunSummary } from "../src/metrics/summary.js";
import { runWorkload } from "../src/run/run.js";
import { validateSpec } from "../src/workload/spec.js";
import { throttle } from "./support/throttle.js";

const RUNS = Number(process.argv[2] ?? 10);
const spec = validateSpec({
  name: "regression-probe",
  seed: 21,
  sessions: 6,
  agents: [
    {
      name: "coder",
      scaffold: { systemTokens: 400, toolTokens: 400 },
      turns: 12,
      freshInput: { type: "lognormal", mu: 5, sigma: 0.8, max: 1500 },
      output: { type: "uniform", min: 24, max: 64 },
      waitMs: { type: "exponential", mean: 20 },
    },
  ],
  traffic: { mode: "concurrent", concurrency: 3 },
});

const server = await startLlamaServer({ slots: 4 });
const outDir = mkdtempSync(join(tmpdir(), "agentload-regression-"));
const run = async (): Promise<RunSummary> => (await runWorkload({ spec, target: { apiUrl: server.apiUrl, model: server.model }, outDir })).summary;
try {
  await run(); // warm-up: first-run effects stay out of the baseline
  const baseline = await run();
  const verdicts = async (label: string, slow: boolean) => {
    let failed = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = slow ? throttle(server.pid, 1.5) : undefined;
      const current = await run();
      await t?.stop();
      const c = compareHistograms(baseline.histograms, current.histograms);
      if (!c.pass) failed++;
      const ttfc = `${baseline.latency.ttfc?.p50.toFixed(1)} -> ${current.latency.ttfc?.p50.toFixed(1)} ms`;
      const tpot = `${baseline.latency.tpot?.p50.toFixed(2)} -> ${current.latency.tpot?.p50.toFixed(2)} ms`;
      console.log(`${label} ${i + 1}: ${c.pass ? "pass" : "FAIL"}   ttfc p50 ${ttfc}   tpot p50 ${tpot}`);
      if (!c.pass) for (const line of c.lines.filter((l) => l.startsWith("✗"))) console.log(`    ${line}`);
    }
    return failed;
  };
  const falseFailures = await verdicts("unchanged", false);
  const detected = await verdicts("slowed 1.5x", true);
  console.log(`\nunchanged runs failing (false alarms): ${falseFailures} of ${RUNS}`);
  console.log(`slowed runs failing (detected):       ${detected} of ${RUNS}`);
} finally {
  await server.stop();
  rmSync(outDir, { recursive: true, force: true });
}
