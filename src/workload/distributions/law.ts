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
  /** True when the law has no atoms (P(X = x) = 0 for every x), so it can be truncated. */
  readonly continuous?: true;
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

/** Truncation refuses bounds holding less of the law than this, so rejection needs ~100 tries at worst. */
export const MIN_TRUNCATED_MASS = 0.01;
/** Draws tried before a truncated law gives up: at 1% mass all of them miss with probability 0.99^10000 = 2e-44. */
export const MAX_TRUNCATION_TRIES = 10_000;

/**
 * A continuous law conditioned on lo <= X <= hi: a draw outside is drawn again from the same
 * stream, so the values inside keep their relative likelihoods (the CDF is renormalised to the
 * interval) and no value piles up at a bound. The base law must have no atoms, which continuousLaw
 * guarantees; `mass` is P(lo <= X <= hi), checked by the caller to be at least MIN_TRUNCATED_MASS.
 */
export class Truncated implements Law, Distribution {
  private cachedMean: number | undefined;
  private readonly below: number;

  constructor(
    private readonly base: Law,
    private readonly lo: number,
    private readonly hi: number,
    readonly mass: number,
  ) {
    this.below = lo === -Infinity ? 0 : base.cdf(lo);
  }

  sample(): number {
    for (let i = 0; i < MAX_TRUNCATION_TRIES; i++) {
      const x = this.base.sample();
      if (x >= this.lo && x <= this.hi) return x;
    }
    throw new Error(`no draw fell in [${this.lo}, ${this.hi}] in ${MAX_TRUNCATION_TRIES} tries (the interval holds ${this.mass} of the law)`);
  }

  cdf(x: number): number {
    if (x < this.lo) return 0;
    if (x >= this.hi) return 1;
    return Math.min(1, Math.max(0, (this.base.cdf(x) - this.below) / this.mass));
  }

  mean(): number {
    this.cachedMean ??= this.clampedMean(this.lo, this.hi);
    return this.cachedMean;
  }

  /** E[X; lo < X <= c] of the base law for lo <= c <= hi, from its clamped mean (no atoms, so < and <= agree). */
  private partialMean(c: number): number {
    if (c === this.lo) return 0;
    let total = this.base.clampedMean(this.lo, c);
    if (this.lo !== -Infinity) total -= this.lo * this.below;
    if (c !== Infinity) total -= c * (1 - this.base.cdf(c));
    return total;
  }

  clampedMean(lo: number, hi: number): number {
    if (lo === hi) return lo;
    // The truncated law lives on [this.lo, this.hi]: clamping it to [lo, hi] is clamping to the overlap,
    // E[clamp(Y)] = a P(Y <= a) + E[Y; a < Y <= b] + b P(Y > b) with a, b the bounds moved into it.
    const a = clampValue(lo, this.lo, this.hi);
    const b = clampValue(hi, this.lo, this.hi);
    if (a === b) return a;
    let total = (this.partialMean(b) - this.partialMean(a)) / this.mass;
    if (a !== -Infinity) total += a * this.cdf(a);
    if (b !== Infinity) total += b * (1 - this.cdf(b));
    return total;
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
    continuous: true,
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
