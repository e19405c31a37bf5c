import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { agentloadMatchers } from "../../../src/vitest/matchers.js";
import { BENCH_SNAPSHOT_DIR, metricSnapshotPath, readMetricSnapshotFile, snapshotEntryOf, writeMetricSnapshotEntry } from "../../../src/vitest/metric-snapshot.js";
import {
  findObsolete,
  keyBelongsTo,
  noteSnapshotChecked,
  noteSnapshotOutcome,
  ranWhole,
  settleTestFile,
  testsOf,
  type TaskLike,
} from "../../../src/vitest/snapshot-tracker.js";
import { syntheticRun } from "../../support/synthetic-run.js";

const server = { engine: "llama.cpp", model: "tiny.gguf", slots: 4 };
const run = syntheticRun("chain", { seed: "baseline" }, server);
const host = { runtime: "node 20.0.0", platform: "linux", arch: "x64", cpus: 2 };
const entry = () => snapshotEntryOf(run, { savedAt: new Date("2025-01-02T03:04:05Z"), host });

// vitest's task tree, as much of it as the tracker reads.
const test = (name: string, state: string | null = "pass", mode = "run"): TaskLike => ({ type: "test", name, mode, ...(state ? { result: { state } } : {}) });
const suite = (name: string, ...tasks: TaskLike[]): TaskLike => ({ type: "suite", name, mode: "run", tasks });
const fileTask = (...tasks: TaskLike[]): TaskLike => ({ type: "suite", name: "coding.workload.ts", mode: "run", tasks });

let dir: string;
let testFile: string;
let snapshotFile: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "agentload-tracker-"));
  testFile = path.join(dir, "coding.workload.ts");
  snapshotFile = metricSnapshotPath(testFile);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

/** A snapshot file holding these keys. */
const seed = (file: string, ...keys: string[]) => {
  for (const k of keys) writeMetricSnapshotEntry(file, k, entry());
};
const keysIn = (file: string) => Object.keys(readMetricSnapshotFile(file).entries);

describe("which tests ran", () => {
  it("names each test as toMatchMetricSnapshot sees it (suites joined by ' > ')", () => {
    const tests = testsOf(fileTask(test("top"), suite("chain", test("latency"), suite("cold", test("ttfc", "fail")), test("later", "skip", "skip"))));
    expect(tests).toEqual([
      { name: "top", ran: true, passed: true },
      { name: "chain > latency", ran: true, passed: true },
      { name: "chain > cold > ttfc", ran: true, passed: false },
      { name: "chain > later", ran: false, passed: false },
    ]);
  });

  it("the file ran whole only when every test ran: a filter, .only, .skip, .todo or a test never started leave it partial", () => {
    expect(ranWhole(testsOf(fileTask(test("a"), test("b", "fail"))))).toBe(true);
    expect(ranWhole(testsOf(fileTask(test("a"), test("b", "skip", "skip"))))).toBe(false); // -t, .only, .skip
    expect(ranWhole(testsOf(fileTask(test("a"), test("b", "todo", "todo"))))).toBe(false);
    expect(ranWhole(testsOf(fileTask(test("a"), test("b", "skip"))))).toBe(false); // ctx.skip() at run time
    expect(ranWhole(testsOf(fileTask(test("a"), test("b", null))))).toBe(false); // never run (bench mode, cancelled)
    expect(ranWhole(testsOf(fileTask()))).toBe(false); // no test at all: nothing to go by
  });
});

describe("obsolete keys", () => {
  it("a key belongs to its test with any counter and hint, not to a test whose name merely starts the same", () => {
    expect(keyBelongsTo("chain > latency 1", "chain > latency")).toBe(true);
    expect(keyBelongsTo("chain > latency 12", "chain > latency")).toBe(true);
    expect(keyBelongsTo("chain > latency: cold 1", "chain > latency")).toBe(true);
    expect(keyBelongsTo("chain > latency p99 1", "chain > latency")).toBe(false);
    expect(keyBelongsTo("chain > latency 1", "chain")).toBe(false);
  });

  it("are the unchecked keys of passing tests and of no test; a test that failed or was skipped keeps its own", () => {
    const tests = testsOf(fileTask(test("ok"), test("broken", "fail"), test("skipped", "skip", "skip")));
    const keys = ["ok 1", "ok 2", "broken 1", "skipped: cold 1", "renamed 1"];
    expect(findObsolete(keys, new Set(["ok 1"]), tests)).toEqual(["ok 2", "renamed 1"]);
  });
});

describe("settleTestFile", () => {
  it("with -u and the whole file run: removes the obsolete entries and counts what was written and updated", () => {
    seed(snapshotFile, "chain > latency 1", "chain > old name 1");
    noteSnapshotChecked(snapshotFile, "chain > latency 1");
    noteSnapshotOutcome(snapshotFile, "updated");
    noteSnapshotChecked(snapshotFile, "chain > latency: cold 1");
    noteSnapshotOutcome(snapshotFile, "written");
    seed(snapshotFile, "chain > latency: cold 1");
    const reports = settleTestFile(testFile, fileTask(suite("chain", test("latency"))), "all");
    expect(reports).toEqual([{ file: path.resolve(snapshotFile), written: 1, updated: 1, obsolete: ["chain > old name 1"], removed: true }]);
    expect(keysIn(snapshotFile)).toEqual(["chain > latency 1", "chain > latency: cold 1"]);
    // What was noted is forgotten once settled: a later settle starts afresh.
    expect(settleTestFile(testFile, fileTask(suite("chain", test("latency"))), "new")).toEqual([
      { file: path.resolve(snapshotFile), written: 0, updated: 0, obsolete: ["chain > latency 1", "chain > latency: cold 1"], removed: false, kept: "no-update" },
    ]);
  });

  it("without -u: reports the obsolete entries and leaves the file byte for byte", () => {
    seed(snapshotFile, "a 1", "gone 1");
    const before = readFileSync(snapshotFile, "utf8");
    noteSnapshotChecked(snapshotFile, "a 1");
    noteSnapshotOutcome(snapshotFile, "matched");
    for (const update of ["new", "none", undefined] as const) {
      noteSnapshotChecked(snapshotFile, "a 1");
      const [report] = settleTestFile(testFile, fileTask(test("a")), update);
      expect(report).toMatchObject({ obsolete: ["gone 1"], removed: false, kept: "no-update", written: 0, updated: 0 });
    }
    expect(readFileSync(snapshotFile, "utf8")).toBe(before);
  });

  it("with -u on a partial run (a filtered or skipped test): keeps the obsolete entries", () => {
    seed(snapshotFile, "a 1", "gone 1", "b 1");
    noteSnapshotChecked(snapshotFile, "a 1");
    const [report] = settleTestFile(testFile, fileTask(test("a"), test("b", "skip", "skip")), "all");
    // b's entry is not obsolete (b was skipped); gone's is, but stays.
    expect(report).toMatchObject({ obsolete: ["gone 1"], removed: false, kept: "partial-run" });
    expect(keysIn(snapshotFile)).toEqual(["a 1", "b 1", "gone 1"]);
  });

  it("with -u, a file whose every entry is obsolete is deleted; a matched, unchanged file reports nothing and stays", () => {
    seed(snapshotFile, "a 1");
    const before = readFileSync(snapshotFile, "utf8");
    noteSnapshotChecked(snapshotFile, "a 1");
    noteSnapshotOutcome(snapshotFile, "matched");
    expect(settleTestFile(testFile, fileTask(test("a")), "all")).toEqual([]);
    expect(readFileSync(snapshotFile, "utf8")).toBe(before);
    expect(settleTestFile(testFile, fileTask(test("renamed")), "all")).toMatchObject([{ obsolete: ["a 1"], removed: true }]);
    expect(existsSync(snapshotFile)).toBe(false);
  });

  it("settles the bench baselines in __benchmarks__ too, and nothing for a file without snapshots", () => {
    expect(settleTestFile(testFile, fileTask(test("a")), "all")).toEqual([]);
    const bench = metricSnapshotPath(testFile, BENCH_SNAPSHOT_DIR);
    seed(bench, "old bench 1");
    expect(settleTestFile(testFile, fileTask(test("a")), "all")).toEqual([{ file: path.resolve(bench), written: 0, updated: 0, obsolete: ["old bench 1"], removed: true }]);
  });

  it("sees the keys toMatchMetricSnapshot checked, with its written and updated outcomes", () => {
    vi.stubEnv("CI", "");
    type Result = { pass: boolean };
    const matcher = (name: string, mode: string) =>
      agentloadMatchers.toMatchMetricSnapshot!.call({ isNot: false, testPath: testFile, currentTestName: name, snapshotState: { snapshotUpdateState: mode } } as never, run) as Result;
    seed(snapshotFile, "chain > old 1");
    expect(matcher("chain > latency", "new").pass).toBe(true);
    expect(settleTestFile(testFile, fileTask(suite("chain", test("latency"))), "new")).toMatchObject([{ written: 1, updated: 0, obsolete: ["chain > old 1"], kept: "no-update" }]);
    // A throwing check (an unreadable entry) still counts as checked: its entry is not obsolete.
    writeMetricSnapshotEntry(snapshotFile, "chain > broken 1", { ...entry(), histograms: { ttfc: { format: "hdr-v2-us", count: 1, sum: 1, min: 1, max: 1, hdr: "not base64" } } as never });
    expect(() => matcher("chain > broken", "all")).toThrow();
    expect(matcher("chain > latency", "all").pass).toBe(true);
    const [report] = settleTestFile(testFile, fileTask(suite("chain", test("latency"), test("broken"))), "all");
    expect(report).toMatchObject({ obsolete: ["chain > old 1"], removed: true });
    expect(keysIn(snapshotFile)).toEqual(["chain > broken 1", "chain > latency 1"]);
  });
});
