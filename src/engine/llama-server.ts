// The built-in engine: a real llama.cpp `llama-server` on a free loopback port, serving the tiny
// generated model, with prefix caching on or off. Everything that needs a server and is given no
// URL (tests, benchmarks, the README's main job) gets one from here.
import { ensureLlamaBuild, type BuildProgress, type LlamaBuild } from "./llama-build.js";
import { startManagedServer, type ManagedServer } from "./managed-server.js";
import { ensureTinyModel } from "./model.js";
import { freePort } from "./free-port.js";

export const TINY_MODEL_ALIAS = "agentload-tiny";

export interface LlamaServerOptions {
  /** Keep and reuse prompt KV across requests (default true). */
  prefixCache?: boolean;
  /** Parallel sequences (-np): requests served at once. Default 4. */
  slots?: number;
  /** Context tokens per slot; the server gets slots x this. Default 16384. */
  contextPerSlot?: number;
  /** CPU threads (-t). Default 1: on 2 cores the client keeps the other. */
  threads?: number;
  host?: string;
  /** Default: a free port. */
  port?: number;
  /** A GGUF to serve instead of the generated tiny model. */
  modelPath?: string;
  /** Use this llama-server binary instead of the cached build. */
  serverPath?: string;
  extraArgs?: string[];
  readyTimeoutMs?: number;
  onLog?: (line: string) => void;
  onProgress?: (p: BuildProgress) => void;
  env?: NodeJS.ProcessEnv;
}

export interface LlamaServer extends ManagedServer {
  /** OpenAI-compatible base, e.g. http://127.0.0.1:PORT/v1 */
  apiUrl: string;
  /** Model name to send in requests. */
  model: string;
  prefixCache: boolean;
  slots: number;
  args: string[];
}

/** The command line for llama-server with these options (exported for tests and `engine start --print`). */
export function llamaServerArgs(o: {
  modelPath: string;
  host: string;
  port: number;
  slots: number;
  contextPerSlot: number;
  threads: number;
  prefixCache: boolean;
  extraArgs?: string[];
}): string[] {
  const args = [
    "-m", o.modelPath,
    "--alias", TINY_MODEL_ALIAS,
    "--host", o.host,
    "--port", String(o.port),
    "-t", String(o.threads),
    "-tb", String(o.threads),
    "-np", String(o.slots),
    "-c", String(o.slots * o.contextPerSlot),
    "--metrics",
    "--jinja",
    "--no-webui",
  ];
  // Without caching nothing may survive between requests: neither the slot's own KV
  // (--no-cache-prompt) nor the host-memory prompt cache (--cache-ram 0).
  if (!o.prefixCache) args.push("--no-cache-prompt", "--cache-ram", "0");
  return [...args, ...(o.extraArgs ?? [])];
}

/** The cached build when `serverPath` is not given (building it when absent). */
async function resolveBinary(opts: LlamaServerOptions): Promise<{ serverPath: string; build: LlamaBuild | null }> {
  const env = opts.env ?? process.env;
  const override = opts.serverPath ?? env.AGENTLOAD_LLAMA_SERVER;
  if (override) return { serverPath: override, build: null };
  const build = await ensureLlamaBuild({ env, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  return { serverPath: build.serverPath, build };
}

export async function startLlamaServer(opts: LlamaServerOptions = {}): Promise<LlamaServer> {
  const env = opts.env ?? process.env;
  const { serverPath } = await resolveBinary(opts);
  const modelPath =
    opts.modelPath ??
    (await ensureTinyModel({ env, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) })).path;
  const host = opts.host ?? "127.0.0.1";
  const port = opts.port ?? (await freePort(host));
  const slots = opts.slots ?? 4;
  const prefixCache = opts.prefixCache ?? true;
  const args = llamaServerArgs({
    modelPath,
    host,
    port,
    slots,
    contextPerSlot: opts.contextPerSlot ?? 16384,
    threads: opts.threads ?? 1,
    prefixCache,
    ...(opts.extraArgs ? { extraArgs: opts.extraArgs } : {}),
  });
  const baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const server = await startManagedServer({
    name: "llama-server",
    command: serverPath,
    args,
    env,
    baseUrl,
    readyUrl: `${baseUrl}/health`,
    readyTimeoutMs: opts.readyTimeoutMs ?? 120_000,
    ...(opts.onLog ? { onLog: opts.onLog } : {}),
  });
  return { ...server, apiUrl: `${baseUrl}/v1`, model: TINY_MODEL_ALIAS, prefixCache, slots, args };
}
