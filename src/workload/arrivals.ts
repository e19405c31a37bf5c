// Session arrival processes for rate traffic: the gaps, in milliseconds, between consecutive
// session arrivals. Rates are sessions per second.
import { ParameterReader, shown } from "./distributions/spec.js";
import { openUnit, standardGamma } from "../stats/samplers.js";
import type { Rng } from "./types.js";

export type ArrivalSpec =
  | { type: "poisson"; rate: number } // exponential gaps
  | { type: "gamma"; rate: number; cv: number } // gamma gaps with that mean rate and coefficient of variation
  | { type: "constant"; rate: number };

export const ARRIVAL_TYPES: readonly ArrivalSpec["type"][] = ["poisson", "gamma", "constant"];

export interface ArrivalProcess {
  /** Milliseconds from the previous arrival to the next. */
  nextGapMs(): number;
  meanGapMs(): number;
}

/**
 * The arrival process for `spec`, drawing from `rng`. Throws on invalid parameters with a message
 * naming the parameter and what was expected.
 */
export function createArrivals(spec: ArrivalSpec, rng: Rng): ArrivalProcess {
  if (typeof spec !== "object" || spec === null) {
    throw new Error(`arrivals must be an object with a type, got ${shown(spec)}`);
  }
  const read = new ParameterReader(spec as Record<string, unknown>, "");
  if (!ARRIVAL_TYPES.includes(spec.type)) {
    throw new Error(`type must be one of ${ARRIVAL_TYPES.join(", ")}, got ${shown(read.raw("type"))}`);
  }
  const meanGap = 1000 / read.positive("rate");
  switch (spec.type) {
    case "constant":
      return constantGaps(meanGap);
    case "poisson":
      return { nextGapMs: () => -meanGap * Math.log(openUnit(rng)), meanGapMs: () => meanGap };
    case "gamma": {
      // Gamma gaps with shape k and scale s have mean k s and cv 1/sqrt(k); cv 0 is constant.
      const cv = read.nonNegative("cv");
      if (cv === 0) return constantGaps(meanGap);
      const shape = 1 / (cv * cv);
      const scale = meanGap / shape;
      return { nextGapMs: () => scale * standardGamma(rng, shape), meanGapMs: () => meanGap };
    }
  }
}

function constantGaps(gap: number): ArrivalProcess {
  return { nextGapMs: () => gap, meanGapMs: () => gap };
}
