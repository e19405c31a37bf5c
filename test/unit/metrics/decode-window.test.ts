import { describe, expect, it } from "vitest";
import { decodeWindowTbc } from "../../../src/metrics/decode-window.js";
import type { RequestRecord } from "../../../src/records/types.js";

/** A request whose chunks came at these times (ms on the run's clock). */
const req = (chunkAt: number[], extra: Partial<RequestRecord> = {}): RequestRecord => ({
  sessionId: "s",
  nodeId: "n",
  readyAt: 0,
  plannedAt: 0,
  dispatchedAt: 0,
  firstTokenAt: chunkAt[0]!,
  chunkAt,
  doneAt: chunkAt[chunkAt.length - 1]!,
  expectedPromptTokens: 10,
  sharedPrefixTokens: 0,
  freshInputTokens: 10,
  requestedOutputTokens: chunkAt.length,
  ...extra,
});

describe("decodeWindowTbc", () => {
  it("keeps only the gaps measured while the most requests decoded", () => {
    // A decodes 0-100 alone until B joins at 40; B decodes 40-140; C 60-90: three at once in 60-90.
    const a = req([0, 20, 40, 60, 70, 80, 90, 100]);
    const b = req([40, 65, 75, 85, 140]);
    const c = req([60, 70, 80, 90]);
    const w = decodeWindowTbc([a, b, c]);
    expect(w.level).toBe(3);
    expect(w.windowMs).toBe(30);
    // A: 60-70, 70-80, 80-90; B: 65-75, 75-85; C: 60-70, 70-80, 80-90. Not A's 0-60 nor B's 85-140.
    expect(w.gaps.sort((x, y) => x - y)).toEqual([10, 10, 10, 10, 10, 10, 10, 10]);
  });

  it("a lower level widens the window; touching spans do not overlap", () => {
    const a = req([0, 10, 20]);
    const b = req([20, 30, 40]);
    const alone = decodeWindowTbc([a, b]);
    expect([alone.level, alone.windowMs, alone.gaps.length]).toEqual([1, 40, 4]);
    const x = req([0, 50, 100]);
    const y = req([10, 60, 110]);
    const two = decodeWindowTbc([x, y], { level: 2 });
    expect([two.level, two.windowMs]).toEqual([2, 90]);
    // Inside 10-100: x's 50-100 only, y's 10-60 only (60-110 leaves the window).
    expect(two.gaps).toEqual([50, 50]);
    expect(decodeWindowTbc([x, y], { level: 1 }).gaps).toHaveLength(4);
  });

  it("leaves out failed and warm-up requests, and is empty for nothing", () => {
    const ok = req([0, 10, 20]);
    const failed = req([0, 5, 10, 15], { error: { kind: "http", message: "HTTP 500", status: 500 } as RequestRecord["error"] });
    const warm = req([0, 1, 2, 3], { warmup: true });
    const w = decodeWindowTbc([ok, failed, warm]);
    expect([w.level, w.windowMs, w.gaps]).toEqual([1, 20, [10, 10]]);
    expect(decodeWindowTbc([])).toEqual({ level: 0, windowMs: 0, gaps: [] });
    expect(() => decodeWindowTbc([ok], { level: 0 })).toThrow("level: expected a whole number >= 1, got 0");
  });
});
