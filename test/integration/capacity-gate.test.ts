// describeCapacity end to end against the real engine, as an engine repository would gate on
// capacity: the search runs before the tests, toSustain passes a load it showed healthy and fails
// one it did not reach, saying why, in the JUnit report.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, test } from "vitest";
import { runVitestFixture } from "../support/vitest-fixture.js";

const engine = inject("engine");
const fixture = fileURLToPath(new URL("../../fixtures/vitest-capacity", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "agentload-capacity-"));

async function testCase(name: string): Promise<{ testcase: string; output: string }> {
  const env = { AGENTLOAD_FIXTURE_URL: engine.apiUrl, AGENTLOAD_FIXTURE_OUTPUT: join(out, "agentload") };
  return runVitestFixture({ root: fixture, env, junit: join(out, `${name.replace(/\W+/g, "-")}.xml`), cacheDir: join(out, "vite-cache"), testCase: `agent capacity &gt; ${name}` });
}

describe("describeCapacity", () => {
  test("a load the search showed healthy passes; one beyond it fails with the reason", async () => {
    const run = await testCase("sustains 1000 sessions at once");
    expect(run.testcase).toContain("<failure");
    expect(run.testcase).toMatch(/&quot;agent capacity&quot; (does not sustain concurrency 1000 sessions at once: it failed at \d+|: inconclusive at concurrency 1000 sessions at once)/);
    expect(run.output).toMatch(/agentload: agent capacity: concurrency 1 \(run 1\): healthy/);
    const one = await testCase("sustains one session at a time");
    expect(one.testcase).not.toContain("<failure");
  }, 600_000);
});
