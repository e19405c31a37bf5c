import { describe, expect, it } from "vitest";
import { rngFor } from "../../../src/stats/random.js";
import { extent, sortNumbers } from "../../../src/stats/sort.js";

const rng = rngFor(3, "sort-test");
const draws = (n: number, f: () => number) => Float64Array.from({ length: n }, f);

describe("sortNumbers", () => {
  it("orders as Float64Array's sort does: whole numbers (counted), negatives, wide spans, fractions and NaN", () => {
    const cases = [
      draws(50_000, () => Math.floor(rng.next() * 3000)),
      draws(50_000, () => Math.floor(rng.next() * 3000) - 1500),
      draws(50_000, () => Math.floor(rng.next() * 1e9)),
      draws(50_000, () => rng.next() * 1000),
      draws(10_000, () => (rng.next() < 0.01 ? NaN : Math.floor(rng.next() * 50))),
      draws(100, () => Math.floor(rng.next() * 10)),
      new Float64Array(0),
    ];
    for (const values of cases) {
      const expected = Float64Array.from(values).sort();
      const got = sortNumbers(Float64Array.from(values));
      expect(Array.from(got)).toEqual(Array.from(expected));
    }
  });

  it("orders large arrays of fractions by their bits as the built-in sort does: signs, -0 and +0, infinities, subnormals, ties", () => {
    const specials = [0, -0, Infinity, -Infinity, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1];
    const cases = [
      draws(100_000, () => rng.next()),
      draws(100_000, () => (rng.next() - 0.5) * 1e6),
      draws(100_000, () => Math.exp(rng.next() * 40 - 20) * (rng.next() < 0.5 ? -1 : 1)),
      draws(100_000, () => (rng.next() < 0.2 ? specials[Math.floor(rng.next() * specials.length)]! : Math.round(rng.next() * 1000) / 1000)),
      draws(100_000, () => (rng.next() < 0.999 ? 0.5 : rng.next())),
      draws(100_000, () => (rng.next() < 0.001 ? NaN : rng.next())),
    ];
    for (const values of cases) {
      const expected = Float64Array.from(values).sort();
      const got = sortNumbers(Float64Array.from(values));
      for (let i = 0; i < got.length; i++) if (!Object.is(got[i], expected[i])) expect({ i, got: got[i] }).toEqual({ i, got: expected[i] });
    }
    // A view into a larger buffer is sorted where it lies, the rest of the buffer untouched.
    const buffer = draws(300_000, () => rng.next());
    const view = new Float64Array(buffer.buffer, 8 * 100_000, 100_000);
    const before = Float64Array.from(buffer);
    const expected = Float64Array.from(view).sort();
    expect(sortNumbers(view)).toBe(view);
    expect(Array.from(view)).toEqual(Array.from(expected));
    expect(Array.from(buffer.subarray(0, 100_000))).toEqual(Array.from(before.subarray(0, 100_000)));
    expect(Array.from(buffer.subarray(200_000))).toEqual(Array.from(before.subarray(200_000)));
  });

  it("sorts in place and returns the same array", () => {
    const x = draws(10_000, () => Math.floor(rng.next() * 100));
    expect(sortNumbers(x)).toBe(x);
    for (let i = 1; i < x.length; i++) expect(x[i - 1]!).toBeLessThanOrEqual(x[i]!);
  });
});

describe("extent", () => {
  it("gives the smallest and largest of a million values (Math.min(...values) overflowed the stack)", () => {
    const values = Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 1_000_003);
    values[123_456] = -5;
    values[654_321] = 2_000_000;
    expect(extent(values)).toEqual({ min: -5, max: 2_000_000 });
    expect(extent(new Float64Array([3]))).toEqual({ min: 3, max: 3 });
    expect(extent([])).toEqual({ min: Infinity, max: -Infinity });
  });
});
