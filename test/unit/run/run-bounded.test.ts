// A run's aggregator holds nothing per request or ended session (the recorder settles its decode
// sweep up to the earliest request in flight, frees each session as it ends), and reports what
// the same records summarized at once do: the decode overlap to the bit. A scripted server (not
// an engine test), with enough requests that the sweep settles a few times (every 1024 records).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import { readRecords } from "../../../src/records/read.js";
import { liveWakers } from "../../../src/run/precise-waker.js";
import { runWorkload } from "../../../src/run/run.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { normalStream, startFaultServer, type FaultServer, type ReceivedRequest } from "../../support/fault-server.js";

let server: FaultServer;
let outDir: string;
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), "agentload-bounded-"));
  server = await startFaultServer({
    fallback: (req: ReceivedRequest) =>
      req.url.endsWith("/chat/completions")
        ? normalStream({ tokens: ["a", " b", " c"], firstDelayMs: 4, gapMs: 3, usage: { prompt: 10, completion: 3 } })
        : { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] },
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(outDir, { recursive: true, force: true });
});

describe("a run's bounded aggregator", () => {
  it("reports what summarizing its records.jsonl at once does, decode overlap to the bit", async () => {
    const spec = validateSpec({
      name: "bounded",
      seed: 5,
      sessions: 1200,
      // Subagents run beside their parent: a session's requests overlap one another too.
      agents: [
        { name: "main", turns: 3, freshInput: 16, output: 3, subagents: { agent: "helper", spawnProbability: 0.5, fanOut: 2, summaryTokens: 8, maxDepth: 1 } },
        { name: "helper", weight: 0, turns: 1, freshInput: 8, output: 3 },
      ],
      traffic: { mode: "rate", arrivals: { type: "poisson", rate: 400 } },
    });
    // With the precise waker (src/run/precise-waker.ts), which the run closes at its end.
    let wakerDuringRun = 0;
    const result = await runWorkload({
      spec,
      target: { apiUrl: server.baseUrl },
      outDir,
      preflight: false,
      idealCache: false,
      report: false,
      preciseWake: true,
      onRecord: () => void (wakerDuringRun = Math.max(wakerDuringRun, liveWakers())),
    });
    expect(wakerDuringRun, "the run had its precise waker").toBe(1);
    expect(liveWakers(), "the run closed its precise waker").toBe(0);
    const s = result.summary;
    expect(s.counts.requests).toBeGreaterThan(3 * 1024);
    const atOnce = summarizeRecords(readRecords(join(result.dir, "records.jsonl")), { wallMs: s.wallMs });
    expect(s.counts).toEqual(atOnce.counts);
    expect(s.counts.sessions).toBe(1200);
    expect(s.decode).toEqual(atOnce.decode);
    expect(s.decode.maxConcurrent).toBeGreaterThan(1);
    for (const [name, stats] of Object.entries(atOnce.latency)) {
      // Session durations enter their histogram as sessions end: the sum's last bits may differ.
      if (name === "sessionDuration") expect({ ...s.latency[name], mean: 0 }).toEqual({ ...stats, mean: 0 });
      else expect(s.latency[name], name).toEqual(stats);
    }
  }, 60_000);
});
