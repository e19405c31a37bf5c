// Byte-pair encoding over a tiktoken rank table (the files js-tiktoken ships), exact and in
// bounded steps. tiktoken merges the adjacent pair of parts whose joined bytes have the lowest
// rank (the leftmost of equal ones) until no pair is a token; js-tiktoken finds that pair by
// scanning every pair after every merge, so a piece of n bytes costs about n^2 lookups, and the
// pre-tokenizer splits text only at whitespace, digits and letter/punctuation changes: one run
// of 16 KB without whitespace held the event loop 44 s (issue 12; 21 to 59 s on this machine).
// Here the pairs sit in a heap: O(n log n), 16 KB in 5 to 34 ms and 1 MB in 1.1 to 1.9 s of
// work, the same merges in the same order, so the same ids (test/unit/content/bpe.test.ts checks
// them against js-tiktoken); and the work is a generator that stops every STEP_UNITS units of
// work so a caller can yield to the event loop between steps (inSlices).
//
// Web-standard only (atob, TextEncoder, timers), so it runs on Node, Bun and Deno.
import { NumberHeap } from "../stats/number-heap.js";

/** What a tiktoken ranks file holds (js-tiktoken/ranks/*: TiktokenBPE). */
export interface TiktokenRanksFile {
  pat_str: string;
  bpe_ranks: string;
}

/** A rank table: token bytes (one char per byte, 0..255) -> rank (the token id), and the pre-tokenizer. */
export interface RankTable {
  readonly ranks: ReadonlyMap<string, number>;
  /** The pre-tokenizer: text is split into pieces that are encoded each on its own (flags gu). */
  readonly pattern: RegExp;
  /** The rank of each single byte (every byte is a token in tiktoken's tables). */
  readonly byteRanks: Int32Array;
}

/** Reads js-tiktoken's compact format: lines of "<tag> <first rank> <base64 token> <base64 token> ...". */
export function rankTable(file: TiktokenRanksFile): RankTable {
  const ranks = new Map<string, number>();
  for (const line of file.bpe_ranks.split("\n")) {
    const fields = line.split(" ");
    if (fields.length < 2) continue;
    const first = Number.parseInt(fields[1]!, 10);
    for (let i = 2; i < fields.length; i++) ranks.set(atob(fields[i]!), first + i - 2);
  }
  const byteRanks = Int32Array.from({ length: 256 }, (_, b) => ranks.get(String.fromCharCode(b)) ?? -1);
  return { ranks, pattern: new RegExp(file.pat_str, "gu"), byteRanks };
}

/**
 * Merges, pairs, tokens or pieces between two chances to yield. Steps through 16 KB runs (mixed
 * letters, one letter, CJK; cl100k) took 0.05 to 0.18 ms at the median, far below a slice; their
 * p99 (7 to 16 ms) was the process waiting for a core at load average 7 to 10, not the step.
 */
const STEP_UNITS = 1024;

const encoder = new TextEncoder();
/** Nothing outside ASCII: such a piece is its own UTF-8 bytes. */
const NON_ASCII = /[^\p{ASCII}]/u;

/** The piece's UTF-8 bytes as one char each (ASCII text is its own bytes). */
function* byteString(piece: string): Generator<void, string> {
  if (!NON_ASCII.test(piece)) return piece;
  const bytes = encoder.encode(piece);
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
    if (i % (8 * 8192) === 0) yield;
  }
  return out;
}

/** The ids of one piece (bytes as chars) that is not itself a token; yields every STEP_UNITS units of work. */
function* mergePiece(bytes: string, table: RankTable, out: number[]): Generator<void, void> {
  const { ranks, byteRanks } = table;
  const n = bytes.length;
  // Parts are [start, next[start]) holding token partRank[start]; pairRank[start] is the rank of
  // the part joined with the next one (-1: not a token, or no next part). A heap entry is current
  // while pairRank still says so.
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  const partRank = new Int32Array(n);
  const pairRank = new Int32Array(n);
  // A pair key: rank x 2^32 + the pair's start, so the lowest rank, then the leftmost, pops first.
  const heap = new NumberHeap(n);
  const SHIFT = 2 ** 32;
  const rankAt = (s: number): number => {
    const e = next[s]!;
    return e >= n ? -1 : (ranks.get(bytes.slice(s, next[e]!)) ?? -1);
  };
  for (let i = 0; i < n; i++) {
    next[i] = i + 1;
    prev[i] = i - 1;
    partRank[i] = byteRanks[bytes.charCodeAt(i)]!;
    if ((i + 1) % (16 * STEP_UNITS) === 0) yield;
  }
  for (let s = 0; s < n; s++) {
    const r = (pairRank[s] = rankAt(s));
    if (r >= 0) heap.push(r * SHIFT + s);
    if ((s + 1) % STEP_UNITS === 0) yield;
  }
  for (let pops = 1; heap.size > 0; pops++) {
    if (pops % STEP_UNITS === 0) yield; // first: stale entries `continue` below
    const key = heap.pop();
    const r = Math.floor(key / SHIFT);
    const s = key - r * SHIFT;
    if (pairRank[s] !== r) continue; // stale: s was merged away or its pair changed
    // The merged part is the pair's token.
    partRank[s] = r;
    const m = next[s]!;
    const after = next[m]!;
    next[s] = after;
    if (after < n) prev[after] = s;
    pairRank[m] = -1;
    const rs = (pairRank[s] = rankAt(s));
    if (rs >= 0) heap.push(rs * SHIFT + s);
    const p = prev[s]!;
    if (p >= 0) {
      const rp = (pairRank[p] = rankAt(p));
      if (rp >= 0) heap.push(rp * SHIFT + p);
    }
  }
  for (let s = 0, k = 1; s < n; s = next[s]!, k++) {
    out.push(partRank[s]!);
    if (k % STEP_UNITS === 0) yield;
  }
}

/**
 * The token ids of text, special-token text encoded as plain text (as js-tiktoken's
 * encode(text, [], []) does). A generator: it stops after every STEP_UNITS merges or pieces.
 */
export function* encodeSteps(table: RankTable, text: string): Generator<void, number[]> {
  const out: number[] = [];
  let pieces = 0;
  // matchAll works on a copy of the regex: the table's lastIndex is never touched.
  for (const match of text.matchAll(table.pattern)) {
    const bytes = yield* byteString(match[0]);
    const whole = table.ranks.get(bytes);
    if (whole !== undefined) out.push(whole);
    else yield* mergePiece(bytes, table, out);
    if (++pieces % STEP_UNITS === 0) yield;
  }
  return out;
}

/** Runs the whole generator at once (tests, and callers off any event loop that matters). */
export function runToEnd<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
/** Lets timers and I/O run: setImmediate where there is one (Node, Bun: no 1 ms clamp), else a timer. */
const yieldToLoop = (): Promise<void> => new Promise((resolve) => (g.setImmediate ? g.setImmediate(resolve) : setTimeout(resolve, 0)));

/**
 * Runs the generator in slices of at most about sliceMs, yielding to the event loop between them,
 * so other requests' chunks are stamped and timers fire while a long text is encoded.
 */
export async function inSlices<T>(steps: Generator<void, T>, sliceMs: number): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - sliceStart >= sliceMs) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
}
