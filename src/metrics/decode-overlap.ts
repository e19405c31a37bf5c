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
  const { times, levels } = decodeLevels(spans);
  /** timeAt[k]: total time with exactly k requests decoding. */
  const timeAt: number[] = [0];
  for (let i = 0; i < times.length - 1; i++) {
    const level = levels[i]!;
    const dt = times[i + 1]! - times[i]!;
    while (timeAt.length <= level) timeAt.push(0);
    timeAt[level]! += dt;
  }
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
