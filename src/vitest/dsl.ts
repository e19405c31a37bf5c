// Workloads as vitest tests:
//
//   describeWorkload("coding agent", { seed: 1, sessions: 4, traffic: concurrent(2), slo: { ttfc: { p95: "2s" } } }, (run) => {
//     session("coder", { turns: uniform(4, 8), freshInput: lognormal({ mu: 5, sigma: 1 }), output: 32 });
//     slo("TTFC p99 under 3s", () => expect(run.ttfc).toHavePercentileBelow(99, "3s"));
//   });
//
// describeWorkload is a describe block that runs its workload once (in beforeAll, against the
// server the workloads project provisioned) and then its tests, which read the finished run:
// one test per objective of the spec's slo section, one per slo(...), and any plain test/it.
// benchWorkload makes a workload a `vitest bench` task instead.
import { dirname, join } from "node:path";
import * as vitestApi from "vitest";
import { afterAll, beforeAll, describe, expect, test, type TestContext } from "vitest";
import { formatMs } from "../metrics/format.js";
import { defaultCatalogue, type MetricCatalogue } from "../metrics/catalogue.js";
import { resolveSlo, type SloVerdict } from "../metrics/slo.js";
import { runWorkload, type RunResult } from "../run/run.js";
import { combineRepeats, type RepeatedRunResult } from "../run/repeat.js";
import { compareSettings } from "../metrics/compare.js";
import { pairsDecided, type BaselineOptions } from "./baseline-compare.js";
import { agent } from "../workload/dsl.js";
import type { ResolvedSloSpec, ResolvedWorkloadSpec } from "../workload/spec.js";
import type { AgentSpec } from "../workload/spec-types.js";
import { workloadContext, type EngineOptions, type ServerOptions, type WorkloadContext } from "./context.js";
import { headlineProperties, objectiveProperties, writeMetricsFile, type Property, type WorkloadTestMeta } from "./report.js";
import { workloadTask } from "./bench-task.js";
import { lazyRun } from "./run-handle.js";
import { environmentOf, toWorkloadRun, type WorkloadRun } from "./run-view.js";
import { resolveTarget, type ResolvedTarget, type TargetOverride } from "./server.js";
import { assembleSpec, type SpecOverrides, type WorkloadSource } from "./workload-spec.js";
import type { ServerSpec } from "../workload/server-spec.js";

export interface DescribeWorkloadOptions extends Omit<SpecOverrides, "server"> {
  /** The workload: a workload(...) spec, a plain spec object, or a YAML/JSON spec path (relative to this file) or file URL. */
  spec?: WorkloadSource;
  /** Run against this server instead of the project's: { url }, or { command, args, ... } to launch one (as a spec's server: block). */
  server?: ServerOptions | ServerSpec;
  /** Run against a built-in engine of its own with these options (e.g. { prefixCache: false }), started before and stopped after. */
  engine?: EngineOptions;
  /** Longest time the run may take, ms (default: the project's runTimeoutMs). */
  timeout?: number;
  /** The metrics to measure and the SLO may name (default: the built-in catalogue): `defaultCatalogue.with({ name: "queueing", ... })`. */
  catalogue?: MetricCatalogue;
  /**
   * Run the workload this many times back to back (default 1). The SLOs judge the runs' requests
   * pooled; a metric snapshot keeps each run's percentiles and, against a baseline with repeats
   * too, judges by the spread between whole runs (run-to-run variance), not by within-run
   * sampling alone. `timeout` is per run.
   *
   * With a baseline, `{ min, max }` stops sequentially: after `min` pairs, a pair at a time is
   * added until `compare`'s interval decides for every percentile, entirely beyond the minimum
   * effect (a regression, toMatchBaseline fails) or entirely within it (a match), up to `max`
   * pairs; a percentile still undecided at `max` fails as inconclusive. An unchanged engine then
   * stops early, and a small slowdown gets the pairs it needs instead of passing on a wide interval.
   */
  repeats?: number | { min: number; max: number };
  /**
   * What toMatchBaseline() judges by when it is given no options (metrics, percentiles,
   * minEffect, ...), and what decides when sequential pairs (`repeats: { min, max }`) stop.
   */
  compare?: BaselineOptions;
  /**
   * Run the workload against this server too, each of the `repeats` runs paired with one against
   * the baseline, the two orders alternating (baseline first, then server first, ...), so that
   * what drifts over minutes hits both alike; `run.baseline` holds the baseline's runs and
   * `expect(run).toMatchBaseline()` judges the server against it pair by pair. An engine repo's
   * CI gives its main build here and the pull request's build as the server: a running server
   * (`{ url }`) or a built-in engine agentload starts (`{ engine: { serverPath } }`).
   */
  baseline?: ServerOptions | { engine: EngineOptions };
  /**
   * With a baseline: start the engines agentload owns for this workload (`engine`,
   * `baseline.engine`) afresh before each pair of runs ("pair", the default), or keep one process
   * per side for all pairs ("never"). One llama-server process can be 11-23% slower in prompt
   * processing than another of the same build on the same machine, for its whole life (measured:
   * matched requests' prompt-eval times from the engines' logs; decode alike); restarts make that
   * a per-pair difference the interval sees, instead of an offset pairing cannot cancel. The cost
   * is a wider interval: in `npm run bench:regression` (5 pairs) false alarms went from 3 to 1 in
   * 20 and a 1.2x slowdown was caught 15 times in 20 instead of 19 (docs/vitest.md).
   */
  restart?: "pair" | "never";
}

export interface BenchWorkloadOptions extends Omit<DescribeWorkloadOptions, "timeout" | "baseline" | "restart" | "repeats" | "compare"> {
  /** Whole runs to time (default 3). */
  iterations?: number;
}

/** The describeWorkload being collected, for session() and slo(). */
interface Scope {
  workload: string;
  sessions: AgentSpec[];
  result(): RunResult | undefined;
}
let scope: Scope | undefined;

type TopLevelBench = (name: string, fn: () => Promise<void>, options: object) => void;
/** vitest 4's top-level bench(); vitest 5 has none (its bench is a fixture of test()). */
const topLevelBench = (vitestApi as unknown as { bench?: TopLevelBench }).bench;

function currentScope(caller: string): Scope {
  if (!scope) throw new Error(`${caller} must be called inside a describeWorkload(name, options, (run) => { ... }) callback`);
  return scope;
}

/** A run that measured too little to be judged; its message says why. */
export class ValidityError extends Error {
  override name = "ValidityError";
}

/** A failed objective; its message is the k6-style verdict line. */
export class SloError extends Error {
  override name = "SloError";
}

/** One objective of a spec's slo section, known before the run: its verdict's name and a test title. */
export interface Objective {
  name: string;
  title: string;
}

/** The objectives in the order evaluateSlos judges them, so each becomes one test. */
export function objectivesOf(slo: ResolvedSloSpec, catalogue: MetricCatalogue = defaultCatalogue): Objective[] {
  return resolveSlo(slo, catalogue).map((o) => ({ name: o.name, title: o.title }));
}

async function annotate(context: TestContext, properties: Property[]): Promise<void> {
  for (const p of properties) await context.annotate(p.value, p.name);
}

function setMeta(context: TestContext, meta: WorkloadTestMeta): void {
  (context.task.meta as Record<string, unknown>).agentload = meta;
}

/** Runs one workload and leaves its metrics JSON for dashboards; its set-up notes go to `notes`. */
async function runOnce(
  workload: string,
  spec: ResolvedWorkloadSpec,
  target: ResolvedTarget,
  context: WorkloadContext,
  testFile: string,
  catalogue?: MetricCatalogue,
  notes?: string[],
): Promise<RunResult> {
  const result = await runWorkload({
    spec,
    target: target.target,
    outDir: join(context.outputDir, "runs"),
    ...(catalogue ? { catalogue } : {}),
    ...(notes ? { onNote: (n: string) => notes.push(n) } : {}),
  });
  writeMetricsFile(context.outputDir, context.root, { workload, testFile, server: target.server, result });
  return result;
}

/** Time allowed for restarting a pair's engines (a start takes 1-2 s with the model cached). */
const ENGINE_RESTART_MS = 60_000;

/**
 * `baseline` and `restart` checked: the baseline is a server `{ url }` or an engine agentload
 * starts `{ engine }`; with a baseline, restart defaults to "pair".
 */
export function pairingOf(baseline: unknown, restart: unknown, where: string): { baseline?: TargetOverride; restartPerPair: boolean } {
  if (restart !== undefined && restart !== "pair" && restart !== "never") {
    throw new Error(`${where}: restart: expected "pair" or "never", got ${JSON.stringify(restart)}`);
  }
  if (baseline === undefined) return { restartPerPair: false };
  const v = baseline as { url?: unknown; engine?: unknown } | null;
  const restartPerPair = (restart ?? "pair") === "pair";
  if (typeof v === "object" && v !== null && typeof v.url === "string" && v.url.trim() !== "" && v.engine === undefined) return { baseline: { server: v as ServerOptions }, restartPerPair };
  if (typeof v === "object" && v !== null && typeof v.engine === "object" && v.engine !== null && !Array.isArray(v.engine) && v.url === undefined) return { baseline: { engine: v.engine as EngineOptions }, restartPerPair };
  throw new Error(`${where}: baseline: expected { url } naming the baseline server or { engine } for a built-in engine agentload starts, got ${JSON.stringify(baseline)}`);
}

/**
 * `repeats` checked: a whole number of runs, at least 1, or sequential bounds `{ min, max }`
 * (a baseline needed; min at least 3 pairs, as t(1) = 12.7 makes 2 pairs decide nothing).
 */
export function repeatsOf(value: unknown, hasBaseline: boolean, where: string): { min: number; max: number } {
  if (value === undefined) return { min: 1, max: 1 };
  if (typeof value === "number" && Number.isInteger(value) && value >= 1) return { min: value, max: value };
  const v = value as { min?: unknown; max?: unknown } | null;
  if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    const keys = Object.keys(v).filter((k) => k !== "min" && k !== "max");
    const whole = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x);
    if (keys.length === 0 && whole(v.min) && whole(v.max) && v.min >= 3 && v.max >= v.min) {
      if (!hasBaseline) throw new Error(`${where}: repeats: { min, max } stops pairs of runs against a baseline; give a baseline, or a whole number of repeats`);
      return { min: v.min, max: v.max };
    }
  }
  throw new Error(`${where}: repeats: expected a whole number of runs >= 1, or { min, max } with 3 <= min <= max pairs, got ${JSON.stringify(value)}`);
}

function splitOptions(options: DescribeWorkloadOptions) {
  const { spec, server, engine, timeout, catalogue, repeats, baseline, restart, compare, ...overrides } = options;
  return { spec, override: { ...(server ? { server } : {}), ...(engine ? { engine } : {}) }, timeout, catalogue, repeats, baseline, restart, compare, overrides };
}

/**
 * vitest 4's `vitest bench` runs neither tests nor hooks, and fails a file that registers nothing:
 * there a block of tests (describeWorkload, describeCapacity) registers a skipped block named with
 * the reason instead, which keeps a tests-only workload file valid (benchWorkload makes a workload
 * a bench task). True when it did.
 */
export function skippedUnderVitestBench(name: string, context: WorkloadContext): boolean {
  if (context.mode !== "benchmark") return false;
  describe.skip(`${name} (skipped under vitest bench, which runs no tests: its tests run under vitest run)`, () => {});
  return true;
}

/**
 * A describe block for one workload: runs it once before its tests and hands the run to `fn`
 * (readable inside tests). Each objective of the spec's slo section becomes a test.
 */
export function describeWorkload(name: string, options: DescribeWorkloadOptions, fn?: (run: WorkloadRun) => void): void {
  const where = `describeWorkload(${JSON.stringify(name)})`;
  const context = workloadContext(where);
  if (skippedUnderVitestBench(name, context)) return;
  const testFile = expect.getState().testPath ?? "";
  const { spec: source, override, timeout, catalogue, repeats: repeatOption, baseline: baselineOption, restart: restartOption, compare, overrides } = splitOptions(options);
  const { baseline: baselineOverride, restartPerPair } = pairingOf(baselineOption, restartOption, where);
  const bounds = repeatsOf(repeatOption, baselineOverride !== undefined, where);
  const sequential = bounds.max > bounds.min;
  if (compare !== undefined) {
    try {
      compareSettings(compare);
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  }

  describe(name, () => {
    const handle = lazyRun<WorkloadRun>(name);
    let result: RepeatedRunResult | undefined;
    let baselineResult: RepeatedRunResult | undefined;
    /** Set-up notes (tokenizer picked, template overhead, preflight), shown on the validity test. */
    const notes: string[] = [];
    let target: ResolvedTarget | undefined;
    let baselineTarget: ResolvedTarget | undefined;

    // The callback first: its session() templates are part of the spec. (Hooks apply to every
    // test of the block whenever they are declared.)
    const mine: Scope = { workload: name, sessions: [], result: () => result };
    const outer = scope;
    scope = mine;
    try {
      fn?.(handle.view);
    } finally {
      scope = outer;
    }
    const spec = assembleSpec({ name, ...(source !== undefined ? { spec: source } : {}), overrides, sessions: mine.sessions, testFile, ...(catalogue ? { catalogue } : {}) });

    beforeAll(async () => {
      target = await resolveTarget(context.server, spec, override, where, dirname(testFile));
      if (baselineOverride) baselineTarget = await resolveTarget(context.server, spec, baselineOverride, `${where}: baseline`, dirname(testFile));
      const runs: RunResult[] = [];
      const baselineRuns: RunResult[] = [];
      const baselineNotes: string[] = [];
      let restarts = 0;
      let decided = false;
      let repeats = 0;
      for (let i = 0; i < bounds.max; i++) {
        if (i > 0 && restartPerPair) {
          // Both sides stop before either starts again, so neither new process starts beside the
          // other's old one; which starts first alternates, pair by pair: in 9 of 10 offsets
          // measured between two processes of one build, the slower was the one started first.
          if (target.owned) await target.stop();
          if (baselineTarget!.owned) await baselineTarget!.stop();
          const startServer = async () => {
            if (target!.owned) target = await resolveTarget(context.server, spec, override, where, dirname(testFile));
          };
          const startBaseline = async () => {
            if (baselineTarget!.owned) baselineTarget = await resolveTarget(context.server, spec, baselineOverride!, `${where}: baseline`, dirname(testFile));
          };
          if (i % 2 === 0) await startServer().then(startBaseline);
          else await startBaseline().then(startServer);
          if (target.owned || baselineTarget!.owned) restarts++;
        }
        const own = async () => runs.push(await runOnce(name, spec, target!, context, testFile, catalogue, i === 0 ? notes : undefined));
        const base = async () => baselineRuns.push(await runOnce(`${name} (baseline)`, spec, baselineTarget!, context, testFile, catalogue, i === 0 ? baselineNotes : undefined));
        if (!baselineTarget) await own();
        else if (i % 2 === 0) await base().then(own);
        else await own().then(base);
        repeats = i + 1;
        if (sequential && repeats >= bounds.min) {
          // A run that is not valid ends the measurement: measurement valid says why.
          if (!runs[i]!.validity.valid || !baselineRuns[i]!.validity.valid) break;
          if (pairsDecided(baselineRuns.map((r) => r.summary.latency), runs.map((r) => r.summary.latency), compare)) {
            decided = true;
            break;
          }
        }
      }
      notes.push(...baselineNotes.map((n) => `baseline: ${n}`));
      if (restarts > 0) {
        const sides = [target.owned ? "the server's" : "", baselineTarget!.owned ? "the baseline's" : ""].filter(Boolean).join(" and ");
        const other = target.owned ? "the baseline" : "the server";
        const alone = target.owned && baselineTarget!.owned ? "" : `; ${other} is not an engine this workload started, so it kept one process for all pairs and an offset of that process is not averaged out (give it { engine } too)`;
        notes.push(`${sides} engine started afresh before each of the ${repeats} pairs of runs (restart: "pair"), the two started in alternating order${alone}`);
      }
      if (sequential) {
        const how = decided ? "every compared percentile's interval had decided" : repeats < bounds.max ? "a run was not valid" : `the most allowed; some interval had not decided (toMatchBaseline says which)`;
        notes.push(`sequential pairs: ${repeats} pairs run (repeats: { min: ${bounds.min}, max: ${bounds.max} }): ${how}`);
      }
      const objectives = resolveSlo(spec.slo, catalogue ?? defaultCatalogue);
      result = combineRepeats(runs, objectives, catalogue);
      const view = toWorkloadRun(name, result, environmentOf(target.server));
      if (baselineTarget) {
        baselineResult = combineRepeats(baselineRuns, objectives, catalogue);
        view.baseline = toWorkloadRun(`${name} (baseline)`, baselineResult, environmentOf(baselineTarget.server));
        if (sequential) view.sequential = { min: bounds.min, max: bounds.max, pairs: repeats, decided };
      }
      if (compare) view.compare = compare;
      handle.set(view);
      const { counts } = result.summary;
      const times = repeats > 1 ? ` over ${repeats} runs` : "";
      const folders = repeats > 1 ? `run folders ${result.dirs.join(", ")}` : `run folder ${result.dir}`;
      console.log(`agentload: ${name}: ${counts.requests} requests (${counts.failed} failed) in ${formatMs(result.summary.wallMs)}${times}; ${folders}`);
      if (baselineResult) {
        const b = baselineResult.summary.counts;
        console.log(`agentload: ${name}: baseline ${baselineTarget!.server.apiUrl}: ${b.requests} requests (${b.failed} failed), its runs interleaved with the server's; run folders ${baselineResult.dirs.join(", ")}`);
      }
    }, (timeout ?? context.runTimeoutMs) * bounds.max * (baselineOverride ? 2 : 1) + (restartPerPair ? bounds.max * ENGINE_RESTART_MS : 0));
    afterAll(async () => {
      await target?.stop();
      await baselineTarget?.stop();
    });

    const objectives = objectivesOf(spec.slo, catalogue);
    for (const objective of objectives) {
      test(`SLO ${objective.title}`, async (ctx) => {
        const run = result!;
        const verdict: SloVerdict | undefined = run.verdicts.find((v) => v.name === objective.name);
        if (!verdict) throw new Error(`${where}: the run has no verdict for ${objective.name}`);
        await annotate(ctx, objectiveProperties(verdict, run.summary));
        setMeta(ctx, { workload: name, runDir: run.dir, objective: verdict.name, measured: verdict.measured, limit: verdict.limit, pass: verdict.pass });
        if (!verdict.pass) throw new SloError(verdict.message);
      });
    }
    // Every workload: whether the run measured enough to be judged at all (no successful request,
    // too many failures, cut short). SLO tests of a run that is not valid say little; this one says why.
    test("measurement valid", async (ctx) => {
      const run = result!;
      await annotate(ctx, [
        ...headlineProperties(run.summary),
        { name: "valid", value: String(run.validity.valid) },
        ...run.validity.problems.map((p, i) => ({ name: `problem.${i + 1}`, value: p })),
        ...run.validity.warnings.map((w, i) => ({ name: `warning.${i + 1}`, value: w })),
        ...notes.map((n, i) => ({ name: `note.${i + 1}`, value: n })),
      ]);
      // Shown under the workload in the default reporter too, not only in JUnit properties.
      for (const line of [...run.validity.warnings.map((w) => `warning: ${w}`), ...notes.map((n) => `note: ${n}`)]) console.log(`agentload: ${name}: ${line}`);
      setMeta(ctx, { workload: name, runDir: run.dir });
      if (!run.validity.valid) throw new ValidityError(`${name}: the run is not valid: ${run.validity.problems.join("; ")} (run folder ${run.dir})`);
      // The baseline's runs are half of the measurement: a comparison with a broken baseline says nothing.
      if (baselineResult && !baselineResult.validity.valid) {
        throw new ValidityError(`${name}: the baseline's runs are not valid: ${baselineResult.validity.problems.join("; ")} (run folders ${baselineResult.dirs.join(", ")})`);
      }
    });
  });
}

/**
 * One test per objective, inside describeWorkload: `fn` reads the run (from the callback's
 * argument); the run's headline metrics are attached to the test (JUnit properties).
 */
export function slo(name: string, fn: (context: TestContext) => unknown, timeout?: number): void {
  const mine = currentScope(`slo(${JSON.stringify(name)})`);
  test(
    name,
    async (ctx) => {
      const run = mine.result();
      if (run) {
        await annotate(ctx, headlineProperties(run.summary));
        setMeta(ctx, { workload: mine.workload, runDir: run.dir });
      }
      await fn(ctx);
    },
    timeout,
  );
}

/**
 * A session template (an agent type of the workload), inside describeWorkload: the options are a
 * YAML spec's `agents[]` entry without its name. Returns the agent spec.
 */
export function session(name: string, options: Omit<AgentSpec, "name">): AgentSpec {
  const mine = currentScope(`session(${JSON.stringify(name)})`);
  const spec = agent(name, options);
  mine.sessions.push(spec);
  return spec;
}

/**
 * A workload as a bench task. vitest 5, in a bench file: a test whose bench runs the workload
 * through agentload's provider (per-request distributions). vitest 4 under `vitest bench`: each
 * iteration is one whole run, timed as a whole (its content set-up against the server included).
 * Otherwise (`vitest run`, a workload file) it runs once as a smoke test.
 */
export function benchWorkload(name: string, options: BenchWorkloadOptions): void {
  const where = `benchWorkload(${JSON.stringify(name)})`;
  const context = workloadContext(where);
  const testFile = expect.getState().testPath ?? "";
  const { iterations, ...rest } = options;
  if (context.benchProject) {
    const { server, engine, timeout: _timeout, catalogue: _catalogue, ...taskOptions } = rest as DescribeWorkloadOptions;
    const task = workloadTask({ name, ...taskOptions, ...(server ? { server } : {}), ...(engine ? { engine } : {}) });
    test(name, async (ctx) => {
      const fixture = (ctx as unknown as { bench?: (name: string, fn: () => Promise<void>) => { run(): Promise<unknown> } }).bench;
      if (!fixture) throw new Error(`${where}: this vitest has no bench fixture in the test context (vitest 5 is needed)`);
      await fixture(name, task).run();
    });
    return;
  }
  const { spec: source, override, overrides } = splitOptions(rest);
  const spec = assembleSpec({ name, ...(source !== undefined ? { spec: source } : {}), overrides, testFile });
  if (context.mode !== "benchmark" || !topLevelBench) {
    // Under vitest run the bench task runs once as a smoke test, so a broken bench fails there too.
    test(
      `${name} (bench task: one smoke run)`,
      async () => {
        const smokeTarget = await resolveTarget(context.server, spec, override, where, dirname(testFile));
        try {
          const result = await runOnce(name, spec, smokeTarget, context, testFile);
          expect(result.summary.counts.failed, `failed requests (run folder ${result.dir})`).toBe(0);
          expect(result.summary.counts.ok).toBeGreaterThan(0);
        } finally {
          await smokeTarget.stop();
        }
      },
      context.runTimeoutMs,
    );
    return;
  }
  let target: ResolvedTarget | undefined;
  topLevelBench(
    name,
    async () => {
      const result = await runOnce(name, spec, target!, context, testFile);
      if (result.summary.counts.ok === 0) throw new Error(`${where}: no request succeeded (run folder ${result.dir})`);
    },
    {
      iterations: iterations ?? 3,
      time: 0,
      warmupIterations: 0,
      warmupTime: 0,
      throws: true,
      setup: async (_task: unknown, mode: string) => {
        if (mode === "run") target = await resolveTarget(context.server, spec, override, where, dirname(testFile));
      },
      teardown: async (_task: unknown, mode: string) => {
        if (mode === "run") await target?.stop();
      },
    },
  );
}
