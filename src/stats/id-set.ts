// A set of block hash ids (Mooncake, Veeksha shared_prefix). Traces number their blocks 0, 1, 2,
// ...: such ids index a bitmap, which grows as the ids do, and any other id (negative, fractional,
// very large) falls back to a Set. The million-request Mooncake-style bench file holds 31 million
// ids (2.5 million distinct): analyze's "seen before" set took 1.0 s and 154-169 MB as a
// Set<number>, 0.3 s and 8-11 MB so.

/** Ids from 0 up to this index a dense array; a trace with larger ids uses the fallback for them. */
const DENSE_LIMIT = 1 << 28;

function grownSize(length: number, need: number): number {
  let size = Math.max(1024, length);
  while (size < need) size *= 2;
  return Math.min(size, DENSE_LIMIT);
}

function dense(id: number): boolean {
  return id >= 0 && id < DENSE_LIMIT && Number.isInteger(id);
}

export class IdSet {
  private bits = new Uint32Array(1024);
  private other: Set<number> | undefined;

  has(id: number): boolean {
    if (!dense(id)) return this.other?.has(id) ?? false;
    const word = id >>> 5;
    return word < this.bits.length && (this.bits[word]! & (1 << (id & 31))) !== 0;
  }

  add(id: number): void {
    if (!dense(id)) {
      (this.other ??= new Set()).add(id);
      return;
    }
    const word = id >>> 5;
    if (word >= this.bits.length) {
      const grown = new Uint32Array(grownSize(this.bits.length, word + 1));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[word]! |= 1 << (id & 31);
  }
}
