// Runs one spec after another against one server, as `agentload search` and `agentload sweep`
// do: the given URL, or the spec's server command or the built-in engine, started once (afresh
// before a point when asked, or when the point's engine options differ from the running one's). An engine that dies fails
// the point it was running (its exit and last log lines become the run's health problem, and the
// point stops at once); the next point gets a new engine. The user's stop signal stops the point
// in flight.
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildProgressPrinter } from "../engine/build-progress.js";
import { startCommandServer, type CommandServer, type CommandServerOptions } from "../engine/command-server.js";
import { startLlamaServer, type LlamaServer } from "../engine/llama-server.js";
import { resetPrefixCache, type CacheReset } from "../run/cache-reset.js";
import { PreflightError } from "../run/preflight.js";
import { RecordsLostError } from "../run/recorder.js";
import { runWorkload, type RunResult, type RunTarget } from "../run/run.js";
import type { IdealCacheOptions } from "../metrics/cache-attribution.js";
import type { ResolvedWorkloadSpec } from "../workload/spec.js";

/** The built-in engine's options a point may vary. */
export interface EngineChoice {
  prefixCache: boolean;
  slots: number;
}

export interface PointRunnerOptions {
  url?: string | undefined;
  model?: string | undefined;
  apiKey?: string | undefined;
  headers?: Record<string, string> | undefined;
  /** The spec's own request.baseUrl / model, used when no flag gives them. */
  request: ResolvedWorkloadSpec["request"];
  engine: EngineChoice;
  /** Start the built-in engine in Linux's idle CPU class (--engine-idle; LlamaServerOptions.idleClass). */
  engineIdle?: boolean;
  /** The spec's server: block (not started when a URL is given). */
  server?: CommandServerOptions | undefined;
  /** The user's stop (Ctrl-C): stops the point in flight. */
  signal: AbortSignal;
  /** Empty the server's prefix cache before every point (--reset-cache; run/cache-reset.ts), or restart a server agentload starts. */
  resetCache?: boolean;
  /** Told each reset (to say once how the cache is emptied). */
  onCacheReset?: (reset: CacheReset) => void;
  /** The ideal prefix cache each point's run reports (--cache-ttl, --cache-blocks, --cache-block-tokens). */
  idealCache?: IdealCacheOptions;
}

/** The flags of every command that runs points (search, sweep): the server, the output, the built-in engine. */
export const POINT_FLAGS = {
  url: { type: "string" },
  model: { type: "string" },
  "api-key": { type: "string" },
  header: { type: "string", multiple: true },
  out: { type: "string" },
  json: { type: "boolean" },
  restart: { type: "boolean" },
  "reset-cache": { type: "boolean" },
  "no-prefix-cache": { type: "boolean" },
  slots: { type: "string" },
  "engine-idle": { type: "boolean" },
  "cache-ttl": { type: "string" },
  "cache-blocks": { type: "string" },
  "cache-block-tokens": { type: "string" },
} as const;

/** The help lines of the ideal-cache flags every point's run takes (as `run` does). */
export const IDEAL_CACHE_HELP = `  --cache-ttl S        each point's ideal prefix cache names a miss after a wait longer than S seconds "ttl" (default 300)
  --cache-blocks N     each point also simulates an LRU prefix cache of N blocks
  --cache-block-tokens N  tokens per block of that LRU cache (default 16)`;

/** What --reset-cache does to a server agentload starts: start it afresh before each point. */
const RESTARTED: CacheReset = { engine: "restart", endpoint: "restart" };

export class PointRunner {
  private engine: LlamaServer | CommandServer | undefined;
  private engineOptions: EngineChoice | undefined;
  private engineDied: string | null = null;
  private point = new AbortController();
  private points = 0;
  /** True when agentload starts the server: the built-in engine or the spec's server command. */
  readonly managed: boolean;
  /** True when that server is the built-in engine (no URL, no server: block). */
  readonly builtIn: boolean;

  constructor(private readonly o: PointRunnerOptions) {
    this.managed = o.url === undefined && o.request.baseUrl === undefined;
    this.builtIn = this.managed && o.server === undefined;
    o.signal.addEventListener("abort", () => this.point.abort(), { once: true });
  }

  /** Where the runs go: the URL given, else the built-in engine's (once started). */
  target(): RunTarget {
    const apiUrl = this.o.url ?? this.o.request.baseUrl ?? this.engine?.apiUrl ?? "";
    const model = this.o.model ?? this.o.request.model ?? (this.engine && "model" in this.engine ? this.engine.model : undefined);
    return { apiUrl, ...(model ? { model } : {}), ...(this.o.apiKey ? { apiKey: this.o.apiKey } : {}), ...(this.o.headers ? { headers: this.o.headers } : {}) };
  }

  /** Starts the engine now (before the first point), so that a build or start failure comes first. */
  async prepare(engine: EngineChoice = this.o.engine): Promise<void> {
    if (this.managed && !this.engine) await this.startEngine(engine);
  }

  /** One run of `spec` into `outDir`; `restart` starts the engine afresh first (not before the first point). */
  async run(spec: ResolvedWorkloadSpec, outDir: string, options: { restart?: boolean; engine?: EngineChoice } = {}): Promise<RunResult> {
    const wanted = options.engine ?? this.o.engine;
    if (this.managed) {
      const differs = this.builtIn && this.engineOptions !== undefined && (wanted.prefixCache !== this.engineOptions.prefixCache || wanted.slots !== this.engineOptions.slots);
      // --reset-cache on a server agentload starts: a fresh process is the surest empty cache.
      const restart = (options.restart || this.o.resetCache) && this.points > 0;
      if (!this.engine || this.engineDied || differs || restart) {
        await this.engine?.stop();
        this.engine = undefined;
        await this.startEngine(wanted);
      }
    }
    if (this.o.resetCache) this.o.onCacheReset?.(this.managed ? RESTARTED : await resetPrefixCache(this.target()));
    this.point = new AbortController();
    if (this.o.signal.aborted) this.point.abort();
    this.points++;
    return runWorkload({
      spec,
      target: this.target(),
      outDir,
      signal: this.point.signal,
      health: () => (this.engineDied ? [this.engineDied] : []),
      ...(this.o.idealCache ? { idealCache: this.o.idealCache } : {}),
    });
  }

  async close(): Promise<void> {
    await this.engine?.stop();
    this.engine = undefined;
  }

  private async startEngine(choice: EngineChoice): Promise<void> {
    let started: LlamaServer | CommandServer;
    if (this.o.server) {
      try {
        started = await startCommandServer(this.o.server);
      } catch (e) {
        // Like an unreachable server: the command's own error and last log lines say why.
        throw new PreflightError([`the spec's server did not start: ${(e as Error).message}`]);
      }
    } else started = await startLlamaServer({ ...choice, idleClass: this.o.engineIdle === true, onProgress: buildProgressPrinter() });
    this.engine = started;
    this.engineOptions = choice;
    this.engineDied = null;
    started.onUnexpectedExit((status) => {
      this.engineDied = `the ${this.o.server ? "server command" : "built-in engine"} ${status} during the point; its last log lines:\n${started.recentLogs().slice(-8).join("\n")}`;
      this.point.abort();
    });
  }
}

/**
 * The exit code of a point's failure that ends a search or a sweep, its message printed: 3 when
 * the server failed preflight (or the spec's server did not start), 5 when records could not be
 * written; undefined for any other error.
 */
export function pointFailureExit(err: unknown): 3 | 5 | undefined {
  if (err instanceof PreflightError || err instanceof RecordsLostError) {
    console.error(`agentload: ${err.message}`);
    return err instanceof PreflightError ? 3 : 5;
  }
  return undefined;
}

/** Says how the prefix cache is emptied, and what that does not cover, once per command. */
export function cacheResetPrinter(): (reset: CacheReset) => void {
  let said = false;
  return (reset) => {
    if (said) return;
    said = true;
    printCacheReset(reset, "before each point");
  };
}

/** One line on stderr: how the prefix cache was emptied (and its caveat). */
export function printCacheReset(reset: CacheReset, when = "before the run"): void {
  if (reset.engine === "restart") console.error(`agentload: prefix cache emptied ${when} by restarting the server agentload started`);
  else console.error(`agentload: prefix cache emptied ${when} (${reset.engine}: ${reset.endpoint})${reset.caveat ? `; note: ${reset.caveat}` : ""}`);
}

/** A new folder for one search or sweep under `parent`: `<kind>-<time>-<spec name>`. */
export function pointsFolder(parent: string, kind: "search" | "sweep", specName: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dir = join(parent, `${kind}-${stamp}-${specName.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** `doc` as `dir/name`, written whole to a temporary name and renamed: a crash mid-write never leaves half a file. */
export function writePointsFile(dir: string, name: string, doc: unknown): void {
  writeFileSync(join(dir, `${name}.tmp`), `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(join(dir, `${name}.tmp`), join(dir, name));
}
