// Shards of one run merged (`agentload merge`): run against a scripted server (the client's own
// plan, not the engine: test/integration/shards.test.ts runs llama.cpp), two shards send the
// unsharded run's requests, and their merge has its counts and token totals exactly, its
// histograms those of the shards' summaries merged (metrics/merge.ts), verdicts judged on the
// merged requests; folders that are not the shards of one run are refused, naming file and field.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LatencyHistogram } from "../../../src/stats/histogram.js";
import { mergeRunSummaries } from "../../../src/metrics/merge.js";
import { checkShardSet, mergeShards, ShardSetError, type ShardFolder } from "../../../src/metrics/merge-shards.js";
import { resolveSlo } from "../../../src/metrics/slo.js";
import type { RunSummary } from "../../../src/metrics/summary.js";
import { readRunFolder } from "../../../src/records/read.js";
import { planFromTrace } from "../../../src/run/replay.js";
import { planFromSpec, runWorkload, type RunPlan } from "../../../src/run/run.js";
import type { Trace, TraceRequest } from "../../../src/traces/types.js";
import type { RequestRecord } from "../../../src/run/types.js";
import { validateSpec } from "../../../src/workload/spec.js";
import { normalStream, startFaultServer, type FaultServer, type ReceivedRequest } from "../../support/fault-server.js";

let server: FaultServer;
beforeAll(async () => {
  server = await startFaultServer({
    fallback: (req: ReceivedRequest) =>
      req.url.endsWith("/chat/completions")
        ? normalStream({ tokens: ["a", " b", " c", " d"], firstDelayMs: 15, gapMs: 5, usage: { prompt: 10, completion: 4 } })
        : { status: 404, headers: { "content-type": "text/plain" }, steps: [{ raw: "not found" }] },
  });
});
afterAll(async () => {
  await server?.close();
});

const spec = validateSpec({
  name: "sharded",
  seed: 21,
  sessions: 11,
  agents: [{ name: "a", turns: { type: "uniform", min: 1, max: 3 }, freshInput: { type: "uniform", min: 8, max: 40 }, output: 4, scaffold: { systemTokens: 20 } }],
  traffic: { mode: "rate", arrivals: { type: "poisson", rate: 40 }, warmupSessions: 2 },
  slo: { ttfc: { p95: 5000 }, errorRate: { max: 0.01 } },
});

const folderOf = (dir: string): ShardFolder => {
  const f = readRunFolder(dir);
  return { dir, metadata: f.metadata, summary: f.summary as ShardFolder["summary"], records: f.records };
};
/** What a request is, not when it ran: the same for the same session and node in any run. */
const identity = (r: RequestRecord) => `${r.sessionId}/${r.nodeId} prompt ${r.expectedPromptTokens} out ${r.requestedOutputTokens}/${r.completionTokens} fresh ${r.freshInputTokens}${r.warmup ? " warmup" : ""}`;

describe("shards of one run, merged", () => {
  let whole: { summary: RunSummary; records: RequestRecord[] };
  let shards: ShardFolder[];

  beforeAll(async () => {
    const out = mkdtempSync(join(tmpdir(), "agentload-shards-"));
    const one = await runWorkload({ spec, target: { apiUrl: server.baseUrl }, outDir: out, report: false });
    whole = { summary: one.summary, records: readRunFolder(one.dir).records };
    const startAt = Date.now() + 1500;
    const plan = planFromSpec(spec);
    const dirs = await Promise.all(
      [0, 1].map(async (index) => (await runWorkload({ plan: { ...plan, shard: { index, count: 2 } }, target: { apiUrl: server.baseUrl }, outDir: out, report: false, startAt })).dir),
    );
    shards = dirs.map(folderOf);
  }, 60_000);

  it("the two shards sent the unsharded run's requests, each once, warm-up sessions included", () => {
    const sharded = shards.flatMap((s) => s.records.map(identity)).sort();
    expect(sharded).toEqual(whole.records.map(identity).sort());
    expect(whole.records.filter((r) => r.warmup).length).toBeGreaterThan(0);
    // Sessions dealt round robin: shard 0 has the even ones.
    expect(new Set(shards[0]!.records.map((r) => Number(r.sessionId) % 2))).toEqual(new Set([0]));
    expect(shards.map((s) => s.metadata?.shard)).toEqual([0, 1].map((index) => ({ index, count: 2, startAt: expect.any(String) })));
  });

  it("merge: counts and token totals exactly the unsharded run's; histograms those of the shards merged; verdicts on the merged requests", () => {
    const set = checkShardSet(shards);
    const merged = mergeShards(set, { objectives: resolveSlo(spec.slo) });
    const pick = (s: RunSummary) => ({ counts: s.counts, output: s.tokens.output, expectedPrompt: s.tokens.expectedPrompt, reportedPrompt: s.tokens.reportedPrompt });
    expect(pick(merged.summary)).toEqual(pick(whole.summary));
    expect(merged.summary.counts.requests).toBeGreaterThan(10);
    // From the records or from the shards' summaries' histograms: the same merged histograms.
    const fromSummaries = mergeRunSummaries(shards.map((s) => s.summary!.summary!));
    for (const name of ["ttfc", "e2e", "tbc", "dispatchLateness"]) {
      const [a, b] = [merged.summary.histograms[name]!, fromSummaries.histograms[name]!];
      const { mean, ...exact } = LatencyHistogram.fromJSON(a).stats()!;
      const { mean: mean2, ...exact2 } = LatencyHistogram.fromJSON(b).stats()!;
      // Counts, extremes and percentiles exact; the mean's sum was added in another order.
      expect(exact).toEqual(exact2);
      expect(mean).toBeCloseTo(mean2, 9);
    }
    expect(merged.summary.latency.ttfc?.count).toBe(whole.summary.latency.ttfc?.count);
    // Shards ran side by side: the merged run lasts as long as the longest shard, not their sum.
    expect(merged.summary.wallMs).toBe(Math.max(...shards.map((s) => s.summary!.summary!.wallMs)));
    expect(merged.verdicts.map((v) => v.metric).sort()).toEqual(["errorRate", "ttfc"]);
    expect(merged.validity.problems).toEqual([]);
    expect(merged.passed).toBe(true);
    expect(merged.records).toHaveLength(whole.records.length);
  });

  it("the server's counters: the widest window over the shards' scrapes (one server), left out for several", () => {
    const scrape = (cached: number, total: number) => new Map([["vllm:prefix_cache_hits_total", cached], ["vllm:prefix_cache_queries_total", total]]);
    // Shard 0 scraped first before and first after; the widest window is shard 0's before, shard 1's after.
    const [a, b] = [
      { ...shards[0]!, serverBefore: scrape(100, 1000), serverAfter: scrape(700, 3000) },
      { ...shards[1]!, serverBefore: scrape(150, 1200), serverAfter: scrape(900, 3500) },
    ];
    const merged = mergeShards(checkShardSet([a, b]), { objectives: [] });
    expect(merged.summary.prefix.server).toMatchObject({ engine: "vllm", kind: "counters", hits: 800, queries: 2500, rate: 800 / 2500 });
    const elsewhere = { ...b, metadata: { ...b.metadata!, server: { url: "http://other:8000" } } };
    const two = checkShardSet([a, elsewhere]);
    expect(two.oneServer).toBe(false);
    expect(two.warnings.join("\n")).toContain("the shards ran against 2 servers");
    expect(mergeShards(two, { objectives: [] }).summary.prefix.server).toBeNull();
  });

  it("a shard missing makes the merged run not valid, naming it", () => {
    const set = checkShardSet([shards[1]!]);
    expect(set.missing).toEqual([0]);
    const merged = mergeShards(set, { objectives: [] });
    expect(merged.validity.valid).toBe(false);
    expect(merged.validity.problems).toContain("shard 0/2 missing: the merged run holds 1 of 2 shares of the workload");
  });

  it("a shard without summary.json (it did not finish) or interrupted makes the merged run not valid", () => {
    const unfinished = { ...shards[0]!, summary: null };
    const interrupted = { ...shards[1]!, summary: { ...shards[1]!.summary!, interrupted: true } };
    const merged = mergeShards(checkShardSet([unfinished, interrupted]), { objectives: [] });
    expect(merged.interrupted).toBe(true);
    expect(merged.validity.problems.join("\n")).toMatch(/shard 0\/2 \(.*\): no summary\.json: the shard did not finish/);
    expect(merged.validity.problems.join("\n")).toMatch(/shard 1\/2 \(.*\): interrupted before its share of the workload ended/);
  });

  it("refuses folders that are not the shards of one run, naming the file and the field", () => {
    const [a, b] = shards as [ShardFolder, ShardFolder];
    const problems = (folders: ShardFolder[]) => {
      try {
        checkShardSet(folders);
      } catch (err) {
        expect(err).toBeInstanceOf(ShardSetError);
        return (err as ShardSetError).problems;
      }
      throw new Error("accepted");
    };
    const other = { ...b, metadata: { ...b.metadata!, workload: { ...b.metadata!.workload, fingerprint: { spec: "0123456789abcdef", sessions: 11 } } } };
    expect(problems([a, other])).toEqual([`${b.dir}/run.json: workload.fingerprint.spec is "0123456789abcdef", expected "${a.metadata!.workload.fingerprint!.spec}" as in ${a.dir}/run.json: another workload (its spec or seed differ)`]);
    expect(problems([a, a])).toEqual([`shard 0/2 given twice: ${a.dir} and ${a.dir}`]);
    const three = { ...b, metadata: { ...b.metadata!, shard: { ...b.metadata!.shard!, count: 3 } } };
    expect(problems([a, three])).toEqual([`${b.dir}/run.json: shard.count is 3, expected 2 as in ${a.dir}/run.json`]);
    const notShard = { ...b, metadata: { ...b.metadata!, shard: undefined } };
    expect(problems([a, notShard])).toEqual([`${b.dir}/run.json: no shard: this run was not started with --shard i/N`]);
    expect(problems([{ ...a, metadata: null }])[0]).toMatch(/run\.json: not found/);
    const broken = { ...b, metadata: { ...b.metadata!, shard: { index: 2, count: 2 } } };
    expect(problems([a, broken])).toEqual([`${b.dir}/run.json: shard: expected { index, count } with whole numbers 0 <= index < count, got {"index":2,"count":2}`]);
    const otherStart = { ...b, metadata: { ...b.metadata!, shard: { index: 1, count: 2, startAt: "2026-01-01T00:00:00.000Z" } } };
    expect(problems([a, otherStart])[0]).toMatch(/shard\.startAt is "2026-01-01T00:00:00\.000Z", expected ".*" as in .*: the shards did not share one start time/);
  });

  it("each session's first request is planned at its place in the unsharded schedule, on the shards' one time zero", () => {
    const firstPlanned = (records: RequestRecord[]) => new Map(records.filter((r) => r.nodeId === "0").map((r) => [r.sessionId, r.plannedAt]));
    const unsharded = firstPlanned(whole.records);
    const sharded = firstPlanned(shards.flatMap((s) => s.records));
    expect([...sharded.keys()].sort()).toEqual([...unsharded.keys()].sort());
    // Records keep microseconds (record.ts rounds to 0.001 ms).
    for (const [id, at] of unsharded) expect(Math.abs(sharded.get(id)! - at)).toBeLessThanOrEqual(0.002);
  });
});

describe("a trace replay, sharded", () => {
  it("timed: the shards replay the trace's requests, each session at its recorded arrival on the one time zero", async () => {
    // 7 conversations of 2 requests, arriving every 90 ms.
    const requests: TraceRequest[] = [];
    for (let i = 0; i < 7; i++) {
      requests.push({ id: `${i}a`, conversation: `c${i}`, parents: [], historyParent: null, freshInputTokens: 20 + i, outputTokens: 3, dispatchedMs: 90 * i });
      requests.push({ id: `${i}b`, conversation: `c${i}`, parents: [{ from: `${i}a`, type: "sequential" }], historyParent: `${i}a`, freshInputTokens: 5, outputTokens: 2, dispatchedMs: 90 * i + 200 });
    }
    const trace: Trace = { format: "mooncake", source: "seven.jsonl", requests };
    const plan = planFromTrace(trace, { timed: true });
    const out = mkdtempSync(join(tmpdir(), "agentload-replay-shards-"));
    const run = async (p: RunPlan, startAt?: number) => readRunFolder((await runWorkload({ plan: p, target: { apiUrl: server.baseUrl }, outDir: out, report: false, ...(startAt ? { startAt } : {}) })).dir).records;
    const whole = await run(plan);
    const startAt = Date.now() + 1500;
    const shards = await Promise.all([0, 1, 2].map((index) => run({ ...plan, shard: { index, count: 3 } }, startAt)));
    const key = (r: RequestRecord) => `${r.sessionId}/${r.nodeId} fresh ${r.freshInputTokens} out ${r.requestedOutputTokens}/${r.completionTokens}`;
    expect(shards.flat().map(key).sort()).toEqual(whole.map(key).sort());
    expect(whole).toHaveLength(14);
    const firstPlanned = (records: RequestRecord[]) => new Map(records.filter((r) => r.parents === undefined).map((r) => [r.sessionId, r.plannedAt]));
    const unsharded = firstPlanned(whole);
    const sharded = firstPlanned(shards.flat());
    for (const [id, at] of unsharded) expect(Math.abs(sharded.get(id)! - at)).toBeLessThanOrEqual(0.002);
    expect([...unsharded.values()].sort((a, b) => a - b)).toEqual([0, 90, 180, 270, 360, 450, 540]);
  }, 60_000);
});
