// A workload judged against a baseline server in the same `vitest run`, end to end against real
// engines: describeWorkload({ repeats: 2, baseline: { url } }) interleaves the runs (baseline
// first, then the server first) and toMatchBaseline judges them pair by pair. The project's engine
// is the baseline, a second engine the server under test: unchanged it passes; slowed 2x (SIGSTOP
// for half of every 10 ms) it fails "across 2 interleaved pairs of runs".
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { throttle } from "../../benchmarks/support/throttle.js";
import { startLlamaServer, type LlamaServer } from "../../src/engine/llama-server.js";
import { runVitestFixture } from "../support/vitest-fixture.js";

const engine = inject("engine");
const fixture = fileURLToPath(new URL("../../fixtures/vitest-regression", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "agentload-baseline-"));
const CASE = "coding agent &gt; latency matches the baseline server";

async function runFixture(label: string, server: LlamaServer): Promise<string> {
  const env = { AGENTLOAD_FIXTURE_URL: server.apiUrl, AGENTLOAD_FIXTURE_BASELINE_URL: engine.apiUrl, AGENTLOAD_FIXTURE_OUTPUT: join(out, label), AGENTLOAD_FIXTURE_REPEATS: "2" };
  return (await runVitestFixture({ root: fixture, env, junit: join(out, `${label}.xml`), cacheDir: join(out, "vite-cache"), testCase: CASE })).testcase;
}

describe("a workload against a baseline server, runs interleaved", () => {
  let server: LlamaServer;
  beforeAll(async () => {
    server = await startLlamaServer({ slots: engine.slots });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  test("runs both sides in alternating order; unchanged passes, a 2x slower server fails pair by pair", async () => {
    expect(await runFixture("unchanged", server)).not.toContain("<failure");
    // Four run folders: two of the baseline's, two of the server's (the same spec name).
    expect(readdirSync(join(out, "unchanged", "runs"))).toHaveLength(4);

    const slow = throttle(server.pid, 2);
    let slowed: string;
    try {
      slowed = await runFixture("slowed", server);
    } finally {
      await slow.stop();
    }
    expect(slowed).toContain("<failure");
    expect(slowed).toContain("changed beyond the allowed effect");
    expect(slowed).toMatch(/✗ \w+ p\d+: .* exceeds \+10% \(across 2 interleaved pairs of runs\)/);
  }, 600_000);
});
