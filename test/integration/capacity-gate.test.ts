// describeCapacity end to end against the real engine, as an engine repository would gate on
// capacity: the search runs before the tests (one vitest run of the fixture), toSustain passes a
// load it showed healthy and fails one it did not reach, saying why, in the JUnit report; vitest
// -u keeps the frontier as a capacity snapshot, and a later search that cannot show it still
// holds the stored frontier (here: a baseline edited to claim 1000 sessions) fails.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, test } from "vitest";
import { runVitestFixture } from "../support/vitest-fixture.js";

const engine = inject("engine");
const fixture = fileURLToPath(new URL("../../fixtures/vitest-capacity", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "agentload-capacity-"));

/** The test case named `name` of a JUnit report, up to its closing tag. */
function testCaseOf(xml: string, name: string): string {
  const start = xml.indexOf(`name="agent capacity &gt; ${name}"`);
  if (start < 0) throw new Error(`no test case '${name}' in the JUnit report:\n${xml.slice(0, 2000)}`);
  return xml.slice(start, xml.indexOf("</testcase>", start));
}

const snapshots = join(fixture, "workloads", "__capacity__");
const snapshotFile = join(snapshots, "capacity.workload.ts.json");

describe("describeCapacity", () => {
  rmSync(snapshots, { recursive: true, force: true });
  afterAll(() => rmSync(snapshots, { recursive: true, force: true }));
  const env = { AGENTLOAD_FIXTURE_URL: engine.apiUrl, AGENTLOAD_FIXTURE_OUTPUT: join(out, "agentload") };

  test("a load the search showed healthy passes; one beyond it fails with the reason; -u keeps the frontier", async () => {
    const junit = join(out, "capacity.xml");
    const run = await runVitestFixture({ root: fixture, env, junit, cacheDir: join(out, "vite-cache"), testCase: "agent capacity &gt; sustains 1000 sessions at once", update: true });
    expect(run.testcase).toContain("<failure");
    expect(run.testcase).toMatch(/&quot;agent capacity&quot;(?: does not sustain concurrency 1000 sessions at once: it failed at \d+|: inconclusive at concurrency 1000 sessions at once)/);
    const xml = readFileSync(junit, "utf8");
    expect(testCaseOf(xml, "sustains one session at a time")).not.toContain("<failure");
    expect(testCaseOf(xml, "capacity search")).not.toContain("<failure");
    expect(testCaseOf(xml, "matches its capacity snapshot")).not.toContain("<failure");
    const stored = JSON.parse(readFileSync(snapshotFile, "utf8")) as { entries: Record<string, { over: string; frontier: number; points: unknown[] }> };
    const entry = stored.entries["agent capacity > matches its capacity snapshot 1"]!;
    expect(entry.over).toBe("concurrency");
    expect(entry.frontier).toBeGreaterThanOrEqual(1);
    expect(entry.points.length).toBeGreaterThan(0);
  }, 600_000);

  test("a search that cannot show the stored frontier fails its capacity snapshot, saying why", async () => {
    const stored = JSON.parse(readFileSync(snapshotFile, "utf8")) as { entries: Record<string, { frontier: number; firstFailing: number | null }> };
    const entry = stored.entries["agent capacity > matches its capacity snapshot 1"]!;
    entry.frontier = 1000;
    entry.firstFailing = 1100;
    writeFileSync(snapshotFile, JSON.stringify(stored, null, 2));
    const run = await runVitestFixture({
      root: fixture,
      env,
      junit: join(out, "capacity-again.xml"),
      cacheDir: join(out, "vite-cache"),
      testCase: "agent capacity &gt; matches its capacity snapshot",
      testNamePattern: "capacity search|matches its capacity snapshot",
    });
    expect(run.testcase).toContain("<failure");
    // The fixture's search (at most 4 points from 1) neither holds 750 sessions (1000 less 25%) nor fails below it.
    expect(run.testcase).toMatch(/capacity snapshot &quot;agent capacity &gt; matches its capacity snapshot 1&quot; .*: (?:inconclusive: the search held no load at or above 750 sessions at once|the capacity dropped)/);
  }, 600_000);
});
