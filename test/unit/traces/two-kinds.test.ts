// Whether sizes are two kinds of turns (two-kinds.ts): the gate before fit tells large turns apart.
import { describe, expect, it } from "vitest";
import { rngFor } from "../../../src/stats/random.js";
import { standardNormal } from "../../../src/stats/samplers.js";
import { TWO_KINDS_BIC, twoKindsEvidence } from "../../../src/traces/two-kinds.js";

const lognormal = (n: number, mu: number, sigma: number, stream: string) => {
  const rng = rngFor(5, stream);
  return Array.from({ length: n }, () => Math.round(Math.exp(mu + sigma * standardNormal(rng))));
};

describe("twoKindsEvidence", () => {
  it("finds one kind in one lognormal, however wide", () => {
    expect(twoKindsEvidence(lognormal(600, 5, 0.7, "a"))).toBeLessThan(TWO_KINDS_BIC);
    expect(twoKindsEvidence(lognormal(600, 5, 2, "b"))).toBeLessThan(TWO_KINDS_BIC);
  });

  it("finds two kinds in short tool results beside file reads", () => {
    const sizes = [...lognormal(500, 3.5, 0.8, "short"), ...lognormal(100, 8.5, 0.6, "files")];
    expect(twoKindsEvidence(sizes)).toBeGreaterThan(TWO_KINDS_BIC);
  });

  it("finds nothing in too few values or in one repeated value", () => {
    expect(twoKindsEvidence([10, 5000, 20])).toBe(-Infinity);
    expect(twoKindsEvidence(Array.from({ length: 50 }, () => 100))).toBe(-Infinity);
  });

  it("reads many values through their quantiles, in about the same answer", () => {
    const sizes = [...lognormal(40000, 3.5, 0.8, "short2"), ...lognormal(8000, 8.5, 0.6, "files2")];
    expect(twoKindsEvidence(sizes)).toBeGreaterThan(TWO_KINDS_BIC);
    expect(twoKindsEvidence(lognormal(50000, 5, 1.5, "c"))).toBeLessThan(TWO_KINDS_BIC);
  });
});
