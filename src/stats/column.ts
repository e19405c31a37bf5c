// A growable column of doubles: a Float64Array that doubles when full. Its memory is an
// ArrayBuffer outside the JS heap, freed with it. A plain number[] grown one push at a time left
// every outgrown copy in the old generation until a full collection: reading the million-request
// bench trace into eleven such columns made 312 MB of that garbage (allocation sampling).

export class DoubleColumn {
  /** The values, valid up to `length`; replaced when the column grows, so read it after the pushes. */
  values: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.values = new Float64Array(Math.max(16, capacity));
  }

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  /** The values as a Float64Array of exactly `length` (a copy when there is spare room). */
  trimmed(): Float64Array {
    return this.length === this.values.length ? this.values : this.values.slice(0, this.length);
  }
}
