// Dispatch-lateness benchmark: does the dispatcher send each request when it planned to, at
// 200 requests/s? Single-request sessions arrive as a Poisson process against the calibration
// server (its own process, streaming 16 paced chunks per request), through the real run path:
// content rendering, client, record writing, aggregation. Prints lateness p50/p99/max.
// Target: p99 under 2 ms.
//
// Run: npx tsx benchmarks/dispatch-lateness.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWorkload } from "../src/run/run.js";
import { validateSpec } from "../src/workload/spec.js";
import { startCalibrationServer } from "./support/calibration-server.js";

const RATE = 200;
const SECONDS = 10;

const server = await startCalibrationServer();
const outDir = mkdtempSync(join(tmpdir(), "agentload-lateness-"));
try {
  const spec = validateSpec({
    name: "dispatch-lateness",
    seed: 1,
    sessions: RATE * SECONDS,
    agents: [{ name: "single", scaffold: { systemTokens: 200, toolTokens: 0 }, turns: 1, freshInput: 100, output: 16 }],
    traffic: { mode: "rate", arrivals: { type: "poisson", rate: RATE } },
    request: { extraBody: { calibration: { chunks: 16, gapMs: 2 } } },
  });
  const result = await runWorkload({ spec, target: { apiUrl: server.baseUrl }, outDir });
  const s = result.summary;
  const l = s.dispatch.lateness!;
  const f = (x: number) => x.toFixed(3).padStart(8);
  console.log(`dispatch lateness at ${RATE} requests/s, ${s.counts.requests} requests (${s.counts.failed} failed), ${(s.wallMs / 1000).toFixed(1)} s`);
  console.log(`  p50 ${f(l.p50)} ms   p99 ${f(l.p99)} ms   max ${f(l.max)} ms   target p99 < 2 ms: ${l.p99 < 2 ? "met" : "NOT met"}`);
  console.log(`  achieved ${s.throughput.requestsPerSec.toFixed(1)} requests/s; TTFC p50 ${s.latency.ttfc?.p50.toFixed(2)} ms`);
} finally {
  await server.stop();
  rmSync(outDir, { recursive: true, force: true });
}
