// Metric snapshots end to end, as an engine repository would use them: vitest -u writes the
// baseline against the real engine, an unchanged rerun passes, and a rerun against a server that
// lost its prefix cache (an injected regression) fails, with the change in the JUnit report.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, test } from "vitest";
import { startVitest } from "vitest/node";
import { startLlamaServer, type LlamaServer } from "../../src/engine/llama-server.js";

const engine = inject("engine");
const fixture = fileURLToPath(new URL("../../fixtures/vitest-snapshot", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "agentload-snapshot-"));
const CASE = "growing context &gt; ttfc matches its metric snapshot";

async function runFixture(url: string, label: string, update: boolean): Promise<string> {
  const junit = join(out, `${label}.xml`);
  const saved = { url: process.env.AGENTLOAD_FIXTURE_URL, output: process.env.AGENTLOAD_FIXTURE_OUTPUT, exitCode: process.exitCode };
  process.env.AGENTLOAD_FIXTURE_URL = url;
  process.env.AGENTLOAD_FIXTURE_OUTPUT = join(out, "agentload");
  try {
    const vitest = await startVitest("test", [], { root: fixture, watch: false, update, reporters: [["junit", { outputFile: junit }]] }, { cacheDir: join(out, "vite-cache") });
    await vitest.close();
  } finally {
    process.exitCode = saved.exitCode; // the regressed run fails on purpose
    if (saved.url === undefined) delete process.env.AGENTLOAD_FIXTURE_URL;
    else process.env.AGENTLOAD_FIXTURE_URL = saved.url;
    if (saved.output === undefined) delete process.env.AGENTLOAD_FIXTURE_OUTPUT;
    else process.env.AGENTLOAD_FIXTURE_OUTPUT = saved.output;
  }
  const xml = readFileSync(junit, "utf8");
  const start = xml.indexOf(`name="${CASE}"`);
  if (start < 0) throw new Error(`${label}: no test case '${CASE}' in the JUnit report:\n${xml.slice(0, 2000)}`);
  return xml.slice(start, xml.indexOf("</testcase>", start));
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
});
