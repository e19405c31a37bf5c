// `agentload/vitest`: the vitest plugin, DSL and matchers arrive with issue 5. For now it
// re-exports the engine so a vitest globalSetup can start the built-in llama-server.
export { startLlamaServer } from "../engine/llama-server.js";
export type { LlamaServer, LlamaServerOptions } from "../engine/llama-server.js";
