// agentload's benchmark provider for vitest 5 (`benchmark.provider`, set by agentload()): a
// `bench(name, workloadTask(...))` registration runs an agentic workload against the project's
// server, and its result is the per-request distribution of a metric (TTFC by default) in the
// shape vitest's bench reporter prints, not the wall time of whole runs. Beside it the provider
// records one more table per registration, a row per metric (TTFC, TTFV, TBC, TPOT, E2E), and
// prints the run's request count, throughput, cache hit rate and validity.
//
// bench.compare() of several registrations runs them in interleaved blocks (A B B A ...), each
// block a share of the sessions with the same seed on every side, and merges each side's blocks.
// Plain functions (no workloadTask) are timed by tinybench as vitest's own provider does; a
// group that mixes both is an error, since a workload and a function cannot be compared.
import { join } from "node:path";
import { LATENCY_METRICS } from "../metrics/catalogue.js";
import { mergeRunSummaries } from "../metrics/merge.js";
import { formatMs, formatPercent } from "../metrics/format.js";
import { MOSTLY_FAILED, runValidity } from "../metrics/validity.js";
import { workloadFingerprint } from "../run/fingerprint.js";
import { runWorkload, type RunResult } from "../run/run.js";
import { applyOverrides } from "../workload/overrides.js";
import type { ResolvedWorkloadSpec } from "../workload/spec.js";
import { statisticsOfHistogram, statisticsOfRates, type BenchStatistics } from "./bench-stats.js";
import { setFallbackRunner, workloadTaskOf, type WorkloadBenchResult, type WorkloadTaskDefinition } from "./bench-task.js";
import { workloadContext, type WorkloadContext } from "./context.js";
import { writeMetricsFile } from "./report.js";
import { resolveTarget, type ResolvedTarget } from "./server.js";

/** The parts of vitest 5's BenchmarkGroup read here (typed locally: vitest 4 has no such types). */
export interface BenchmarkGroupLike {
  test: {
    id: string;
    name: string;
    fullTestName?: string;
    context?: { signal?: AbortSignal };
    benchmarks?: unknown[];
  };
  config?: { retainSamples?: boolean };
  registrations: { name: string; fn?: () => unknown; fnOpts?: object }[];
  options?: object;
}

export interface BenchmarkProviderLike {
  run(group: BenchmarkGroupLike): Promise<object[]>;
}

/** A table of rows as vitest's reporter prints them (what `bench()` records for a group). */
interface SerializedBenchmark {
  name: string;
  tasks: { name: string; latency: BenchStatistics; throughput: BenchStatistics; period: number; totalTime: number; rank: number }[];
}

const runtime = (): { runtime: string; runtimeVersion: string } => {
  const g = globalThis as { Bun?: { version?: string }; Deno?: { version?: { deno?: string } } };
  if (g.Bun?.version) return { runtime: "bun", runtimeVersion: g.Bun.version };
  if (g.Deno?.version?.deno) return { runtime: "deno", runtimeVersion: g.Deno.version.deno };
  return { runtime: "node", runtimeVersion: process.versions.node };
};

/** Block b of `blocks`: a share of the sessions, seeded per block so every side of a comparison runs the same requests. */
export function blockSpec(spec: ResolvedWorkloadSpec, block: number, blocks: number): ResolvedWorkloadSpec {
  if (blocks <= 1) return spec;
  const sessions = Math.max(1, Math.ceil(spec.sessions / blocks));
  const capped = spec.traffic.maxSessions < spec.sessions;
  // Through the one override path, so a block is validated like any varied spec.
  return applyOverrides(
    spec,
    {
      sessions,
      ...(block === 0 ? {} : { seed: `${spec.seed}/block${block}` }),
      ...(capped ? { traffic: { ...spec.traffic, maxSessions: Math.min(spec.traffic.maxSessions, sessions) } } : {}),
    },
    { source: `${spec.name}, block ${block + 1} of ${blocks}` },
  );
}

/** Block order of a comparison: A B, then B A, and so on. */
export function blockOrder(registrations: number, block: number): number[] {
  const order = Array.from({ length: registrations }, (_, i) => i);
  return block % 2 === 0 ? order : order.reverse();
}

async function runBlock(definition: WorkloadTaskDefinition, spec: ResolvedWorkloadSpec, target: ResolvedTarget, context: WorkloadContext, name: string, signal?: AbortSignal): Promise<RunResult> {
  const result = await runWorkload({ spec, target: target.target, outDir: join(context.outputDir, "runs"), ...(signal ? { signal } : {}) });
  writeMetricsFile(context.outputDir, context.root, { workload: name, testFile: definition.testFile, server: target.server, result });
  return result;
}

/** The vitest BenchResult of one registration's runs. */
export function toBenchResult(name: string, definition: WorkloadTaskDefinition, runs: RunResult[], target: ResolvedTarget): WorkloadBenchResult {
  const summary = mergeRunSummaries(runs.map((r) => r.summary));
  const validity = runValidity(summary, { interrupted: runs.some((r) => r.interrupted) });
  return {
    name,
    state: "completed",
    latency: statisticsOfHistogram(definition.metric, summary.histograms[definition.metric]),
    throughput: statisticsOfRates(runs.map((r) => r.summary.throughput.requestsPerSec)),
    period: summary.counts.ok > 0 ? summary.wallMs / summary.counts.ok : 0,
    totalTime: summary.wallMs,
    ...runtime(),
    timestampProviderName: "performance.now",
    agentload: {
      metric: definition.metric,
      percentile: definition.percentile,
      summary,
      runs: runs.map((r) => r.dir),
      validity,
      server: target.server,
      fingerprint: workloadFingerprint(definition.spec, definition.spec.sessions),
    },
  };
}

/** The per-metric table of one result: a row per metric, hz = how many of them per second of the run. */
export function metricTable(result: WorkloadBenchResult): SerializedBenchmark {
  const { summary } = result.agentload;
  const seconds = summary.wallMs / 1000;
  const tasks = LATENCY_METRICS.map((metric) => {
    const latency = statisticsOfHistogram(metric, summary.histograms[metric]);
    const { hdr: _hdr, metric: _m, ...plain } = latency;
    const perSec = seconds > 0 ? latency.samplesCount / seconds : 0;
    return {
      name: `${result.name} · ${metric}`,
      latency: plain,
      throughput: { ...statisticsOfRates([perSec]) },
      period: latency.mean,
      totalTime: summary.wallMs,
      // Rank 0: the rows are different metrics, none is "fastest".
      rank: 0,
    };
  });
  return { name: `${result.name}: per request, ms`, tasks };
}

/** One line per result: requests, throughput, cache hit rate, validity, run folders. */
export function resultLine(result: WorkloadBenchResult): string {
  const { summary, validity, runs } = result.agentload;
  const hit = summary.prefix.server?.rate ?? summary.prefix.requestHitRate;
  const parts = [
    `${summary.counts.requests} requests (${summary.counts.failed} failed) in ${runs.length} run${runs.length === 1 ? "" : "s"}`,
    `${summary.throughput.requestsPerSec.toFixed(2)} req/s`,
    `${summary.throughput.outputTokensPerSec.toFixed(1)} output tok/s`,
    ...(hit !== null ? [`cache hit ${formatPercent(hit)}`] : []),
    `${result.agentload.metric} p50 ${formatMs(result.latency.p50)}`,
    validity.valid ? "valid" : `NOT VALID: ${validity.problems.join("; ")}`,
    ...validity.warnings.map((w) => `warning: ${w}`),
  ];
  return `agentload: ${result.name}: ${parts.join(", ")}; run folder${runs.length === 1 ? "" : "s"} ${runs.join(", ")}`;
}

/**
 * Adds a table to the test's benchmarks, as vitest's bench() does for its own rows. vitest 5 has
 * no public call for it: this is its worker's RPC (`onTestBenchmark`); when that is missing the
 * table is printed instead, so nothing is lost if vitest changes it.
 */
async function recordTable(test: BenchmarkGroupLike["test"], table: SerializedBenchmark): Promise<void> {
  const worker = (globalThis as { __vitest_worker__?: { rpc?: { onTestBenchmark?: (id: string, b: SerializedBenchmark) => Promise<void> } } }).__vitest_worker__;
  const send = worker?.rpc?.onTestBenchmark;
  if (typeof send === "function") {
    test.benchmarks?.push(table);
    await send.call(worker!.rpc, test.id, table);
    return;
  }
  const rows = table.tasks.map((t) => `  ${t.name}: p50 ${formatMs(t.latency.p50)}, p75 ${formatMs(t.latency.p75)}, p99 ${formatMs(t.latency.p99)}, max ${formatMs(t.latency.max)} (${t.latency.samplesCount})`);
  console.log([table.name, ...rows].join("\n"));
}

/** Whether a result measured enough to be worth returning; else the error says why. */
function failIfEmpty(result: WorkloadBenchResult, where: string): void {
  const { summary, runs } = result.agentload;
  // Measured nothing or mostly failed: no result is returned at all (lesser problems make comparisons inconclusive).
  const hard = runValidity(summary, { maxErrorRate: MOSTLY_FAILED });
  if (!hard.valid) throw new Error(`${where}: ${result.name}: the run is not valid: ${hard.problems.join("; ")} (run folder${runs.length === 1 ? "" : "s"} ${runs.join(", ")})`);
}

async function runWorkloadGroup(group: BenchmarkGroupLike, definitions: WorkloadTaskDefinition[]): Promise<WorkloadBenchResult[]> {
  const names = group.registrations.map((r) => r.name);
  const where = definitions.length === 1 ? `bench(${JSON.stringify(names[0])})` : `bench.compare(${names.map((n) => JSON.stringify(n)).join(", ")})`;
  const context = workloadContext(where);
  const blocks = definitions.length === 1 ? (definitions[0]!.blocks ?? 1) : Math.max(...definitions.map((d) => d.blocks ?? 2));
  const signal = group.test.context?.signal;
  const targets: ResolvedTarget[] = [];
  try {
    for (const d of definitions) targets.push(await resolveTarget(context.server, d.spec, d.override, d.where));
    const runs: RunResult[][] = definitions.map(() => []);
    for (let block = 0; block < blocks; block++) {
      for (const i of blockOrder(definitions.length, block)) {
        if (signal?.aborted) throw new Error(`${where}: stopped (the test was aborted or timed out)`);
        const d = definitions[i]!;
        runs[i]!.push(await runBlock(d, blockSpec(d.spec, block, blocks), targets[i]!, context, names[i]!, signal));
      }
    }
    const results = definitions.map((d, i) => toBenchResult(names[i]!, d, runs[i]!, targets[i]!));
    for (const r of results) {
      console.log(resultLine(r));
      await recordTable(group.test, metricTable(r));
    }
    for (const r of results) failIfEmpty(r, where);
    return results;
  } finally {
    await Promise.all(targets.map((t) => t.stop()));
  }
}

/** Plain functions, timed by tinybench as vitest 5's built-in provider does. */
async function runPlainGroup(group: BenchmarkGroupLike): Promise<object[]> {
  const { Bench } = await import("tinybench");
  const signal = group.test.context?.signal;
  const bench = new Bench({
    name: group.test.fullTestName ?? group.test.name,
    ...(signal ? { signal } : {}),
    now: () => performance.now(),
    ...(group.config?.retainSamples !== undefined ? { retainSamples: group.config.retainSamples } : {}),
    ...group.options,
  });
  for (const r of group.registrations) bench.add(r.name, r.fn as () => unknown, r.fnOpts);
  await bench.run();
  const errors = bench.tasks.flatMap((t) => (t.result.state === "errored" ? [t.result.error] : []));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, "Some benchmarks failed");
  return bench.tasks.map((t) => {
    if (t.result.state !== "completed") throw new Error(`task "${t.name}" did not complete: ${t.result.state}`);
    return { ...t.result, name: t.name };
  });
}

async function run(group: BenchmarkGroupLike): Promise<object[]> {
  const definitions = group.registrations.map((r) => workloadTaskOf(r.fn));
  const workloads = definitions.filter((d): d is WorkloadTaskDefinition => d !== undefined);
  if (workloads.length === 0) return runPlainGroup(group);
  if (workloads.length < definitions.length) {
    const plain = group.registrations.filter((_, i) => !definitions[i]).map((r) => JSON.stringify(r.name));
    throw new TypeError(
      `agentload bench provider: ${plain.join(", ")} ${plain.length === 1 ? "is a plain function" : "are plain functions"} in a group with workloadTask registrations; ` +
        "a workload's per-request latency and a function's call time cannot be compared: compare workloads with workloads",
    );
  }
  return runWorkloadGroup(group, workloads);
}

// When another provider (vitest's tinybench one) calls a workloadTask function: one whole run.
setFallbackRunner(async (definition) => {
  const context = workloadContext(definition.where);
  const target = await resolveTarget(context.server, definition.spec, definition.override, definition.where);
  try {
    const result = toBenchResult(definition.spec.name, definition, [await runBlock(definition, definition.spec, target, context, definition.spec.name)], target);
    failIfEmpty(result, definition.where);
  } finally {
    await target.stop();
  }
});

const provider: BenchmarkProviderLike = { run };
export default provider;
