// Continuous families: samplers on our Rng, closed-form CDFs and partial means E[X; X <= c]
// (from which continuousLaw derives the mean under any clamp).
import { logGamma, logNormalCdf, normalCdf, normalPdf, regularizedGammaP } from "../../stats/special.js";
import type { Rng } from "../types.js";
import { continuousLaw, pointLaw, type Law } from "./law.js";
import { inverseGaussian, openUnit, standardGamma, standardNormal } from "../../stats/samplers.js";

export function uniformContinuous(rng: Rng, min: number, max: number): Law {
  if (min === max) return pointLaw(min);
  const width = max - min;
  return continuousLaw({
    sample: () => min + width * rng.next(),
    cdf: (x) => (x <= min ? 0 : x >= max ? 1 : (x - min) / width),
    mean: (min + max) / 2,
    partialMean: (c) => (c <= min ? 0 : c >= max ? (min + max) / 2 : (c * c - min * min) / (2 * width)),
  });
}

export function normal(rng: Rng, mean: number, stddev: number): Law {
  if (stddev === 0) return pointLaw(mean);
  return continuousLaw({
    sample: () => mean + stddev * standardNormal(rng),
    cdf: (x) => normalCdf((x - mean) / stddev),
    mean,
    partialMean: (c) => {
      const z = (c - mean) / stddev;
      return mean * normalCdf(z) - stddev * normalPdf(z);
    },
  });
}

export function lognormal(rng: Rng, mu: number, sigma: number): Law {
  if (sigma === 0) return pointLaw(Math.exp(mu));
  const mean = Math.exp(mu + (sigma * sigma) / 2);
  return continuousLaw({
    sample: () => Math.exp(mu + sigma * standardNormal(rng)),
    cdf: (x) => (x <= 0 ? 0 : normalCdf((Math.log(x) - mu) / sigma)),
    mean,
    // The size-biased lognormal is lognormal(mu + sigma^2, sigma).
    partialMean: (c) => (c <= 0 ? 0 : mean * normalCdf((Math.log(c) - mu - sigma * sigma) / sigma)),
  });
}

export function gamma(rng: Rng, shape: number, scale: number): Law {
  const mean = shape * scale;
  return continuousLaw({
    sample: () => scale * standardGamma(rng, shape),
    cdf: (x) => regularizedGammaP(shape, x / scale),
    mean,
    // The size-biased gamma is gamma(shape + 1, scale).
    partialMean: (c) => mean * regularizedGammaP(shape + 1, c / scale),
  });
}

export function weibull(rng: Rng, shape: number, scale: number): Law {
  const mean = scale * Math.exp(logGamma(1 + 1 / shape));
  return continuousLaw({
    sample: () => scale * (-Math.log(openUnit(rng))) ** (1 / shape),
    cdf: (x) => (x <= 0 ? 0 : -Math.expm1(-((x / scale) ** shape))),
    mean,
    // Substituting t = (x/scale)^shape turns the partial mean into an incomplete gamma function.
    partialMean: (c) => (c <= 0 ? 0 : mean * regularizedGammaP(1 + 1 / shape, (c / scale) ** shape)),
  });
}

export function exponential(rng: Rng, mean: number): Law {
  return continuousLaw({
    sample: () => -mean * Math.log(openUnit(rng)),
    cdf: (x) => (x <= 0 ? 0 : -Math.expm1(-x / mean)),
    mean,
    partialMean: (c) => {
      if (c <= 0) return 0;
      const t = c / mean;
      return mean * (-Math.expm1(-t) - t * Math.exp(-t));
    },
  });
}

/** Pareto type I: P(X > x) = (scale / x)^alpha for x >= scale. The mean is infinite for alpha <= 1. */
export function pareto(rng: Rng, scale: number, alpha: number): Law {
  return continuousLaw({
    sample: () => scale * openUnit(rng) ** (-1 / alpha),
    cdf: (x) => (x <= scale ? 0 : -Math.expm1(alpha * Math.log(scale / x))),
    mean: alpha > 1 ? (alpha * scale) / (alpha - 1) : Infinity,
    partialMean: (c) => {
      if (c <= scale) return 0;
      if (alpha === 1) return scale * Math.log(c / scale);
      return ((alpha * scale) / (alpha - 1)) * -Math.expm1((alpha - 1) * Math.log(scale / c));
    },
  });
}

/**
 * Inverse Gaussian (Wald), mean mu and shape lambda:
 * F(x) = Phi(sqrt(lambda/x) (x/mu - 1)) + exp(2 lambda/mu) Phi(-sqrt(lambda/x) (x/mu + 1)),
 * the second term taken in log space because exp(2 lambda/mu) overflows when lambda >> mu.
 */
export function inverseGaussianLaw(rng: Rng, mean: number, shape: number): Law {
  const terms = (x: number): [number, number] => {
    const root = Math.sqrt(shape / x);
    const first = normalCdf(root * (x / mean - 1));
    const second = Math.exp((2 * shape) / mean + logNormalCdf(-root * (x / mean + 1)));
    return [first, second];
  };
  return continuousLaw({
    sample: () => inverseGaussian(rng, mean, shape),
    cdf: (x) => {
      if (x <= 0) return 0;
      const [first, second] = terms(x);
      return Math.min(1, first + second);
    },
    mean,
    // E[X; X <= c] = mu (Phi(a) - exp(2 lambda/mu) Phi(-b)), with a and b as in the CDF.
    partialMean: (c) => {
      if (c <= 0) return 0;
      const [first, second] = terms(c);
      return mean * Math.max(0, first - second);
    },
  });
}
