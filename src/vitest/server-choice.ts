// Which server the workloads project runs against, decided once when agentload() builds the
// project: the config's `server`, else AGENTLOAD_URL (with AGENTLOAD_MODEL) from the environment,
// else the built-in engine. The environment comes second so that one vitest.config.ts serves a
// laptop (built-in engine) and a CI job pointing the same workloads at its server; an explicit
// server in the config is a decision the environment does not override. The key is not chosen
// here: agentload({ server: { apiKey } }), else AGENTLOAD_API_KEY / OPENAI_API_KEY (server.ts).
import type { EngineOptions, ServerOptions } from "./context.js";

export const URL_ENV = "AGENTLOAD_URL";
export const MODEL_ENV = "AGENTLOAD_MODEL";

export interface ServerChoice {
  server?: Omit<ServerOptions, "apiKey">;
  serverFrom?: "config" | "environment";
  engine?: EngineOptions;
  /** Something set that the choice ignores, said once by the global setup. */
  note?: string;
}

export function chooseServer(
  options: { server?: ServerOptions; engine?: EngineOptions },
  env: Partial<NodeJS.ProcessEnv> = process.env,
): ServerChoice {
  const envUrl = env[URL_ENV]?.trim() || undefined;
  const envModel = env[MODEL_ENV]?.trim() || undefined;
  if (options.server) {
    const server = { url: options.server.url, ...(options.server.model ? { model: options.server.model } : {}) };
    const ignored = [envUrl ? URL_ENV : "", envModel ? MODEL_ENV : ""].filter(Boolean);
    return {
      server,
      serverFrom: "config",
      ...(ignored.length ? { note: `${ignored.join(" and ")} ignored: agentload({ server }) in the config names the server` } : {}),
    };
  }
  if (envUrl) {
    return {
      server: { url: envUrl, ...(envModel ? { model: envModel } : {}) },
      serverFrom: "environment",
      ...(options.engine ? { note: `agentload({ engine }) options ignored: ${URL_ENV} names the server` } : {}),
    };
  }
  return {
    ...(options.engine ? { engine: options.engine } : {}),
    ...(envModel ? { note: `${MODEL_ENV} ignored without ${URL_ENV}: the built-in engine serves its own model` } : {}),
  };
}

/** How messages name where the project's server came from. */
export function serverSourceText(choice: { server?: { url: string }; serverFrom?: "config" | "environment" }, projectName: string): string {
  if (choice.serverFrom === "environment") return `${URL_ENV}=${choice.server?.url} (the ${projectName} project's server)`;
  return `agentload({ server: { url: ${JSON.stringify(choice.server?.url)} } }) in the ${projectName} project`;
}
