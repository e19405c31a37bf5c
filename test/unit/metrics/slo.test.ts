import { describe, expect, it } from "vitest";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import type { DistributionStats } from "../../../src/stats/histogram.js";
import { evaluateSlos, meetsRequestLimits, requestLimits } from "../../../src/metrics/slo.js";
import type { RunSummary } from "../../../src/metrics/summary.js";
import type { RequestRecord } from "../../../src/run/types.js";
import { validateSpec } from "../../../src/workload/spec.js";

function stats(over: Partial<DistributionStats>): DistributionStats {
  return { count: 100, mean: 100, min: 1, p50: 100, p90: 100, p95: 100, p99: 100, max: 100, ...over };
}

/** A real (empty) summary with the given latency stats and error counts put in. */
function summaryWith(latency: Partial<RunSummary["latency"]>, errors?: { ok: number; failed: number }): RunSummary {
  const s = summarizeRecords([], { wallMs: 1000 });
  Object.assign(s.latency, latency);
  if (errors) {
    s.counts.ok = errors.ok;
    s.counts.failed = errors.failed;
    s.errors.rate = errors.failed / (errors.ok + errors.failed);
  }
  return s;
}

describe("evaluateSlos", () => {
  it("writes k6-like verdicts", () => {
    const summary = summaryWith({ ttfc: stats({ p95: 812.4 }) }, { ok: 199, failed: 1 });
    const verdicts = evaluateSlos({ ttfc: { p95: 750 }, errorRate: { max: 0.02 } }, summary);
    expect(verdicts).toEqual([
      { name: "ttfc p95", metric: "ttfc", stat: "p95", limit: 750, measured: 812.4, pass: false, message: "ttfc p95 < 750ms: measured 812.4ms ✗" },
      { name: "error rate max", metric: "errorRate", stat: "max", limit: 0.02, measured: 0.005, pass: true, message: "error rate <= 2%: measured 0.5% ✓" },
    ]);
  });

  it("checks every stat of every latency metric, in a fixed order", () => {
    const summary = summaryWith({
      ttfc: stats({ p50: 100, p99: 400 }),
      ttfv: stats({ p90: 120 }),
      tbc: stats({ max: 80, mean: 12.345 }),
      tpot: stats({ p99: 9 }),
      e2e: stats({ p95: 1500 }),
    });
    const verdicts = evaluateSlos(
      {
        e2e: { p95: 2000 },
        tpot: { p99: 10 },
        tbc: { mean: 12, max: 100 },
        ttfv: { p90: 100 },
        ttfc: { p99: 500, p50: 150 },
      },
      summary,
    );
    expect(verdicts.map((v) => [v.name, v.pass])).toEqual([
      ["ttfc p50", true],
      ["ttfc p99", true],
      ["ttfv p90", false],
      ["tbc max", true],
      ["tbc mean", false],
      ["tpot p99", true],
      ["e2e p95", true],
    ]);
    expect(verdicts.find((v) => v.name === "tbc mean")!.message).toBe("tbc mean < 12ms: measured 12.35ms ✗");
    expect(verdicts.find((v) => v.name === "e2e p95")!.message).toBe("e2e p95 < 2000ms: measured 1500ms ✓");
  });

  it("bounds latencies strictly and the error rate inclusively", () => {
    const summary = summaryWith({ ttfc: stats({ p95: 750 }) }, { ok: 98, failed: 2 });
    const [ttfc, errors] = evaluateSlos({ ttfc: { p95: 750 }, errorRate: { max: 0.02 } }, summary);
    expect(ttfc!.pass).toBe(false);
    expect(errors!.pass).toBe(true);
    const zero = evaluateSlos({ errorRate: { max: 0 } }, summaryWith({}, { ok: 10, failed: 0 }));
    expect(zero[0]!.message).toBe("error rate <= 0%: measured 0% ✓");
  });

  it("fails a bound with nothing to measure", () => {
    const verdicts = evaluateSlos({ tpot: { p99: 50 }, errorRate: { max: 0.1 } }, summaryWith({ tpot: null }));
    expect(verdicts.map((v) => v.pass)).toEqual([false, false]);
    expect(verdicts[0]!.measured).toBeNull();
    expect(verdicts[0]!.message).toBe("tpot p99 < 50ms: no measurements ✗");
    expect(verdicts[1]!.message).toBe("error rate <= 10%: no measurements ✗");
  });

  it("is empty for an empty SLO", () => {
    expect(evaluateSlos({}, summaryWith({}))).toEqual([]);
  });

  it("takes the SLO of a validated spec, duration strings and all", () => {
    const spec = validateSpec({
      name: "t",
      seed: 1,
      sessions: 1,
      agents: [{ name: "a", turns: 1, freshInput: 10, output: 5 }],
      slo: { ttfc: { p95: "750ms" }, e2e: { max: "1.5s" } },
    });
    const verdicts = evaluateSlos(spec.slo, summaryWith({ ttfc: stats({ p95: 700 }), e2e: stats({ max: 1600 }) }));
    expect(verdicts.map((v) => v.message)).toEqual(["ttfc p95 < 750ms: measured 700ms ✓", "e2e max < 1500ms: measured 1600ms ✗"]);
  });

  it("judges a summary built from records", () => {
    const records: RequestRecord[] = [10, 20, 30, 40].map((ttfc, i) => ({
      sessionId: "s",
      nodeId: String(i),
      readyAt: 0,
      plannedAt: 0,
      dispatchedAt: 0,
      firstTokenAt: ttfc,
      firstContentAt: ttfc,
      chunkAt: [ttfc, ttfc + 5],
      doneAt: ttfc + 5,
      expectedPromptTokens: 1,
      sharedPrefixTokens: 0,
      freshInputTokens: 1,
      requestedOutputTokens: 2,
    }));
    const summary = summarizeRecords(records, { wallMs: 1000 });
    const [pass, fail] = evaluateSlos({ ttfc: { max: 41, mean: 25 } }, summary);
    expect(pass!.message).toBe("ttfc max < 41ms: measured 40ms ✓");
    expect(fail!.message).toBe("ttfc mean < 25ms: measured 25ms ✗");
  });
});

describe("per-request limits for goodput", () => {
  it("reads the upper-tail bound of each metric", () => {
    expect(requestLimits({ ttfc: { p50: 100, p95: 300 }, tbc: { mean: 20 }, e2e: { p99: 900, max: 2000 }, errorRate: { max: 0.1 } })).toEqual({
      ttfc: 300,
      tbc: 20,
      e2e: 2000,
    });
  });

  it("requires every limited value to be under its limit", () => {
    const limits = { ttfc: 100, tpot: 10, tbc: 15 };
    expect(meetsRequestLimits({ ttfc: 99, tpot: 9, tbcMean: 14 }, limits)).toBe(true);
    expect(meetsRequestLimits({ ttfc: 100, tpot: 9, tbcMean: 14 }, limits)).toBe(false);
    expect(meetsRequestLimits({ ttfc: 50, tpot: 11, tbcMean: 14 }, limits)).toBe(false);
    // One token: no tpot and no gaps, which cannot break their limits; a missing ttfc can.
    expect(meetsRequestLimits({ ttfc: 50 }, limits)).toBe(true);
    expect(meetsRequestLimits({ tpot: 1, tbcMean: 1 }, limits)).toBe(false);
    expect(meetsRequestLimits({}, {})).toBe(true);
  });
});
