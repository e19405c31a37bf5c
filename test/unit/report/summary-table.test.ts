import { describe, expect, it } from "vitest";
import { summarizeRecords } from "../../../src/metrics/aggregator.js";
import { parsePrometheus } from "../../../src/metrics/prometheus.js";
import { evaluateSlos } from "../../../src/metrics/slo.js";
import { runValidity } from "../../../src/metrics/validity.js";
import { renderSummary } from "../../../src/report/summary-table.js";
import type { RequestRecord } from "../../../src/run/types.js";

/** Request i of a steady run: dispatched every 100 ms, ttfc 200 ms, 10 chunks 20 ms apart. */
function req(i: number, over: Partial<RequestRecord> = {}): RequestRecord {
  const t = i * 100;
  const chunkAt = Array.from({ length: 10 }, (_, k) => t + 200 + 20 * k);
  return {
    sessionId: `s${i % 4}`,
    nodeId: `n${i}`,
    readyAt: t,
    plannedAt: t,
    dispatchedAt: t + 1,
    firstTokenAt: chunkAt[0],
    firstContentAt: chunkAt[0],
    chunkAt,
    doneAt: chunkAt[9],
    promptTokens: 1000,
    cachedTokens: 900,
    completionTokens: 10,
    expectedPromptTokens: 1000,
    sharedPrefixTokens: 950,
    freshInputTokens: 50,
    requestedOutputTokens: 10,
    ...over,
  };
}

const records = [
  ...Array.from({ length: 20 }, (_, i) => req(i)),
  req(20, { error: { kind: "http", status: 503, message: "busy" } }),
  req(21, { error: { kind: "reset", message: "closed" } }),
  req(99, { warmup: true, sessionId: "warm" }),
];
const slo = { ttfc: { p95: 750 }, e2e: { p99: 300 }, errorRate: { max: 0.05 } };
const summary = summarizeRecords(records, {
  wallMs: 2500,
  slo,
  serverBefore: parsePrometheus('vllm:prefix_cache_queries_total{model_name="m"} 0\nvllm:prefix_cache_hits_total{model_name="m"} 0\n'),
  serverAfter: parsePrometheus('vllm:prefix_cache_queries_total{model_name="m"} 20000\nvllm:prefix_cache_hits_total{model_name="m"} 17000\n'),
});
const verdicts = evaluateSlos(slo, summary);
const text = renderSummary(summary, verdicts);
const lines = text.split("\n");
const line = (start: RegExp) => lines.find((l) => start.test(l)) ?? "";

describe("renderSummary", () => {
  it("shows counts, wall time and throughput", () => {
    expect(line(/^ {2}requests /)).toMatch(/22 +ok 20 +failed 2/);
    expect(line(/^ {2}sessions /)).toMatch(/4 +warm-up 1 request, 1 session \(excluded\)/);
    expect(line(/wall time/)).toMatch(/2\.5s$/);
    expect(line(/requests\/s/)).toMatch(/8\.00$/);
    expect(line(/output tokens\/s/)).toMatch(/80\.0$/);
    expect(line(/prompt tokens\/s/)).toMatch(/8,000\.0$/);
    // every request has e2e 379 ms, over the 300 ms limit
    expect(line(/goodput\/s/)).toMatch(/0\.00 +\(0% of ok requests within ttfc < 750ms, e2e < 300ms\)/);
  });

  it("aligns a latency table with mean and percentiles", () => {
    const header = line(/^Latency \(ms\)/);
    expect(header.split(/\s+/).slice(2)).toEqual(["mean", "p50", "p90", "p95", "p99", "max", "n"]);
    const ttfc = line(/^ {2}TTFC /);
    expect(ttfc.split(/\s+/).slice(2)).toEqual(["199.0", "199.0", "199.0", "199.0", "199.0", "199.0", "20"]);
    expect(line(/^ {2}TBC /)).toMatch(/20\.0 +180$/);
    const table = lines.slice(lines.indexOf(header), lines.indexOf(header) + 8);
    expect(new Set(table.map((l) => l.length)).size).toBe(1);
    expect(line(/^ {2}dispatch lateness/).split(/\s+/).slice(3)).toEqual(["1.00", "1.00", "1.00", "1.00", "1.00", "1.00", "22"]);
  });

  it("sets prefix reuse beside the cache hit rates", () => {
    expect(line(/reuse the workload intends/)).toMatch(/95% +\(history within sessions\)$/);
    expect(line(/achieved \/ ideal/)).toBe("");
    expect(line(/hit rate from usage/)).toMatch(/90%$/);
    expect(line(/hit rate from server metrics/)).toMatch(/85% +\(vllm counters over the run\)/);
    expect(line(/prompt tokens exact/)).toMatch(/100% of 20/);
  });

  it("shows the ideal cache as the reuse the workload intends, and the run's shortfall against it by reason", () => {
    const missed = { scaffold: 0, blocks: 0, spawn: 120, compaction: 0, ttl: 0, fork: 30, history: 1500 };
    const ideal = {
      ttlMs: 300_000,
      infinite: { requests: 20, promptTokens: 20_000, hitTokens: 18_000, hitRate: 0.9, missed: { ...missed, spawn: 0, fork: 0, history: 0, scaffold: 400 }, fresh: 1600 },
      lru: { requests: 20, promptTokens: 20_000, hitTokens: 16_000, hitRate: 0.8, missed: { ...missed, history: 1000, spawn: 0, fork: 0, scaffold: 400 }, fresh: 2600, blocks: 4096, blockTokens: 16 },
      achieved: { requests: 20, idealTokens: 18_000, cachedTokens: 16_400, ratio: 16_400 / 18_000, missed, beyondIdeal: 50 },
    };
    const withIdeal = renderSummary({ ...summary, prefix: { ...summary.prefix, ideal } }, []).split("\n");
    const row = (re: RegExp) => withIdeal.find((l) => re.test(l));
    expect(row(/reuse the workload intends/)).toMatch(/90% +\(an infinite prefix cache; first sight of a scaffold 2%, new input 8%\)$/);
    expect(row(/LRU cache of 4,096 blocks/)).toMatch(/80% +\(16-token blocks; missed: history 5%, scaffold 2%\)$/);
    expect(row(/achieved \/ ideal/)).toMatch(/91.11% +\(16,400 of 18,000 tokens; short by reason: history 1,500, spawn 120, fork 30; beyond ideal 50\)$/);
  });

  it("lists errors, decode overlap, health and SLO verdicts", () => {
    expect(line(/^ {2}errors/)).toMatch(/rate 9\.09% +http 1 \(503 x1\) +reset 1/);
    expect(line(/decode overlap/)).toMatch(/max 2 /);
    expect(line(/^ {2}health/)).toMatch(/ok \(dispatch lateness p99 1ms <= 10ms\)/);
    expect(line(/^SLOs/)).toMatch(/2 of 3 failed/);
    expect(lines).toContain("  ttfc p95 < 750ms: measured 199ms ✓");
    expect(lines).toContain("  e2e p99 < 300ms: measured 379ms ✗");
    expect(lines).toContain("  error rate <= 5%: measured 9.09% ✗");
  });

  it("uses no escape codes unless asked, and colors verdicts when asked", () => {
    expect(text).not.toContain("\u001b[");
    const colored = renderSummary(summary, verdicts, { color: true });
    expect(colored).toContain("\u001b[32mttfc p95 < 750ms: measured 199ms ✓\u001b[0m");
    expect(colored).toContain("\u001b[31me2e p99 < 300ms: measured 379ms ✗\u001b[0m");
  });

  it("shows the client's checks beside validity: lag, CPU and achieved load, naming both numbers", () => {
    const validity = runValidity(summary, {
      clientCpu: { source: "eventLoopUtilization", windowMs: 1000, busy: [0.1, 0.3] },
      achievedLoad: { mode: "concurrency", target: 4, achieved: 3.2, steadyMs: 12_000 },
    });
    const shown = renderSummary(summary, verdicts, { validity }).split("\n");
    const row = (start: RegExp) => shown.find((l) => start.test(l)) ?? "";
    expect(row(/^ {2}client lag/)).toMatch(/the 3rd latest of 22 dispatches 1ms late <= 25ms \(limit max\(25ms, 10% of TTFC p50 199ms\)\)$/);
    expect(row(/^ {2}client CPU/)).toMatch(/event loop busy mean 20%, max 30%; over 90% in 0% of 2 windows of 1000ms$/);
    expect(row(/^ {2}achieved load/)).toMatch(/mean 3\.20 sessions in flight of 4 over the steady 12\.0s$/);
    expect(row(/^ {2}validity/)).toMatch(/NOT VALID: 2 of 22 requests failed .*; load short: mean 3\.20 sessions in flight of 4/);
    const rate = runValidity(summary, { achievedLoad: { mode: "rate", targetPerSec: 2, plannedPerSec: null, achievedPerSec: null, sessions: 1, note: "1 session released over 0ms of schedule: too few to judge the rate" } });
    expect(renderSummary(summary, [], { validity: rate })).toMatch(/achieved load +1 session released over 0ms of schedule: too few to judge the rate \(target 2\.00\/s\)/);
  });

  it("says when the run was unhealthy and when nothing was measured", () => {
    const late = summarizeRecords([req(0, { dispatchedAt: 50 })], { wallMs: 1000 });
    expect(renderSummary(late, [])).toMatch(/health +UNHEALTHY: dispatch lateness p99 50\.0ms exceeds 10ms/);
    const empty = renderSummary(summarizeRecords([], { wallMs: 1000 }), []);
    expect(empty).toMatch(/^ {2}TTFC +— +— +— +— +— +— +0$/m);
    expect(empty).toMatch(/hit rate from server metrics +—/);
    expect(empty).not.toMatch(/^SLOs/m);
    expect(empty).not.toMatch(/goodput/);
  });
});
