// The analysis's per-request statistics computed over exact-size Float64Arrays sorted in place
// (analyze.ts statsInPlace, fit.ts paretoTail and fitSpikeTail), the dispatch order without a sort
// when the trace is in it already, and fit's requests grouped by conversation in one Int32Array
// (to-spec.ts byConversationOf), give what the per-request lists gave, bit for bit: the lists are
// rebuilt here the old way (push, copy, sort, a map of lists) from the requests, on traces with
// fractional waits (whose sums depend on the order they are added in) and out-of-order dispatch
// times.
import { describe, expect, it } from "vitest";
import { rngFor } from "../../../src/stats/random.js";
import { analyzeTrace, stats, statsInPlace } from "../../../src/traces/analyze.js";
import { fitParetoAbove, fitTruncatedParetoAbove } from "../../../src/traces/fit-families.js";
import { fitFamilies, fitSpikeTail, paretoTail } from "../../../src/traces/fit.js";
import { RequestTable } from "../../../src/traces/table.js";
import { byConversationOf } from "../../../src/traces/to-spec.js";
import { MIN_TRUNCATED_MASS } from "../../../src/workload/distributions/law.js";
import type { Trace, TraceRequest } from "../../../src/traces/types.js";

/** paretoTail as it was: the tail pushed onto a list, then copied. */
function paretoTailByList(values: readonly number[], threshold: number): { threshold: number; count: number; alpha: number } | null {
  const tail: number[] = [];
  for (const v of values) if (v >= threshold) tail.push(v);
  if (tail.filter((v) => v > threshold).length < 2) return null;
  const fit = fitParetoAbove(Float64Array.from(tail), threshold);
  return { threshold, count: tail.length, alpha: (fit.spec as { alpha: number }).alpha };
}

/** Chains of requests with fractional waits and prompts, hash ids sharing prefixes, dispatch times in or out of order. */
function randomTrace(seed: number, ordered: boolean): Trace {
  const rng = rngFor(seed, "test/analyze-in-place");
  const requests: TraceRequest[] = [];
  let nextId = 0;
  for (let c = 0; c < 40; c++) {
    const turns = 1 + Math.floor(rng.next() * 30);
    const ids: number[] = [];
    let at = ordered ? requests.length * 10 : rng.next() * 1e6;
    for (let k = 0; k < turns; k++) {
      for (let b = Math.floor(rng.next() * 3); b >= 0; b--) ids.push(rng.next() < 0.1 ? Math.floor(rng.next() * 50) : nextId++);
      const id = `c${c}-${k}`;
      const previous = k > 0 ? `c${c}-${k - 1}` : null;
      const r: TraceRequest = {
        id,
        conversation: `c${c}`,
        parents: previous ? [{ from: previous, type: "sequential" }] : [],
        historyParent: previous,
        freshInputTokens: Math.floor(rng.next() * 900),
        outputTokens: 1 + Math.floor(rng.next() * 500),
        dispatchedMs: at,
        hashIds: [...ids],
      };
      if (rng.next() < 0.8) r.promptTokens = ids.length * 16 - rng.next() * 15;
      if (previous) {
        r.waitAfterReadyMs = rng.next() < 0.5 ? rng.next() * 99 : 100 + rng.next() ** -1.5;
        r.replyTokens = Math.floor(rng.next() * 400);
      }
      if (rng.next() < 0.3) r.cachedTokens = rng.next() * 100;
      requests.push(r);
      at += ordered ? 1 : rng.next() * 1e4;
    }
  }
  // Trace order stays by conversation; in dispatch order the requests interleave.
  if (ordered) requests.forEach((r, i) => (r.dispatchedMs = i * 10));
  return { format: "csv", source: "test", requests, blockSize: 16 };
}

describe("statistics computed in place", () => {
  it("statsInPlace equals stats and sorts its argument", () => {
    const rng = rngFor(7, "test/stats-in-place");
    for (const n of [0, 1, 5, 5000]) {
      const values = Array.from({ length: n }, () => (rng.next() < 0.5 ? Math.floor(rng.next() * 100) : rng.next() * 1e4));
      const x = Float64Array.from(values);
      expect(statsInPlace(x)).toEqual(stats(values));
      expect(Array.from(x)).toEqual(Array.from(Float64Array.from(values).sort()));
    }
  });

  it("paretoTail over any array-like equals the list-built tail", () => {
    const rng = rngFor(3, "test/pareto-tail");
    const waits = Array.from({ length: 3000 }, () => (rng.next() < 0.4 ? rng.next() * 100 : 100 + rng.next() ** -1.3));
    expect(paretoTail(waits, 100)).toEqual(paretoTailByList(waits, 100));
    expect(paretoTail(Float64Array.from(waits), 100)).toEqual(paretoTailByList(waits, 100));
    expect(paretoTail([1, 2, 150, 100, 100], 100)).toBeNull();
    expect(paretoTail([100, 150, 170], 100)).toEqual(paretoTailByList([100, 150, 170], 100));
  });

  for (const ordered of [true, false]) {
    it(`analyzeTrace's waits, prompts, fresh input without reply and reusable prefix equal the list-built ones (dispatch ${ordered ? "in" : "out of"} trace order)`, () => {
      for (const seed of [1, 2, 3]) {
        const trace = randomTrace(seed, ordered);
        const requests = trace.requests;
        const a = analyzeTrace(trace, { fits: true });

        const waits = requests.filter((r) => r.historyParent !== null && r.waitAfterReadyMs !== undefined).map((r) => r.waitAfterReadyMs!);
        expect(a.waitAfterReadyMs).toEqual({
          ...stats(waits),
          under100ms: waits.filter((w) => w < 100).length,
          shareUnder100ms: waits.filter((w) => w < 100).length / waits.length,
          over10s: waits.filter((w) => w > 10_000).length,
          shareOver10s: waits.filter((w) => w > 10_000).length / waits.length,
          tail: paretoTailByList(waits, 100),
        });

        const prompts = requests.filter((r) => r.promptTokens !== undefined).map((r) => r.promptTokens!);
        expect(a.prompt!.tokens).toEqual(stats(prompts));
        expect(a.freshInputWithoutReplyTokens).toEqual(stats(requests.map((r) => Math.max(0, r.freshInputTokens - (r.replyTokens ?? 0)))));

        // Dispatch order, stable: equal times keep trace order.
        const byDispatch = requests.map((r, i) => ({ r, i })).sort((x, y) => x.r.dispatchedMs! - y.r.dispatchedMs! || x.i - y.i);
        const seen = new Set<number>();
        let reusable = 0;
        let prompt = 0;
        for (const { r } of byDispatch) {
          const ids = r.hashIds!;
          const total = r.promptTokens ?? ids.length * 16;
          let k = 0;
          while (k < ids.length && seen.has(ids[k]!)) k++;
          reusable += Math.min(total, k * 16);
          prompt += total;
          for (const id of ids) seen.add(id);
        }
        expect(a.reusablePrefix).toEqual({ tokens: reusable, promptTokens: prompt, ratio: prompt > 0 ? reusable / prompt : 0 });
      }
    });
  }
});

describe("fit's per-request lists as typed arrays", () => {
  it("fitSpikeTail splits the values as the lists did", () => {
    const rng = rngFor(5, "test/spike-tail");
    // Some exactly at the threshold, which the tail takes.
    const waits = Array.from({ length: 4000 }, () => (rng.next() < 0.05 ? 100 : rng.next() < 0.7 ? rng.next() * 100 : 100 + rng.next() ** -1.2));
    const fit = fitSpikeTail(Float64Array.from(waits));
    const below = waits.filter((w) => w < 100);
    const above = waits.filter((w) => w >= 100);
    expect(fit.spikeProbability).toBe(below.length / waits.length);
    expect(fit.spike).toEqual(fitFamilies(below, { bounds: { max: 100 } }));
    const max = Math.max(...waits);
    const alpha = (fitTruncatedParetoAbove(Float64Array.from(above), 100, max, 2 * MIN_TRUNCATED_MASS).spec as { alpha: number }).alpha;
    expect(fit.tail).toEqual({ alpha, count: above.length, max });
    expect(fitSpikeTail(waits)).toEqual(fit);
  });

  it("byConversationOf groups positions by conversation in order of first sight, as a map of lists did", () => {
    const trace = randomTrace(4, false);
    const t = RequestTable.from(trace.requests);
    const rng = rngFor(9, "test/by-conversation");
    // Positions in any order, some conversations interleaved, some values at a "cap".
    const later = Int32Array.from({ length: 500 }, () => Math.floor(rng.next() * t.length));
    const raw = Float64Array.from(later, () => (rng.next() < 0.05 ? 1000 : rng.next() * 900));
    const atCap = (x: number) => x >= 1000;
    const lists = new Map<number, number[]>();
    later.forEach((r, i) => {
      if (atCap(raw[i]!)) return;
      const c = t.conversation[r]!;
      const list = lists.get(c);
      if (list) list.push(i);
      else lists.set(c, [i]);
    });
    expect(byConversationOf(t, later, raw, atCap).map(([c, g]) => [c, Array.from(g)])).toEqual([...lists.entries()]);
  });
});
