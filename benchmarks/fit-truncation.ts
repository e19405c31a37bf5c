// What a fitted workload draws against the trace it was fitted to, for the sizes and waits that
// truncation bounds: output p50/p90/max, the largest prompt, the shares of waits under 100 ms and
// over 10 s, and the share of waits at a bound of the fitted waits (a clamp piles draws there): the
// spike's 100 ms, or an agent's longest wait.
// Generated figures are the mean over seeds 1..N of fit -> generate (max: the largest over seeds).
// Not a test: it prints the table.
//   npx tsx benchmarks/fit-truncation.ts [seeds] [crop] [trace ...]
import { readTrace } from "../src/traces/read.js";
import { workloadTrace } from "../src/traces/from-workload.js";
import { fitTrace } from "../src/traces/to-spec.js";
import type { Trace } from "../src/traces/types.js";
import { generateWorkload } from "../src/workload/generate.js";
import { percentile } from "../src/workload/inspect.js";

const seeds = Number(process.argv[2] ?? 10);
const crop = process.argv[3] && process.argv[3] !== "-" ? Number(process.argv[3]) : undefined;
const traces = process.argv.slice(4);
if (traces.length === 0) {
  traces.push(
    "../shared/traces/openclaw/case-study-1-interp/dag.json",
    "../shared/traces/openclaw/case-study-2-branching/dag.json",
  );
}

interface Figures {
  requests: number;
  outputP50: number;
  outputP90: number;
  outputMax: number;
  promptMax: number;
  waitsUnder100ms: number;
  waitsOver10s: number;
  waitsAtLongest: number;
  waitsAt100ms: number;
}

function sorted(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/** The figures of a trace; `longest`: each agent's longest wait in the fitted trace, where a clamp piles draws. */
function figures(trace: Trace, longest: number[]): Figures {
  const output = sorted(trace.requests.map((r) => r.outputTokens));
  const prompts = trace.requests.map((r) => r.promptTokens ?? 0);
  const waits = trace.requests.flatMap((r) => (r.waitAfterReadyMs === undefined ? [] : [r.waitAfterReadyMs]));
  const share = (keep: (w: number) => boolean) => (waits.length === 0 ? 0 : waits.filter(keep).length / waits.length);
  return {
    requests: trace.requests.length,
    outputP50: percentile(output, 0.5),
    outputP90: percentile(output, 0.9),
    outputMax: output[output.length - 1]!,
    promptMax: Math.max(...prompts),
    waitsUnder100ms: share((w) => w < 100),
    waitsOver10s: share((w) => w > 10_000),
    // Within 1e-6 of it: the fitted spec writes the longest wait to 6 significant digits.
    waitsAtLongest: share((w) => longest.some((l) => Math.abs(w - l) <= 1e-6 * l)),
    waitsAt100ms: share((w) => w === 100),
  };
}

const ROWS: [keyof Figures, string, (x: number) => string][] = [
  ["requests", "requests", (x) => x.toFixed(0)],
  ["outputP50", "output p50", (x) => x.toFixed(0)],
  ["outputP90", "output p90", (x) => x.toFixed(0)],
  ["outputMax", "output max", (x) => x.toFixed(0)],
  ["promptMax", "prompt tokens max", (x) => x.toFixed(0)],
  ["waitsUnder100ms", "waits < 100 ms", (x) => `${(x * 100).toFixed(1)}%`],
  ["waitsOver10s", "waits > 10 s", (x) => `${(x * 100).toFixed(1)}%`],
  ["waitsAtLongest", "waits at an agent's longest", (x) => `${(x * 100).toFixed(2)}%`],
  ["waitsAt100ms", "waits at 100 ms", (x) => `${(x * 100).toFixed(2)}%`],
];

for (const path of traces) {
  const trace = await readTrace(path);
  const fit = fitTrace(trace, crop === undefined ? {} : { crop });
  const longest = fit.quantities.flatMap((q) => (q.spikeTail?.tail ? [q.spikeTail.tail.max] : []));
  const truth = figures(trace, longest);
  const runs: Figures[] = [];
  for (let seed = 1; seed <= seeds; seed++) runs.push(figures(workloadTrace(generateWorkload({ ...fit.spec, seed })), longest));
  console.log(`\n${path} (${seeds} seeds${crop === undefined ? "" : `, crop ${crop}`}; max rows: the largest over seeds)`);
  console.log(`${"".padEnd(30)}${"trace".padStart(12)}${"generated".padStart(12)}`);
  for (const [key, label, show] of ROWS) {
    const values = runs.map((r) => r[key]);
    const generated = key.endsWith("Max") ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / values.length;
    console.log(`${label.padEnd(30)}${show(truth[key]).padStart(12)}${show(generated).padStart(12)}`);
  }
  for (const q of fit.quantities.filter((x) => x.quantity === "output" || x.quantity === "waitMs")) {
    console.log(`  ${q.agent}.${q.quantity}: ${JSON.stringify(q.spec)}`);
  }
}
