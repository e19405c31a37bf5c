// agentload({ ... }) in vitest.config.ts: the project that runs workload files. Put it next to the
// project(s) of ordinary tests, which keep vitest's default pool:
//
//   export default defineConfig({ test: { projects: [
//     { extends: true, test: { name: "unit", include: ["test/**/*.test.ts"] } },
//     agentload({ server: { url: "http://127.0.0.1:8000/v1" } }),   // or agentload() for the built-in engine
//   ] } });
//
// The project runs **/*.workload.ts through the agentload pool, one file at a time (maxWorkers 1,
// no file parallelism: vitest then schedules it with the other one-at-a-time projects, after the
// parallel ones), against one server its global setup provisions per run.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { configDefaults, type TestProjectInlineConfiguration } from "vitest/config";
import type { EngineOptions, ProjectConfig, ServerOptions } from "./context.js";
import { workloadPool } from "./pool.js";
import { chooseServer } from "./server-choice.js";
import { metricSnapshotReportPlugin } from "./snapshot-reporter.js";
import { specWatchPlugin } from "./spec-watch.js";

export interface AgentloadOptions {
  /**
   * An OpenAI-compatible server to run against. Without it, AGENTLOAD_URL (and AGENTLOAD_MODEL)
   * from the environment name one; without those, the built-in llama.cpp engine runs.
   */
  server?: ServerOptions;
  /** Options of the built-in engine (when no server is given, nor AGENTLOAD_URL). */
  engine?: EngineOptions;
  /** Workload files (default ["**\/*.workload.ts"]); also what `vitest bench` collects in this project. */
  include?: string[];
  exclude?: string[];
  /** Project name (default "workloads"): `vitest run --project workloads`. */
  name?: string;
  /** Relative to the project root (default ".agentload"): runs/ holds run folders, metrics/ the latest metrics JSON per workload. */
  outputDir?: string;
  /** Longest time one workload run may take, ms (default 30 minutes). */
  runTimeoutMs?: number;
  /**
   * After a run, keep only the newest N run folders in <outputDir>/runs (default 20; 0 or
   * Infinity keeps all). Only agentload run folders are removed, never one of the run just made.
   */
  keepRuns?: number;
  /** How long a file waits for the server to finish other requests before it starts (default 30 s). */
  idleTimeoutMs?: number;
  /**
   * vitest 5: benchmark files (`test(name, async ({ bench }) => ...)`) run in a "<name> (bench)"
   * project against the same server, with agentload's benchmark provider (default include
   * ["**\/*.bench.ts"]). `false` leaves benchmarks out. Ignored by vitest 4, whose `vitest bench`
   * collects the workload files' benchWorkload(...) tasks.
   */
  bench?: false | { include?: string[]; exclude?: string[] };
}

export const DEFAULT_BENCH_INCLUDE = ["**/*.bench.ts"];

/** The major version of the vitest this project runs (4 or 5). */
export function vitestMajor(): number {
  const require = createRequire(import.meta.url);
  const { version } = require("vitest/package.json") as { version: string };
  return Number.parseInt(version, 10);
}

export const DEFAULT_INCLUDE = ["**/*.workload.ts"];
export const DEFAULT_KEEP_RUNS = 20;

/** A module of this folder: the compiled .js next to this file, or the .ts source when run from source. */
function sibling(name: string): string {
  const js = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
}

export function agentload(options: AgentloadOptions = {}): TestProjectInlineConfiguration {
  if (options.server && options.engine) {
    throw new Error("agentload(): give either server (a URL to run against) or engine (options of the built-in engine), not both");
  }
  if (options.server && typeof options.server.url !== "string") {
    throw new Error("agentload(): server.url must be a string such as \"http://127.0.0.1:8000/v1\"");
  }
  const include = options.include ?? DEFAULT_INCLUDE;
  // The key stays out of the provided context: the pool puts it in the workers' environment.
  const config: ProjectConfig = {
    ...chooseServer(options),
    outputDir: options.outputDir ?? ".agentload",
    runTimeoutMs: options.runTimeoutMs ?? 30 * 60_000,
    keepRuns: keepRunsOf(options.keepRuns),
  };
  return {
    test: {
      name: options.name ?? "workloads",
      include,
      exclude: options.exclude ?? [...configDefaults.exclude],
      pool: workloadPool({
        ...(options.server?.apiKey ? { apiKey: options.server.apiKey } : {}),
        ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
      }),
      maxWorkers: 1,
      fileParallelism: false,
      isolate: true,
      globalSetup: [sibling("global-setup")],
      setupFiles: [sibling("setup")],
      // A whole run may be a test (benchWorkload's smoke run, a bench registration's runs).
      testTimeout: config.runTimeoutMs,
      provide: { agentloadConfig: config },
      benchmark: benchmarkOptions(options, include),
    },
    // `vitest` (watch) reruns a workload file when a YAML spec it names changes; the metric
    // snapshot counts (written, updated, obsolete) print after each run (snapshot-reporter.ts).
    plugins: [specWatchPlugin(), metricSnapshotReportPlugin()],
  };
}

/** keepRuns as the provided context carries it: a whole number, 0 for "keep all". */
export function keepRunsOf(value: number | undefined): number {
  if (value === undefined) return DEFAULT_KEEP_RUNS;
  if (value === Infinity) return 0;
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`agentload(): keepRuns must be a whole number >= 0 (0 or Infinity keeps every run folder), got ${String(value)}`);
  }
  return value;
}

/** vitest 4: `vitest bench` collects the workload files. vitest 5: a bench project of *.bench.ts files with agentload's provider. */
function benchmarkOptions(options: AgentloadOptions, include: string[]): NonNullable<NonNullable<TestProjectInlineConfiguration["test"]>["benchmark"]> {
  if (vitestMajor() < 5) return { include };
  const bench = options.bench === false ? undefined : (options.bench ?? {});
  return {
    include: bench?.include ?? DEFAULT_BENCH_INCLUDE,
    ...(bench?.exclude ? { exclude: bench.exclude } : {}),
    // vitest 5 options, unknown to vitest 4's types.
    ...({ enabled: bench !== undefined, provider: sibling("bench-provider") } as object),
  };
}
