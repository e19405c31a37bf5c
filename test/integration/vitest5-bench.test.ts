// vitest 5's bench API with agentload's benchmark provider, end to end on the real engine, as an
// engine repository would use it: `vitest -u` writes a bench result's baseline into
// __benchmarks__/, an unchanged rerun passes, a rerun against a server that lost its prefix cache
// fails with the metric, the percentiles and the interval; and a bench.compare() of cache on vs
// off passes toBeFasterThan the right way round and fails it the other way. Under vitest 4 (no
// bench fixture, no providers) the block is skipped, named so; the vitest 5 leg of CI runs it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, test } from "vitest";
import { startVitest } from "vitest/node";
import { startLlamaServer, type LlamaServer } from "../../src/engine/llama-server.js";
import { vitestMajor } from "../../src/vitest/plugin.js";

const engine = inject("engine");
const fixture = fileURLToPath(new URL("../../fixtures/vitest5-bench", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "agentload-bench5-"));
const baselineFile = join(fixture, "bench", "__benchmarks__", "baseline.bench.ts.json");
const v5 = vitestMajor() >= 5;

function testcase(xml: string, name: string): string {
  const escaped = name.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const start = xml.indexOf(`name="${escaped}"`);
  if (start < 0) throw new Error(`no test case ${JSON.stringify(name)} in the JUnit report:\n${xml.slice(0, 3000)}`);
  return xml.slice(start, xml.indexOf("</testcase>", start));
}

async function runFixture(url: string, label: string, bench: string, update: boolean): Promise<string> {
  const junit = join(out, `${label}.xml`);
  const saved = { url: process.env.AGENTLOAD_FIXTURE_URL, output: process.env.AGENTLOAD_FIXTURE_OUTPUT, bench: process.env.AGENTLOAD_FIXTURE_BENCH, exitCode: process.exitCode };
  process.env.AGENTLOAD_FIXTURE_URL = url;
  process.env.AGENTLOAD_FIXTURE_OUTPUT = join(out, "agentload");
  process.env.AGENTLOAD_FIXTURE_BENCH = bench;
  try {
    const vitest = await startVitest("test", [], { root: fixture, watch: false, update, passWithNoTests: true, reporters: [["junit", { outputFile: junit }]] }, { cacheDir: join(out, "vite-cache") });
    await vitest.close();
  } finally {
    process.exitCode = saved.exitCode; // some fixture tests fail on purpose
    for (const [key, value] of [["AGENTLOAD_FIXTURE_URL", saved.url], ["AGENTLOAD_FIXTURE_OUTPUT", saved.output], ["AGENTLOAD_FIXTURE_BENCH", saved.bench]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return readFileSync(junit, "utf8");
}

describe.skipIf(!v5)(`vitest 5 bench with agentload's provider${v5 ? "" : " (skipped: this run has vitest 4; the vitest 5 leg of CI runs it)"}`, () => {
  let cacheOff: LlamaServer | undefined;
  rmSync(join(fixture, "bench", "__benchmarks__"), { recursive: true, force: true });
  afterAll(async () => {
    await cacheOff?.stop();
    rmSync(join(fixture, "bench", "__benchmarks__"), { recursive: true, force: true });
  });

  test("vitest -u writes the bench baseline; an unchanged rerun passes; losing the prefix cache fails with the interval", async () => {
    const CASE = "ttfc matches its baseline";
    const written = testcase(await runFixture(engine.apiUrl, "baseline", "bench/baseline.bench.ts", true), CASE);
    expect(written).not.toContain("<failure");
    expect(existsSync(baselineFile)).toBe(true);
    expect(readFileSync(baselineFile, "utf8")).toContain('"ttfc"');

    const unchanged = testcase(await runFixture(engine.apiUrl, "unchanged", "bench/baseline.bench.ts", false), CASE);
    expect(unchanged).not.toContain("<failure");

    cacheOff = await startLlamaServer({ prefixCache: false, slots: 1 });
    const regressed = testcase(await runFixture(cacheOff.apiUrl, "regressed", "bench/baseline.bench.ts", false), CASE);
    expect(regressed).toContain("<failure");
    // The metric, both percentiles' values and the confidence interval of the change.
    expect(regressed).toMatch(/ttfc p50: [\d.]+m?s -&gt; [\d.]+m?s \(\+\d+%, 95% CI \+\d+%\.\.\+\d+%\) exceeds \+100%/);
  }, 600_000);

  test("bench.compare() of cache on vs off: toBeFasterThan passes the right way round and fails the other way", async () => {
    const xml = await runFixture(engine.apiUrl, "compare", "bench/compare.bench.ts", false);
    const right = testcase(xml, "cache on is faster than cache off");
    const wrong = testcase(xml, "cache off is faster than cache on (must fail)");
    expect(right).not.toContain("<failure");
    expect(wrong).toContain("<failure");
    expect(wrong).toMatch(/ttfc p50: &quot;cache off&quot; [\d.]+m?s vs &quot;cache on&quot; [\d.]+m?s \(\+\d+%, 95% CI \+\d+%\.\.\+\d+%/);
    // vitest's own table rows: one per registration, per-request TTFC.
    expect(xml).toContain("cache on · ttfc");
  }, 600_000);
});
