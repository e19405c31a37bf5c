// What the workloads project hands from the main process to workload files: the plugin's options
// (config time, through `provide` in the project config) and, once the global setup has
// provisioned the server, the server and the resolved folders. Plain, serializable data; the API
// key is never part of it (it reaches the worker through its environment, see pool.ts).
import { inject } from "vitest";

/** The environment variable the pool sets in workers for a configured API key. */
export const API_KEY_ENV = "AGENTLOAD_VITEST_API_KEY";

/** The built-in llama.cpp engine's options a workload project or a single workload may set. */
export interface EngineOptions {
  /** Keep and reuse prompt KV across requests (default true). */
  prefixCache?: boolean;
  /** Requests served at once (llama-server -np). Default 4. */
  slots?: number;
  /** Context tokens per slot. Default 16384. */
  contextPerSlot?: number;
  /** CPU threads. Default 1. */
  threads?: number;
  /** A llama-server binary to run instead of the cached build: an engine repo's own build (main's as the baseline, the pull request's as the server). */
  serverPath?: string;
  /** More llama-server arguments, after agentload's own. */
  extraArgs?: string[];
  /** Run it in Linux's idle CPU class (chrt --idle 0): it never delays the client's wake-ups, but starves beside other busy work. Default false. */
  idleClass?: boolean;
}

/** A server agentload does not start: any OpenAI-compatible endpoint. */
export interface ServerOptions {
  /** Base URL including /v1 (a URL with no path gets /v1). */
  url: string;
  model?: string;
  /** Sent as a bearer token; default AGENTLOAD_API_KEY or OPENAI_API_KEY from the environment. */
  apiKey?: string;
}

/** The plugin's options as the global setup reads them (no API key). */
export interface ProjectConfig {
  server?: Omit<ServerOptions, "apiKey">;
  /** Where `server` was named: agentload({ server }) or AGENTLOAD_URL (see server-choice.ts). */
  serverFrom?: "config" | "environment";
  /** A setting the server choice ignored (AGENTLOAD_URL under a configured server, ...), said by the global setup. */
  note?: string;
  engine?: EngineOptions;
  /** Holds runs/ (run folders) and metrics/ (the latest metrics JSON per workload). */
  outputDir: string;
  /** Longest time one workload run may take, ms. */
  runTimeoutMs: number;
  /** Run folders kept under outputDir/runs after a run; 0 keeps all (Infinity does not survive the provided context's JSON). */
  keepRuns: number;
}

/** The server every workload runs against unless it names its own. */
export interface ServerInfo {
  apiUrl: string;
  model?: string;
  /** True when agentload started it (the built-in llama.cpp engine). */
  builtIn: boolean;
  prefixCache?: boolean;
  slots?: number;
  /**
   * Why the project's server could not be provisioned (unreachable URL, engine build failed),
   * naming the URL and the reason. The global setup does not throw then: a throw there leaves
   * vitest with no test to fail (an empty, green JUnit report); instead every workload that runs
   * against this server fails with this message (see resolveTarget).
   */
  unavailable?: string;
}

/** Provided by the global setup to every workload file. */
export interface WorkloadContext {
  server: ServerInfo;
  /** Absolute. */
  outputDir: string;
  /** The project root, absolute: metrics files name workload files relative to it. */
  root: string;
  /** "benchmark" under vitest 4's `vitest bench`, where only bench tasks run. */
  mode: "test" | "benchmark";
  /** A vitest 5 bench project: tests run, and `bench` is a fixture of their context. */
  benchProject: boolean;
  runTimeoutMs: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    agentloadConfig: ProjectConfig;
    agentload: WorkloadContext;
  }
}

/** The context inside a workload file; a clear error when the file runs outside the workloads project. */
export function workloadContext(caller: string): WorkloadContext {
  const context = inject("agentload") as WorkloadContext | undefined;
  if (!context) {
    throw new Error(
      `${caller}: no server was provisioned for this file. Workload files run through the project that ` +
        "agentload() makes in vitest.config.ts (test.projects: [..., agentload({ ... })]); check that the file " +
        "matches its include patterns (default **/*.workload.ts) and not another project's.",
    );
  }
  return context;
}
