import { describe, expect, it } from "vitest";
import { compareFrontiers, frontierPoint, type SearchSide } from "../../../src/compare/frontiers.js";
import type { PointFigures } from "../../../src/search/point.js";

function figures(load: number): PointFigures {
  return {
    runDir: `runs/${load}`,
    requests: 200,
    failed: 0,
    requestsPerSec: load,
    outputTokensPerSec: load * 300,
    goodputShare: 1,
    ttfcP50: 100,
    ttfcP95: 300 + load,
    tbcP95: 50 + load,
    tpotP50: 20,
    e2eP95: 4000,
    cacheHitRate: 0.9,
    offered: load,
    slo: [],
  };
}

/** A finished search over rho with this bracket; the frontier ran twice (a confirmation). */
function search(dir: string, frontier: number | null, firstFailing: number | null, stopped: SearchSide["stopped"] = "precision"): SearchSide {
  const points = [
    ...(frontier !== null ? [1, 2].map((attempt) => ({ load: frontier, attempt, healthy: true, reasons: [], detail: figures(frontier + attempt / 100) })) : []),
    ...(firstFailing !== null ? [{ load: firstFailing, attempt: 1, healthy: false, reasons: ["tbc p95 over 75 ms"], binding: "tbc p95", detail: figures(firstFailing) }] : []),
  ];
  return { dir, spec: dir, over: "rho", unit: "requests/s", precision: 0.1, frontier, firstFailing, binding: firstFailing !== null ? "tbc p95" : null, stopped, points };
}

describe("compareFrontiers", () => {
  it("gives the post's case-study-3 arithmetic: rho 5.50 vs 6.67 is a 1.21x ratio, fleet fraction 0.825, 17.5% slack", () => {
    const c = compareFrontiers(search("linear", 5.5, 6.05), search("dag", 6.67, 7.3));
    expect(c.outcome).toBe("higher");
    expect(c.pass).toBe(true);
    expect(c.capacityRatio).toBeCloseTo(1.2127, 3);
    expect(c.fleetFraction).toBeCloseTo(0.8246, 3);
    expect(c.slack).toBeCloseTo(0.1754, 3);
    expect(c.rows).toContainEqual(["capacity ratio B/A", "", "1.21x"]);
    expect(c.rows).toContainEqual(["slack of a fleet sized for A", "", "17.5%"]);
    expect(c.rows).toContainEqual(["binding SLO", "tbc p95", "tbc p95"]);
    expect(c.verdict).toBe("B is higher: it held 6.67, a load A failed at");
  });

  it("calls B lower only when B failed at a load A held, and not told apart when the brackets overlap", () => {
    const lower = compareFrontiers(search("main", 6, 6.5), search("pr", 5, 5.5));
    expect(lower.outcome).toBe("lower");
    expect(lower.pass).toBe(false);
    expect(lower.verdict).toBe("B is lower: it failed at 5.5, a load A held");
    const overlap = compareFrontiers(search("main", 6, 6.5), search("pr", 5.8, 6.3));
    expect(overlap.outcome).toBe("not-told-apart");
    expect(overlap.pass).toBe(true);
    expect(overlap.verdict).toMatch(/^not told apart: the two frontiers' brackets overlap \(A 6 to 6.5, B 5.8 to 6.3\)/);
  });

  it("takes the frontier's figures from its last healthy run", () => {
    expect(frontierPoint(search("a", 4, 5))?.requestsPerSec).toBeCloseTo(4.02, 10);
    expect(frontierPoint(search("a", null, 1))).toBeUndefined();
  });

  it("calls B lower when it held no load but failed at one A held", () => {
    const none = compareFrontiers(search("a", 4, 5), search("b", null, 0.5, "min-load"));
    expect(none.outcome).toBe("lower");
    expect(none.pass).toBe(false);
    expect(none.capacityRatio).toBeNull();
    expect(none.verdict).toBe("B is lower: it failed at 0.5, a load A held, and held no load");
  });

  it("with a minimum effect, calls B lower or higher only beyond it", () => {
    // Reruns of one search: 7.34 vs 9.51 (precision 10%) are lower without an effect, not with 25%.
    const rerun = (m?: number) => compareFrontiers(search("a", 9.51, 10.4), search("b", 7.34, 8.07), m === undefined ? {} : { minEffect: m });
    expect(rerun().outcome).toBe("lower");
    expect(rerun(0.25).outcome).toBe("not-told-apart");
    expect(rerun(0.25).pass).toBe(true);
    expect(rerun(0.25).verdict).toMatch(/^not told apart: the two frontiers' brackets overlap within the minimum effect 25\.0% \(A 9\.51 to 10\.4, B 7\.34 to 8\.07\)/);
    const halved = compareFrontiers(search("a", 8, 8.8), search("b", 4, 4.4), { minEffect: 0.25 });
    expect(halved.outcome).toBe("lower");
    expect(halved.verdict).toBe("B is lower: it failed at 4.4, a load A held (6 with the minimum effect 25.0%)");
    expect(compareFrontiers(search("a", 4, 4.4), search("b", 5, 5.5), { minEffect: 0.25 }).outcome).toBe("not-told-apart");
    expect(compareFrontiers(search("a", 4, 4.4), search("b", 5.6, 6.2), { minEffect: 0.25 }).outcome).toBe("higher");
    expect(() => compareFrontiers(search("a", 4, 5), search("b", 4, 5), { minEffect: 1 })).toThrow(/minEffect expects a fraction in \[0, 1\), got 1/);
  });

  it("does not compare a search that found no frontier or did not finish, nor searches over different axes", () => {
    const none = compareFrontiers(search("a", 4, 5), search("b", null, 6, "min-load"));
    expect(none.outcome).toBe("no-frontier");
    expect(none.pass).toBe(false);
    expect(none.verdict).toBe("not compared: b: no load was healthy");
    expect(compareFrontiers(search("a", 4, 5), search("b", 4, null, null)).verdict).toBe("not compared: b: the search did not finish");
    expect(() => compareFrontiers(search("a", 4, 5), { ...search("b", 4, 5), over: "concurrency" })).toThrow(/different axes \(a: rho, b: concurrency\)/);
  });

  it("marks a frontier that held at the highest load tried", () => {
    const c = compareFrontiers(search("a", 4, 5), search("b", 8, null, "max-load"));
    expect(c.rows[1]![2]).toBe("8 (healthy at the highest load tried)");
    expect(c.outcome).toBe("higher");
  });
});
