// Case study 2 of the post, on the built-in engine: the same fresh-token budget as a linear shape
// (30 sessions x 5 requests) and as a DAG (10 sessions x 15 requests, 3-way fan-out and fan-in),
// 500 fresh and 300 output tokens a request, the two Veeksha traces in ../shared, replayed at one
// request rate (sessions released at rho / requests per session, Poisson), and compared on the
// rows of the post's table. Scaling: the tiny model on one core of this machine at rho 1.5
// requests/s (the post's vLLM server ran far higher rates); the traces are as published.
//
// Run: npx tsx benchmarks/case-studies/shapes.ts [rho=1.5]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLlamaServer } from "../../src/engine/llama-server.js";
import { planFromTrace } from "../../src/run/replay.js";
import { runWorkload } from "../../src/run/run.js";
import { readTrace } from "../../src/traces/read.js";
import { pin, pinSupport } from "../support/cpu-pin.js";
import { requireSharedTraces, SHAPES, SHARED } from "./case-study-2-traces.js";

requireSharedTraces("case study 2");
const rho = Number(process.argv[2] ?? 1.5);
if (!(rho > 0)) throw new Error(`rho: expected requests per second > 0, got ${process.argv[2]}`);
const pinning = pinSupport();
if (!pinning) pin(process.pid, "0");
const out = mkdtempSync(join(tmpdir(), "agentload-case-study-2-"));

const shapes = SHAPES;
const rows: Record<string, string[]> = {};
const row = (label: string, value: string) => (rows[label] ??= []).push(value);
for (const shape of shapes) {
  const trace = await readTrace(join(SHARED, shape.file));
  const plan = planFromTrace(trace, { name: `case-study-2-${shape.name}`, rate: rho / shape.requestsPerSession });
  // A fresh engine per shape, so neither inherits the other's cache.
  const engine = await startLlamaServer({ slots: 4 });
  if (!pinning) pin(engine.pid, "1");
  try {
    const r = await runWorkload({ plan, target: { apiUrl: engine.apiUrl, model: engine.model }, outDir: out });
    const s = r.summary;
    const ok = Math.max(s.counts.ok, 1);
    const ms = (x: number | undefined) => (x === undefined ? "-" : `${x.toFixed(1)} ms`);
    row("requests (failed)", `${s.counts.requests} (${s.counts.failed})`);
    row("mean prompt tokens", (s.tokens.expectedPrompt / ok).toFixed(0));
    row("TTFC p99", ms(s.latency.ttfc?.p99));
    row("E2E p95", ms(s.latency.e2e?.p95));
    row("TBC p99", ms(s.latency.tbc?.p99));
    row("cache hit rate (server)", s.prefix.server?.rate == null ? "-" : `${(s.prefix.server.rate * 100).toFixed(1)}%`);
    row("decode overlap (mean, max)", `${s.decode.meanConcurrent.toFixed(2)}, ${s.decode.maxConcurrent}`);
    row("valid", r.validity.valid ? "yes" : `no: ${r.validity.problems.join("; ")}`);
  } finally {
    await engine.stop();
  }
}
console.log(`case study 2 (scaled): both shapes at rho ${rho} requests/s (Poisson session arrivals), built-in engine, 4 slots; ${pinning ? `not pinned (${pinning})` : "engine on CPU 1, client on CPU 0"}`);
const width = Math.max(...Object.keys(rows).map((k) => k.length)) + 2;
console.log(`${"".padEnd(width)}${"linear 30x5".padEnd(18)}dag 10x15`);
for (const [label, [a, b]] of Object.entries(rows)) console.log(`${label.padEnd(width)}${(a ?? "-").padEnd(18)}${b ?? "-"}`);
