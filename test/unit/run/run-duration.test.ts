// traffic.durationSeconds (--duration) ends the release of sessions, not the run: every session
// released before the end runs all its turns, nothing is aborted, and the run is not taken for
// an interrupted one (it used to be: every run bounded by a duration came out "not valid").
// A scripted server (not an engine test): each reply takes ~120 ms, so a session of 3 turns
// outlives the 1 s release.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runWorkload } from "../../../src/run/run.js";
import type { RequestRecord } from "../../../src/run/types.js";
import { validateSpec } from "../../../src/workload/spec.js";
import type { WorkloadSpec } from "../../../src/workload/spec-types.js";
import { normalStream, startFaultServer, type FaultServer, type ReceivedRequest } from "../../support/fault-server.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer({
    fallback: (req: ReceivedRequest) =>
      req.url.endsWith("/chat/completions")
        ? normalStream({ tokens: ["a", " b", " c"], firstDelayMs: 60, gapMs: 20, usage: { prompt: 10, completion: 3 } })
        : { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] },
  });
});
afterAll(async () => {
  await server?.close();
});

async function runFor(traffic: WorkloadSpec["traffic"]) {
  const result = await runWorkload({
    spec: validateSpec({ name: "duration", seed: 3, sessions: 1000, agents: [{ name: "a", turns: 3, freshInput: 16, output: 3 }], traffic }),
    target: { apiUrl: server.baseUrl },
    outDir: mkdtempSync(join(tmpdir(), "agentload-duration-")),
  });
  const records = readFileSync(join(result.dir, "records.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as RequestRecord);
  const turns = new Map<string, number>();
  for (const r of records) turns.set(r.sessionId, (turns.get(r.sessionId) ?? 0) + 1);
  return { result, records, turns };
}

describe("a run with a duration", () => {
  it("rate traffic: releases sessions for the duration only, and each released session runs all its turns", async () => {
    const { result, records, turns } = await runFor({ mode: "rate", arrivals: { type: "constant", rate: 4 }, durationSeconds: 1 });
    // Arrivals at 0, 250, 500 and 750 ms; the one at 1000 ms is past the end.
    expect(turns.size).toBe(4);
    expect([...turns.values()]).toEqual([3, 3, 3, 3]);
    expect(records.every((r) => r.error === undefined)).toBe(true);
    expect(result.interrupted).toBe(false);
    expect(result.validity.problems.filter((p) => /interrupted/.test(p))).toEqual([]);
    expect(result.summary.counts).toMatchObject({ requests: 12, ok: 12, failed: 0, sessions: 4 });
  }, 30_000);

  it("concurrent traffic: lanes take no session after the end, and the sessions they hold finish", async () => {
    const { result, records, turns } = await runFor({ mode: "concurrent", concurrency: 2, durationSeconds: 1 });
    expect(turns.size).toBeGreaterThanOrEqual(2);
    expect(turns.size).toBeLessThan(1000);
    expect(new Set(turns.values())).toEqual(new Set([3]));
    expect(records.every((r) => r.error === undefined)).toBe(true);
    expect(result.interrupted).toBe(false);
    expect(result.summary.counts.sessions).toBe(turns.size);
  }, 30_000);
});
