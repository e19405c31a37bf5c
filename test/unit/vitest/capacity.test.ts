import { describe, expect, it } from "vitest";
import { judgeSustain, type CapacityResultView } from "../../../src/vitest/capacity-judge.js";
import { agentloadMatchers } from "../../../src/vitest/matchers.js";

function result(frontier: number | null, firstFailing: number | null, stopped: CapacityResultView["stopped"] = "precision"): CapacityResultView {
  return { kind: "agentload-capacity", name: "coder", over: "rho", unit: "requests/s", precision: 0.1, frontier, firstFailing, binding: firstFailing !== null ? "tbc p95" : null, reasons: [], stopped, points: [], lines: [] };
}

const toSustain = (received: unknown, load: unknown) => agentloadMatchers.toSustain!.call({ isNot: false } as never, received, load) as { pass: boolean; message: () => string };

describe("judgeSustain", () => {
  it("passes a load at or below the frontier", () => {
    expect(judgeSustain(result(5.5, 6), 5)).toEqual({ outcome: "sustained", message: '"coder" sustains rho 5 requests/s: its frontier is 5.500' });
    expect(judgeSustain(result(5.5, 6), 5.5).outcome).toBe("sustained");
  });

  it("fails a load at or above the first failing load, naming the binding SLO", () => {
    expect(judgeSustain(result(5.5, 6), 6)).toEqual({ outcome: "not-sustained", message: '"coder" does not sustain rho 6 requests/s: it failed at 6, binding SLO tbc p95; its frontier is 5.500' });
    expect(judgeSustain(result(null, 0.5, "min-load"), 1).message).toMatch(/no load was healthy/);
  });

  it("is inconclusive inside the last bracket, beyond the highest load tried, or beyond the points", () => {
    expect(judgeSustain(result(5.5, 6), 5.8).message).toBe('"coder": inconclusive at rho 5.800 requests/s: it lies between the frontier 5.500 (healthy) and the first failing load 6; search with a finer precision');
    expect(judgeSustain(result(8, null, "max-load"), 10).outcome).toBe("inconclusive");
    expect(judgeSustain(result(4, null, "max-points"), 10).message).toMatch(/ran out of points/);
  });
});

describe("toSustain", () => {
  it("passes and fails by judgeSustain", () => {
    expect(toSustain(result(5.5, 6), { rho: 5 }).pass).toBe(true);
    const failed = toSustain(result(5.5, 6), { rho: 5.8 });
    expect(failed.pass).toBe(false);
    expect(failed.message()).toMatch(/inconclusive/);
  });

  it("refuses what it cannot judge", () => {
    expect(() => toSustain({ frontier: 3 }, { rho: 1 })).toThrow(/expected a capacity result \(from describeCapacity\)/);
    expect(() => toSustain(result(5, 6), { concurrency: 4 })).toThrow('toSustain: "coder" searched rho, not concurrency: give { rho: 4 }');
    expect(() => toSustain(result(5, 6), { rho: 1, concurrency: 2 })).toThrow(/expected one load on the searched axis, such as \{ rho: 5 \}/);
    expect(() => agentloadMatchers.toSustain!.call({ isNot: true } as never, result(5, 6), { rho: 1 })).toThrow(/cannot be used with .not/);
  });
});
