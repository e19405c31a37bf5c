// Runs one spec after another against one server, as `agentload search` and `agentload sweep`
// do: the given URL, or the built-in engine started once (afresh before a point when asked, or
// when the point's engine options differ from the running engine's). An engine that dies fails
// the point it was running (its exit and last log lines become the run's health problem, and the
// point stops at once); the next point gets a new engine. The user's stop signal stops the point
// in flight.
import { buildProgressPrinter } from "../engine/build-progress.js";
import { startLlamaServer, type LlamaServer } from "../engine/llama-server.js";
import { runWorkload, type RunResult, type RunTarget } from "../run/run.js";
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
  /** The user's stop (Ctrl-C): stops the point in flight. */
  signal: AbortSignal;
}

export class PointRunner {
  private engine: LlamaServer | undefined;
  private engineOptions: EngineChoice | undefined;
  private engineDied: string | null = null;
  private point = new AbortController();
  private points = 0;
  /** True when agentload starts the server (no URL given). */
  readonly builtIn: boolean;

  constructor(private readonly o: PointRunnerOptions) {
    this.builtIn = o.url === undefined && o.request.baseUrl === undefined;
    o.signal.addEventListener("abort", () => this.point.abort(), { once: true });
  }

  /** Where the runs go: the URL given, else the built-in engine's (once started). */
  target(): RunTarget {
    const apiUrl = this.o.url ?? this.o.request.baseUrl ?? this.engine?.apiUrl ?? "";
    const model = this.o.model ?? this.o.request.model ?? this.engine?.model;
    return { apiUrl, ...(model ? { model } : {}), ...(this.o.apiKey ? { apiKey: this.o.apiKey } : {}), ...(this.o.headers ? { headers: this.o.headers } : {}) };
  }

  /** Starts the built-in engine now (before the first point), so that a build or start failure comes first. */
  async prepare(engine: EngineChoice = this.o.engine): Promise<void> {
    if (this.builtIn && !this.engine) await this.startEngine(engine);
  }

  /** One run of `spec` into `outDir`; `restart` starts the built-in engine afresh first (not before the first point). */
  async run(spec: ResolvedWorkloadSpec, outDir: string, options: { restart?: boolean; engine?: EngineChoice } = {}): Promise<RunResult> {
    const wanted = options.engine ?? this.o.engine;
    if (this.builtIn) {
      const differs = this.engineOptions !== undefined && (wanted.prefixCache !== this.engineOptions.prefixCache || wanted.slots !== this.engineOptions.slots);
      if (!this.engine || this.engineDied || differs || (options.restart && this.points > 0)) {
        await this.engine?.stop();
        this.engine = undefined;
        await this.startEngine(wanted);
      }
    }
    this.point = new AbortController();
    if (this.o.signal.aborted) this.point.abort();
    this.points++;
    return runWorkload({ spec, target: this.target(), outDir, signal: this.point.signal, health: () => (this.engineDied ? [this.engineDied] : []) });
  }

  /** The built-in engine's options (null against a given URL). */
  engineInUse(): EngineChoice | null {
    return this.builtIn ? (this.engineOptions ?? this.o.engine) : null;
  }

  async close(): Promise<void> {
    await this.engine?.stop();
    this.engine = undefined;
  }

  private async startEngine(choice: EngineChoice): Promise<void> {
    const started = await startLlamaServer({ ...choice, onProgress: buildProgressPrinter() });
    this.engine = started;
    this.engineOptions = choice;
    this.engineDied = null;
    started.onUnexpectedExit((status) => {
      this.engineDied = `the built-in engine ${status} during the point; its last log lines:\n${started.recentLogs().slice(-8).join("\n")}`;
      this.point.abort();
    });
  }
}
