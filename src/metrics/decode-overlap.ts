// How many requests decode at once. A request decodes from its first token to the end of its
// stream; a sweep over those spans gives, for every k, how long at least k requests decoded.

export interface DecodeOverlap {
  /** Most requests decoding at the same time (held for a positive duration). */
  maxConcurrent: number;
  /** Time with at least one request decoding (the union of the spans), ms. */
  decodeTimeMs: number;
  /** Duration-weighted mean number of requests decoding, over decodeTimeMs. */
  meanConcurrent: number;
  /** shareAtLeast[k - 1]: share of decodeTimeMs with at least k requests decoding, k = 1..max. */
  shareAtLeast: number[];
}

export interface Span {
  start: number;
  end: number;
}

/**
 * How many requests decode over time: `levels[i]` of them from `times[i]` to `times[i + 1]`.
 * Events at one instant are applied together, so spans that touch do not count as overlapping
 * and empty spans count for nothing.
 */
export function decodeLevels(spans: Iterable<Span>): { times: number[]; levels: number[] } {
  const delta = new Map<number, number>();
  for (const { start, end } of spans) {
    if (!(end > start)) continue;
    delta.set(start, (delta.get(start) ?? 0) + 1);
    delta.set(end, (delta.get(end) ?? 0) - 1);
  }
  const times = [...delta.keys()].sort((a, b) => a - b);
  const levels: number[] = [];
  let level = 0;
  for (const t of times) levels.push((level += delta.get(t)!));
  return { times, levels };
}

export function decodeOverlap(spans: Iterable<Span>): DecodeOverlap {
  const sweep = new DecodeSweep();
  for (const span of spans) sweep.add(span);
  return sweep.result();
}

/**
 * decodeOverlap as spans arrive, in memory that does not grow with the run: `settle(t)` says no
 * span added later starts before t (a run knows it: the earliest dispatch still in flight), and the
 * events before t are folded into the time spent at each level and forgotten. Only the events of
 * spans not yet settled are kept. The result is decodeOverlap's over every span added, to the bit:
 * the same event times, folded in the same order with the same additions.
 */
export class DecodeSweep {
  // Events not yet folded, unsorted: the starts and the ends of the spans added. Plain arrays of
  // doubles (8 bytes an event): a Map of time -> change took about 6 times that, which counts
  // while a long request holds back the spans of its whole lifetime.
  private starts = new Times();
  private ends = new Times();
  /** timeAt[k]: time folded with exactly k requests decoding. */
  private timeAt: number[] = [0];
  private level = 0;
  /** The last event time folded; undefined before the first. */
  private last: number | undefined;

  /** Events not yet folded (what the sweep holds). */
  get pendingEvents(): number {
    return this.starts.length + this.ends.length;
  }

  add({ start, end }: Span): void {
    if (!(end > start)) return;
    this.starts.push(start);
    this.ends.push(end);
  }

  /** No span added from now on starts before `before`: the events before it are final. */
  settle(before: number): void {
    const starts = this.starts.takeBelow(before);
    const ends = this.ends.takeBelow(before);
    const state = { timeAt: this.timeAt, level: this.level, last: this.last };
    fold(state, starts.sort(), ends.sort());
    this.level = state.level;
    this.last = state.last;
  }

  /** The overlap of every span added so far (the sweep goes on: later spans may still be added). */
  result(): DecodeOverlap {
    const state = { timeAt: [...this.timeAt], level: this.level, last: this.last };
    fold(state, this.starts.copy().sort(), this.ends.copy().sort());
    return overlapOf(state.timeAt);
  }
}

/** A growable array of doubles. */
class Times {
  private data = new Float64Array(256);
  length = 0;

  push(t: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = t;
  }

  /** Removes the times below `before` and returns them (unsorted); the others stay. */
  takeBelow(before: number): Float64Array {
    let below = 0;
    for (let i = 0; i < this.length; i++) if (this.data[i]! < before) below++;
    const out = new Float64Array(below);
    let kept = 0;
    let taken = 0;
    for (let i = 0; i < this.length; i++) {
      const t = this.data[i]!;
      if (t < before) out[taken++] = t;
      else this.data[kept++] = t;
    }
    this.length = kept;
    // Give back the room a burst needed once it has been folded.
    if (this.data.length > 1024 && kept < this.data.length / 4) this.data = this.data.slice(0, Math.max(256, kept * 2));
    return out;
  }

  copy(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Folds the events at the sorted starts (+1 each) and ends (-1 each), all after state.last, into
 * state: time by time in ascending order, the events of one instant together, so the time at each
 * level is added up in the order decodeLevels' sweep adds it.
 */
function fold(state: { timeAt: number[]; level: number; last: number | undefined }, starts: Float64Array, ends: Float64Array): void {
  const { timeAt } = state;
  let { level, last } = state;
  let i = 0;
  let j = 0;
  while (i < starts.length || j < ends.length) {
    const t = Math.min(i < starts.length ? starts[i]! : Infinity, j < ends.length ? ends[j]! : Infinity);
    if (last !== undefined) {
      while (timeAt.length <= level) timeAt.push(0);
      timeAt[level]! += t - last;
    }
    while (i < starts.length && starts[i] === t) {
      level++;
      i++;
    }
    while (j < ends.length && ends[j] === t) {
      level--;
      j++;
    }
    last = t;
  }
  state.level = level;
  state.last = last;
}

function overlapOf(timeAt: readonly number[]): DecodeOverlap {
  const max = timeAt.length - 1;
  let decodeTime = 0;
  let weighted = 0;
  for (let k = 1; k <= max; k++) {
    decodeTime += timeAt[k]!;
    weighted += k * timeAt[k]!;
  }
  const shareAtLeast: number[] = [];
  let atLeast = decodeTime;
  for (let k = 1; k <= max; k++) {
    shareAtLeast.push(decodeTime > 0 ? atLeast / decodeTime : 0);
    atLeast -= timeAt[k]!;
  }
  return {
    maxConcurrent: max,
    decodeTimeMs: decodeTime,
    meanConcurrent: decodeTime > 0 ? weighted / decodeTime : 0,
    shareAtLeast,
  };
}
