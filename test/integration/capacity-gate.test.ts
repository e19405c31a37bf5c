// describeCapacity end to end against the real engine, as an engine repository would gate on
// capacity: the search runs before the tests (one vitest run of the fixture), toSustain passes a
// load it showed healthy and fails one it did not reach, saying why, in the JUnit report.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, test } from "vitest";
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

describe("describeCapacity", () => {
  test("a load the search showed healthy passes; one beyond it fails with the reason", async () => {
    const junit = join(out, "capacity.xml");
    const env = { AGENTLOAD_FIXTURE_URL: engine.apiUrl, AGENTLOAD_FIXTURE_OUTPUT: join(out, "agentload") };
    const run = await runVitestFixture({ root: fixture, env, junit, cacheDir: join(out, "vite-cache"), testCase: "agent capacity &gt; sustains 1000 sessions at once" });
    expect(run.testcase).toContain("<failure");
    expect(run.testcase).toMatch(/&quot;agent capacity&quot;(?: does not sustain concurrency 1000 sessions at once: it failed at \d+|: inconclusive at concurrency 1000 sessions at once)/);
    const xml = readFileSync(junit, "utf8");
    expect(testCaseOf(xml, "sustains one session at a time")).not.toContain("<failure");
    expect(testCaseOf(xml, "capacity search")).not.toContain("<failure");
  }, 600_000);
});
