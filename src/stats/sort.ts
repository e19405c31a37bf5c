// Numbers sorted ascending, fast for what traces hold: a million whole numbers within a few
// million of each other (token counts) are counted into place, O(n + span); Float64Array's own
// sort took 150 to 260 ms a million values, and analyze sorts half a dozen such columns. A large
// array of other numbers (fractions: prefix overlaps, waits in seconds) is sorted by its bits, 11
// at a time (a radix sort): a million fractions in 30-67 ms against the built-in sort's 86-136 ms.
// Small arrays, NaN and big-endian machines go to the built-in sort.

/** Sorts `x` ascending in place and returns it (the order of Float64Array.prototype.sort). */
export function sortNumbers(x: Float64Array): Float64Array {
  const n = x.length;
  if (n < 4096) return x.sort();
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (!Number.isInteger(v)) return bySortKey(x);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min + 1;
  // The counts stay within a few times the values' own memory.
  if (span > 4 * n) return bySortKey(x);
  const counts = new Uint32Array(span);
  for (let i = 0; i < n; i++) counts[x[i]! - min]!++;
  let k = 0;
  for (let v = 0; v < span; v++) {
    const value = v + min;
    for (let c = counts[v]!; c > 0; c--) x[k++] = value;
  }
  return x;
}

/** Below this many values the built-in sort is as fast as the radix sort's fixed passes (5,000: 0.3 against 3 ms). */
const RADIX_MIN = 65536;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * LSD radix sort of doubles by their bits: each value's 64 bits made an unsigned key that orders
 * as the numbers do (a positive value's sign bit set, a negative value's bits all flipped: -0
 * before +0, as the built-in sort), sorted 11 bits at a time (6 passes, each skipped where every
 * key has the same digit), then turned back. NaN anywhere: the built-in sort.
 */
function bySortKey(x: Float64Array): Float64Array {
  const n = x.length;
  if (n < RADIX_MIN || !LITTLE_ENDIAN) return x.sort();
  for (let i = 0; i < n; i++) if (Number.isNaN(x[i]!)) return x.sort();
  // Little-endian: element i is the words [2i] (low) and [2i + 1] (high, with the sign).
  const u = new Uint32Array(x.buffer, x.byteOffset, 2 * n);
  for (let i = 0; i < n; i++) {
    const hi = u[2 * i + 1]!;
    if (hi & 0x80000000) {
      u[2 * i + 1] = ~hi >>> 0;
      u[2 * i] = ~u[2 * i]! >>> 0;
    } else u[2 * i + 1] = (hi | 0x80000000) >>> 0;
  }
  let from: Uint32Array = u;
  let to: Uint32Array = new Uint32Array(2 * n);
  const counts = new Uint32Array(2048);
  for (let pass = 0; pass < 6; pass++) {
    // Digits 0-2 from the low word (bits 0-10, 11-21, 22-31), 3-5 from the high word.
    const word = pass < 3 ? 0 : 1;
    const shift = (pass % 3) * 11;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(from[2 * i + word]! >>> shift) & 0x7ff]!++;
    let same = false;
    for (let d = 0; d < 2048 && !same; d++) same = counts[d] === n;
    if (same) continue;
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const lo = from[2 * i]!;
      const hi = from[2 * i + 1]!;
      const k = counts[((word === 0 ? lo : hi) >>> shift) & 0x7ff]!++;
      to[2 * k] = lo;
      to[2 * k + 1] = hi;
    }
    const t = from;
    from = to;
    to = t;
  }
  if (from !== u) u.set(from);
  for (let i = 0; i < n; i++) {
    const hi = u[2 * i + 1]!;
    if (hi & 0x80000000) u[2 * i + 1] = (hi & 0x7fffffff) >>> 0;
    else {
      u[2 * i + 1] = ~hi >>> 0;
      u[2 * i] = ~u[2 * i]! >>> 0;
    }
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
