// TBC in the window of peak decode concurrency (the post's "decode-window TBC", after Veeksha).
// A run's TBC percentiles mix gaps measured while one request decoded alone with gaps measured
// while the engine decoded many at once; two workload shapes at one request rate differ in how
// often requests overlap, so their whole-run TBC compares unlike loads. The decode window keeps
// the time in which the most requests decoded at once (at least `level` of them; default the
// run's maximum), and only the gaps measured entirely inside it.
//
// A request decodes from its first token to the end of its stream (decode-overlap.ts); a gap is
// the time between two consecutive chunks of one request, and counts when both chunks fall in
// one stretch of the window.
import type { RequestRecord } from "../records/types.js";
import { decodeLevels, type Span } from "./decode-overlap.js";

export interface DecodeWindowTbc {
  /** The decode concurrency the window holds at least (the run's maximum unless asked). */
  level: number;
  /** Total time in the window, ms. */
  windowMs: number;
  /** Gaps measured inside the window, ms, in no particular order. */
  gaps: number[];
}

/** Stretches of time, sorted and disjoint, with at least `level` requests decoding; `max` is the highest level held. */
function stretches(spans: readonly Span[], level: number | undefined): { max: number; level: number; at: [number, number][] } {
  const { times, levels } = decodeLevels(spans);
  let max = 0;
  for (let i = 0; i < times.length - 1; i++) if (times[i + 1]! > times[i]! && levels[i]! > max) max = levels[i]!;
  const want = level ?? max;
  const at: [number, number][] = [];
  if (want <= 0) return { max, level: want, at };
  for (let i = 0; i < times.length - 1; i++) {
    if (levels[i]! < want) continue;
    const last = at[at.length - 1];
    if (last && last[1] === times[i]) last[1] = times[i + 1]!;
    else at.push([times[i]!, times[i + 1]!]);
  }
  return { max, level: want, at };
}

/** The stretch holding [a, b], by binary search; -1 when none holds both ends. */
function holding(at: readonly [number, number][], a: number, b: number): number {
  let lo = 0;
  let hi = at.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [s, e] = at[mid]!;
    if (a < s) hi = mid - 1;
    else if (a > e) lo = mid + 1;
    else return b <= e ? mid : -1;
  }
  return -1;
}

/**
 * The gaps between chunks measured while at least `level` requests decoded (default: the most
 * that ever did). Failed requests and warm-up requests are left out, as in the run's TBC.
 */
export function decodeWindowTbc(records: Iterable<RequestRecord>, options: { level?: number } = {}): DecodeWindowTbc {
  if (options.level !== undefined && !(Number.isInteger(options.level) && options.level >= 1)) {
    throw new Error(`decodeWindowTbc: level: expected a whole number >= 1, got ${options.level}`);
  }
  const chunked: number[][] = [];
  const spans: Span[] = [];
  for (const r of records) {
    if (r.error !== undefined || r.warmup || r.chunkAt.length === 0) continue;
    const start = r.firstTokenAt ?? r.chunkAt[0]!;
    const end = r.doneAt ?? r.chunkAt[r.chunkAt.length - 1]!;
    spans.push({ start, end });
    chunked.push(r.chunkAt);
  }
  const { level, at } = stretches(spans, options.level);
  const windowMs = at.reduce((sum, [s, e]) => sum + (e - s), 0);
  const gaps: number[] = [];
  for (const chunks of chunked) {
    for (let i = 1; i < chunks.length; i++) {
      if (holding(at, chunks[i - 1]!, chunks[i]!) >= 0) gaps.push(chunks[i]! - chunks[i - 1]!);
    }
  }
  return { level, windowMs, gaps };
}
