// Every figure of ../shared/reference/trace-truth.md, reproduced from ../shared/traces, and the
// raw OpenClaw session log read to the same figures as the dag.json built from it.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeTrace, type TraceAnalysis } from "../../../src/traces/analyze.js";
import { fitFamilies, fitFamily } from "../../../src/traces/fit.js";
import { readTrace } from "../../../src/traces/read.js";
import type { Trace } from "../../../src/traces/types.js";
import { haveShared, sharedSkipReason, sharedTraces } from "../../support/traces.js";

const case1 = join(sharedTraces, "openclaw/case-study-1-interp");
const case2 = join(sharedTraces, "openclaw/case-study-2-branching");

const fresh = (t: Trace) => t.requests.map((r) => r.freshInputTokens);
const output = (t: Trace) => t.requests.map((r) => r.outputTokens);

describe.skipIf(!haveShared)(haveShared ? "trace-truth.md: case-study-1-interp (dag.json)" : `trace-truth.md (${sharedSkipReason})`, () => {
  let trace: Trace;
  let a: TraceAnalysis;
  beforeAll(async () => {
    trace = await readTrace(join(case1, "dag.json"));
    a = analyzeTrace(trace);
  });

  it("requests, user messages, edges", () => {
    expect(a.requests).toBe(129);
    expect(a.userMessages).toBe(4);
    expect(a.graph.edges).toBe(128);
    expect(a.graph.edgesByType).toEqual({ sequential: 128, subagent_spawn: 0, subagent_result: 0, dependency: 0 });
  });

  it("fresh input and output tokens: median / mean / min / max / sum", () => {
    const f = a.freshInputTokens;
    expect([f.p50, f.mean.toFixed(2), f.min, f.max, f.sum]).toEqual([259, "814.92", 27, 17301, 105125]);
    const o = a.outputTokens;
    expect([o.p50, o.mean.toFixed(2), o.min, o.max, o.sum]).toEqual([211, "614.71", 26, 13909, 79298]);
  });

  it("wait_after_ready: n / median / mean / max, shares under 100 ms and over 10 s", () => {
    const w = a.waitAfterReadyMs!;
    expect([w.count, w.p50, w.mean.toFixed(2), w.max]).toEqual([128, 32, "3098.85", 120065]);
    expect([w.shareUnder100ms, w.under100ms, w.shareOver10s, w.over10s]).toEqual([0.7890625, 101, 0.0625, 8]);
  });

  it("usage sums and used context", () => {
    expect([a.prompt!.uncachedTokens, a.prompt!.cachedTokens, a.prompt!.usedContext]).toEqual([856658, 8212352, 117247]);
  });

  it("inverse Gaussian fits (mean = sample mean, shape = n / sum(1/x - 1/mean))", () => {
    const f = fitFamily(fresh(trace), "inverse_gaussian").spec as { mean: number; shape: number };
    expect([f.mean.toFixed(2), f.shape.toFixed(2)]).toEqual(["814.92", "203.16"]);
    const o = fitFamily(output(trace), "inverse_gaussian").spec as { mean: number; shape: number };
    expect([o.mean.toFixed(2), o.shape.toFixed(1)]).toEqual(["614.71", "144.6"]);
  });

  it("best family by AIC for fresh input: inverse Gaussian (1893.7), then lognormal (1905.5)", () => {
    // The reference AICs are of the families themselves; fits rank by the same families truncated to the values' range.
    const ranked = fitFamilies(fresh(trace)).fits;
    expect(ranked.slice(0, 2).map((f) => [f.family, f.untruncated.aic.toFixed(1)])).toEqual([
      ["inverse_gaussian", "1893.7"],
      ["lognormal", "1905.5"],
    ]);
  });

  it("longest path / max width / max fan-out / max fan-in", () => {
    const g = a.graph;
    expect([g.longestPath, g.maxWidth, g.maxFanOut, g.maxFanIn]).toEqual([129, 1, 1, 1]);
  });
});

describe.skipIf(!haveShared)(haveShared ? "trace-truth.md: case-study-2-branching (dag.json)" : `trace-truth.md (${sharedSkipReason})`, () => {
  let a: TraceAnalysis;
  beforeAll(async () => {
    a = analyzeTrace(await readTrace(case2)); // the directory: its dag.json
  });

  it("requests, edges by type, sessions listed / with requests / spawned", () => {
    expect(a.requests).toBe(575);
    expect(a.graph.edges).toBe(577);
    expect(a.graph.edgesByType).toEqual({ sequential: 541, subagent_spawn: 33, subagent_result: 3, dependency: 0 });
    expect(a.conversations).toEqual({ listed: 35, withRequests: 34, spawned: 33 });
  });

  it("usage sums, used context, fresh input, output and waits", () => {
    expect([a.prompt!.uncachedTokens, a.outputTokens.sum, a.prompt!.cachedTokens, a.prompt!.usedContext]).toEqual([3234884, 151705, 15059968, 167224]);
    expect([a.freshInputTokens.p50, a.freshInputTokens.mean.toFixed(2), a.freshInputTokens.max]).toEqual([421, "2418.59", 50185]);
    expect([a.outputTokens.p50, a.outputTokens.mean.toFixed(2), a.outputTokens.max]).toEqual([146, "263.83", 5446]);
    expect([a.waitAfterReadyMs!.count, a.waitAfterReadyMs!.p50]).toEqual([541, 80]);
  });

  it("longest path, max width, fan-out, fan-in, peak requests in flight", () => {
    expect([a.graph.longestPath, a.graph.maxWidth, a.graph.maxFanOut, a.graph.maxFanIn, a.peakInFlight]).toEqual([44, 25, 2, 2, 21]);
  });
});

/** Text of the tool results each assistant entry of a raw log reads (entries back to the previous assistant). */
async function toolResultTexts(file: string): Promise<Map<string, string>> {
  const entries = (await readFile(file, "utf8"))
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { id?: string; parentId?: string | null; message?: { role?: string; content?: { type?: string; text?: string }[] } });
  const byId = new Map(entries.filter((e) => e.id).map((e) => [e.id!, e]));
  const out = new Map<string, string>();
  for (const e of entries) {
    if (e.message?.role !== "assistant") continue;
    let text = "";
    for (let cur = e.parentId ? byId.get(e.parentId) : undefined; cur && cur.message?.role !== "assistant"; cur = cur.parentId ? byId.get(cur.parentId) : undefined) {
      if (cur.message?.role === "toolResult") text += (cur.message.content ?? []).map((b) => b.text ?? "").join("");
    }
    out.set(e.id!, text);
  }
  return out;
}

describe.skipIf(!haveShared)(haveShared ? "case-study-1-interp: raw session.jsonl against its dag.json" : `raw session.jsonl (${sharedSkipReason})`, () => {
  let raw: Trace;
  let dag: Trace;
  beforeAll(async () => {
    [raw, dag] = await Promise.all([readTrace(join(case1, "session.jsonl")), readTrace(join(case1, "dag.json"))]);
  }, 60_000);

  it("has 130 assistant messages of which the one aborted with zero usage is no request", async () => {
    const lines = (await readFile(join(case1, "session.jsonl"), "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    const assistants = lines.filter((e) => e.message?.role === "assistant");
    expect(assistants).toHaveLength(130);
    expect(assistants.filter((e) => e.message.usage.totalTokens === 0).map((e) => e.message.stopReason)).toEqual(["aborted"]);
    expect(raw.requests).toHaveLength(129);
    expect(raw.userMessages).toBe(4);
  });

  it("gives every request the same id, parents, usage, timestamps, wait and trigger as dag.json", () => {
    const strip = (t: Trace) => t.requests.map(({ freshInputTokens: _, ...rest }) => rest);
    expect(strip(raw)).toEqual(strip(dag));
  });

  it("counts the same fresh input except where the log's text was anonymized after dag.json was built", async () => {
    // dag.json counted tool results before a home path in them became "chus/"; those counts differ a little.
    const texts = await toolResultTexts(join(case1, "session.jsonl"));
    const differ = raw.requests.filter((r, i) => r.freshInputTokens !== dag.requests[i]!.freshInputTokens);
    expect(differ.length).toBeLessThanOrEqual(10);
    for (const r of differ) {
      const i = raw.requests.indexOf(r);
      expect(texts.get(r.id.split(":")[1]!), r.id).toContain("chus/");
      expect(Math.abs(r.freshInputTokens - dag.requests[i]!.freshInputTokens), r.id).toBeLessThanOrEqual(12);
    }
    expect(raw.requests.length - differ.length).toBeGreaterThanOrEqual(119);
  });

  it("derives the same analysis figures from both", () => {
    const a = analyzeTrace(raw);
    const b = analyzeTrace(dag);
    for (const key of ["requests", "sessions", "conversations", "userMessages", "expansionFactor", "outputTokens", "waitAfterReadyMs", "prompt", "graph", "peakInFlight", "wallTimeMs"] as const) {
      expect(a[key], key).toEqual(b[key]);
    }
    // Fresh input: the truth table's median, min and max come out of the raw log too.
    expect([a.freshInputTokens.p50, a.freshInputTokens.min, a.freshInputTokens.max]).toEqual([259, 27, 17301]);
  });
});
