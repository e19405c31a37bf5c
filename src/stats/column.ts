// A growable column of numbers: an Int32Array while every value is a 32-bit integer, a
// Float64Array from the first that is not (a fraction, NaN, a huge count); doubled when full. Its
// memory is an ArrayBuffer outside the JS heap. A plain number[] grown one push at a time left
// every outgrown copy in the old generation until a full collection: reading the million-request
// bench trace into eleven such columns made 312 MB of that garbage (allocation sampling). Whole
// numbers read back from an Int32Array stay small integers in the objects made of them; read from
// a Float64Array, each became a 16-byte heap number (65 MB more for a million requests' tokens).

export type Numbers = Int32Array | Float64Array;

/**
 * `a` with room for at least `size` values (itself when it has it): a copy 1.5 times larger or
 * more, the new room set to `fill`.
 */
export function grownArray<T extends Float64Array | Int32Array | Uint8Array>(a: T, size: number, fill = 0): T {
  if (size <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(size, Math.ceil(a.length * 1.5) + 16));
  b.set(a);
  if (fill !== 0) b.fill(fill, a.length);
  return b;
}

/** The first `size` values of `a`: itself when it holds just that many, else a copy cut to size. */
export function cutArray<T extends Float64Array | Int32Array | Uint8Array>(a: T, size: number): T {
  return a.length === size ? a : (a.slice(0, size) as T);
}

export class NumberColumn {
  /** The values, valid up to `length`; replaced when the column grows, so read it after the pushes. */
  values: Numbers;
  length = 0;

  constructor(capacity = 1024) {
    this.values = new Int32Array(Math.max(16, capacity));
  }

  push(value: number): void {
    let values = this.values;
    if (values instanceof Int32Array && (value | 0) !== value) values = this.values = Float64Array.from(values);
    if (this.length === values.length) values = this.values = grownArray(values, values.length * 2);
    values[this.length++] = value;
  }
}
