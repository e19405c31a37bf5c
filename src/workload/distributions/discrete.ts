// Discrete families: uniform integers, zipf and resampled (empirical) values.
import type { Rng } from "../types.js";
import type { Law } from "./law.js";

/** Integers min..max, both included, equally likely. Closed forms, so any range size is cheap. */
export function uniformInteger(rng: Rng, min: number, max: number): Law {
  const count = max - min + 1;
  return {
    sample: () => min + Math.min(count - 1, Math.floor(rng.next() * count)),
    cdf: (x) => (x < min ? 0 : x >= max ? 1 : (Math.floor(x) - min + 1) / count),
    clampedMean(lo, hi) {
      if (lo === hi) return lo;
      // Points at or below lo become lo, at or above hi become hi, the rest keep their value.
      const atLo = lo === -Infinity ? 0 : clampCount(Math.floor(lo) - min + 1, count);
      const atHi = hi === Infinity ? 0 : clampCount(max - Math.ceil(hi) + 1, count);
      const inside = count - atLo - atHi;
      const first = min + atLo;
      const last = max - atHi;
      let total = inside > 0 ? (inside * (first + last)) / 2 : 0;
      if (atLo > 0) total += lo * atLo;
      if (atHi > 0) total += hi * atHi;
      return total / count;
    },
  };
}

function clampCount(n: number, count: number): number {
  return Math.max(0, Math.min(count, n));
}

/** Finitely many values with probabilities, as sorted cumulative tables. */
export interface DiscreteTable {
  /** Distinct values, ascending. */
  values: Float64Array;
  /** cumulative[i] = P(X <= values[i]); the last entry is exactly 1. */
  cumulative: Float64Array;
  /** cumulativeMass[i] = sum over j <= i of values[j] P(X = values[j]). */
  cumulativeMass: Float64Array;
}

/** Builds the table from distinct ascending values and their (unnormalised) weights. */
export function discreteTable(values: Float64Array, weights: Float64Array): DiscreteTable {
  const n = values.length;
  let total = 0;
  for (const w of weights) total += w;
  const cumulative = new Float64Array(n);
  const cumulativeMass = new Float64Array(n);
  let weight = 0;
  let mass = 0;
  for (let i = 0; i < n; i++) {
    weight += weights[i]!;
    mass += values[i]! * weights[i]!;
    cumulative[i] = weight / total;
    cumulativeMass[i] = mass / total;
  }
  cumulative[n - 1] = 1;
  return { values, cumulative, cumulativeMass };
}

/** Index of the first entry of an ascending array that is > x (its length if none). */
function firstAbove(sorted: Float64Array, x: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! > x) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Index of the first entry of an ascending array that is >= x (its length if none). */
function firstAtLeast(sorted: Float64Array, x: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! >= x) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** Samples a table by inverting its CDF: the first value whose cumulative probability exceeds u. */
export function tableLaw(rng: Rng, table: DiscreteTable): Law {
  const { values, cumulative, cumulativeMass } = table;
  const last = values.length - 1;
  const probabilityAtMost = (x: number): number => {
    const i = firstAbove(values, x);
    return i === 0 ? 0 : cumulative[i - 1]!;
  };
  return {
    sample: () => values[Math.min(last, firstAbove(cumulative, rng.next()))]!,
    cdf: probabilityAtMost,
    clampedMean(lo, hi) {
      if (lo === hi) return lo;
      // Values <= lo count as lo, values >= hi as hi, values strictly between as themselves.
      const below = firstAbove(values, lo); // values[0..below) are <= lo
      const above = firstAtLeast(values, hi); // values[above..] are >= hi
      let total = 0;
      if (above > below) total += cumulativeMass[above - 1]! - (below === 0 ? 0 : cumulativeMass[below - 1]!);
      if (below > 0) total += lo * cumulative[below - 1]!;
      if (above <= last) total += hi * (1 - (above === 0 ? 0 : cumulative[above - 1]!));
      return total;
    },
  };
}

/** Largest zipf support built as a table (three Float64Arrays of this length). */
export const ZIPF_MAX_N = 1_000_000;
const zipfTables = new Map<string, DiscreteTable>();
const ZIPF_CACHE_SIZE = 8;

/** P(k) proportional to k^-s on 1..n. Tables are shared between distributions with the same n and s. */
export function zipfTable(n: number, s: number): DiscreteTable {
  const key = `${n}:${s}`;
  let table = zipfTables.get(key);
  if (table === undefined) {
    const values = new Float64Array(n);
    const weights = new Float64Array(n);
    for (let k = 1; k <= n; k++) {
      values[k - 1] = k;
      weights[k - 1] = k ** -s;
    }
    table = discreteTable(values, weights);
    if (zipfTables.size >= ZIPF_CACHE_SIZE) zipfTables.delete(zipfTables.keys().next().value!);
    zipfTables.set(key, table);
  }
  return table;
}

// Spec arrays are treated as immutable: a workload builds many distributions from one spec.
const empiricalTables = new WeakMap<readonly number[], DiscreteTable>();

/** Each given sample equally likely (repeated values count once per occurrence). */
export function empiricalTable(samples: readonly number[]): DiscreteTable {
  let table = empiricalTables.get(samples);
  if (table === undefined) {
    const sorted = Float64Array.from(samples).sort();
    const values: number[] = [];
    const counts: number[] = [];
    for (const x of sorted) {
      if (values.length > 0 && values[values.length - 1] === x) counts[counts.length - 1]!++;
      else {
        values.push(x);
        counts.push(1);
      }
    }
    table = discreteTable(Float64Array.from(values), Float64Array.from(counts));
    empiricalTables.set(samples, table);
  }
  return table;
}
