// An agentic workload as a vitest 5 benchmark: `bench("cache on", workloadTask({ spec, ... }))`
// inside `test(name, async ({ bench }) => ...)` of a *.bench.ts file. workloadTask returns a
// function (vitest's bench() takes one) that carries the workload; agentload's benchmark provider
// (bench-provider.ts) recognizes it and runs the workload against the server, answering with
// per-request distributions instead of the wall time of calls. Under another provider the
// function still works: each call runs the workload once, timed as a whole.
import { expect } from "vitest";
import { LATENCY_METRICS } from "../metrics/catalogue.js";
import type { RunSummary, HistogramName, LatencyMetric } from "../metrics/summary.js";
import type { RunValidity } from "../metrics/validity.js";
import type { WorkloadFingerprint } from "../run/fingerprint.js";
import type { ResolvedWorkloadSpec } from "../workload/spec.js";
import type { BenchStatistics, MetricStatistics } from "./bench-stats.js";
import type { EngineOptions, ServerInfo, ServerOptions } from "./context.js";
import type { TargetOverride } from "./server.js";
import { assembleSpec, type SpecOverrides, type WorkloadSource } from "./workload-spec.js";
import type { ServerSpec } from "../workload/server-spec.js";


export interface WorkloadTaskOptions extends Omit<SpecOverrides, "server"> {
  /** The workload: a workload(...) spec, a plain spec object, or a YAML/JSON spec path (relative to the test file) or file URL. */
  spec?: WorkloadSource;
  /** Name of a spec built from overrides alone (default "workload"). */
  name?: string;
  /** Run against this server instead of the project's: { url }, or { command, args, ... } to launch one (as a spec's server: block). */
  server?: ServerOptions | ServerSpec;
  /** Run against a built-in engine of its own with these options (e.g. { prefixCache: false }). */
  engine?: EngineOptions;
  /** The metric of the result's latency column, and what toBeFasterThan judges (default "ttfc"). */
  metric?: LatencyMetric;
  /** The percentile toBeFasterThan judges (default 50). */
  percentile?: number;
  /**
   * Blocks the workload's sessions are split into (default 1 alone, 2 in bench.compare): in a
   * comparison the registrations' blocks alternate (A B B A ...) so slow drift of the machine
   * falls on both sides alike. Block k of every registration has the same seed and so the same requests.
   */
  blocks?: number;
  /** Longest time one run may take, ms (default: the project's runTimeoutMs). */
  timeout?: number;
}

/** What the provider needs of a workloadTask registration. */
export interface WorkloadTaskDefinition {
  spec: ResolvedWorkloadSpec;
  override: TargetOverride;
  metric: LatencyMetric;
  percentile: number;
  blocks?: number;
  timeout?: number;
  testFile: string;
  where: string;
}

const TASK = Symbol.for("agentload.workloadTask");

type TaggedFn = (() => Promise<void>) & { [TASK]?: WorkloadTaskDefinition };

/** The runner behind a registration's function when another provider calls it (set by bench-provider.ts). */
let fallbackRunner: ((definition: WorkloadTaskDefinition) => Promise<void>) | undefined;
export function setFallbackRunner(run: (definition: WorkloadTaskDefinition) => Promise<void>): void {
  fallbackRunner = run;
}

function checkOptions(options: WorkloadTaskOptions, where: string): void {
  if (options.metric !== undefined && !LATENCY_METRICS.includes(options.metric)) {
    throw new TypeError(`${where}: metric must be one of ${LATENCY_METRICS.join(", ")}, got ${JSON.stringify(options.metric)}`);
  }
  const p = options.percentile;
  if (p !== undefined && !(typeof p === "number" && p > 0 && p < 100)) throw new TypeError(`${where}: percentile must be a number in (0, 100), got ${JSON.stringify(p)}`);
  const b = options.blocks;
  if (b !== undefined && !(Number.isInteger(b) && b >= 1 && b <= 100)) throw new TypeError(`${where}: blocks must be an integer from 1 to 100, got ${JSON.stringify(b)}`);
  if (options.server && options.engine) throw new TypeError(`${where}: give server or engine, not both`);
}

/** A bench function that runs an agentic workload under agentload's benchmark provider. */
export function workloadTask(options: WorkloadTaskOptions): () => Promise<void> {
  const { spec: source, name, server, engine, metric, percentile, blocks, timeout, ...overrides } = options;
  const where = `workloadTask(${JSON.stringify(name ?? (typeof source === "object" && source && "name" in source ? source.name : "workload"))})`;
  checkOptions(options, where);
  const testFile = expect.getState().testPath ?? "";
  const spec = assembleSpec({ name: name ?? "workload", ...(source !== undefined ? { spec: source } : {}), overrides, testFile });
  const definition: WorkloadTaskDefinition = {
    spec,
    override: { ...(server ? { server } : {}), ...(engine ? { engine } : {}) },
    metric: metric ?? "ttfc",
    percentile: percentile ?? 50,
    ...(blocks !== undefined ? { blocks } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
    testFile,
    where,
  };
  const fn: TaggedFn = async () => {
    if (!fallbackRunner) await import("./bench-provider.js");
    await fallbackRunner!(definition);
  };
  Object.defineProperty(fn, TASK, { value: definition });
  return fn;
}

export function workloadTaskOf(fn: unknown): WorkloadTaskDefinition | undefined {
  return typeof fn === "function" ? (fn as TaggedFn)[TASK] : undefined;
}

/** One registration's result: a vitest 5 BenchResult plus what agentload measured. */
export interface WorkloadBenchResult {
  name: string;
  state: "completed";
  /** The registration's metric per request, in ms (the row vitest prints). */
  latency: MetricStatistics;
  /** Successful requests per second, one value per block. */
  throughput: BenchStatistics;
  /** Wall time of the runs divided by their successful requests, ms. */
  period: number;
  /** Wall time of all the runs, ms. */
  totalTime: number;
  runtime: string;
  runtimeVersion: string;
  timestampProviderName: string;
  agentload: {
    metric: HistogramName;
    percentile: number;
    /** The blocks merged into one summary. */
    summary: RunSummary;
    /** Run folders, one per block. */
    runs: string[];
    validity: RunValidity;
    server: ServerInfo;
    /** The registration's workload (all its blocks), for baselines. */
    fingerprint: WorkloadFingerprint;
  };
}
