// `agentload/vitest`: workloads as vitest tests.
//   vitest.config.ts:  test: { projects: [ ...your projects, agentload({ server: { url } }) ] }
//   *.workload.ts:     describeWorkload(name, options, (run) => { session(...); slo(...) })
// The workload DSL's builders are re-exported so a workload file needs only this import.
export { agentload, DEFAULT_INCLUDE, DEFAULT_BENCH_INCLUDE, DEFAULT_KEEP_RUNS, type AgentloadOptions } from "./plugin.js";
export { workloadTask, type WorkloadTaskOptions, type WorkloadBenchResult } from "./bench-task.js";
export type { BenchJudgeOptions } from "./bench-compare.js";
export { defaultCatalogue, MetricCatalogue, BUILTIN_METRICS } from "../metrics/catalogue.js";
export type { MetricDefinition, LatencyMetricDefinition, SummaryMetricDefinition } from "../metrics/catalogue.js";
export { workloadPool, POOL_NAME, type WorkloadPoolOptions } from "./pool.js";
export {
  describeWorkload,
  slo,
  session,
  benchWorkload,
  objectivesOf,
  SloError,
  type DescribeWorkloadOptions,
  type BenchWorkloadOptions,
  type Objective,
} from "./dsl.js";
export type { EngineOptions, ServerOptions, ServerInfo, WorkloadContext } from "./context.js";
export type { WorkloadSource, SpecOverrides } from "./workload-spec.js";
export type { MetricsFile, WorkloadTestMeta } from "./report.js";
export { describeCapacity, type DescribeCapacityOptions } from "./capacity.js";
export { judgeSustain, type CapacityResultView } from "./capacity-judge.js";
export { installMatchers, agentloadMatchers, type AgentloadMatchers, type MetricSnapshotOptions, type SloObjectives } from "./matchers.js";
export type { BaselineOptions } from "./baseline-compare.js";
export { toWorkloadRun, type WorkloadRun, type MetricView, type ServerEnvironment } from "./run-view.js";
export {
  workload,
  agent,
  concurrent,
  rate,
  poisson,
  gammaArrivals,
  constantArrivals,
  fixed,
  uniform,
  normal,
  lognormal,
  gamma,
  weibull,
  exponential,
  pareto,
  inverseGaussian,
  zipf,
  empirical,
  spikeTail,
} from "../workload/dsl.js";
export { startLlamaServer } from "../engine/llama-server.js";
export type { LlamaServer, LlamaServerOptions } from "../engine/llama-server.js";
