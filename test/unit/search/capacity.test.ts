// The capacity search's algorithm (search/capacity.ts) against scripted probes whose frontier is
// known in closed form: an M/M/1 queue's mean time in system, 1 / (mu - lambda), against an SLO.
import { describe, expect, it } from "vitest";
import { searchCapacity, type CapacityProbe } from "../../../src/search/capacity.js";

/** Healthy while 1 / (mu - load) <= limit: the frontier is mu - 1 / limit. */
function queue(mu: number, limit: number, noise: () => number = () => 0): CapacityProbe<{ wait: number }> {
  return async (load) => {
    const wait = load < mu ? (1 / (mu - load)) * (1 + noise()) : Infinity;
    const healthy = wait <= limit;
    return healthy ? { healthy, reasons: [], detail: { wait } } : { healthy, reasons: [`e2e mean ${wait.toFixed(3)} s > ${limit} s`], binding: "e2e mean", detail: { wait } };
  };
}

/** A small seeded generator (mulberry32), so the noisy cases are the same every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("searchCapacity", () => {
  it("brackets an M/M/1 frontier from below and bisects it to the precision, naming the binding SLO", async () => {
    const truth = 10 - 1 / 0.5; // 8
    const r = await searchCapacity(queue(10, 0.5), { start: 1, precision: 0.05 });
    expect(r.stopped).toBe("precision");
    expect(r.frontier!).toBeLessThanOrEqual(truth);
    expect(r.firstFailing!).toBeGreaterThan(truth);
    expect(r.firstFailing! / r.frontier! - 1).toBeLessThanOrEqual(0.05);
    expect(r.binding).toBe("e2e mean");
    expect(r.reasons[0]).toMatch(/^e2e mean [\d.]+ s > 0.5 s$/);
    // 1, 2, 4, 8 healthy; 16 fails; then bisection; then one confirmation of the frontier.
    expect(r.points.slice(0, 5).map((p) => [p.load, p.healthy])).toEqual([[1, true], [2, true], [4, true], [8, true], [16, false]]);
    const last = r.points[r.points.length - 1]!;
    expect([last.load, last.attempt, last.healthy]).toEqual([r.frontier, 2, true]);
  });

  it("comes down from a start above the frontier", async () => {
    const r = await searchCapacity(queue(10, 0.5), { start: 40, precision: 0.1 });
    expect(r.points[0]).toMatchObject({ load: 40, healthy: false });
    expect(r.frontier!).toBeLessThanOrEqual(8);
    expect(r.firstFailing! / r.frontier! - 1).toBeLessThanOrEqual(0.1);
  });

  it("moves a frontier down when a confirmation fails, and keeps the bracket within the precision", async () => {
    // Noise of +-10% on the wait: near the frontier a load passes one run and fails the next.
    const truth = 8;
    for (const seed of [1, 2, 3, 4, 5]) {
      const rnd = seeded(seed);
      const r = await searchCapacity(queue(10, 0.5, () => (rnd() - 0.5) * 0.2), { start: 1, precision: 0.05, confirm: 2 });
      expect(r.stopped).toBe("precision");
      // Every run of the frontier was healthy, and it is within the noise band of the truth.
      const runs = r.points.filter((p) => p.load === r.frontier);
      expect(runs.length).toBe(3);
      expect(runs.every((p) => p.healthy)).toBe(true);
      expect(r.frontier!).toBeGreaterThan(truth * 0.9);
      expect(r.frontier!).toBeLessThan(truth * 1.02);
      expect(r.firstFailing! / r.frontier! - 1).toBeLessThanOrEqual(0.05);
    }
  });

  it("searches whole loads (concurrency) down to adjacent numbers", async () => {
    // Healthy up to 7 sessions at once.
    const probe: CapacityProbe<never> = async (load) => (load <= 7 ? { healthy: true, reasons: [] } : { healthy: false, reasons: ["tbc p95 80ms > 75ms"], binding: "tbc p95" });
    const r = await searchCapacity(probe, { start: 1, integer: true, precision: 0.01 });
    expect([r.frontier, r.firstFailing, r.binding, r.stopped]).toEqual([7, 8, "tbc p95", "precision"]);
    expect(r.points.every((p) => Number.isInteger(p.load))).toBe(true);
    await expect(searchCapacity(probe, { start: 1.5, integer: true })).rejects.toThrow("capacity search: start: expected a whole number (whole loads), got 1.5");
  });

  it("stops at the load limits and at the run budget, saying which", async () => {
    const never = await searchCapacity(queue(10, 0.5), { start: 1, max: 4 });
    expect([never.stopped, never.frontier, never.firstFailing]).toEqual(["max-load", 4, null]);
    const always = await searchCapacity(queue(10, 0.01), { start: 1, min: 0.25 });
    expect([always.stopped, always.frontier, always.firstFailing]).toEqual(["min-load", null, 0.25]);
    const short = await searchCapacity(queue(10, 0.5), { start: 1, precision: 0.001, maxPoints: 7 });
    expect([short.stopped, short.points.length]).toEqual(["max-points", 7]);
  });

  it("refuses bad options, naming the option", async () => {
    await expect(searchCapacity(queue(10, 0.5), { start: 0 })).rejects.toThrow("capacity search: start: expected a load > 0, got 0");
    await expect(searchCapacity(queue(10, 0.5), { start: 1, growth: 1 })).rejects.toThrow("capacity search: growth: expected a factor > 1, got 1");
    await expect(searchCapacity(queue(10, 0.5), { start: 2, max: 1 })).rejects.toThrow("capacity search: max: expected a load >= start (2), got 1");
  });
});
