// Metric snapshots end to end, as an engine repository would use them: vitest -u writes the
// baseline against the real engine, an unchanged rerun passes, and a rerun against a server that
// lost its prefix cache (an injected regression) fails, with the change in the JUnit report; an
// entry whose test is gone is reported obsolete, and removed by vitest -u on a whole-file run.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, test } from "vitest";
import { runVitestFixture } from "../support/vitest-fixture.js";
import { startLlamaServer, type LlamaServer } from "../../src/engine/llama-server.js";

const engine = inject("engine");
const fixture = fileURLToPath(new URL("../../fixtures/vitest-snapshot", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "agentload-snapshot-"));
const CASE = "growing context &gt; ttfc matches its metric snapshot";

async function runFixture(url: string, label: string, update: boolean): Promise<string> {
  return (await runFixtureWithOutput(url, label, update)).testcase;
}

/** The fixture run's JUnit test case of CASE, and what went through vitest's logger. */
async function runFixtureWithOutput(url: string, label: string, update: boolean, options: { testNamePattern?: string } = {}): Promise<{ testcase: string; output: string }> {
  const env = { AGENTLOAD_FIXTURE_URL: url, AGENTLOAD_FIXTURE_OUTPUT: join(out, "agentload") };
  return runVitestFixture({ root: fixture, env, junit: join(out, `${label}.xml`), cacheDir: join(out, "vite-cache"), testCase: CASE, update, ...options });
}

describe("metric snapshots across runs", () => {
  let cacheOff: LlamaServer | undefined;
  rmSync(join(fixture, "workloads", "__metrics__"), { recursive: true, force: true });
  afterAll(async () => {
    await cacheOff?.stop();
    rmSync(join(fixture, "workloads", "__metrics__"), { recursive: true, force: true });
  });

  test("vitest -u writes the baseline; an unchanged rerun passes; losing the prefix cache fails in JUnit", async () => {
    const written = await runFixture(engine.apiUrl, "baseline", true);
    expect(written).not.toContain("<failure");
    expect(readFileSync(join(fixture, "workloads", "__metrics__", "context.workload.ts.json"), "utf8")).toContain('"ttfc"');

    const snapshotFile = join(fixture, "workloads", "__metrics__", "context.workload.ts.json");
    const unchanged = await runFixture(engine.apiUrl, "unchanged", false);
    expect(unchanged).not.toContain("<failure");

    // -u on an unchanged, passing run leaves the file byte for byte.
    const before = readFileSync(snapshotFile, "utf8");
    expect(await runFixture(engine.apiUrl, "unchanged-update", true)).not.toContain("<failure");
    expect(readFileSync(snapshotFile, "utf8")).toBe(before);

    // Another workload (4 sessions instead of 3) is not compared with this baseline.
    process.env.AGENTLOAD_FIXTURE_SESSIONS = "4";
    try {
      const other = await runFixture(engine.apiUrl, "different", false);
      expect(other).toContain("<failure");
      expect(other).toMatch(/is for a different workload \(spec [0-9a-f]{16} -&gt; [0-9a-f]{16}\): not compared; update it with vitest -u/);
    } finally {
      delete process.env.AGENTLOAD_FIXTURE_SESSIONS;
    }

    cacheOff = await startLlamaServer({ prefixCache: false, slots: 1 });
    const regressed = await runFixture(cacheOff.apiUrl, "regressed", false);
    expect(regressed).toContain("<failure");
    expect(regressed).toMatch(/ttfc p50: [\d.]+m?s -&gt; [\d.]+m?s \(\+\d+%/);
  }, 300_000);

  test("an entry no test checks is obsolete: reported and kept without -u or on a filtered run, removed by -u on the whole file", async () => {
    const snapshotFile = join(fixture, "workloads", "__metrics__", "context.workload.ts.json");
    const keys = () => Object.keys((JSON.parse(readFileSync(snapshotFile, "utf8")) as { entries: object }).entries);
    const ttfcKey = "growing context > ttfc matches its metric snapshot 1";
    const e2eKey = "growing context > e2e matches its metric snapshot 1";
    rmSync(join(fixture, "workloads", "__metrics__"), { recursive: true, force: true });
    // One session (8 requests) keeps these runs cheap; the comparisons it makes may be
    // inconclusive, which is beside the point here.
    process.env.AGENTLOAD_FIXTURE_SESSIONS = "1";
    try {
      process.env.AGENTLOAD_FIXTURE_EXTRA = "1";
      const written = await runFixtureWithOutput(engine.apiUrl, "obsolete-written", true);
      delete process.env.AGENTLOAD_FIXTURE_EXTRA;
      expect(written.output).toContain("agentload metric snapshots: 2 written");
      expect(keys()).toEqual([e2eKey, ttfcKey]);
      const v2 = JSON.parse(readFileSync(snapshotFile, "utf8")) as { version: number; entries: Record<string, object>; histograms: Record<string, object> };
      expect(v2.version).toBe(2);
      expect(Object.keys(v2.histograms)).toEqual([e2eKey, ttfcKey]);
      expect(v2.entries[ttfcKey]).not.toHaveProperty("histograms");

      // The e2e test is gone: without -u its entry is reported and kept.
      const kept = await runFixtureWithOutput(engine.apiUrl, "obsolete-kept", false);
      expect(kept.output).toContain("agentload metric snapshots: 1 obsolete (run vitest -u to remove)");
      expect(kept.output).toContain(`obsolete: workloads/__metrics__/context.workload.ts.json › ${JSON.stringify(e2eKey)}`);
      expect(keys()).toEqual([e2eKey, ttfcKey]);

      // -u on part of the file (-t): kept all the same.
      const filtered = await runFixtureWithOutput(engine.apiUrl, "obsolete-filtered", true, { testNamePattern: "ttfc matches" });
      expect(filtered.output).toContain("1 obsolete kept (their test file did not run whole; run all of it with vitest -u to remove)");
      expect(keys()).toEqual([e2eKey, ttfcKey]);

      // -u on the whole file removes it.
      const removed = await runFixtureWithOutput(engine.apiUrl, "obsolete-removed", true);
      expect(removed.output).toMatch(/agentload metric snapshots: (1 updated, )?1 obsolete removed/);
      expect(removed.output).toContain(`removed: workloads/__metrics__/context.workload.ts.json › ${JSON.stringify(e2eKey)}`);
      expect(keys()).toEqual([ttfcKey]);
    } finally {
      delete process.env.AGENTLOAD_FIXTURE_SESSIONS;
      delete process.env.AGENTLOAD_FIXTURE_EXTRA;
    }
  }, 300_000);
});
