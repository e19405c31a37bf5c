import { describe, expect, test } from "vitest";
import { blockOrder, blockSpec } from "../../../src/vitest/bench-provider.js";
import { validateSpec } from "../../../src/workload/spec.js";

/** A small valid spec: one agent, `sessions` sessions, extra top-level fields in `rest`. */
function smallSpec(sessions: number, rest: Record<string, unknown> = {}) {
  return validateSpec({ name: "t", seed: 7, sessions, agents: [{ name: "a", turns: 3, freshInput: 100, output: 50 }], ...rest });
}

describe("blockSpec", () => {
  test("one block is the spec itself", () => {
    const spec = smallSpec(9);
    expect(blockSpec(spec, 0, 1)).toBe(spec);
  });

  test("two blocks split the sessions, keep the seed in block 0 and change it in block 1", () => {
    const spec = smallSpec(9);
    const before = structuredClone(spec);
    const first = blockSpec(spec, 0, 2);
    const second = blockSpec(spec, 1, 2);
    expect(first.sessions).toBe(5);
    expect(second.sessions).toBe(5);
    expect(first.seed).toBe(spec.seed);
    expect(second.seed).not.toBe(spec.seed);
    for (const b of [first, second]) {
      expect(b.traffic.maxSessions).toBeLessThanOrEqual(b.sessions);
      // Everything else is the workload unchanged.
      expect({ ...b, seed: spec.seed, sessions: spec.sessions, traffic: { ...b.traffic, maxSessions: spec.traffic.maxSessions } }).toEqual(spec);
    }
    expect(spec).toEqual(before);
  });

  test("every block gets its own seed, the same on every call", () => {
    const spec = smallSpec(12);
    const seeds = [0, 1, 2, 3].map((b) => blockSpec(spec, b, 4).seed);
    expect(new Set(seeds).size).toBe(4);
    expect(seeds[0]).toBe("7");
    expect([0, 1, 2, 3].map((b) => blockSpec(spec, b, 4).seed)).toEqual(seeds);
    expect(blockSpec(spec, 2, 4).sessions).toBe(3);
  });

  test("a lower maxSessions is kept when it is below the block's sessions", () => {
    const spec = smallSpec(10, { traffic: { mode: "concurrent", concurrency: 2, maxSessions: 3 } });
    expect(spec.traffic.maxSessions).toBe(3);
    const block = blockSpec(spec, 1, 2);
    expect(block.sessions).toBe(5);
    expect(block.traffic.maxSessions).toBe(3);
    expect(block.traffic).toMatchObject({ mode: "concurrent", concurrency: 2 });
  });

  test("a block never has fewer than one session", () => {
    const spec = smallSpec(1);
    for (const b of [0, 1, 2]) {
      const block = blockSpec(spec, b, 3);
      expect(block.sessions).toBe(1);
      expect(block.traffic.maxSessions).toBe(1);
    }
  });
});

describe("blockOrder", () => {
  test("alternates A B, B A", () => {
    expect(blockOrder(2, 0)).toEqual([0, 1]);
    expect(blockOrder(2, 1)).toEqual([1, 0]);
    expect(blockOrder(2, 2)).toEqual([0, 1]);
    expect(blockOrder(3, 3)).toEqual([2, 1, 0]);
    expect(blockOrder(1, 1)).toEqual([0]);
  });
});
