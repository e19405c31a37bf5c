// Seeded random streams. Every random quantity of a workload draws from its own stream, named by
// the run seed and the quantity's path in the spec (e.g. "agents/0/turns"), so adding or removing
// one component never shifts the draws of another.
//
// The generator is seedrandom's default (ARC4, the key mixed from the seed text, the first 256
// outputs dropped, 52-bit doubles), written here as one object with one 256-byte state: the same
// sequence for the same seed and path, number for number (test/unit/stats/random.test.ts holds it
// against the seedrandom package), on Node, Bun and Deno alike (integer arithmetic only). Why not
// the package itself: a run opens two streams per request (its content) and several per session,
// and each seedrandom stream allocated about 11 kB (key and state as plain arrays, five closures,
// and a string of its state mixed into a global pool): 267 of the 734 MB the client allocated in
// `benchmarks/dispatch-lateness.ts` at 200 requests/s, which the garbage collector then paused for.

/** A seeded source of uniform numbers in [0, 1). All randomness goes through one of these. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

const WIDTH = 256;
const MASK = 255;
/** 2^48: six outputs of 8 bits make the first numerator. */
const START_DENOMINATOR = 2 ** 48;
/** 2^52 and 2^53: a double's significant bits, filled and not overflowed. */
const SIGNIFICANCE = 2 ** 52;
const OVERFLOW = 2 ** 53;

/** An ARC4 stream keyed by `seed` as seedrandom keys it. */
class Arc4Stream implements Rng {
  private readonly s = new Uint8Array(WIDTH);
  private i = 0;
  private j = 0;

  constructor(seed: string) {
    // The key: the seed's UTF-16 code units folded into at most 256 bytes, each new unit smeared
    // with what an earlier pass left at that byte.
    const length = Math.min(seed.length, WIDTH);
    const key = new Uint8Array(Math.max(1, length));
    let smear = 0;
    for (let k = 0; k < seed.length; k++) {
      smear ^= key[k & MASK]! * 19;
      key[k & MASK] = (smear + seed.charCodeAt(k)) & MASK;
    }
    const keyLength = key.length;
    const s = this.s;
    for (let k = 0; k < WIDTH; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < WIDTH; k++) {
      const t = s[k]!;
      j = (j + key[k % keyLength]! + t) & MASK;
      s[k] = s[j]!;
      s[j] = t;
    }
    // RC4-drop[256]: the first outputs are thrown away.
    this.bytes(WIDTH);
  }

  /** The next `count` output bytes as one number, the first the most significant. */
  private bytes(count: number): number {
    const s = this.s;
    let i = this.i;
    let j = this.j;
    let r = 0;
    for (let k = 0; k < count; k++) {
      i = (i + 1) & MASK;
      const t = s[i]!;
      j = (j + t) & MASK;
      const a = s[j]!;
      s[i] = a;
      s[j] = t;
      r = r * WIDTH + s[(a + t) & MASK]!;
    }
    this.i = i;
    this.j = j;
    return r;
  }

  next(): number {
    let n = this.bytes(6);
    let d = START_DENOMINATOR;
    let x = 0;
    while (n < SIGNIFICANCE) {
      n = (n + x) * WIDTH;
      d *= WIDTH;
      x = this.bytes(1);
    }
    while (n >= OVERFLOW) {
      n /= 2;
      d /= 2;
      x >>>= 1;
    }
    return (n + x) / d;
  }
}

/**
 * The stream for one component: `seed` is the run seed (a number and its decimal string give the
 * same stream, so `seed: 42` in YAML and `--seed 42` agree), `path` names the component.
 */
export function rngFor(seed: string | number, path: string): Rng {
  // JSON keeps seed and path apart, so ("a/b", "c") and ("a", "b/c") are different streams.
  return new Arc4Stream(JSON.stringify([String(seed), path]));
}
