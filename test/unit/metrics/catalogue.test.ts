// The metric catalogue: one entry makes a metric measured, judged by SLOs, matched by the
// matchers, kept in snapshots and shown as JUnit properties; sub-metrics and run-level metrics.
import { describe, expect, test } from "vitest";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import { defaultCatalogue, parseMetricName, type LatencyMetricDefinition } from "../../../src/metrics/catalogue.js";
import { compareHistograms } from "../../../src/metrics/compare.js";
import { evaluateSlos, requestLimits, resolveSlo, sloProblems } from "../../../src/metrics/slo.js";
import type { RequestRecord } from "../../../src/records/types.js";
import { headlineProperties, objectiveProperties } from "../../../src/report/junit-properties.js";
import { renderSummary } from "../../../src/report/summary-table.js";
import { agentloadMatchers } from "../../../src/vitest/matchers.js";
import { snapshotEntryOf } from "../../../src/vitest/metric-snapshot.js";
import { toWorkloadRun } from "../../../src/vitest/run-view.js";
import { syntheticRecords } from "../../support/synthetic-run.js";

// The demonstration: queueing time, the part of TTFC before the first chunk that decoding does
// not explain, declared once in this test's scope (here: TTFC minus one token's decode time).
const queueing: LatencyMetricDefinition = {
  name: "queueing",
  label: "queueing",
  description: "TTFC minus one TPOT: time before the server started on the request.",
  kind: "latency",
  scope: "request",
  values: (m) => (m.ttfc !== undefined && m.tpot !== undefined ? Math.max(0, m.ttfc - m.tpot) : undefined),
  perRequest: (m) => (m.ttfc !== undefined && m.tpot !== undefined ? Math.max(0, m.ttfc - m.tpot) : undefined),
  headline: ["p95"],
};
const catalogue = defaultCatalogue.with(queueing);

const records = syntheticRecords({ seed: "catalogue", requests: 200 });
const summary = summarizeRecords(records, { wallMs: 200_000, catalogue });
const run = toWorkloadRun("demo", { dir: "/nonexistent", summary, verdicts: [], passed: true, interrupted: false, validity: { valid: true, problems: [], warnings: [] } });

function call(name: string, isNot: boolean, ...args: unknown[]) {
  const fn = agentloadMatchers[name]!;
  const state = { isNot, testPath: "/tmp/x.test.ts", currentTestName: "t" } as never;
  return fn.call(state, ...(args as [unknown])) as { pass: boolean; message: () => string };
}

describe("a metric added by one catalogue entry", () => {
  test("is measured: a histogram per request, in the summary", () => {
    expect(summary.histograms.queueing!.count).toBe(200);
    const exact = records.map((r) => {
      const ttfc = r.firstTokenAt! - r.dispatchedAt;
      const tpot = (r.doneAt! - r.firstTokenAt!) / (r.completionTokens! - 1);
      return Math.max(0, ttfc - tpot);
    });
    expect(summary.latency.queueing!.mean).toBeCloseTo(exact.reduce((a, b) => a + b, 0) / exact.length, 6);
  });

  test("gets an SLO, validated against the catalogue", () => {
    const [verdict] = evaluateSlos({ queueing: { p95: "1s" } }, summary, catalogue);
    expect(verdict).toMatchObject({ name: "queueing p95", pass: true });
    expect(verdict!.message).toMatch(/^queueing p95 < 1000ms: measured \d+(\.\d+)?ms ✓$/);
    // Without the entry the name is unknown, and the message lists what there is.
    expect(sloProblems({ queueing: { p95: "1s" } })[0]!.message).toMatch(/unknown metric "queueing"; the metrics are ttfc, ttfv, /);
    // And goodput reads its per-request limit.
    expect(requestLimits({ queueing: { p99: 50, p95: 900 } }, catalogue)).toEqual({ queueing: 50 });
  });

  test("gets the matchers", () => {
    expect(call("toHavePercentileBelow", false, run.metric("queueing"), 95, "1s").pass).toBe(true);
    expect(call("toMeetSLO", false, run, { queueing: { p50: "1ms" } }).pass).toBe(false);
    expect(call("toMeetSLO", false, run, { queueing: { p50: "10s" }, ttfc: { p99: "10s" } }).pass).toBe(true);
  });

  test("gets a snapshot entry, compared like the others", () => {
    const entry = snapshotEntryOf(run, { savedAt: new Date(0), host: { runtime: "node", platform: "linux", arch: "x64", cpus: 2 } });
    expect(entry.histograms.queueing).toBeDefined();
    const slower = summarizeRecords(syntheticRecords({ seed: "catalogue", requests: 200, slowdown: 3 }), { wallMs: 200_000, catalogue });
    const comparison = compareHistograms(entry.histograms, slower.histograms, { metrics: ["queueing"], percentiles: [50] });
    expect(comparison.pass).toBe(false);
    expect(comparison.lines[0]).toMatch(/^✗ queueing p50: /);
  });

  test("gets JUnit properties and a row of the terminal table", () => {
    expect(headlineProperties(summary, catalogue).map((p) => p.name)).toContain("queueing.p95.ms");
    const [verdict] = evaluateSlos({ queueing: { p95: "1s" } }, summary, catalogue);
    expect(objectiveProperties(verdict!, summary, catalogue).map((p) => p.name)).toEqual(
      expect.arrayContaining(["limit.ms", "measured.ms", "queueing.p95.ms", "queueing.count"]),
    );
    expect(renderSummary(summary, [], { catalogue })).toMatch(/\n {2}queueing +\d/);
  });
});

describe("SLOs over the catalogue", () => {
  const kinds: RequestRecord[] = records.slice(0, 100).map((r, i) => ({ ...r, kind: i % 4 === 0 ? "spawn" : "turn", agent: i % 2 === 0 ? "lead" : "explorer" }));

  test("sub-metrics: an SLO on ttfc{kind:spawn} keeps that histogram and judges it", () => {
    const slo = { "ttfc{kind:spawn}": { p99: "10s" }, "e2e{agent:explorer}": { max: "1ms" } };
    const s = summarizeRecords(kinds, { wallMs: 100_000, slo });
    expect(s.histograms["ttfc{kind:spawn}"]!.count).toBe(25);
    expect(s.histograms["e2e{agent:explorer}"]!.count).toBe(50);
    expect(evaluateSlos(slo, s).map((v) => [v.name, v.pass])).toEqual([
      ["ttfc{kind:spawn} p99", true],
      ["e2e{agent:explorer} max", false],
    ]);
  });

  test("run-level metrics take max (at most) and min (at least)", () => {
    const verdicts = evaluateSlos({ requestsPerSec: { min: 0.5 }, errorRate: { max: 0 }, requests: { min: 500 } }, summary);
    expect(verdicts.map((v) => v.message)).toEqual([
      "error rate <= 0%: measured 0% ✓",
      "requests/s >= 0.50: measured 1.00 ✓",
      "requests >= 500: measured 200 ✗",
    ]);
  });

  test("scheduled latencies: SLO-able, sub-metrics and goodput limits like TTFC and E2E", () => {
    // Every 10th request sent a second late: TTFC hides it, TTFC from plan does not.
    const late = records.slice(0, 100).map((r, i) => (i % 10 === 0 ? { ...r, plannedAt: r.dispatchedAt - 1000, kind: "spawn" as const } : r));
    const slo = { ttfc: { p95: "1s" }, ttfcScheduled: { p95: "1s" }, "e2eScheduled{kind:spawn}": { max: "10s" } };
    const s = summarizeRecords(late, { wallMs: 100_000, slo });
    expect(evaluateSlos(slo, s).map((v) => [v.name, v.pass])).toEqual([
      ["ttfc p95", true],
      ["ttfcScheduled p95", false],
      ["e2eScheduled{kind:spawn} max", true],
    ]);
    expect(requestLimits({ ttfcScheduled: { p99: "400ms" } })).toEqual({ ttfcScheduled: 400 });
    expect(s.goodput!.requests).toBe(90);
    const text = renderSummary(s, []);
    expect(text).toMatch(/^ {2}TTFC from plan +\d/m);
    expect(text).toMatch(/^ {2}E2E from plan +\d/m);
  });

  test("session-level metric: each session's first dispatch to last end", () => {
    expect(summary.histograms.sessionDuration!.count).toBe(200);
    expect(resolveSlo({ sessionDuration: { p95: "2s" } })[0]!.title).toBe("sessionDuration p95 < 2000ms");
  });

  test("problems name the metric, the statistic and what exists", () => {
    const problems = sloProblems({ ttft: { p95: 1 }, ttfc: { p100: 1, mean: "fast" }, errorRate: { p95: 0.1 }, "ttfc{colour:red}": { p50: 1 }, "errorRate{kind:spawn}": { max: 0 } });
    expect(problems.map((p) => `${p.path.join(".")}: ${p.message}`)).toEqual([
      expect.stringMatching(/^ttfc.mean: expected a duration/),
      expect.stringMatching(/^ttfc.p100: unknown statistic "p100" for ttfc; latency metrics take p50, p90, p95, p99/),
      expect.stringMatching(/^errorRate.p95: unknown statistic "p95" for errorRate: it is one number per run, bounded with max \(at most\) or min \(at least\)/),
      expect.stringMatching(/^errorRate\{kind:spawn\}: errorRate has no sub-metrics/),
      expect.stringMatching(/^ttft: unknown metric "ttft" \(did you mean ttfc\?\)/),
      expect.stringMatching(/^ttfc\{colour:red\}: not a metric name/),
    ]);
  });

  test("metric names parse with their tags", () => {
    expect(parseMetricName("ttfc")).toEqual({ base: "ttfc", tags: {} });
    expect(parseMetricName("e2e{kind:spawn,agent:explorer}")).toEqual({ base: "e2e", tags: { kind: "spawn", agent: "explorer" } });
    expect(parseMetricName("e2e{kind}")).toBeNull();
    expect(parseMetricName("1x")).toBeNull();
  });

  test("a catalogue refuses a name twice", () => {
    expect(() => defaultCatalogue.with({ ...queueing, name: "ttfc" })).toThrow(/ttfc is declared twice/);
  });
});
