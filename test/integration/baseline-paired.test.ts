// A workload judged against a baseline server in the same `vitest run`, end to end against real
// engines: describeWorkload({ repeats: 3, baseline: { url } }) interleaves the runs (baseline
// first, then the server first) and toMatchBaseline judges them pair by pair. Three pairs, not
// two: with two, Student's t has 1 degree of freedom (12.7 at 95%), and a 2x slower server with
// TTFC p50 87 ms against 45 passed on a noisy day because the interval reached below +10%. The project's engine
// is the baseline. Unchanged, the server under test is that same engine, and it passes; a second
// engine slowed 2x (SIGSTOP for half of every 10 ms) fails "across 3 interleaved pairs of runs".
// Unchanged is not a second engine process: two llama-server processes of one build differ by
// 10-19% from each other for as long as they run (README, "Measured here": 3 of 20 false alarms
// with two engines started once), which a 10% minimum effect cannot tell from a regression; on
// 2026-12-07 this test failed in CI that way (E2E p90 +13% in all 3 pairs). That limit is measured
// by `npm run bench:regression`, not asserted here. Restarting both sides before each pair (the
// next describe) puts that difference between the pairs, where the interval sees it. Then both sides as
// built-in engines run from given llama-server binaries (an engine repo's main and pull-request
// builds), which agentload starts afresh before each pair: each side serves from 2 processes.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { throttle } from "../../benchmarks/support/throttle.js";
import { findLlamaBuild } from "../../src/engine/llama-build.js";
import { startLlamaServer, type LlamaServer } from "../../src/engine/llama-server.js";
import { runVitestFixture } from "../support/vitest-fixture.js";

const engine = inject("engine");
const fixture = fileURLToPath(new URL("../../fixtures/vitest-regression", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "agentload-baseline-"));
const CASE = "coding agent &gt; latency matches the baseline server";

async function runFixture(label: string, server: { apiUrl: string }): Promise<string> {
  const env = { AGENTLOAD_FIXTURE_URL: server.apiUrl, AGENTLOAD_FIXTURE_BASELINE_URL: engine.apiUrl, AGENTLOAD_FIXTURE_OUTPUT: join(out, label), AGENTLOAD_FIXTURE_REPEATS: "3" };
  return (await runVitestFixture({ root: fixture, env, junit: join(out, `${label}.xml`), cacheDir: join(out, "vite-cache"), testCase: CASE })).testcase;
}

describe("a workload against a baseline server, runs interleaved", () => {
  let server: LlamaServer;
  beforeAll(async () => {
    server = await startLlamaServer({ slots: engine.slots });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  test("runs both sides in alternating order; the unchanged server passes, a 2x slower one fails pair by pair", async () => {
    expect(await runFixture("unchanged", engine)).not.toContain("<failure");
    // Six run folders: three of the baseline's, three of the server's (the same spec name).
    expect(readdirSync(join(out, "unchanged", "runs"))).toHaveLength(6);

    const slow = throttle(server.pid, 2);
    let slowed: string;
    try {
      slowed = await runFixture("slowed", server);
    } finally {
      await slow.stop();
    }
    expect(slowed).toContain("<failure");
    expect(slowed).toContain("changed beyond the allowed effect");
    expect(slowed).toMatch(/✗ \w+ p\d+: .* exceeds \+10% \(across 3 interleaved pairs of runs\)/);
  }, 600_000);
});

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("a workload against a baseline engine, both started by agentload from given binaries", () => {
  // A stand-in for an engine repo's build: a script that notes its process id and becomes the
  // cached llama-server (exec keeps the process id).
  function build(side: string): { path: string; pids: () => string[] } {
    const real = findLlamaBuild()!.serverPath;
    const pidFile = join(out, `${side}.pids`);
    const path = join(out, `${side}-llama-server`);
    writeFileSync(path, `#!/bin/sh\necho $$ >> '${pidFile}'\nexec '${real}' "$@"\n`);
    chmodSync(path, 0o755);
    return { path, pids: () => readFileSync(pidFile, "utf8").trim().split("\n") };
  }

  test.each([
    ["pair", 2],
    ["never", 1],
  ] as const)("restart %s: each side's engine processes over 2 pairs: %i", async (restart, processes) => {
    const server = build(`server-${restart}`);
    const baseline = build(`baseline-${restart}`);
    const env = {
      AGENTLOAD_FIXTURE_URL: engine.apiUrl,
      AGENTLOAD_FIXTURE_SERVER_PATH: server.path,
      AGENTLOAD_FIXTURE_BASELINE_PATH: baseline.path,
      AGENTLOAD_FIXTURE_RESTART: restart,
      AGENTLOAD_FIXTURE_OUTPUT: join(out, `engines-${restart}`),
      AGENTLOAD_FIXTURE_REPEATS: "2",
      // These cases are about the processes, not the verdict: at the bench's 10%, an unchanged
      // pair of engines failed here once on TPOT p50 +16%..+25% across 2 pairs (the offsets
      // restarts exist for; the bench measures their rate). 50% still judges both sides' runs.
      AGENTLOAD_FIXTURE_MIN_EFFECT: "0.5",
    };
    const run = await runVitestFixture({ root: fixture, env, junit: join(out, `engines-${restart}.xml`), cacheDir: join(out, "vite-cache"), testCase: CASE });
    expect(run.testcase).not.toContain("<failure");
    expect(readdirSync(join(out, `engines-${restart}`, "runs"))).toHaveLength(4);
    expect(new Set(server.pids()).size).toBe(processes);
    expect(new Set(baseline.pids()).size).toBe(processes);
    // Said on the workload's validity test (a JUnit property).
    const junit = readFileSync(join(out, `engines-${restart}.xml`), "utf8");
    if (restart === "pair") expect(junit).toContain(`the server&apos;s and the baseline&apos;s engine started afresh before each of the 2 pairs of runs`);
    else expect(junit).not.toContain("started afresh");
  }, 300_000);
});
