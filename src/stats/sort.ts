// Numbers sorted ascending, fast for what traces hold: a million whole numbers within a few
// million of each other (token counts) are counted into place, O(n + span); Float64Array's own
// sort took 150 to 260 ms a million values, and analyze sorts half a dozen such columns. Anything
// else (fractions, NaN, a span far wider than the count) goes to the built-in sort.

/** Sorts `x` ascending in place and returns it (the order of Float64Array.prototype.sort). */
export function sortNumbers(x: Float64Array): Float64Array {
  const n = x.length;
  if (n < 4096) return x.sort();
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (!Number.isInteger(v)) return x.sort();
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min + 1;
  // The counts stay within a few times the values' own memory.
  if (span > 4 * n) return x.sort();
  const counts = new Uint32Array(span);
  for (let i = 0; i < n; i++) counts[x[i]! - min]!++;
  let k = 0;
  for (let v = 0; v < span; v++) {
    const value = v + min;
    for (let c = counts[v]!; c > 0; c--) x[k++] = value;
  }
  return x;
}

/**
 * The smallest and largest of `values` ({ min: Infinity, max: -Infinity } when empty), by a loop:
 * Math.min(...values) passes every value as an argument and overflowed the stack at a few hundred
 * thousand (fit of a 1M-request Mooncake trace).
 */
export function extent(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}
