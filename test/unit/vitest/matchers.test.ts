import { describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../../src/stats/histogram.js";
import { defaultCatalogue } from "../../../src/metrics/catalogue.js";
import { evaluateSlos } from "../../../src/metrics/slo.js";
import { agentloadMatchers, installMatchers, resolveSloObjectives } from "../../../src/vitest/matchers.js";
import type { MetricView } from "../../../src/vitest/run-view.js";
import { syntheticRun } from "../../support/synthetic-run.js";

installMatchers(expect);

type Result = { pass: boolean; message: () => string };
const state = (isNot = false) => ({ isNot }) as never;
const call = (name: string, isNot: boolean, received: unknown, ...args: unknown[]) =>
  agentloadMatchers[name]!.call(state(isNot), received, ...args) as Result;

/** A ttfc view whose p95 is 812.4 ms: 94 values of 100 ms, 6 of 812.4 ms. */
function ttfcView(): MetricView {
  const h = new LatencyHistogram();
  for (let i = 0; i < 94; i++) h.record(100);
  for (let i = 0; i < 6; i++) h.record(812.4);
  return { name: "ttfc", histogram: h, stats: h.stats() };
}

describe("toWorkloadRun", () => {
  it("exposes each latency metric as a histogram beside its summary statistics", () => {
    const run = syntheticRun("chain", { seed: "view", failures: 3 });
    expect(run.name).toBe("chain");
    for (const m of ["ttfc", "ttfv", "tbc", "tpot", "e2e"] as const) {
      expect(run[m].name).toBe(m);
      expect(run[m].stats).toEqual(run.summary.latency[m]);
      expect(run[m].histogram.percentile(95)).toBe(run.summary.latency[m]!.p95);
    }
    expect(run.ttfc.histogram.count).toBe(300);
    expect(run.errorRate).toBeCloseTo(3 / 303, 12);
    expect(run.throughput).toBe(run.summary.throughput);
  });
});

describe("toHavePercentileBelow", () => {
  it("says the metric, the limit and the measured value, k6-style", () => {
    const fail = call("toHavePercentileBelow", false, ttfcView(), 95, "750ms");
    expect(fail.pass).toBe(false);
    expect(fail.message()).toBe("ttfc p95 < 750ms: measured 812.4ms");
    const pass = call("toHavePercentileBelow", false, ttfcView(), 90, "0.75s");
    expect(pass.pass).toBe(true);
    expect(call("toHavePercentileBelow", true, ttfcView(), 90, 750).message()).toBe("expected ttfc p90 not to be below 750ms: measured 100ms");
  });

  it("is strict at the limit and fails a metric with no measurements", () => {
    expect(call("toHavePercentileBelow", false, ttfcView(), 95, 812.4).pass).toBe(false);
    const empty: MetricView = { name: "ttfv", histogram: new LatencyHistogram(), stats: null };
    const none = call("toHavePercentileBelow", false, empty, 50, "1s");
    expect([none.pass, none.message()]).toEqual([false, "ttfv p50 < 1000ms: no measurements"]);
  });

  it("takes a bare histogram too, and rejects bad arguments clearly", () => {
    expect(call("toHavePercentileBelow", false, ttfcView().histogram, 50, 200).message()).toBe("value p50 < 200ms: measured 100ms");
    expect(() => call("toHavePercentileBelow", false, { p95: 3 }, 95, "1s")).toThrow(/expected a run metric such as run.ttfc/);
    expect(() => call("toHavePercentileBelow", false, ttfcView(), 0.95 * 1000, "1s")).toThrow(/percentile must be a number in \(0, 100\], e.g. 95, got number 950/);
    expect(() => call("toHavePercentileBelow", false, ttfcView(), 95, "750 msec")).toThrow(
      /the limit must be a duration such as "750ms", "1.5s" or a number of milliseconds, got string "750 msec"/,
    );
  });
});

describe("toMeetSLO", () => {
  const run = syntheticRun("chain", { seed: "slo", failures: 6 });

  it("lists every objective with its verdict, as evaluateSlos words them", () => {
    const slo = { ttfc: { p95: "50ms" }, tbc: { p95: "75ms" }, errorRate: { max: 0.02 } };
    const result = call("toMeetSLO", false, run, slo);
    expect(result.pass).toBe(false);
    const verdicts = evaluateSlos(resolveSloObjectives(slo), run.summary);
    expect(verdicts.map((v) => v.pass)).toEqual([false, true, true]);
    expect(result.message()).toBe(`chain: 1 of 3 SLO objectives failed:\n${verdicts.map((v) => `  ${v.message}`).join("\n")}`);
    expect(result.message()).toMatch(/^ {2}ttfc p95 < 50ms: measured \d+(\.\d+)?ms ✗$/m);
    expect(result.message()).toContain("  error rate <= 2%: measured 1.96% ✓");
  });

  it("passes when every objective holds, on a run, a RunResult or a summary", () => {
    const slo = { ttfc: { p50: "1s", max: 5000 }, e2e: { p99: "2s" }, ttfv: { p90: "1.5s" } };
    for (const received of [run, run.result, run.summary]) expect(call("toMeetSLO", false, received, slo).pass).toBe(true);
    expect(call("toMeetSLO", true, run, slo).message()).toMatch(/^expected chain not to meet the SLO, but all 4 objectives held:\n {2}ttfc p50 < 1000ms: measured/);
  });

  it("checks the SLO through the workload schema", () => {
    expect(() => call("toMeetSLO", false, run, { ttfc: { p95: "750 msec", p100: 1 }, tfc: {}, errorRate: { max: 2 } })).toThrow(
      new TypeError(
        [
          "toMeetSLO: invalid SLO:",
          '  slo.ttfc.p95: expected a duration such as "750ms", "1.5s" or a number of milliseconds, got "750 msec"',
          '  slo.ttfc.p100: unknown statistic "p100" for ttfc; latency metrics take p50, p90, p95, p99 (any percentile pNN, e.g. p99.9), max, mean',
          '  slo.errorRate.max: expected a ratio from 0 to 1 (0.02 = 2%), got 2',
          `  slo.tfc: unknown metric "tfc" (did you mean ttfc?); the metrics are ${defaultCatalogue.names().join(", ")}`,
        ].join("\n"),
      ),
    );
    expect(() => call("toMeetSLO", false, run, { ttfv: { p95: "fast" } })).toThrow(/ {2}slo\.ttfv\.p95: expected a duration/);
    expect(() => call("toMeetSLO", false, run, {})).toThrow(/the SLO names no objective/);
    expect(() => call("toMeetSLO", false, { name: "x" }, { ttfc: { p50: 1 } })).toThrow(/expected a workload run \(or a RunResult or RunSummary\)/);
  });

  it("resolves durations the way a spec does, against the catalogue", () => {
    const objectives = resolveSloObjectives({ ttfc: { p95: "1.5s" }, ttfv: { p50: 200 }, errorRate: { max: 0 } });
    expect(objectives.map((o) => [o.metric, o.stat, o.limit, o.bound])).toEqual([
      ["ttfc", "p95", 1500, "below"],
      ["ttfv", "p50", 200, "below"],
      ["errorRate", "max", 0, "at most"],
    ]);
  });
});

describe("the matchers through expect.extend", () => {
  const run = syntheticRun("chain", { seed: "extend" });

  it("pass and fail like any vitest assertion", () => {
    expect(run.ttfc).toHavePercentileBelow(95, "10s");
    expect(run.ttfc).not.toHavePercentileBelow(95, "1ms");
    expect(() => expect(run.ttfc).toHavePercentileBelow(95, "1ms")).toThrow(/^ttfc p95 < 1ms: measured \d+(\.\d+)?ms$/);
    expect(run).toMeetSLO({ ttfc: { p95: "10s" }, errorRate: { max: 0.02 } });
    expect(() => expect(run).toMeetSLO({ tpot: { p50: "1ms" } })).toThrow(/chain: 1 of 1 SLO objectives failed:\n {2}tpot p50 < 1ms: measured/);
    expect(() => expect(run).not.toMatchMetricSnapshot()).toThrow(/cannot be used with \.not/);
  });

  it("see vitest's snapshot update setting where toMatchMetricSnapshot reads it", () => {
    const snapshotState = (expect.getState() as { snapshotState?: { snapshotUpdateState?: string } }).snapshotState;
    expect(snapshotState?.snapshotUpdateState).toMatch(/^(all|new|none)$/);
  });
});
