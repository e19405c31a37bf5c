import { describe, expect, it } from "vitest";
import type { TestModule, Vitest, VitestPluginContext } from "vitest/node";
import { documentOnStdout, formatSnapshotReports, metricSnapshotReportPlugin, MetricSnapshotReporter, reportsOf } from "../../../src/vitest/snapshot-reporter.js";
import { SNAPSHOT_META_KEY, type SnapshotFileReport } from "../../../src/vitest/snapshot-tracker.js";

const root = "/repo";
const report = (over: Partial<SnapshotFileReport>): SnapshotFileReport => ({ file: "/repo/benchmarks/__metrics__/a.workload.ts.json", written: 0, updated: 0, obsolete: [], removed: false, ...over });
const moduleWith = (meta: object) => ({ meta: () => meta }) as unknown as TestModule;

describe("formatSnapshotReports", () => {
  it("adds the counts of every file up into one line, as vitest counts its snapshots, and lists each obsolete entry", () => {
    const lines = formatSnapshotReports(
      [
        report({ written: 1, updated: 1, obsolete: ["old 1"], removed: true }),
        report({ file: "/repo/benchmarks/__benchmarks__/b.bench.ts.json", updated: 1 }),
      ],
      root,
    );
    expect(lines).toEqual(["agentload metric snapshots: 1 written, 2 updated, 1 obsolete removed", '  removed: benchmarks/__metrics__/a.workload.ts.json › "old 1"']);
  });

  it("says how to remove obsolete entries that were kept: -u, or all of the file with -u", () => {
    expect(formatSnapshotReports([report({ obsolete: ["x 1", "y 1"], kept: "no-update" })], root)).toEqual([
      "agentload metric snapshots: 2 obsolete (run vitest -u to remove)",
      '  obsolete: benchmarks/__metrics__/a.workload.ts.json › "x 1"',
      '  obsolete: benchmarks/__metrics__/a.workload.ts.json › "y 1"',
    ]);
    expect(formatSnapshotReports([report({ obsolete: ["x 1"], kept: "partial-run" })], root)[0]).toBe(
      "agentload metric snapshots: 1 obsolete kept (their test file did not run whole; run all of it with vitest -u to remove)",
    );
  });

  it("says nothing when nothing was written, updated or found obsolete", () => {
    expect(formatSnapshotReports([], root)).toEqual([]);
    expect(formatSnapshotReports([report({})], root)).toEqual([]);
  });
});

describe("the reporter", () => {
  it("reads each test module's meta and logs the lines once, at the end of the run", () => {
    const logged: string[] = [];
    const vitest = { config: { root, reporters: ["default"] }, logger: { log: (line: string) => logged.push(line) } } as unknown as Vitest;
    const reporter = new MetricSnapshotReporter();
    reporter.onInit(vitest);
    const modules = [moduleWith({ [SNAPSHOT_META_KEY]: [report({ written: 2 })] }), moduleWith({}), moduleWith({ agentload: { workload: "w" } })];
    expect(reportsOf(modules[1]!)).toEqual([]);
    reporter.onTestRunEnd(modules);
    expect(logged).toEqual(["agentload metric snapshots: 2 written"]);
  });

  it("writes to stderr when a reporter prints its document to stdout, so that document stays parseable", () => {
    const out: string[] = [];
    const err: string[] = [];
    const vitest = { config: { root, reporters: [["json", {}]] }, logger: { log: (l: string) => out.push(l), error: (l: string) => err.push(l) } } as unknown as Vitest;
    const reporter = new MetricSnapshotReporter();
    reporter.onInit(vitest);
    reporter.onTestRunEnd([moduleWith({ [SNAPSHOT_META_KEY]: [report({ updated: 1 })] })]);
    expect([out, err]).toEqual([[], ["agentload metric snapshots: 1 updated"]]);
    expect(documentOnStdout({ reporters: [["default", {}], ["junit", { outputFile: "junit.xml" }]] })).toBe(false);
    expect(documentOnStdout({ reporters: [["tap", {}]], outputFile: "out.tap" })).toBe(false);
    expect(documentOnStdout({ reporters: [["json", {}]], outputFile: { junit: "junit.xml" } })).toBe(true);
  });

  it("is added to the run's reporters once, however many agentload projects there are", () => {
    const reporters: unknown[] = ["default"];
    const context = { vitest: { config: { reporters } } } as unknown as VitestPluginContext;
    const configure = (plugin: ReturnType<typeof metricSnapshotReportPlugin>) => (plugin.configureVitest as (c: VitestPluginContext) => void)(context);
    configure(metricSnapshotReportPlugin());
    configure(metricSnapshotReportPlugin());
    expect(reporters).toHaveLength(2);
    expect(reporters[1]).toBeInstanceOf(MetricSnapshotReporter);
  });
});
