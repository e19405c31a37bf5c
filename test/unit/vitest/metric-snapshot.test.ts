import { existsSync, readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { agentloadMatchers, installMatchers } from "../../../src/vitest/matchers.js";
import {
  checkMetricSnapshot,
  metricSnapshotPath,
  readMetricSnapshotFile,
  type HostEnvironment,
  type MetricSnapshotRequest,
} from "../../../src/vitest/metric-snapshot.js";
import type { WorkloadRun } from "../../../src/vitest/run-view.js";
import { syntheticRun } from "../../support/synthetic-run.js";

installMatchers(expect);

const host: HostEnvironment = { runtime: "node 20.0.0", platform: "linux", arch: "x64", cpus: 2, cpuModel: "test cpu" };
const server = { engine: "llama.cpp", model: "tiny.gguf", slots: 4 };
const baseline = syntheticRun("chain", { seed: "baseline" }, server);
const rerun = syntheticRun("chain", { seed: "rerun" }, server);
const slowed = syntheticRun("chain", { seed: "slowed", slowdown: 1.5 }, server);

let dir: string;
let testFile: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "agentload-metric-snapshot-"));
  testFile = path.join(dir, "coding.workload.ts");
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

const check = (run: WorkloadRun, over: Partial<MetricSnapshotRequest> = {}) =>
  checkMetricSnapshot({ testFile, key: "chain > latency 1", run, update: "new", ci: false, host, savedAt: new Date("2025-01-02T03:04:05Z"), ...over });

describe("metricSnapshotPath", () => {
  it("puts the file in __metrics__ next to the test file", () => {
    expect(metricSnapshotPath("/repo/benchmarks/coding.workload.ts")).toBe("/repo/benchmarks/__metrics__/coding.workload.ts.json");
  });
});

describe("checkMetricSnapshot", () => {
  it("writes a missing snapshot with the histograms, summary figures and environment", () => {
    const result = check(baseline);
    expect([result.outcome, result.pass]).toEqual(["written", true]);
    const file = readMetricSnapshotFile(metricSnapshotPath(testFile));
    const entry = file.entries["chain > latency 1"]!;
    expect(entry.histograms).toEqual(baseline.summary.histograms);
    expect(Object.keys(entry.histograms)).toEqual(expect.arrayContaining(["ttfc", "tpot", "e2e", "tbc"]));
    expect(entry).toMatchObject({
      workload: "chain",
      savedAt: "2025-01-02T03:04:05.000Z",
      environment: { server, host },
      counts: baseline.summary.counts,
      errorRate: 0,
    });
    // The figures a reviewer reads are rounded to the µs; the histograms are what is compared.
    expect(entry.latency.ttfc!.p50).toBeCloseTo(baseline.summary.latency.ttfc!.p50, 3);
    expect(String(entry.latency.e2e!.mean)).toMatch(/^\d+(\.\d{1,3})?$/);
    expect(entry.throughput.requestsPerSec).toBeCloseTo(baseline.summary.throughput.requestsPerSec, 3);
  });

  it("a percentile with too few values fails as inconclusive, unless the test opts out", () => {
    check(baseline);
    const few = check(rerun, { compare: { percentiles: [50, 99.9] } });
    expect([few.outcome, few.pass]).toEqual(["inconclusive", false]);
    expect(few.message).toMatch(/inconclusive, 3 of 6 percentiles could not be compared/);
    expect(few.message).toMatch(/ttfc p99.9: not compared, too few values \(baseline 300, new 300; needs 500\d\)/);
    expect(check(rerun, { compare: { percentiles: [50, 99.9] }, allowInconclusive: true }).pass).toBe(true);
    // Comparing nothing at all never passes, even when inconclusive percentiles are allowed.
    for (const compare of [{ percentiles: [99.9] }, { metrics: [] }]) {
      const none = check(rerun, { compare, allowInconclusive: true });
      expect([none.outcome, none.pass]).toEqual(["inconclusive", false]);
      expect(none.message).toMatch(/inconclusive, no percentile could be compared/);
    }
  });

  it("a baseline of another workload is not compared: it says so instead of reporting a regression", () => {
    check({ ...baseline, fingerprint: { spec: "aaaa", sessions: 4 } });
    const other = check({ ...slowed, fingerprint: { spec: "bbbb", sessions: 4 } });
    expect([other.outcome, other.pass]).toEqual(["different-workload", false]);
    expect(other.message).toMatch(/is for a different workload \(spec aaaa -> bbbb\): not compared; update it with vitest -u/);
  });

  it("-u leaves a passing entry byte for byte and rewrites only a failing one", () => {
    check(baseline);
    const path = metricSnapshotPath(testFile);
    const before = readFileSync(path, "utf8");
    expect(check(rerun, { update: "all", savedAt: new Date("2030-01-01T00:00:00Z") }).outcome).toBe("matched");
    expect(readFileSync(path, "utf8")).toBe(before);
    expect(check(slowed, { update: "all" }).outcome).toBe("updated");
    expect(readFileSync(path, "utf8")).not.toBe(before);
  });

  it("matches an unchanged rerun and fails a 1.5x slower one, listing old -> new with the interval", () => {
    check(baseline);
    const same = check(rerun);
    expect([same.outcome, same.pass]).toEqual(["matched", true]);
    const slow = check(slowed);
    expect([slow.outcome, slow.pass]).toEqual(["regressed", false]);
    expect(slow.message).toMatch(/^metric snapshot "chain > latency 1" \(.*coding\.workload\.ts\.json\): \d of 6 percentiles changed beyond the allowed effect/);
    expect(slow.message).toMatch(/^ {2}✗ tpot p50: [\d.]+ms -> [\d.]+ms \(\+\d+%, 95% CI \+\d+%\.\.\+\d+%\) exceeds \+25%$/m);
    expect(slow.message).toContain("rerun with vitest -u");
    // A failed comparison leaves the baseline alone.
    expect(readMetricSnapshotFile(metricSnapshotPath(testFile)).entries["chain > latency 1"]!.histograms).toEqual(baseline.summary.histograms);
  });

  it("passes compare options through", () => {
    check(baseline);
    expect(check(slowed, { compare: { minEffect: 0.8 } }).pass).toBe(true);
    expect(check(slowed, { compare: { metrics: ["tbc"], percentiles: [50] } }).comparison!.comparisons.map((c) => c.label)).toEqual(["tbc p50"]);
  });

  it("rewrites the entry in update mode (vitest -u) and keeps the others", () => {
    check(baseline);
    check(baseline, { key: "other 1" });
    const updated = check(slowed, { update: "all", savedAt: new Date("2025-02-01T00:00:00Z") });
    expect([updated.outcome, updated.pass]).toEqual(["updated", true]);
    const file = readMetricSnapshotFile(metricSnapshotPath(testFile));
    expect(Object.keys(file.entries)).toEqual(["chain > latency 1", "other 1"]);
    expect(file.entries["chain > latency 1"]!.histograms).toEqual(slowed.summary.histograms);
    expect(file.entries["chain > latency 1"]!.savedAt).toBe("2025-02-01T00:00:00.000Z");
    expect(check(slowed).outcome).toBe("matched");
  });

  it("fails a missing snapshot in CI (or with updates off) without writing it, unless updating", () => {
    const missing = check(baseline, { ci: true });
    expect([missing.outcome, missing.pass]).toEqual(["missing", false]);
    expect(missing.message).toMatch(/^missing metric snapshot "chain > latency 1" in .*coding\.workload\.ts\.json: run vitest -u to write it \(CI is set/);
    expect(existsSync(metricSnapshotPath(testFile))).toBe(false);
    expect(check(baseline, { update: "none" }).message).toMatch(/run vitest -u to write it \(snapshot updates are off/);
    expect(check(baseline, { ci: true, update: "all" }).outcome).toBe("written");
    // Once there, CI compares against it.
    expect(check(rerun, { ci: true, update: "none" }).outcome).toBe("matched");
  });

  it("notes where the baseline was measured differently", () => {
    check(baseline);
    const other = syntheticRun("chain", { seed: "rerun" }, { ...server, model: "other.gguf" });
    const result = check(other, { host: { ...host, runtime: "bun 1.2.0" } });
    expect(result.environmentChanges).toEqual(["model tiny.gguf -> other.gguf", "runtime node 20.0.0 -> bun 1.2.0"]);
  });

  it("names the file when it is not a metric snapshot file", () => {
    const file = metricSnapshotPath(testFile);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, "{ nope");
    expect(() => check(baseline)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not valid JSON`));
    writeFileSync(file, JSON.stringify({ entries: {} }));
    expect(() => check(baseline)).toThrow(/not a metric snapshot file: expected \{ "version": 2, "entries": \{ \.\.\. \}, "histograms": \{ \.\.\. \} \} \(or a version 1 file\)/);
    writeFileSync(file, JSON.stringify({ version: 1, entries: { "chain > latency 1": { workload: "chain" } } }));
    expect(() => check(baseline)).toThrow(/entries\["chain > latency 1"\]: expected an object with "histograms"/);
    writeFileSync(file, JSON.stringify({ version: 2, entries: { "chain > latency 1": { workload: "chain" } }, histograms: {} }));
    expect(() => check(baseline)).toThrow(/histograms\["chain > latency 1"\]: expected the histograms of entries\["chain > latency 1"\]/);
    writeFileSync(file, JSON.stringify({ version: 3, entries: {} }));
    expect(() => check(baseline)).toThrow(/version 3 was written by a newer agentload \(this one reads versions 1 and 2\); upgrade agentload/);
  });
});

describe("checkMetricSnapshot with repeats", () => {
  /** A run of `n` repeats: each repeat's statistics from its own seeded synthetic run. */
  const repeated = (seed: string, n: number, slowdown = 1): WorkloadRun => {
    const runs = Array.from({ length: n }, (_, i) => syntheticRun("chain", { seed: `${seed}-${i}`, slowdown }, server));
    return { ...runs[0]!, repeats: runs.map((r) => r.summary.latency) };
  };
  const options = { compare: { minEffect: 0.1 } };

  it("keeps each run's statistics and judges across runs when both sides have repeats", () => {
    expect(check(repeated("base", 3), options).outcome).toBe("written");
    const entry = readMetricSnapshotFile(metricSnapshotPath(testFile)).entries["chain > latency 1"]!;
    expect(entry.repeats).toHaveLength(3);
    const same = check(repeated("again", 3), options);
    expect([same.outcome, same.pass]).toEqual(["matched", true]);
    expect(same.comparison!.lines[0]).toMatch(/\(across 3 and 3 runs\)$/);
    const slow = check(repeated("slow", 3, 1.3), options);
    expect([slow.outcome, slow.pass]).toEqual(["regressed", false]);
    expect(slow.message).toMatch(/✗ ttfc p50: .* exceeds \+10% \(across 3 and 3 runs\)/);
  });

  it("compares the pooled histograms when only one side has repeats, and says so", () => {
    check(repeated("base", 3), options);
    const single = check(syntheticRun("chain", { seed: "single" }, server), options);
    expect(single.comparison!.lines.at(-1)).toBe(
      "- runs: baseline 3, new 1: judged on the pooled requests (within-run sampling only); take both with the same repeats to judge across runs",
    );
  });
});

describe("toMatchMetricSnapshot", () => {
  type Result = { pass: boolean; message: () => string };
  const matcher = (self: object, run: unknown, options?: object) => agentloadMatchers.toMatchMetricSnapshot!.call(self as never, run, options) as Result;
  const keys = () => Object.keys(readMetricSnapshotFile(metricSnapshotPath(testFile)).entries);

  it("neither stores nor compares a run that is not valid", () => {
    vi.stubEnv("CI", "");
    const broken = syntheticRun("chain", { seed: "broken", requests: 10, failures: 30 }, server);
    const self = { isNot: false, testPath: testFile, currentTestName: "chain > latency", snapshotState: { snapshotUpdateState: "all" } };
    const result = matcher(self, broken);
    expect(result.pass).toBe(false);
    expect(result.message()).toMatch(/^toMatchMetricSnapshot: "chain" is not a valid run, so it is neither stored nor compared: 30 of 40 requests failed/);
    expect(existsSync(metricSnapshotPath(testFile))).toBe(false);
  });

  it("keys snapshots by test name and counter, restarting the count on a retry", () => {
    vi.stubEnv("CI", ""); // outside CI, so missing snapshots are written
    const snapshotState = { snapshotUpdateState: "new" };
    const task = { id: "t1", result: { retryCount: 0 } };
    const self = { isNot: false, testPath: testFile, currentTestName: "chain > latency", snapshotState, task };
    expect(matcher(self, baseline).pass).toBe(true);
    expect(matcher(self, baseline).pass).toBe(true);
    expect(matcher(self, baseline, { name: "cold" }).pass).toBe(true);
    expect(keys()).toEqual(["chain > latency 1", "chain > latency 2", "chain > latency: cold 1"]);
    task.result.retryCount = 1;
    const retried = matcher(self, slowed);
    expect(retried.pass).toBe(false);
    expect(retried.message()).toMatch(/^metric snapshot "chain > latency 1"/);
  });

  it("reads the update mode from vitest's snapshot state, and CI from the environment", () => {
    vi.stubEnv("CI", "true");
    const self = (mode: string, name: string) => ({ isNot: false, testPath: testFile, currentTestName: name, snapshotState: { snapshotUpdateState: mode } });
    expect(matcher(self("none", "a"), baseline).message()).toMatch(/^missing metric snapshot "a 1" .* \(CI is set/);
    expect(matcher(self("all", "a"), baseline).pass).toBe(true);
    expect(matcher(self("none", "a"), rerun).pass).toBe(true);
    vi.stubEnv("CI", "false");
    expect(matcher(self("new", "b"), baseline).pass).toBe(true);
    expect(keys()).toEqual(["a 1", "b 1"]);
  });

  it("works through expect.extend in a real test", () => {
    vi.stubEnv("CI", "");
    // Point the real matcher state at the temp dir (not this test file's folder), then put it back.
    const state = expect.getState();
    const saved: PropertyDescriptorMap = Object.getOwnPropertyDescriptors(state);
    expect.setState({ testPath: testFile, snapshotState: { snapshotUpdateState: "new" } } as never);
    try {
      expect(baseline).toMatchMetricSnapshot();
      expect(rerun).toMatchMetricSnapshot({ name: "again" });
      // The next call's key already holds a baseline, so the slowed run is compared and fails.
      check(baseline, { key: "toMatchMetricSnapshot > works through expect.extend in a real test 2" });
      expect(() => expect(slowed).toMatchMetricSnapshot()).toThrow(/"toMatchMetricSnapshot > works through expect.extend in a real test 2".*\n(.*\n)* {2}✗ ttfc p50: .* exceeds \+25%/);
    } finally {
      const unset = { value: undefined, writable: true, enumerable: true, configurable: true };
      expect.setState(Object.defineProperties({}, { testPath: saved.testPath ?? unset, snapshotState: saved.snapshotState ?? unset }));
    }
    expect(keys()).toEqual([
      "toMatchMetricSnapshot > works through expect.extend in a real test 1",
      "toMatchMetricSnapshot > works through expect.extend in a real test 2",
      "toMatchMetricSnapshot > works through expect.extend in a real test: again 1",
    ]);
    expect(expect.getState().testPath).toBe(state.testPath);
  });

  it("rejects what is not a workload run, and use outside a test", () => {
    const self = { isNot: false, testPath: testFile, currentTestName: "x" };
    expect(() => matcher(self, baseline.summary)).toThrow(/expected a workload run \(from describeWorkload\)/);
    expect(() => matcher({ isNot: false }, baseline)).toThrow(/must be called inside a test/);
  });
});
