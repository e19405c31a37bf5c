import { describe, expect, test } from "vitest";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import { resolveSlo } from "../../../src/metrics/slo.js";
import { runValidity } from "../../../src/metrics/validity.js";
import { combineRepeats } from "../../../src/run/repeat.js";
import type { RunResult } from "../../../src/run/run.js";
import { syntheticRecords, type SyntheticRunOptions } from "../../support/synthetic-run.js";

function result(dir: string, o: SyntheticRunOptions, fingerprint = { spec: "abc", sessions: 4 }): RunResult {
  const summary = summarizeRecords(syntheticRecords(o), { wallMs: 60_000 });
  return { dir, summary, verdicts: [], passed: true, interrupted: false, validity: runValidity(summary), fingerprint };
}

describe("combineRepeats", () => {
  const slo = resolveSlo({ errorRate: { max: 0.1 } });

  test("pools the runs' requests, keeps each run's summary, and judges the SLOs on the pool", () => {
    const runs = [result("r1", { seed: "a", requests: 60 }), result("r2", { seed: "b", requests: 60, failures: 20 })];
    const combined = combineRepeats(runs, slo);
    expect(combined.summary.counts.requests).toBe(140);
    expect(combined.repeats).toEqual(runs.map((r) => r.summary));
    expect(combined.dirs).toEqual(["r1", "r2"]);
    expect(combined.dir).toBe("r1");
    // 20 of 140 failed: 14.3% > 10%.
    expect(combined.verdicts).toHaveLength(1);
    expect(combined.passed).toBe(false);
  });

  test("is valid only when every run is, and says which run was not", () => {
    const runs = [result("r1", { seed: "a", requests: 60 }), result("r2", { seed: "b", requests: 60, failures: 20 })];
    const combined = combineRepeats(runs, []);
    expect(combined.validity.valid).toBe(false);
    expect(combined.validity.problems).toEqual([expect.stringMatching(/^run 2 of 2: 20 of 80 requests failed/)]);
  });

  test("runs of different workloads are not one measurement", () => {
    const runs = [result("r1", { seed: "a", requests: 30 }), result("r2", { seed: "b", requests: 30 }, { spec: "def", sessions: 4 })];
    expect(combineRepeats(runs, []).validity.problems).toContain("the runs did not run the same workload (their fingerprints differ)");
  });

  test("one run is returned with its own verdicts and unlabelled problems", () => {
    const only = result("r1", { seed: "a", requests: 10, failures: 10 });
    const combined = combineRepeats([only], slo);
    expect(combined.verdicts).toBe(only.verdicts);
    expect(combined.validity.problems).toEqual(only.validity.problems);
    expect(() => combineRepeats([], slo)).toThrow(/no runs/);
  });
});
