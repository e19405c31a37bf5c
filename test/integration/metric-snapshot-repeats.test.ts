// Metric snapshots judged across runs (`repeats`), end to end against the real engine: vitest -u
// keeps each run's statistics in the entry, an unchanged rerun passes, and a rerun against the
// engine slowed 2x (SIGSTOP for half of every 30 ms) fails with a comparison "across 4 and 4 runs".
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, test } from "vitest";
import { throttle } from "../../benchmarks/support/throttle.js";
import { runVitestFixture } from "../support/vitest-fixture.js";

const engine = inject("engine");
const fixture = fileURLToPath(new URL("../../fixtures/vitest-regression", import.meta.url));
const snapshots = join(fixture, "workloads", "__metrics__");
const out = mkdtempSync(join(tmpdir(), "agentload-repeats-"));
const CASE = "coding agent &gt; latency matches its metric snapshot";
// The default minimum effect (25%), not the bench's 10%: against a stored snapshot, unchanged
// reruns fail at 10% (4 of 9 in `npm run bench:regression -- 9 snapshot`; here once in CI, TPOT
// p90 +43%, 95% CI +20%..+69%, across 2 and 2 runs). This test is about what the entry keeps and
// how a comparison across runs reads; the false-alarm rate is the bench's figure.
// Three runs a side: with two, an interval across runs is wide enough that in 2 of 3 full CI runs of
// 2026-12-06 the 2x slowed engine's percentiles straddled +25% and matched (a straddling interval
// is the noise band, as designed); alone the test passed every time. Four a side since: the
// engine's speed moves 15-25% between runs (compare-slowdown.test.ts measured a log spread of
// about 0.18), and at that spread Welch's 95% interval across 3 and 3 runs puts a 2x slowdown's
// low end near +30%, a hair above the +25% it must clear; across 4 and 4, near +43%.
const ENV = { AGENTLOAD_FIXTURE_URL: engine.apiUrl, AGENTLOAD_FIXTURE_OUTPUT: join(out, "agentload"), AGENTLOAD_FIXTURE_REPEATS: "4", AGENTLOAD_FIXTURE_MIN_EFFECT: "0.25" };

async function runFixture(label: string, update: boolean): Promise<string> {
  return (await runVitestFixture({ root: fixture, env: ENV, junit: join(out, `${label}.xml`), cacheDir: join(out, "vite-cache"), testCase: CASE, update })).testcase;
}

describe("metric snapshots across repeated runs", () => {
  rmSync(snapshots, { recursive: true, force: true });
  afterAll(() => {
    rmSync(snapshots, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  test("the baseline keeps each run; unchanged passes; a 2x slower engine fails across runs", async () => {
    expect(await runFixture("baseline", true)).not.toContain("<failure");
    const file = JSON.parse(readFileSync(join(snapshots, "regression.workload.ts.json"), "utf8")) as { entries: Record<string, { repeats?: { ttfc?: { p50: number } }[] }> };
    const entry = Object.values(file.entries)[0];
    expect(entry?.repeats).toHaveLength(4);
    expect(entry?.repeats?.[0]?.ttfc?.p50).toBeGreaterThan(0);

    expect(await runFixture("unchanged", false)).not.toContain("<failure");

    const slow = throttle(engine.pid, 2);
    let slowed: string;
    try {
      slowed = await runFixture("slowed", false);
    } finally {
      await slow.stop();
    }
    expect(slowed).toContain("<failure");
    expect(slowed).toMatch(/✗ \w+ p\d+: .* exceeds \+25% \(across 4 and 4 runs\)/);
  }, 600_000);
});
