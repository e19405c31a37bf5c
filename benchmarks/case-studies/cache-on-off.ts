// Case study 1 of the post, scaled to the built-in engine on this machine: one long coding session
// at a time (the post's Veeksha config: concurrency 1, 110-150 turns of 400-600 fresh and 150-250
// output tokens, 5 sessions, against vLLM with the prefix cache on and off), here 3 sessions of
// 20-30 turns of 100-150 fresh and 30-50 output tokens (the tiny model's 16k context per slot), once
// with llama-server's prompt cache on and once off. The table: TTFC by prompt length, cache on vs
// off, and the server's cache hit rate. What the post shows: without the cache, TTFC grows with the
// whole history; with it, TTFC stays near the cost of the fresh tokens.
//
// Run: npx tsx benchmarks/case-studies/cache-on-off.ts
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLlamaServer } from "../../src/engine/llama-server.js";
import { readRecords } from "../../src/records/read.js";
import { runWorkload } from "../../src/run/run.js";
import { validateSpec } from "../../src/workload/spec.js";
import { pin, pinSupport } from "../support/cpu-pin.js";

const spec = validateSpec({
  name: "case-study-1",
  seed: 77,
  sessions: 3,
  agents: [
    {
      name: "coder",
      scaffold: { systemTokens: 400 },
      turns: { type: "uniform", min: 20, max: 30 },
      freshInput: { type: "uniform", min: 100, max: 150 },
      output: { type: "uniform", min: 30, max: 50 },
      waitMs: { type: "exponential", mean: 32 },
    },
  ],
  traffic: { mode: "concurrent", concurrency: 1 },
});

const pinning = pinSupport();
if (!pinning) pin(process.pid, "0");
const out = mkdtempSync(join(tmpdir(), "agentload-case-study-1-"));
const BINS = [0, 1000, 2000, 3000, 4000, 5000, 6000, Infinity];
type Side = { ttfc: number[][]; hit: number | null; requests: number; failed: number; wallMs: number };
const sides: Record<string, Side> = {};

for (const prefixCache of [true, false]) {
  const engine = await startLlamaServer({ prefixCache, slots: 1 });
  if (!pinning) pin(engine.pid, "1");
  try {
    const result = await runWorkload({ spec, target: { apiUrl: engine.apiUrl, model: engine.model }, outDir: out });
    const ttfc: number[][] = BINS.slice(1).map(() => []);
    for (const r of readRecords(join(result.dir, "records.jsonl"))) {
      if (r.warmup || r.error || r.firstTokenAt === undefined || r.promptTokens === undefined) continue;
      const bin = BINS.findIndex((b, i) => r.promptTokens! >= b && r.promptTokens! < BINS[i + 1]!);
      ttfc[bin]!.push(r.firstTokenAt - r.dispatchedAt);
    }
    const s = result.summary;
    sides[prefixCache ? "on" : "off"] = { ttfc, hit: s.prefix.server?.rate ?? null, requests: s.counts.requests, failed: s.counts.failed, wallMs: s.wallMs };
  } finally {
    await engine.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const on = sides.on!;
const off = sides.off!;
console.log(`case study 1 (scaled): ${spec.sessions} sessions of 20-30 turns, one at a time; ${pinning ? `not pinned (${pinning})` : "engine on CPU 1, client on CPU 0"}`);
console.log("prompt tokens   requests   TTFC p50 cache on   TTFC p50 cache off   off/on");
for (let i = 0; i < BINS.length - 1; i++) {
  const a = on.ttfc[i]!;
  const b = off.ttfc[i]!;
  if (a.length === 0 && b.length === 0) continue;
  const label = `${BINS[i]}-${BINS[i + 1] === Infinity ? "" : BINS[i + 1]}`;
  const ratio = median(b) / median(a);
  console.log(`${label.padEnd(16)}${String(a.length).padEnd(11)}${`${median(a).toFixed(1)} ms`.padEnd(20)}${`${median(b).toFixed(1)} ms`.padEnd(21)}${Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : "-"}`);
}
const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(1)}%`);
console.log(`server cache hit rate: on ${pct(on.hit)}, off ${pct(off.hit)}; requests ${on.requests} / ${off.requests} (failed ${on.failed} / ${off.failed}); wall ${(on.wallMs / 1000).toFixed(1)} s / ${(off.wallMs / 1000).toFixed(1)} s`);
