import { describe, expect, it } from "vitest";
import { dimensionsOfBlock, parsePath, parseSetFlag, setPath, splitEngine, sweepPoints, sweepRows, type SweptPoint } from "../../../src/search/sweep.js";
import type { PointFigures } from "../../../src/search/point.js";

describe("parsePath", () => {
  it("reads dots and list indexes", () => {
    expect(parsePath("traffic.concurrency")).toEqual(["traffic", "concurrency"]);
    expect(parsePath("agents[0].freshInput.mean")).toEqual(["agents", 0, "freshInput", "mean"]);
    expect(parsePath("a[1][2]")).toEqual(["a", 1, 2]);
  });

  it("rejects what is not a path", () => {
    for (const bad of ["", ".a", "a.", "a..b", "a[x]", "a[0]b", "0a"]) expect(() => parsePath(bad)).toThrow(/expected a field path such as traffic\.concurrency/);
  });
});

describe("parseSetFlag", () => {
  it("reads values as YAML scalars", () => {
    expect(parseSetFlag("traffic.concurrency=1,2,4")).toEqual({ path: "traffic.concurrency", values: [1, 2, 4] });
    expect(parseSetFlag("engine.prefixCache=true,false")).toEqual({ path: "engine.prefixCache", values: [true, false] });
    expect(parseSetFlag("slo.ttfc.p95=750ms, 2s")).toEqual({ path: "slo.ttfc.p95", values: ["750ms", "2s"] });
  });

  it("names the flag when it is not path=values", () => {
    expect(() => parseSetFlag("traffic.concurrency")).toThrow("--set traffic.concurrency: expected path=value[,value...], e.g. traffic.concurrency=1,2,4");
    expect(() => parseSetFlag("traffic.rate=1,,2")).toThrow("--set traffic.rate=1,,2: expected values separated by commas, e.g. traffic.rate=1,2,4");
    expect(() => parseSetFlag("a..b=1")).toThrow(/expected a field path/);
  });
});

describe("sweepPoints", () => {
  it("is the Cartesian product, the last dimension fastest", () => {
    const points = sweepPoints([
      { path: "traffic.concurrency", values: [1, 2] },
      { path: "agents[0].turns", values: [5, 20, 40] },
    ]);
    expect(points.map((p) => p.label)).toEqual([
      "traffic.concurrency=1 agents[0].turns=5",
      "traffic.concurrency=1 agents[0].turns=20",
      "traffic.concurrency=1 agents[0].turns=40",
      "traffic.concurrency=2 agents[0].turns=5",
      "traffic.concurrency=2 agents[0].turns=20",
      "traffic.concurrency=2 agents[0].turns=40",
    ]);
  });

  it("refuses a field swept twice", () => {
    expect(() => sweepPoints([{ path: "a", values: [1] }, { path: "a", values: [2] }])).toThrow("a: swept twice; give each field once with all its values");
  });
});

describe("dimensionsOfBlock", () => {
  it("reads the spec's sweep: block and names a bad entry", () => {
    expect(dimensionsOfBlock({ "traffic.rate": [1, 2] }, "s.yaml: sweep")).toEqual([{ path: "traffic.rate", values: [1, 2] }]);
    expect(() => dimensionsOfBlock({ "traffic.rate": [] }, "s.yaml: sweep")).toThrow("s.yaml: sweep.traffic.rate: expected a non-empty list of values");
    expect(() => dimensionsOfBlock([1], "s.yaml: sweep")).toThrow("s.yaml: sweep: expected a mapping of field paths to lists of values");
  });
});

describe("setPath", () => {
  it("sets a value on a copy, creating mappings on the way", () => {
    const doc = { traffic: { mode: "concurrent", concurrency: 1 }, agents: [{ turns: 3 }] };
    expect(setPath(doc, "agents[0].turns", 9)).toEqual({ traffic: { mode: "concurrent", concurrency: 1 }, agents: [{ turns: 9 }] });
    expect(setPath(doc, "slo.ttfc.p95", "1s")).toMatchObject({ slo: { ttfc: { p95: "1s" } } });
    expect(doc.agents[0]!.turns).toBe(3);
  });

  it("names the path when it cannot be set", () => {
    const doc = { agents: [{ turns: 3 }], seed: 1 };
    expect(() => setPath(doc, "agents[2].turns", 1)).toThrow("agents[2].turns: agents[2] does not exist (the list has 1 item)");
    expect(() => setPath(doc, "seed.x", 1)).toThrow("seed.x: cannot set x inside a value that is not a mapping");
    expect(() => setPath(doc, "seed[0]", 1)).toThrow("seed[0]: seed is not a list");
  });
});

describe("splitEngine", () => {
  it("takes the built-in engine's fields apart from the spec's, checking their values", () => {
    const [p] = sweepPoints([
      { path: "engine.prefixCache", values: [false] },
      { path: "engine.slots", values: [2] },
      { path: "sessions", values: [4] },
    ]);
    expect(splitEngine(p!)).toEqual({ engine: { prefixCache: false, slots: 2 }, spec: [{ path: "sessions", value: 4 }] });
    expect(() => splitEngine(sweepPoints([{ path: "engine.prefixCache", values: ["no"] }])[0]!)).toThrow("engine.prefixCache: expected true or false, got no");
    expect(() => splitEngine(sweepPoints([{ path: "engine.slots", values: [0] }])[0]!)).toThrow("engine.slots: expected a whole number >= 1, got 0");
    expect(() => splitEngine(sweepPoints([{ path: "engine.threads", values: [2] }])[0]!)).toThrow(/engine.threads: the built-in engine's fields a sweep may vary are engine.prefixCache and engine.slots/);
  });
});

describe("sweepRows", () => {
  it("prints a row per point with its swept values and verdict", () => {
    const figures: PointFigures = { runDir: "r", requests: 40, failed: 1, requestsPerSec: 3.5, outputTokensPerSec: 90, goodputShare: null, ttfcP50: 40, ttfcP95: 120, tbcP95: 9, tpotP50: 5, e2eP95: 800, cacheHitRate: 0.91, offered: 2, slo: [] };
    const dims = [{ path: "traffic.concurrency", values: [1, 2] }];
    const points: SweptPoint[] = sweepPoints(dims).map((p, i) => ({ ...p, outcome: i === 0 ? "passed" : "slo-failed", reasons: i === 0 ? [] : ["ttfc p95 < 100ms: measured 120ms"], figures }));
    const rows = sweepRows(dims, points);
    expect(rows[0]).toMatch(/^traffic\.concurrency +verdict +req\/s +ttfc p50 +ttfc p95 +tbc p95 +e2e p95 +hit +failed +why$/);
    expect(rows[1]).toMatch(/^1 +passed +3\.50 +40(\.0)?ms +120(\.0)?ms +9(\.0+)?ms +800(\.0)?ms +91% +1\/40$/);
    expect(rows[2]).toMatch(/^2 +SLO FAILED .* ttfc p95 < 100ms: measured 120ms$/);
  });
});
