// The inside of a distribution: how it samples, its CDF, and E[clamp(X)] for any bounds, which is
// what lets clamps and spike/tail mixtures nest while the mean stays exact.
import type { Rng } from "../types.js";

/** A distribution as its spec builds it, before or after clamping. */
export interface Law {
  sample(): number;
  /** P(X <= x). */
  cdf(x: number): number;
  /** E[min(max(X, lo), hi)] for lo <= hi; either bound may be infinite. */
  clampedMean(lo: number, hi: number): number;
}

/** What users see; see distributions.ts. */
export interface Distribution {
  sample(): number;
  mean(): number;
  cdf(x: number): number;
}

export function clampValue(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** A law with each draw clamped to [lo, hi]. Also a Law itself, so it can sit inside a mixture. */
export class Clamped implements Law, Distribution {
  private cachedMean: number | undefined;

  constructor(
    private readonly base: Law,
    private readonly lo: number,
    private readonly hi: number,
  ) {}

  sample(): number {
    return clampValue(this.base.sample(), this.lo, this.hi);
  }

  cdf(x: number): number {
    if (x < this.lo) return 0;
    if (x >= this.hi) return 1;
    return this.base.cdf(x);
  }

  mean(): number {
    this.cachedMean ??= this.base.clampedMean(this.lo, this.hi);
    return this.cachedMean;
  }

  clampedMean(lo: number, hi: number): number {
    // Clamping to [a, b] and then to [lo, hi] is one clamp to [clamp(a), clamp(b)].
    return this.base.clampedMean(clampValue(this.lo, lo, hi), clampValue(this.hi, lo, hi));
  }
}

/** With probability p a draw from `spike`, otherwise from `tail`. */
export function mixture(rng: Rng, p: number, spike: Law, tail: Law): Law {
  return {
    sample: () => (rng.next() < p ? spike.sample() : tail.sample()),
    cdf: (x) => p * spike.cdf(x) + (1 - p) * tail.cdf(x),
    clampedMean: (lo, hi) => p * spike.clampedMean(lo, hi) + (1 - p) * tail.clampedMean(lo, hi),
  };
}

/** A continuous law described by its CDF, mean and partial mean E[X; X <= c]. */
export interface ContinuousParts {
  sample(): number;
  cdf(x: number): number;
  /** E[X] (Infinity when it diverges). */
  mean: number;
  /** E[X 1{X <= c}] for finite c. */
  partialMean(c: number): number;
}

export function continuousLaw(parts: ContinuousParts): Law {
  return {
    sample: parts.sample,
    cdf: parts.cdf,
    clampedMean(lo, hi) {
      if (lo === hi) return lo;
      // E[clamp(X)] = lo P(X <= lo) + E[X; lo < X <= hi] + hi P(X > hi); no atoms, so < and <= agree.
      const upper = hi === Infinity ? parts.mean : parts.partialMean(hi);
      let total = upper - (lo === -Infinity ? 0 : parts.partialMean(lo));
      if (lo !== -Infinity) total += lo * parts.cdf(lo);
      if (hi !== Infinity) total += hi * (1 - parts.cdf(hi));
      return total;
    },
  };
}

/** Always the same value. Draws nothing from the rng. */
export function pointLaw(value: number): Law {
  return {
    sample: () => value,
    cdf: (x) => (x >= value ? 1 : 0),
    clampedMean: (lo, hi) => clampValue(value, lo, hi),
  };
}
