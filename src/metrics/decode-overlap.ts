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
  /** Events not yet folded: time -> change in the number of requests decoding. */
  private pending = new Map<number, number>();
  /** timeAt[k]: time folded with exactly k requests decoding. */
  private timeAt: number[] = [0];
  private level = 0;
  /** The last event time folded; undefined before the first. */
  private last: number | undefined;

  /** Events not yet folded (what the sweep holds). */
  get pendingEvents(): number {
    return this.pending.size;
  }

  add({ start, end }: Span): void {
    if (!(end > start)) return;
    this.pending.set(start, (this.pending.get(start) ?? 0) + 1);
    this.pending.set(end, (this.pending.get(end) ?? 0) - 1);
  }

  /** No span added from now on starts before `before`: the events before it are final. */
  settle(before: number): void {
    const times: number[] = [];
    for (const t of this.pending.keys()) if (t < before) times.push(t);
    if (times.length === 0) return;
    times.sort((a, b) => a - b);
    const state = { timeAt: this.timeAt, level: this.level, last: this.last };
    fold(state, times, this.pending);
    for (const t of times) this.pending.delete(t);
    this.level = state.level;
    this.last = state.last;
  }

  /** The overlap of every span added so far (the sweep goes on: later spans may still be added). */
  result(): DecodeOverlap {
    const times = [...this.pending.keys()].sort((a, b) => a - b);
    const state = { timeAt: [...this.timeAt], level: this.level, last: this.last };
    fold(state, times, this.pending);
    return overlapOf(state.timeAt);
  }
}

/** Folds events at `times` (ascending, all after state.last) into state. */
function fold(state: { timeAt: number[]; level: number; last: number | undefined }, times: readonly number[], delta: ReadonlyMap<number, number>): void {
  const { timeAt } = state;
  let { level, last } = state;
  for (const t of times) {
    if (last !== undefined) {
      while (timeAt.length <= level) timeAt.push(0);
      timeAt[level]! += t - last;
    }
    level += delta.get(t)!;
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
