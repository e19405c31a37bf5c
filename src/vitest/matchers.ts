// The workload matchers, installed with expect.extend:
//   expect(run.ttfc).toHavePercentileBelow(95, "750ms")
//   expect(run).toMeetSLO({ ttfc: { p95: "750ms" }, errorRate: { max: 0.02 } })
//   expect(run).toMatchMetricSnapshot({ minEffect: 0.25 })
//   expect(run).toMatchBaseline({ minEffect: 0.1 })
//   expect(capacity).toSustain({ rho: 5 })
//   expect(capacity).toMatchMetricSnapshot()   (the frontier: capacity-snapshot.ts)
// Failure messages read like k6 thresholds: the metric, the limit, the measured value.
import type { MatcherState, MatcherResult as ExpectationResult } from "vitest";
import type { CompareOptions } from "../metrics/compare.js";
import { formatMs } from "../metrics/format.js";
import type { LatencyHistogram } from "../stats/histogram.js";
import { catalogueOfSummary, defaultCatalogue } from "../metrics/catalogue.js";
import { evaluateSlos, resolveSlo, type Objective } from "../metrics/slo.js";
import type { RunSummary } from "../metrics/summary.js";
import { parseDuration } from "../stats/units.js";
import type { Duration, SloSpec } from "../workload/spec-types.js";
import { isJudgeable, judgeBench, type BenchJudgeOptions } from "./bench-compare.js";
import type { WorkloadBenchResult } from "./bench-task.js";
import { BENCH_SNAPSHOT_DIR, checkMetricSnapshot, METRIC_SNAPSHOT_DIR, metricSnapshotPath, type SnapshotSource, type SnapshotUpdateMode } from "./metric-snapshot.js";
import { environmentOf, isMetricView, isRunSummary, isWorkloadRun, type WorkloadRun } from "./run-view.js";
import { judgeAgainstBaseline, type BaselineOptions } from "./baseline-compare.js";
import { noteSnapshotChecked, noteSnapshotOutcome } from "./snapshot-tracker.js";
import { isCapacityResult, judgeSustain, type CapacityResultView } from "./capacity-judge.js";
import { capacitySnapshotPath, checkCapacitySnapshot } from "./capacity-snapshot.js";
import type { LoadDimension } from "../search/load.js";

/** An SLO as a spec's `slo:` states it: any catalogue metric (durations as "750ms", "1.5s" or milliseconds). */
export type SloObjectives = SloSpec;

export interface MetricSnapshotOptions extends CompareOptions {
  /** Told apart from other snapshots of the same test, like toMatchSnapshot's hint. */
  name?: string;
  /** Let a percentile that cannot be compared (too few values) pass instead of failing as inconclusive. */
  allowInconclusive?: boolean;
}

export interface AgentloadMatchers<R = unknown> {
  /** The metric's percentile (0..100] is strictly below the limit ("750ms", "1.5s" or ms). */
  toHavePercentileBelow(percentile: number, limit: Duration): R;
  /** Every objective holds, judged like a spec's `slo:` (see evaluateSlos). */
  toMeetSLO(slo: SloObjectives): R;
  /**
   * Not slower than the stored baseline beyond the minimum effect (written when missing): a
   * workload run's in __metrics__/, a bench result's (vitest 5) in __benchmarks__/. A
   * describeCapacity result keeps its frontier in __capacity__/ and fails only when the search
   * failed at a load the baseline held, less minEffect (default 0.25).
   */
  toMatchMetricSnapshot(options?: MetricSnapshotOptions): R;
  /**
   * Not slower than the baseline server measured in the same run (describeWorkload's `baseline`
   * and `repeats`), judged pair by pair of interleaved runs; an inconclusive comparison fails.
   * Options default to describeWorkload's `compare`.
   */
  toMatchBaseline(options?: BaselineOptions): R;
  /**
   * vitest 5 bench results of agentload's provider: faster than `expected` by at least delta on
   * the registration's metric and percentile, judged with a confidence interval; an inconclusive
   * comparison fails. Other results: vitest's own rule (mean latency).
   */
  toBeFasterThan(expected: object, options?: BenchJudgeOptions): R;
  /** As toBeFasterThan, the other way. */
  toBeSlowerThan(expected: object, options?: BenchJudgeOptions): R;
  /**
   * describeCapacity's search showed this load healthy: `{ rho: 5 }` (the key is the searched
   * axis). A load the search did not decide (inside its last bracket, or beyond its points) fails
   * as inconclusive.
   */
  toSustain(load: Partial<Record<LoadDimension, number>>): R;
}

// The matchers join vitest's Assertion through chai's global Assertion interface, which vitest's
// Assertion maps member by member in both majors. vitest's own Assertion cannot be augmented
// once for both: its type parameters changed from <T> (vitest 4) to <R, T> (vitest 5), and every
// declaration of an interface must repeat them exactly.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Chai {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Assertion extends AgentloadMatchers<void> {}
  }
}

/** The parts of vitest's matcher state read here; all optional so a test can call a matcher directly. */
type State = Partial<MatcherState> & {
  snapshotState?: { snapshotUpdateState?: SnapshotUpdateMode };
  task?: { id: string; result?: { retryCount?: number; repeatCount?: number } };
};

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return `an object with keys ${Object.keys(value).slice(0, 6).join(", ") || "(none)"}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

function durationArg(matcher: string, value: unknown, what: string): number {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === "string") {
    try {
      return parseDuration(value);
    } catch {
      // reported below
    }
  }
  throw new TypeError(`${matcher}: ${what} must be a duration such as "750ms", "1.5s" or a number of milliseconds, got ${describeValue(value)}`);
}

// -------------------------------------------------------------------------------------------
// toHavePercentileBelow

function toHavePercentileBelow(this: State, received: unknown, percentile: unknown, limit: unknown): ExpectationResult {
  const matcher = "toHavePercentileBelow";
  let name: string;
  let histogram: Pick<LatencyHistogram, "count" | "percentile">;
  if (isMetricView(received)) {
    name = received.name;
    histogram = received.histogram;
  } else if (typeof (received as LatencyHistogram | null)?.percentile === "function" && typeof (received as LatencyHistogram).count === "number") {
    name = "value";
    histogram = received as LatencyHistogram;
  } else {
    throw new TypeError(`${matcher}: expected a run metric such as run.ttfc (or a LatencyHistogram), got ${describeValue(received)}`);
  }
  if (!(typeof percentile === "number" && percentile > 0 && percentile <= 100)) {
    throw new TypeError(`${matcher}: the percentile must be a number in (0, 100], e.g. 95, got ${describeValue(percentile)}`);
  }
  const limitMs = durationArg(matcher, limit, "the limit");
  const measured = histogram.count > 0 ? histogram.percentile(percentile) : null;
  const pass = measured !== null && measured < limitMs;
  const shown = measured === null ? "no measurements" : `measured ${formatMs(measured)}`;
  const line = `${name} p${percentile} < ${formatMs(limitMs)}: ${shown}`;
  return {
    pass,
    message: () => (this.isNot ? `expected ${name} p${percentile} not to be below ${formatMs(limitMs)}: ${shown}` : line),
  };
}

// -------------------------------------------------------------------------------------------
// toMeetSLO

/**
 * The matcher's SLO, checked against the metrics the run measured (the catalogue, plus any metric
 * its histograms hold): the same resolution a spec's `slo:` gets.
 */
export function resolveSloObjectives(slo: unknown, summary?: Pick<RunSummary, "histograms">, matcher = "toMeetSLO"): Objective[] {
  if (typeof slo !== "object" || slo === null || Array.isArray(slo)) {
    throw new TypeError(`${matcher}: expected an SLO object such as { ttfc: { p95: "750ms" }, errorRate: { max: 0.02 } }, got ${describeValue(slo)}`);
  }
  try {
    return resolveSlo(slo, summary ? catalogueOfSummary(summary) : defaultCatalogue, "slo");
  } catch (e) {
    throw new TypeError(`${matcher}: ${(e as Error).message}`);
  }
}

/** The summary and display name of what toMeetSLO was given: a WorkloadRun, a RunResult or a RunSummary. */
function summaryOf(received: unknown, matcher: string): { name: string; summary: RunSummary } {
  if (isWorkloadRun(received)) return { name: received.name, summary: received.summary };
  const r = received as { summary?: unknown } | null;
  if (typeof r === "object" && r !== null && isRunSummary(r.summary)) return { name: "run", summary: r.summary };
  if (isRunSummary(received)) return { name: "run", summary: received };
  throw new TypeError(`${matcher}: expected a workload run (or a RunResult or RunSummary), got ${describeValue(received)}`);
}

function toMeetSLO(this: State, received: unknown, slo: unknown): ExpectationResult {
  const matcher = "toMeetSLO";
  const { name, summary } = summaryOf(received, matcher);
  const catalogue = catalogueOfSummary(summary);
  const verdicts = evaluateSlos(resolveSloObjectives(slo, summary, matcher), summary, catalogue);
  if (verdicts.length === 0) throw new TypeError(`${matcher}: the SLO names no objective`);
  const failed = verdicts.filter((v) => !v.pass);
  const lines = verdicts.map((v) => `  ${v.message}`).join("\n");
  return {
    pass: failed.length === 0,
    message: () =>
      this.isNot
        ? `expected ${name} not to meet the SLO, but all ${verdicts.length} objectives held:\n${lines}`
        : `${name}: ${failed.length} of ${verdicts.length} SLO objectives failed:\n${lines}`,
  };
}

// -------------------------------------------------------------------------------------------
// toMatchMetricSnapshot

type Counters = Map<string, { attempt: string; count: number }>;
const countersByScope = new WeakMap<object, Counters>();
const fileScopes = new Map<string, object>();

/**
 * `<test name> 1`, `<test name> 2`, ... per call within one try of a test, as vitest numbers its
 * snapshots; the count restarts when the test is retried or repeated. Counters live with vitest's
 * snapshot state for the file (a fresh one each run), else with the test file.
 */
function nextSnapshotKey(state: State, testFile: string, testName: string, hint: string | undefined): string {
  let scope: object | undefined = state.snapshotState;
  if (!scope) {
    scope = fileScopes.get(testFile) ?? {};
    fileScopes.set(testFile, scope);
  }
  let counters = countersByScope.get(scope);
  if (!counters) countersByScope.set(scope, (counters = new Map()));
  const base = hint ? `${testName}: ${hint}` : testName;
  const task = state.task;
  const attempt = task ? `${task.id}/${task.result?.retryCount ?? 0}/${task.result?.repeatCount ?? 0}` : "";
  const seen = counters.get(base);
  const count = seen && seen.attempt === attempt ? seen.count + 1 : 1;
  counters.set(base, { attempt, count });
  return `${base} ${count}`;
}

/** As vitest (std-env) reads it: set and not "false". */
function isCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== "" && ci !== "false";
}

/** A vitest 5 bench result of agentload's provider. */
function isWorkloadBenchResult(value: unknown): value is WorkloadBenchResult {
  const v = value as Partial<WorkloadBenchResult> | null;
  return typeof v === "object" && v !== null && typeof v.name === "string" && isRunSummary(v.agentload?.summary);
}

function toMatchMetricSnapshot(this: State, received: unknown, options?: MetricSnapshotOptions): ExpectationResult {
  const matcher = "toMatchMetricSnapshot";
  if (this.isNot) throw new TypeError(`${matcher} cannot be used with .not`);
  if (isCapacityResult(received)) return capacitySnapshot(this, received, options);
  const bench = isWorkloadBenchResult(received);
  if (!bench && !isWorkloadRun(received)) {
    throw new TypeError(`${matcher}: expected a workload run (from describeWorkload) or a bench result (from bench(name, workloadTask(...)).run()), got ${describeValue(received)}`);
  }
  if (bench && !received.agentload.validity.valid) {
    throw new Error(`${matcher}: ${JSON.stringify(received.name)} is not a valid run, so it is neither stored nor compared: ${received.agentload.validity.problems.join("; ")}`);
  }
  // A run that measured too little (see its "measurement valid" test) is neither a baseline nor a
  // measurement to compare: writing it would make every later run look fine or broken against it.
  const validity = bench ? undefined : (received as WorkloadRun).result?.validity;
  if (validity && !validity.valid) {
    return { pass: false, message: () => `${matcher}: ${JSON.stringify((received as WorkloadRun).name)} is not a valid run, so it is neither stored nor compared: ${validity.problems.join("; ")}` };
  }
  const run: SnapshotSource = bench
    ? { name: received.name, summary: received.agentload.summary, environment: environmentOf(received.agentload.server), fingerprint: received.agentload.fingerprint }
    : (received as WorkloadRun);
  const testFile = this.testPath;
  const testName = this.currentTestName;
  if (!testFile || !testName) throw new Error(`${matcher}: must be called inside a test (no test file or test name in the matcher context)`);
  const { name, allowInconclusive, ...compare } = options ?? {};
  const key = nextSnapshotKey(this, testFile, testName, name);
  const update: SnapshotUpdateMode = this.snapshotState?.snapshotUpdateState ?? (isCI() ? "none" : "new");
  const dir = bench ? BENCH_SNAPSHOT_DIR : METRIC_SNAPSHOT_DIR;
  // Noted before the check, so that an entry whose check throws is not taken for obsolete.
  noteSnapshotChecked(metricSnapshotPath(testFile, dir), key);
  const check = checkMetricSnapshot({ testFile, key, run, update, ci: isCI(), compare, allowInconclusive: allowInconclusive === true, dir });
  noteSnapshotOutcome(check.file, check.outcome);
  return {
    pass: check.pass,
    message: () => check.message,
  };
}

/** toMatchMetricSnapshot of a describeCapacity result: its frontier against the stored one. */
function capacitySnapshot(state: State, received: CapacityResultView, options: MetricSnapshotOptions | undefined): ExpectationResult {
  const matcher = "toMatchMetricSnapshot";
  const { name, minEffect, ...rest } = options ?? {};
  const other = Object.keys(rest);
  if (other.length > 0) throw new TypeError(`${matcher}: a capacity snapshot compares frontiers, so it takes name and minEffect only, got ${other.join(", ")}`);
  if (minEffect !== undefined && !(typeof minEffect === "number" && minEffect >= 0 && minEffect < 1)) {
    throw new TypeError(`${matcher}: a capacity snapshot's minEffect is one fraction in [0, 1) (a drop of the frontier), got ${describeValue(minEffect)}`);
  }
  const testFile = state.testPath;
  const testName = state.currentTestName;
  if (!testFile || !testName) throw new Error(`${matcher}: must be called inside a test (no test file or test name in the matcher context)`);
  const key = nextSnapshotKey(state, testFile, testName, name);
  const update: SnapshotUpdateMode = state.snapshotState?.snapshotUpdateState ?? (isCI() ? "none" : "new");
  noteSnapshotChecked(capacitySnapshotPath(testFile), key);
  const check = checkCapacitySnapshot({ testFile, key, capacity: received, update, ci: isCI(), ...(minEffect !== undefined ? { minEffect } : {}) });
  noteSnapshotOutcome(check.file, check.outcome);
  return { pass: check.pass, message: () => check.message };
}

function toMatchBaseline(this: State, received: unknown, options?: BaselineOptions): ExpectationResult {
  const matcher = "toMatchBaseline";
  if (this.isNot) throw new TypeError(`${matcher} cannot be used with .not`);
  if (!isWorkloadRun(received)) throw new TypeError(`${matcher}: expected a workload run (from describeWorkload), got ${describeValue(received)}`);
  // The workload's `compare` (what stopped sequential pairs) unless the matcher says otherwise.
  const judgement = judgeAgainstBaseline(received, { ...received.compare, ...options });
  return { pass: judgement.pass, message: () => judgement.message };
}

function toSustain(this: State, received: unknown, load: unknown): ExpectationResult {
  const matcher = "toSustain";
  if (this.isNot) throw new TypeError(`${matcher} cannot be used with .not (an undecided load would pass it)`);
  if (!isCapacityResult(received)) throw new TypeError(`${matcher}: expected a capacity result (from describeCapacity), got ${describeValue(received)}`);
  const entries = typeof load === "object" && load !== null ? Object.entries(load) : [];
  if (entries.length !== 1 || typeof entries[0]![1] !== "number" || !(entries[0]![1] > 0)) {
    throw new TypeError(`${matcher}: expected one load on the searched axis, such as { ${received.over}: 5 }, got ${describeValue(load)}`);
  }
  const [axis, value] = entries[0]! as [string, number];
  if (axis !== received.over) throw new TypeError(`${matcher}: ${JSON.stringify(received.name)} searched ${received.over}, not ${axis}: give { ${received.over}: ${value} }`);
  const verdict = judgeSustain(received, value);
  return { pass: verdict.outcome === "sustained", message: () => verdict.message };
}

// -------------------------------------------------------------------------------------------
// toBeFasterThan / toBeSlowerThan (vitest 5's bench matchers, judged with intervals for agentload results)

/** vitest 5's own rule, for results agentload did not measure: mean latency beyond delta. */
function plainBenchJudgement(actual: unknown, expected: unknown, direction: "faster" | "slower", delta: number, matcher: string): { pass: boolean; message: string } {
  const mean = (v: unknown, what: string): number => {
    const m = (v as { latency?: { mean?: unknown } } | null)?.latency?.mean;
    if (typeof m !== "number") throw new TypeError(`${matcher}: expected ${what} to be a benchmark result (with latency.mean), got ${describeValue(v)}`);
    return m;
  };
  const a = mean(actual, "the received value");
  const b = mean(expected, "the expected value");
  const pass = direction === "faster" ? a < b * (1 - delta) : a > b * (1 + delta);
  const change = b > 0 ? ((a - b) / b) * 100 : 0;
  return { pass, message: `mean latency ${a.toFixed(4)}ms vs ${b.toFixed(4)}ms (${change >= 0 ? "+" : ""}${change.toFixed(2)}%); expected ${direction}${delta > 0 ? ` by at least ${(delta * 100).toFixed(0)}%` : ""}` };
}

function benchMatcher(direction: "faster" | "slower") {
  const matcher = direction === "faster" ? "toBeFasterThan" : "toBeSlowerThan";
  return function (this: State, received: unknown, expected: unknown, options?: BenchJudgeOptions): ExpectationResult {
    if (options !== undefined && (typeof options !== "object" || options === null)) throw new TypeError(`${matcher}: options must be an object such as { delta: 0.1 }, got ${describeValue(options)}`);
    if (isJudgeable(received) && isJudgeable(expected)) {
      const judgement = judgeBench(received, expected, direction, options);
      // Inconclusive is a failure whichever way the assertion is put: it is not a verdict.
      if (judgement.outcome === "inconclusive") throw new Error(`${matcher}: ${judgement.message}`);
      const pass = judgement.outcome === "yes";
      return { pass, message: () => `${this.isNot ? `expected not to be ${direction}` : `expected to be ${direction}`}: ${judgement.message}` };
    }
    const plain = plainBenchJudgement(received, expected, direction, options?.delta ?? 0, matcher);
    return { pass: plain.pass, message: () => `${this.isNot ? "not " : ""}${matcher}: ${plain.message}` };
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- matcher arguments are checked at run time
export const agentloadMatchers: Record<string, (this: MatcherState, received: unknown, ...args: any[]) => ExpectationResult> = {
  toHavePercentileBelow,
  toMeetSLO,
  toMatchMetricSnapshot,
  toMatchBaseline,
  toSustain,
  toBeFasterThan: benchMatcher("faster"),
  toBeSlowerThan: benchMatcher("slower"),
};

/** expect.extend(agentloadMatchers). */
export function installMatchers(expect: { extend(matchers: object): void }): void {
  expect.extend(agentloadMatchers);
}
