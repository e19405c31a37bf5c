// The built-in engine: a real llama.cpp `llama-server` on a free loopback port, serving the tiny
// generated model, with prefix caching on or off. Everything that needs a server and is given no
// URL (tests, benchmarks, the README's main job) gets one from here.
import { chrtOnPath, classRunner, ownCpuClass, type CpuClass, type CpuClassHost } from "./cpu-class.js";
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
  /**
   * Run the engine in Linux's idle CPU class (SCHED_IDLE, through util-linux `chrt --idle 0`), so
   * that its threads never hold a core the client has just woken up for: the client's dispatches
   * and timestamps stay on time beside it (README, "Measured here": dispatch lateness p99 in the
   * README's main job 2.0-4.2 ms against 3.7-12.4 ms). The engine then runs only on CPU no other
   * process wants, so on a machine busy with other work it starves. Linux only; default false.
   */
  idleClass?: boolean;
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
  /** Whether it runs in the idle CPU class (LlamaServerOptions.idleClass). */
  idleClass: boolean;
  args: string[];
}

/** Where the machine runs processes on: the platform and the PATH searched for chrt. */
export type EngineHost = CpuClassHost;

/** chrt's path, or an error saying why the idle CPU class cannot be had here (not Linux, no chrt on the PATH). */
export function idleClassRunner(host: EngineHost): string {
  return classRunner(host, "the engine's idle CPU class", "SCHED_IDLE");
}

/**
 * The command that starts the engine: the binary itself, or with chrt (its path) in front of it:
 * `chrt --idle 0` for the idle class, `chrt --other 0` for the default class where agentload itself
 * runs in a real-time class (`--realtime`, or started under chrt), which the engine would otherwise
 * inherit. chrt execs the binary, so the child's pid stays the engine's own (signals and the
 * watchdog reach it, owned-process.ts).
 */
export function engineCommand(serverPath: string, args: string[], chrt: string | null, cpuClass: "idle" | "other" = "idle"): { command: string; args: string[] } {
  return chrt === null ? { command: serverPath, args } : { command: chrt, args: [`--${cpuClass}`, "0", serverPath, ...args] };
}

/**
 * chrt's path and the class to start the engine in: the idle class when asked for; the default
 * class when this process is in a real-time one (else null: the engine inherits the default class).
 */
export function engineClass(idleClass: boolean, own: CpuClass | null, path: string | undefined): { chrt: string | null; cpuClass: "idle" | "other" } {
  if (idleClass) return { chrt: idleClassRunner({ platform: process.platform, path }), cpuClass: "idle" };
  if (own?.policy !== "fifo" && own?.policy !== "rr") return { chrt: null, cpuClass: "other" };
  const chrt = chrtOnPath(path);
  if (!chrt) throw new Error(`agentload runs in the real-time class (${own.policy} ${own.priority}), which the engine would inherit, and no chrt is on the PATH to start it in the default class`);
  return { chrt, cpuClass: "other" };
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
  // Before any build: a machine without the idle class says so at once.
  const { chrt, cpuClass } = engineClass(opts.idleClass === true, ownCpuClass(), env.PATH);
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
  const command = engineCommand(serverPath, args, chrt, cpuClass);
  const server = await startManagedServer({
    name: "llama-server",
    command: command.command,
    args: command.args,
    env,
    baseUrl,
    readyUrl: `${baseUrl}/health`,
    readyTimeoutMs: opts.readyTimeoutMs ?? 120_000,
    ...(opts.onLog ? { onLog: opts.onLog } : {}),
  });
  return { ...server, apiUrl: `${baseUrl}/v1`, model: TINY_MODEL_ALIAS, prefixCache, slots, idleClass: chrt !== null && cpuClass === "idle", args };
}
