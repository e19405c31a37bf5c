// A run works out its ideal prefix cache when it ends (summary.prefix.ideal, in summary.json too):
// its records read back, its sessions built again. A scripted server that reports no cached
// tokens: every token the ideal cache had is short, by its request's reason.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MISS_REASONS } from "../../../src/metrics/ideal-cache.js";
import type { RunSummary } from "../../../src/metrics/summary.js";
import type { RequestRecord } from "../../../src/records/types.js";
import { runWorkload } from "../../../src/run/run.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { normalStream, startFaultServer, type FaultServer, type ReceivedRequest } from "../../support/fault-server.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer({
    fallback: (req: ReceivedRequest) =>
      req.url.endsWith("/chat/completions")
        ? normalStream({ tokens: ["a", " b", " c"], firstDelayMs: 5, gapMs: 2, usage: { prompt: 10, completion: 3, cached: 0 } })
        : { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] },
  });
});
afterAll(async () => {
  await server?.close();
});

const spec = validateSpec({
  name: "ideal",
  seed: 5,
  sessions: 3,
  agents: [
    { name: "main", scaffold: { systemTokens: 200, toolTokens: 0 }, turns: 3, freshInput: 16, output: 3, subagents: { agent: "helper", spawnProbability: 1, fanOut: 2, summaryTokens: 8, maxDepth: 1 } },
    { name: "helper", weight: 0, scaffold: { systemTokens: 100, toolTokens: 0 }, turns: 2, freshInput: 16, output: 3 },
  ],
  traffic: { mode: "concurrent", concurrency: 1 },
});

const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);

describe("a run's ideal prefix cache", () => {
  it("is in the summary and summary.json: scaffolds shared across sessions, the server's shortfall by reason", async () => {
    const result = await runWorkload({ spec, target: { apiUrl: server.baseUrl }, outDir: mkdtempSync(join(tmpdir(), "agentload-ideal-")), report: false, idealCache: { lruBlocks: 64 } });
    const ideal = result.summary.prefix.ideal!;
    expect(ideal.infinite.requests).toBe(result.summary.counts.ok);
    expect(ideal.infinite.promptTokens).toBe(result.summary.tokens.expectedPrompt);
    // History alone is what expectedReuse counts; the ideal adds the scaffolds later sessions and subagents find.
    expect(ideal.infinite.hitRate!).toBeGreaterThan(result.summary.prefix.expectedReuse!);
    expect(ideal.infinite.hitTokens + sum(ideal.infinite.missed) + ideal.infinite.fresh).toBe(ideal.infinite.promptTokens);
    expect(ideal.lru).toMatchObject({ blocks: 64, blockTokens: 16 });
    expect(ideal.lru!.hitTokens).toBeLessThan(ideal.infinite.hitTokens);
    // Nothing cached: every ideal token is short, by reason; subagents' first requests among them.
    const achieved = ideal.achieved!;
    expect(achieved.cachedTokens).toBe(0);
    expect(sum(achieved.missed)).toBe(achieved.idealTokens);
    expect(achieved.missed.spawn).toBeGreaterThan(0);
    expect(achieved.missed.scaffold).toBeGreaterThan(0);
    expect(achieved.missed.history + achieved.missed.fork).toBeGreaterThan(0);
    expect(Object.keys(achieved.missed)).toEqual([...MISS_REASONS]);
    // Each record keeps its scaffold's tokens (template included), the part sessions share.
    const records = readFileSync(join(result.dir, "records.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as RequestRecord);
    // Two scaffolds, 200 and 100 tokens, with the same template around each.
    const sizes = [...new Set(records.map((r) => r.scaffoldTokens ?? 0))].sort((a, b) => a - b);
    expect(sizes).toHaveLength(2);
    expect(sizes[1]! - sizes[0]!).toBe(100);
    expect(sizes[0]).toBeGreaterThanOrEqual(100);
    const written = JSON.parse(readFileSync(join(result.dir, "summary.json"), "utf8")) as { summary: RunSummary };
    expect(written.summary.prefix.ideal).toEqual(ideal);
  }, 30_000);

  it("is left out when asked", async () => {
    const result = await runWorkload({ spec, target: { apiUrl: server.baseUrl }, outDir: mkdtempSync(join(tmpdir(), "agentload-ideal-")), report: false, idealCache: false });
    expect(result.summary.prefix.ideal).toBeUndefined();
  }, 30_000);
});
