// Hand-made runs for matcher and snapshot tests: RequestRecords with lognormal time to first
// chunk and time per token, summarized the way a real run is (summarizeRecords), no server.
import { summarizeRecords } from "../../src/metrics/aggregator.js";
import { runValidity } from "../../src/metrics/validity.js";
import type { RunResult } from "../../src/run/run.js";
import type { RequestRecord } from "../../src/run/types.js";
import { toWorkloadRun, type ServerEnvironment, type WorkloadRun } from "../../src/vitest/run-view.js";
import { standardNormal } from "../../src/stats/samplers.js";
import { rngFor } from "../../src/stats/random.js";

export interface SyntheticRunOptions {
  seed: string;
  /** Successful requests (default 300). */
  requests?: number;
  /** Failed requests (HTTP 503) added after the successful ones. */
  failures?: number;
  /** Multiplies every latency (default 1). */
  slowdown?: number;
  /** Median time to first chunk, ms (default 100). */
  ttfcMs?: number;
  /** Median gap between chunks, ms (default 10). */
  tpotMs?: number;
  /** Chunks (tokens) per request (default 8). */
  outputTokens?: number;
}

export function syntheticRecords(o: SyntheticRunOptions): RequestRecord[] {
  const rng = rngFor(o.seed, "synthetic-run");
  const slowdown = o.slowdown ?? 1;
  const tokens = o.outputTokens ?? 8;
  const lognormal = (median: number, sigma: number) => median * slowdown * Math.exp(sigma * standardNormal(rng));
  const records: RequestRecord[] = [];
  const base = (i: number) => ({
    sessionId: `s${i}`,
    nodeId: "n0",
    readyAt: i * 1000,
    plannedAt: i * 1000,
    dispatchedAt: i * 1000,
    expectedPromptTokens: 100,
    sharedPrefixTokens: 50,
    freshInputTokens: 50,
    requestedOutputTokens: tokens,
  });
  for (let i = 0; i < (o.requests ?? 300); i++) {
    const first = i * 1000 + lognormal(o.ttfcMs ?? 100, 0.4);
    const chunkAt = [first];
    for (let t = 1; t < tokens; t++) chunkAt.push(chunkAt[t - 1]! + lognormal(o.tpotMs ?? 10, 0.3));
    const last = chunkAt[chunkAt.length - 1]!;
    records.push({ ...base(i), firstTokenAt: first, firstContentAt: first, chunkAt, doneAt: last, completionTokens: tokens, promptTokens: 100 });
  }
  const done = records.length;
  for (let i = 0; i < (o.failures ?? 0); i++) {
    records.push({ ...base(done + i), chunkAt: [], error: { kind: "http", status: 503, message: "busy" } });
  }
  return records;
}

export function syntheticResult(o: SyntheticRunOptions): RunResult {
  const records = syntheticRecords(o);
  const summary = summarizeRecords(records, { wallMs: records.length * 1000 });
  return { dir: "/nonexistent/run", summary, verdicts: [], passed: true, interrupted: false, validity: runValidity(summary) };
}

export function syntheticRun(name: string, o: SyntheticRunOptions, environment?: ServerEnvironment): WorkloadRun {
  return toWorkloadRun(name, syntheticResult(o), environment);
}
