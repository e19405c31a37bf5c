// Public API of the core package `agentload`.
export type { RequestNode, SessionGraph, Scaffold, Workload, NodeKind, Rng } from "./workload/types.js";

// Workload specs: YAML files, the TypeScript DSL, validation, generation.
export * from "./workload/dsl.js";
export { validateSpec, resolveSpec, parseDuration, SpecError } from "./workload/spec.js";
export type { ResolvedWorkloadSpec } from "./workload/spec.js";
export type { WorkloadSpec, AgentSpec, DistributionSpec, ArrivalSpec, SloSpec, TrafficSpec } from "./workload/spec-types.js";
export { loadSpecFile } from "./workload/spec-file.js";
export { generateWorkload, iterateSessions, generateSessionAt } from "./workload/generate.js";
export { inspectWorkload } from "./workload/inspect.js";
export { createDistribution } from "./workload/distributions.js";
export { rngFor } from "./stats/random.js";

// Runs and their metrics.
export { runWorkload } from "./run/run.js";
export type { RunOptions, RunResult, RunTarget } from "./run/run.js";
export type { RequestRecord, StreamObservation, ClientRequest } from "./run/types.js";
export { createClient } from "./run/client.js";
export * from "./metrics/index.js";
export { renderSummary } from "./report/summary-table.js";

// The built-in engine and managed servers.
export { startLlamaServer, llamaServerArgs, TINY_MODEL_ALIAS } from "./engine/llama-server.js";
export type { LlamaServer, LlamaServerOptions } from "./engine/llama-server.js";
export { startManagedServer } from "./engine/managed-server.js";
export type { ManagedServer, ManagedServerOptions } from "./engine/managed-server.js";
export { ensureLlamaBuild, findLlamaBuild } from "./engine/llama-build.js";
export type { LlamaBuild, BuildProgress } from "./engine/llama-build.js";
export { ensureTinyModel } from "./engine/model.js";
