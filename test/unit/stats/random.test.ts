import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { rngFor } from "../../../src/stats/random.js";
import { ksTest } from "../../../src/stats/special.js";

function take(seed: string | number, path: string, n: number): number[] {
  const rng = rngFor(seed, path);
  return Array.from({ length: n }, () => rng.next());
}

describe("rngFor", () => {
  it("gives the same sequence for the same seed and path", () => {
    expect(take("run-1", "agents/0/turns", 1000)).toEqual(take("run-1", "agents/0/turns", 1000));
  });

  it("gives different sequences for different paths or seeds", () => {
    const base = take("run-1", "agents/0/turns", 20);
    expect(take("run-1", "agents/1/turns", 20)).not.toEqual(base);
    expect(take("run-1", "agents/0/turns/", 20)).not.toEqual(base);
    expect(take("run-2", "agents/0/turns", 20)).not.toEqual(base);
  });

  it("keeps seed and path apart: ('a/b', 'c') is not ('a', 'b/c')", () => {
    expect(take("a/b", "c", 20)).not.toEqual(take("a", "b/c", 20));
  });

  it("treats a numeric seed like its decimal string", () => {
    expect(take(42, "x", 20)).toEqual(take("42", "x", 20));
  });

  it("streams are independent: drawing from one never shifts another", () => {
    const alone = take(7, "agents/0/freshInput", 50);
    const a = rngFor(7, "agents/0/freshInput");
    const b = rngFor(7, "agents/0/output");
    const interleaved: number[] = [];
    for (let i = 0; i < 50; i++) {
      interleaved.push(a.next());
      for (let j = 0; j <= i % 3; j++) b.next();
    }
    expect(interleaved).toEqual(alone);
  });

  it("draws uniformly from [0, 1)", () => {
    const xs = take(1, "uniformity", 100_000);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(ksTest(xs, (x) => Math.min(1, Math.max(0, x))).pValue).toBeGreaterThan(0.001);
  });

  it("pinned values: the uniform stream is bit-exact on every engine, and must not change by accident", () => {
    const pinned = [0.02668304869091398, 0.905720139763717, 0.5221267371484793];
    expect(take("agentload", "agents/0/turns", 3)).toEqual(pinned);
  });

  it("draws the seedrandom package's default (ARC4) sequence number for number: short, non-ASCII and key-wrapping (over 256 characters) seeds", () => {
    const seeds: (string | number)[] = [0, 7, 42, 123456789, "abc", "", "é∑😀", "x".repeat(300)];
    const paths = ["", "agents/0/turns", JSON.stringify(["content", "run-1", "3", "17"]), "a".repeat(600), "😀".repeat(200)];
    for (const seed of seeds) {
      for (const path of paths) {
        const reference = seedrandom(JSON.stringify([String(seed), path]));
        const got = take(seed, path, 500);
        const expected = Array.from({ length: 500 }, () => reference());
        expect(got, `seed ${JSON.stringify(seed)}, path ${JSON.stringify(path.slice(0, 30))}`).toEqual(expected);
      }
    }
  });
});
