// Which fresh input analyze reports and fits (the trace's own: a later request's includes its
// parent's reply) against the one fit fits (without that reply); a generated workload seen as a
// trace counts it the trace's way, so analyze of a trace and of its fitted workload compare like
// with like.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { bestFit } from "../../../src/traces/analysis-table.js";
import { analyzeTrace, type TraceAnalysis } from "../../../src/traces/analyze.js";
import { workloadTrace } from "../../../src/traces/from-workload.js";
import { readTrace } from "../../../src/traces/read.js";
import { fitTrace } from "../../../src/traces/to-spec.js";
import type { Trace, TraceRequest } from "../../../src/traces/types.js";
import { describeDistribution } from "../../../src/workload/distributions.js";
import { generateWorkload } from "../../../src/workload/generate.js";
import type { Workload } from "../../../src/workload/types.js";
import { haveShared, sharedSkipReason, sharedTraces } from "../../support/traces.js";

function req(id: string, fields: Partial<TraceRequest> = {}): TraceRequest {
  return { id, conversation: "c", parents: [], historyParent: null, freshInputTokens: 10, outputTokens: 5, ...fields };
}

function chain(fresh: number[], replies?: number[]): Trace {
  const requests = fresh.map((f, i) => {
    const r = req(`r${i}`, { freshInputTokens: f, outputTokens: 10 + i });
    if (i > 0) {
      r.parents = [{ from: `r${i - 1}`, type: "sequential" }];
      r.historyParent = `r${i - 1}`;
      if (replies) r.replyTokens = replies[i]!;
    }
    return r;
  });
  return { format: "csv", source: "test", requests };
}

describe("analyze: fresh input with and without the parent's reply, and its family fits", () => {
  it("gives fresh input less the reply only when the trace tells the reply", () => {
    expect(analyzeTrace(chain([100, 50, 80])).freshInputWithoutReplyTokens).toBeNull();
    const a = analyzeTrace(chain([100, 50, 80], [0, 20, 30]));
    expect(a.freshInputTokens).toMatchObject({ sum: 230, p50: 80 });
    // The first request has no reply to take out; the others lose theirs.
    expect(a.freshInputWithoutReplyTokens).toMatchObject({ count: 3, sum: 180, min: 30, p50: 50, max: 100 });
  });

  it("fits every family to fresh input as the trace counts it and to output only when asked", () => {
    const trace = chain([120, 40, 300, 90, 60, 800, 150], [0, 30, 30, 30, 30, 30, 30]);
    expect(analyzeTrace(trace).fits).toBeNull();
    const a = analyzeTrace(trace, { fits: true });
    const fresh = a.fits!.freshInputTokens;
    expect(fresh.n).toBe(7);
    expect(fresh.fits.length + fresh.failed.length).toBe(7);
    // Maximum likelihood: the exponential's mean is the sample mean of the reply-included counts.
    const exponential = fresh.fits.find((f) => f.family === "exponential")!.spec as { mean: number };
    expect(exponential.mean).toBeCloseTo(1560 / 7, 9);
    const aics = fresh.fits.map((f) => f.aic);
    expect(aics).toEqual([...aics].sort((x, y) => x - y));
    const output = a.fits!.outputTokens.fits.find((f) => f.family === "exponential")!.spec as { mean: number };
    expect(output.mean).toBeCloseTo(13, 9); // outputs 10..16
  });
});

describe("analyze's text: the best fit on one line naming the quantity", () => {
  it("shows the family with its parameters, AIC, KS and the runner-up", () => {
    const a = analyzeTrace(chain([120, 40, 300, 90, 60, 800, 150]), { fits: true });
    const [best, next] = a.fits!.freshInputTokens.fits;
    expect(bestFit("fresh input", a.fits!.freshInputTokens)).toBe(
      `fresh input: best fit ${describeDistribution(best!.spec)}, AIC ${best!.aic.toFixed(1)}, KS ${best!.ks.toFixed(3)}; then ${next!.family} (AIC ${next!.aic.toFixed(1)})`,
    );
  });

  it("says once why nothing could be fitted when every family fails alike", () => {
    const a = analyzeTrace(chain([120]), { fits: true });
    expect(bestFit("output tokens", a.fits!.outputTokens)).toBe("output tokens: no family fits (needs at least 2 values, got 1)");
  });
});

describe("a generated workload seen as a trace counts fresh input as traces do", () => {
  const workload: Workload = {
    name: "w",
    seed: "1",
    scaffolds: [{ id: "s", systemTokens: 300, toolTokens: 200 }],
    sessions: [
      {
        id: "x",
        scaffoldId: "s",
        nodes: [
          { id: "a", parents: [], historyParent: null, freshInputTokens: 40, outputTokens: 70, waitAfterReadyMs: 0 },
          { id: "b", parents: ["a"], historyParent: "a", freshInputTokens: 25, outputTokens: 9, waitAfterReadyMs: 5 },
          { id: "c", parents: ["b"], historyParent: "b", freshInputTokens: 12, outputTokens: 3, waitAfterReadyMs: 5 },
        ],
      },
    ],
  };

  it("a first request: scaffold and task; a later one: what the node adds plus its parent's whole reply", () => {
    const t = workloadTrace(workload);
    expect(t.requests.map((r) => [r.freshInputTokens, r.replyTokens, r.promptTokens])).toEqual([
      [540, undefined, 540],
      [25 + 70, 70, 540 + 70 + 25],
      [12 + 9, 9, 635 + 9 + 12],
    ]);
    // Each later request's fresh input is its prompt less its parent's prompt, as in a recorded trace.
    expect(t.requests[1]!.freshInputTokens).toBe(t.requests[1]!.promptTokens! - t.requests[0]!.promptTokens!);
    expect(analyzeTrace(t).freshInputWithoutReplyTokens).toMatchObject({ min: 12, max: 540 });
  });

  it("fit takes the reply out again, so it fits what the generator adds", () => {
    const fit = fitTrace(workloadTrace(workload));
    expect(fit.spec.agents[0]).toMatchObject({ taskTokens: 40, scaffold: { systemTokens: 500 }, freshInput: { type: "empirical", samples: [25, 12] } });
  });
});

/** Generated sessions per trace session: one session of 129 requests gives a noisy median. */
const repeats = 10;

describe.skipIf(!haveShared)(haveShared ? "the shared OpenClaw traces: analyze's fits and the round trip" : `shared OpenClaw traces (${sharedSkipReason})`, () => {
  it("analyze gives the post's fits of case study 1: inverse Gaussian mean 815 shape 203 (fresh), 615 and 145 (output)", async () => {
    const a = analyzeTrace(await readTrace(join(sharedTraces, "openclaw/case-study-1-interp/dag.json")), { fits: true });
    // trace-truth.md's digits: 814.92, 203.16 and 614.71, 144.6.
    const best = (q: "freshInputTokens" | "outputTokens", digits: number) => {
      const f = a.fits![q].fits[0]!;
      const s = f.spec as { mean: number; shape: number };
      return [f.family, s.mean.toFixed(2), s.shape.toFixed(digits)];
    };
    expect(best("freshInputTokens", 2)).toEqual(["inverse_gaussian", "814.92", "203.16"]);
    // Ranked by the AIC of each law truncated to the values' range; the family's own AIC kept beside.
    expect(a.fits!.freshInputTokens.fits.slice(0, 2).map((f) => [f.family, f.aic.toFixed(1), f.untruncated.aic.toFixed(1)])).toEqual([
      ["inverse_gaussian", "1891.4", "1893.7"],
      ["lognormal", "1897.6", "1905.5"],
    ]);
    expect(best("outputTokens", 1)).toEqual(["inverse_gaussian", "614.71", "144.6"]);
  });

  for (const name of ["case-study-1-interp", "case-study-2-branching"]) {
    describe(`${name}: trace -> fit -> generate ${repeats} times the sessions -> analyze`, () => {
      let trace: TraceAnalysis;
      let generated: TraceAnalysis;
      beforeAll(async () => {
        const t = await readTrace(join(sharedTraces, "openclaw", name, "dag.json"));
        trace = analyzeTrace(t);
        const spec = fitTrace(t).spec;
        generated = analyzeTrace(workloadTrace(generateWorkload({ ...spec, sessions: spec.sessions * repeats })));
      });

      // Case study 2's fresh input is two kinds of turns (tool results of tens of tokens, files of
      // thousands) that no one family fits: its generated median comes back 35-40% low with the
      // family fitted now (13% low with the ordinary parameters and no spread between
      // conversations, at the cost of prompt sizes 1.34x the trace's at the median and 0.69x at
      // the largest). The bound keeps the -82% of a reply left out from coming back.
      const bound = name === "case-study-1-interp" ? 0.25 : 0.5;
      it(`fresh input without the parent's reply (what fit fits): generated median within ${bound * 100}% of the trace's`, () => {
        const want = trace.freshInputWithoutReplyTokens!.p50;
        expect(Math.abs(generated.freshInputWithoutReplyTokens!.p50 - want) / want).toBeLessThan(bound);
      });

      it(`fresh input as the trace counts it: generated median within ${bound * 100}% of the trace's`, () => {
        // A trace counts the parent's visible reply (case study 1: 31003 of 79298 output tokens);
        // fit writes the reasoning share, so the generated workload counts the same part (before:
        // +51% and +45% with whole outputs, -82% with the reply left out).
        const want = trace.freshInputTokens.p50;
        expect(Math.abs(generated.freshInputTokens.p50 - want) / want).toBeLessThan(bound);
      });
    });
  }
});
