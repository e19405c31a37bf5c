// The server a workload runs against. Once per `vitest run` the global setup provisions the
// project's server: the configured URL (checked reachable, so a typo fails before any test), or
// the built-in llama.cpp engine, started and stopped with the run. Inside a test file a workload
// may name its own server or built-in engine (e.g. prefix caching off); resolveTarget picks.
import { startCommandServer, type CommandServer } from "../engine/command-server.js";
import { startLlamaServer, type LlamaServerOptions } from "../engine/llama-server.js";
import type { BuildProgress } from "../engine/llama-build.js";
import { fetchFailure } from "../run/preflight.js";
import type { RunTarget } from "../run/run.js";
import { serverLaunch, type ServerSpec } from "../workload/server-spec.js";
import type { ResolvedWorkloadSpec } from "../workload/spec.js";
import { API_KEY_ENV, type EngineOptions, type ServerInfo, type ServerOptions } from "./context.js";

export interface ProvisionedServer {
  info: ServerInfo;
  stop(): Promise<void>;
}

export interface ProvisionHooks {
  onProgress?: (p: BuildProgress) => void;
  /** Where the check of a configured URL is named in errors. */
  where?: string;
}

/** `http://host:8000` -> `http://host:8000/v1`; a URL with a path is kept as given (minus a trailing slash). */
export function apiUrlOf(url: string, where: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${where}: not a URL: ${JSON.stringify(url)} (expected e.g. "http://127.0.0.1:8000/v1")`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Error(`${where}: expected an http or https URL, got ${JSON.stringify(url)}`);
  }
  const text = parsed.toString().replace(/\/+$/, "");
  return parsed.pathname === "/" ? `${text}/v1` : text;
}

/** Any HTTP answer counts (a 401 or 404 still proves a server listens); only no answer fails. */
export async function checkReachable(apiUrl: string, where: string): Promise<void> {
  try {
    const res = await fetch(`${apiUrl}/models`, { signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
  } catch (e) {
    throw new Error(`${where}: cannot reach the server at ${apiUrl}: ${fetchFailure(e)}`);
  }
}

export function engineServerOptions(engine: EngineOptions = {}, onProgress?: (p: BuildProgress) => void): LlamaServerOptions {
  return {
    ...(engine.prefixCache !== undefined ? { prefixCache: engine.prefixCache } : {}),
    ...(engine.slots !== undefined ? { slots: engine.slots } : {}),
    ...(engine.contextPerSlot !== undefined ? { contextPerSlot: engine.contextPerSlot } : {}),
    ...(engine.threads !== undefined ? { threads: engine.threads } : {}),
    ...(engine.serverPath !== undefined ? { serverPath: engine.serverPath } : {}),
    ...(engine.extraArgs !== undefined ? { extraArgs: engine.extraArgs } : {}),
    ...(engine.idleClass !== undefined ? { idleClass: engine.idleClass } : {}),
    ...(onProgress ? { onProgress } : {}),
  };
}

export async function provisionServer(
  choice: { server?: Omit<ServerOptions, "apiKey">; engine?: EngineOptions },
  hooks: ProvisionHooks = {},
): Promise<ProvisionedServer> {
  if (choice.server) {
    const where = hooks.where ?? "agentload({ server })";
    const apiUrl = apiUrlOf(choice.server.url, where);
    await checkReachable(apiUrl, where);
    const info: ServerInfo = { apiUrl, builtIn: false, ...(choice.server.model ? { model: choice.server.model } : {}) };
    return { info, stop: async () => {} };
  }
  const engine = await startLlamaServer(engineServerOptions(choice.engine, hooks.onProgress));
  return {
    info: { apiUrl: engine.apiUrl, model: engine.model, builtIn: true, prefixCache: engine.prefixCache, slots: engine.slots },
    stop: () => engine.stop(),
  };
}

interface SharedEntry {
  server: Promise<ProvisionedServer>;
  users: number;
}

/** Per process, shared by every copy of this module (vitest loads a global setup per project). */
function sharedServers(): Map<string, SharedEntry> {
  const g = globalThis as { [key: symbol]: Map<string, SharedEntry> | undefined };
  const key = Symbol.for("agentload.sharedServers");
  return (g[key] ??= new Map());
}

/**
 * provisionServer, shared: under vitest 5 a workloads project and its bench project each run the
 * global setup; with the same options they get one server, stopped when the last one lets go.
 */
export async function provisionSharedServer(
  choice: { server?: Omit<ServerOptions, "apiKey">; engine?: EngineOptions },
  hooks: ProvisionHooks = {},
): Promise<ProvisionedServer> {
  const servers = sharedServers();
  const key = JSON.stringify({ server: choice.server ?? null, engine: choice.engine ?? null });
  let entry = servers.get(key);
  if (!entry) {
    entry = { server: provisionServer(choice, hooks), users: 0 };
    servers.set(key, entry);
    entry.server.catch(() => servers.delete(key));
  }
  entry.users++;
  const server = await entry.server;
  const mine = entry;
  let released = false;
  return {
    info: server.info,
    stop: async () => {
      if (released) return;
      released = true;
      if (--mine.users > 0) return;
      servers.delete(key);
      await server.stop();
    },
  };
}

/** One line for logs: where the workloads go. */
export function describeServer(info: ServerInfo): string {
  if (!info.builtIn) return `${info.apiUrl}${info.model ? ` (model ${info.model})` : ""}`;
  return `built-in engine ${info.apiUrl} (llama.cpp, prefix cache ${info.prefixCache ? "on" : "off"}, ${info.slots} slots)`;
}

/** The key for a server the user named: the configured one (through the pool), else the usual variables. */
export function apiKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[API_KEY_ENV] || env.AGENTLOAD_API_KEY || env.OPENAI_API_KEY || undefined;
}

/** What one workload names instead of the project's server. */
export interface TargetOverride {
  /** A server by URL, or one to launch (the spec's server: block shape: { command, args, ... }). */
  server?: ServerOptions | ServerSpec;
  engine?: EngineOptions;
}

export interface ResolvedTarget {
  target: RunTarget;
  /** Where the requests went, for the metrics file (no key). */
  server: ServerInfo;
  /** Stops a built-in engine started for this workload; nothing otherwise. */
  stop(): Promise<void>;
  /** An engine started for this workload alone (`engine`), which may be started afresh between runs. */
  owned: boolean;
}

/**
 * The workload's own server (by URL, or a command it launches), else its own built-in engine,
 * else (when the project runs the built-in engine) the spec's request.baseUrl or its server:
 * command, else the project's server; as the CLI treats
 * --url, the spec and the engine. Throws the project server's `unavailable` reason when the
 * workload needs that server.
 */
export async function resolveTarget(
  project: ServerInfo,
  spec: ResolvedWorkloadSpec,
  override: TargetOverride,
  where: string,
  /** Where a launched server's relative cwd starts (the workload file's folder). */
  baseDir: string = process.cwd(),
): Promise<ResolvedTarget> {
  const named = (url: string, model: string | undefined, apiKey: string | undefined): ResolvedTarget => {
    const apiUrl = apiUrlOf(url, where);
    const key = apiKey ?? apiKeyFromEnv();
    return {
      target: { apiUrl, ...(model ? { model } : {}), ...(key ? { apiKey: key } : {}) },
      server: { apiUrl, builtIn: false, ...(model ? { model } : {}) },
      stop: async () => {},
      owned: false,
    };
  };
  if (override.server && override.engine) throw new Error(`${where}: give server or engine, not both`);
  const launch = async (server: ServerSpec): Promise<ResolvedTarget> => {
    let started: CommandServer;
    try {
      started = await startCommandServer(serverLaunch(server, baseDir));
    } catch (e) {
      throw new Error(`${where}: the server command did not start: ${(e as Error).message}`);
    }
    const model = spec.request.model;
    return {
      target: { apiUrl: started.apiUrl, ...(model ? { model } : {}) },
      server: { apiUrl: started.apiUrl, builtIn: false, ...(model ? { model } : {}) },
      stop: () => started.stop(),
      owned: true,
    };
  };
  if (override.server && "command" in override.server) return launch(override.server);
  if (override.server) return named(override.server.url, override.server.model, override.server.apiKey);
  if (override.engine) {
    const engine = await startLlamaServer(engineServerOptions(override.engine));
    return {
      target: { apiUrl: engine.apiUrl, model: engine.model },
      server: { apiUrl: engine.apiUrl, model: engine.model, builtIn: true, prefixCache: engine.prefixCache, slots: engine.slots },
      stop: () => engine.stop(),
      owned: true,
    };
  }
  if (project.builtIn && spec.request.baseUrl) return named(spec.request.baseUrl, spec.request.model, undefined);
  if (project.builtIn && spec.server) return launch(spec.server);
  // The project's server could not be provisioned (global-setup.ts): this workload fails, saying why.
  if (project.unavailable) throw new Error(`${where}: ${project.unavailable}`);
  if (project.builtIn) {
    return { target: { apiUrl: project.apiUrl, ...(project.model ? { model: project.model } : {}) }, server: project, stop: async () => {}, owned: false };
  }
  return named(project.apiUrl, project.model, undefined);
}
