// Starts one real llama-server (prefix cache on) for the integration project, building the
// engine first when the cache does not have it. Tests reach it through inject("engine").
import type { TestProject } from "vitest/node";
import { startLlamaServer, type LlamaServer } from "../../src/engine/llama-server.js";
import { buildProgressPrinter } from "../../src/engine/build-progress.js";

declare module "vitest" {
  export interface ProvidedContext {
    engine: { baseUrl: string; apiUrl: string; model: string; slots: number; pid: number; args: string[] };
  }
}

let server: LlamaServer | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  server = await startLlamaServer({ slots: 4, onProgress: buildProgressPrinter() });
  project.provide("engine", { baseUrl: server.baseUrl, apiUrl: server.apiUrl, model: server.model, slots: server.slots, pid: server.pid, args: server.args });
  return async () => {
    await server?.stop();
  };
}
