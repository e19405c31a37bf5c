// Random variates drawn from our seeded Rng only (jstat's samplers use a global Math.random).
import type { Rng } from "./random.js";

/** Uniform in (0, 1]: safe to take the logarithm of. */
export function openUnit(rng: Rng): number {
  return 1 - rng.next();
}

/** Standard normal by Box-Muller, cosine half only: two uniforms per draw, no state kept between draws. */
export function standardNormal(rng: Rng): number {
  const radius = Math.sqrt(-2 * Math.log(openUnit(rng)));
  return radius * Math.cos(2 * Math.PI * rng.next());
}

/**
 * Gamma with the given shape and scale 1: Marsaglia and Tsang (2000) for shape >= 1; below 1,
 * G(shape) = G(shape + 1) * U^(1/shape), taken through logarithms so small shapes keep precision.
 */
export function standardGamma(rng: Rng, shape: number): number {
  if (shape < 1) {
    const boosted = standardGamma(rng, shape + 1);
    return Math.exp(Math.log(boosted) + Math.log(openUnit(rng)) / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = standardNormal(rng);
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = rng.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * Inverse Gaussian by Michael, Schucany and Haas (1976). The smaller root of the quadratic is
 * written mean / (1 + t + sqrt(t^2 + 2t)), t = mean * nu^2 / (2 shape), which avoids the
 * cancellation of the textbook form when t is large.
 */
export function inverseGaussian(rng: Rng, mean: number, shape: number): number {
  const nu = standardNormal(rng);
  const t = (mean * nu * nu) / (2 * shape);
  const x = mean / (1 + t + Math.sqrt(t * (t + 2)));
  return rng.next() * (mean + x) <= mean ? x : (mean * mean) / x;
}
