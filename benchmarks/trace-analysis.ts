// How long analysing a big trace takes: generates a synthetic workload of about a million requests
// (sessions of 50 turns with subagents), writes it as a CSV trace in memory, then times reading
// it, analysing it (with and without the family fits `agentload analyze` prints) and fitting a
// spec to it. Not a test: it prints the figures.
//   npx tsx benchmarks/trace-analysis.ts [requests]
import { analyzeTrace } from "../src/traces/analyze.js";
import { parseCsvTrace } from "../src/traces/csv.js";
import { workloadTrace } from "../src/traces/from-workload.js";
import { fitTrace } from "../src/traces/to-spec.js";
import type { Trace } from "../src/traces/types.js";
import { generateWorkload } from "../src/workload/generate.js";
import type { WorkloadSpec } from "../src/workload/spec-types.js";

const target = Number(process.argv[2] ?? 1_000_000);
// About 50 main turns plus 0.1 * 49 spawns of 4-turn subagents: ~70 requests a session.
const sessions = Math.max(1, Math.round(target / 70));

const spec: WorkloadSpec = {
  name: "trace-analysis-bench",
  seed: 1,
  sessions,
  agents: [
    {
      name: "coder",
      scaffold: { systemTokens: 3000, toolTokens: 2000 },
      turns: 50,
      freshInput: { type: "lognormal", mu: 5.5, sigma: 1.2 },
      output: { type: "inverse_gaussian", mean: 400, shape: 150 },
      waitMs: { type: "spike_tail", spikeProbability: 0.8, spike: { type: "lognormal", mu: 3.3, sigma: 0.5, max: 100 }, tail: { type: "pareto", scale: 100, alpha: 0.9, max: 120_000 } },
      subagents: { agent: "helper", spawnProbability: 0.1, fanOut: 1, summaryTokens: 300 },
    },
    { name: "helper", weight: 0, turns: 4, freshInput: { type: "gamma", shape: 2, scale: 200 }, output: 200, waitMs: 20 },
  ],
};

function time<T>(label: string, run: () => T): T {
  const start = performance.now();
  const out = run();
  console.log(`${label.padEnd(34)} ${((performance.now() - start) / 1000).toFixed(2)} s`);
  return out;
}

/** The trace as the documented CSV: one row per request, with timestamps laid out one after another. */
function toCsv(trace: Trace): string {
  const rows = ["session_id,request_id,conversation,parents,fresh_input_tokens,output_tokens,prompt_tokens,dispatched_ms,responded_ms"];
  let clock = 0;
  for (const r of trace.requests) {
    const [session, local] = r.id.split(":") as [string, string];
    const parents = r.parents.map((e) => e.from.split(":")[1]).join(" ");
    clock += 7;
    rows.push(`${session},${local},${r.conversation},${parents},${r.freshInputTokens},${r.outputTokens},${r.promptTokens ?? ""},${clock},${clock + 500}`);
  }
  return rows.join("\n") + "\n";
}

const workload = time("generate workload", () => generateWorkload(spec));
const inMemory = time("workload as a trace (in memory)", () => workloadTrace(workload));
console.log(`requests: ${inMemory.requests.length}, sessions: ${workload.sessions.length}`);
const analysis = time("analyze (in memory)", () => analyzeTrace(inMemory));
time("analyze with family fits (the CLI)", () => analyzeTrace(inMemory, { fits: true }));
const csv = time("write CSV text", () => toCsv(inMemory));
console.log(`CSV: ${(csv.length / 1e6).toFixed(0)} MB`);
const read = time("read CSV trace", () => parseCsvTrace(csv, "bench.csv"));
const again = time("analyze (read from CSV)", () => analyzeTrace(read));
time("fit a spec", () => fitTrace(read));
console.log(
  `checks: ${analysis.requests} requests, longest path ${analysis.graph.longestPath}, peak in flight ${again.peakInFlight}, fresh p50 ${again.freshInputTokens.p50}`,
);
