// Fresh input through the round trip trace -> fit -> generate -> analyze, on ../shared's OpenClaw
// traces: the median as the trace counts it (a later request's includes its parent's reply) and
// without that reply (what fit fits), trace against the fitted workload generated with 10 sessions
// per trace session, and how much of a parent's output the trace's next prompt carries.
//   npx tsx benchmarks/fresh-input-roundtrip.ts
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { analyzeTrace } from "../src/traces/analyze.js";
import { workloadTrace } from "../src/traces/from-workload.js";
import { readTrace } from "../src/traces/read.js";
import { fitTrace } from "../src/traces/to-spec.js";
import { generateWorkload } from "../src/workload/generate.js";

const SHARED = fileURLToPath(new URL("../../shared/traces/openclaw/", import.meta.url));
const REPEATS = 10;

if (!existsSync(SHARED)) {
  console.log(`fresh-input-roundtrip: skipped, ${SHARED} is absent (the traces come with ../shared)`);
  process.exit(0);
}

const pct = (got: number, want: number) => `${got >= want ? "+" : ""}${(((got - want) / want) * 100).toFixed(0)}%`;
const rows = [["trace", "fresh p50: trace", "generated", "without reply: trace", "generated", "reply / output"]];
for (const name of ["case-study-1-interp", "case-study-2-branching"]) {
  const trace = await readTrace(`${SHARED}${name}/dag.json`);
  const a = analyzeTrace(trace);
  const spec = fitTrace(trace).spec;
  const g = analyzeTrace(workloadTrace(generateWorkload({ ...spec, sessions: spec.sessions * REPEATS })));
  let replies = 0;
  for (const r of trace.requests) replies += r.replyTokens ?? 0;
  const w = a.freshInputWithoutReplyTokens!;
  const gw = g.freshInputWithoutReplyTokens!;
  rows.push([
    name,
    String(a.freshInputTokens.p50),
    `${g.freshInputTokens.p50} (${pct(g.freshInputTokens.p50, a.freshInputTokens.p50)})`,
    String(w.p50),
    `${gw.p50} (${pct(gw.p50, w.p50)})`,
    `${((replies / a.outputTokens.sum) * 100).toFixed(0)}%`,
  ]);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "));
