// The capacity search's table (search/table.ts): a row per run with the load it really offered,
// the outcome lines, and the warning when runs offered a load far from their target.
import { describe, expect, it } from "vitest";
import type { CapacityPoint } from "../../../src/search/capacity.js";
import type { PointFigures } from "../../../src/search/point.js";
import { offeredWarnings, outcomeLines, pointRows } from "../../../src/search/table.js";

function point(load: number, healthy: boolean, offered: number | null, reasons: string[] = []): CapacityPoint<PointFigures> {
  const detail: PointFigures = {
    runDir: "runs/x",
    requests: 96,
    failed: 0,
    requestsPerSec: 30.5,
    outputTokensPerSec: 240,
    goodputShare: null,
    ttfcP50: 40,
    ttfcP95: 120.4,
    tbcP95: 9.2,
    tpotP50: 2,
    e2eP95: 150,
    cacheHitRate: 0.8,
    offered,
    slo: [],
  };
  return { load, attempt: 1, healthy, reasons, detail };
}

const rho = { dimension: "rho" as const, unit: "requests/s" };

describe("the capacity search's table", () => {
  it("shows each run's target and offered load, verdict, figures and why it failed", () => {
    const rows = pointRows([point(16, true, 15.9), point(58.68825, false, 37.64, ["ttfc p95 < 200ms: measured 218ms ✗"])], rho);
    expect(rows[0]).toMatch(/^rho +run +offered +verdict +req\/s +ttfc p95 +tbc p95 +e2e p95 +hit +failed +why not healthy$/);
    expect(rows[1]).toMatch(/^16 +1 +15\.90 +healthy +30\.50 +120\.4ms +9\.2ms +150ms +80% +0\/96$/);
    expect(rows[2]).toMatch(/^58\.69 +1 +37\.64 +FAILED .* ttfc p95 < 200ms: measured 218ms ✗$/);
  });

  it("warns when runs offered more than 10% off their load, naming the worst", () => {
    expect(offeredWarnings([point(16, true, 15.9), point(32, true, 31)], rho)).toEqual([]);
    const [w] = offeredWarnings([point(16, true, 10.3), point(32, true, 27), point(8, true, 7.9)], rho);
    expect(w).toMatch(/^warning: 2 of 3 runs offered a load more than 10% off their rho \(16 requests\/s offered 10\.30, x0\.64\): read the frontier in the offered column/);
    expect(offeredWarnings([point(4, true, null)], rho)).toEqual([]);
  });

  it("states the frontier, the first failing load and the binding SLO", () => {
    const lines = outcomeLines({ frontier: 5, firstFailing: 6, binding: "e2e p95", reasons: ["e2e p95 < 165ms: measured 180ms ✗"], stopped: "precision" }, { dimension: "concurrency", unit: "sessions at once" }, 0.1);
    expect(lines).toEqual([
      "search: the bracket closed within the precision and the frontier held in every run of it",
      "frontier: concurrency 5 sessions at once (within 10%)",
      "first failing: concurrency 6 sessions at once, binding SLO e2e p95",
      "  e2e p95 < 165ms: measured 180ms ✗",
    ]);
    expect(outcomeLines({ frontier: null, firstFailing: 0.25, reasons: [], stopped: "min-load" }, rho, 0.1)[1]).toBe("frontier: none (no rho was healthy)");
  });
});
