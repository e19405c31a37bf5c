// Soak-memory benchmark: does a long run keep flat memory? One run, in this process, through the
// real run path (content rendering, client, records.jsonl, aggregation, live progress), against
// the calibration server in its own process (16 paced chunks per request, so the figures are the
// client's own ceiling, not a model's): multi-turn sessions arriving as a Poisson process at
// about 300 requests/s. Every few seconds it samples heap used and RSS (after a full collection
// when gc is exposed), prints memory over time, and fits a line over the steady part: MB per
// minute and MB per 100k requests. A flat run's slope is near 0; one that keeps something per
// request grows with it.
//
// Run: npm run bench:soak [-- --minutes 3] [--rate 300]     (an hour: npm run bench:soak -- --hour)
//   or node --expose-gc --import tsx benchmarks/soak-memory.ts ...
// (without --expose-gc the heap figures include garbage not yet collected and are noisier). The
// forced collections pause the event loop (tens of ms with this heap), which shows as dispatch
// lateness and may make the run "not valid": this benchmark measures memory, not timing.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { liveProgress } from "../src/cli/live-progress.js";
import { runWorkload } from "../src/run/run.js";
import { validateSpec } from "../src/workload/spec.js";
import { startCalibrationServer } from "./support/calibration-server.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "3" },
    hour: { type: "boolean", default: false },
    rate: { type: "string", default: "300" },
    "sample-seconds": { type: "string", default: "5" },
  },
});
const minutes = values.hour ? 60 : Number(values.minutes);
const requestRate = Number(values.rate);
const sampleMs = Number(values["sample-seconds"]) * 1000;
/** Turns per session: each session keeps a conversation (the content stage's, the aggregator's span) while it runs. */
const TURNS = 4;
const sessionRate = requestRate / TURNS;
/** The first part of the run is not fitted: JIT, connection pools and the histograms' first buckets settle there. */
const SKIP_SHARE = 0.2;

const gc = (globalThis as { gc?: () => void }).gc;

interface Sample {
  atS: number;
  requests: number;
  heapMB: number;
  rssMB: number;
}

function sample(atS: number, requests: number): Sample {
  gc?.();
  const m = process.memoryUsage();
  return { atS, requests, heapMB: m.heapUsed / 2 ** 20, rssMB: m.rss / 2 ** 20 };
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den > 0 ? num / den : NaN;
}

const server = await startCalibrationServer();
const outDir = mkdtempSync(join(tmpdir(), "agentload-soak-"));
const samples: Sample[] = [];
try {
  const spec = validateSpec({
    name: "soak-memory",
    seed: 1,
    sessions: Math.ceil(sessionRate * minutes * 60 * 2),
    agents: [{ name: "chat", scaffold: { systemTokens: 200, toolTokens: 0 }, turns: TURNS, freshInput: 50, output: 16 }],
    traffic: { mode: "rate", arrivals: { type: "poisson", rate: sessionRate }, durationSeconds: minutes * 60 },
    request: { extraBody: { calibration: { chunks: 16, gapMs: 2 } } },
  });
  // The CLI's live progress, as a run from the command line has it (its lines go nowhere here).
  const progress = liveProgress(spec.sessions, { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream);
  let requests = 0;
  const t0 = performance.now();
  samples.push(sample(0, 0));
  const timer = setInterval(() => {
    const s = sample((performance.now() - t0) / 1000, requests);
    samples.push(s);
    console.error(`  ${s.atS.toFixed(0).padStart(5)} s  ${String(s.requests).padStart(8)} requests  heap ${s.heapMB.toFixed(1).padStart(7)} MB  rss ${s.rssMB.toFixed(1).padStart(7)} MB`);
  }, sampleMs);
  const result = await runWorkload({
    spec,
    target: { apiUrl: server.baseUrl },
    outDir,
    preflight: false,
    onRecord: (record, p) => {
      requests = p.requestsDone;
      progress.onRecord(record, p);
    },
  });
  clearInterval(timer);
  const end = sample((performance.now() - t0) / 1000, requests);
  const s = result.summary;
  const recordsMB = statSync(join(result.dir, "records.jsonl")).size / 2 ** 20;

  // Samples taken once the last record was in belong to the end of the run (summary, ideal cache,
  // report.html: records read back), not to its steady state.
  const running = samples.filter((x, i) => samples.slice(i + 1).some((y) => y.requests > x.requests));
  const ending = samples.filter((x) => !running.includes(x));
  const steady = running.filter((x) => x.atS >= SKIP_SHARE * minutes * 60);
  const perMin = (pick: (x: Sample) => number) => slope(steady.map((x) => x.atS / 60), steady.map(pick));
  const per100k = (pick: (x: Sample) => number) => slope(steady.map((x) => x.requests / 1e5), steady.map(pick));
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2).padStart(7) : "      -");
  console.log(`soak: ${minutes} min at ${requestRate} requests/s offered (${sessionRate} sessions/s of ${TURNS} turns), gc ${gc ? "forced before each sample" : "not exposed (run node --expose-gc)"}`);
  console.log(`  ${s.counts.requests} requests (${s.counts.failed} failed, ${s.throughput.requestsPerSec.toFixed(1)}/s achieved), ${s.counts.sessions} sessions, records.jsonl ${recordsMB.toFixed(0)} MB, valid: ${result.validity.valid}`);
  console.log(`  dispatch lateness p99 ${s.dispatch.lateness?.p99.toFixed(2)} ms; ideal cache ${s.prefix.ideal ? "worked out" : "not worked out"}`);
  console.log("   time s   requests   heap MB    rss MB");
  const every = Math.max(1, Math.ceil(samples.length / 24));
  for (const [i, x] of samples.entries()) {
    if (i % every !== 0 && i !== samples.length - 1) continue;
    console.log(`  ${x.atS.toFixed(0).padStart(7)} ${String(x.requests).padStart(10)} ${x.heapMB.toFixed(1).padStart(9)} ${x.rssMB.toFixed(1).padStart(9)}`);
  }
  const peak = (pick: (x: Sample) => number) => Math.max(...ending.map(pick), pick(end)).toFixed(1);
  console.log(`  end of the run (summary, ideal cache, report.html), highest sample: heap ${peak((x) => x.heapMB)} MB, rss ${peak((x) => x.rssMB)} MB`);
  console.log(`  after it: heap ${end.heapMB.toFixed(1)} MB, rss ${end.rssMB.toFixed(1)} MB`);
  console.log(`  slope while requests ran, first ${Math.round(SKIP_SHARE * 100)}% left out (${steady.length} samples):`);
  console.log(`    heap ${f(perMin((x) => x.heapMB))} MB/min  ${f(per100k((x) => x.heapMB))} MB per 100k requests`);
  console.log(`    rss  ${f(perMin((x) => x.rssMB))} MB/min  ${f(per100k((x) => x.rssMB))} MB per 100k requests`);
  console.log("  (memory figures are noisy on a shared machine: measure twice)");
} finally {
  await server.stop();
  rmSync(outDir, { recursive: true, force: true });
}
