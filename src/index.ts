// Public API of the core package `agentload`.
export type { RequestNode, SessionGraph, Scaffold, Workload, NodeKind, Rng } from "./workload/types.js";
export { startLlamaServer, llamaServerArgs, TINY_MODEL_ALIAS } from "./engine/llama-server.js";
export type { LlamaServer, LlamaServerOptions } from "./engine/llama-server.js";
export { startManagedServer } from "./engine/managed-server.js";
export type { ManagedServer, ManagedServerOptions } from "./engine/managed-server.js";
export { ensureLlamaBuild, findLlamaBuild } from "./engine/llama-build.js";
export type { LlamaBuild, BuildProgress } from "./engine/llama-build.js";
export { ensureTinyModel } from "./engine/model.js";
