// Metric snapshots: a run's histograms kept as a baseline in `__metrics__/<test file>.json` next
// to the test file, one entry per snapshot key (test name and counter, as vitest keys its own
// snapshots), and later runs compared with them statistically (metrics/compare.ts). Whole
// histograms are kept, not a few percentiles, so any percentile or test can be judged later.
// The file's layout (statistics apart from the histogram payloads, version 1 still read) is
// metric-snapshot-file.ts; obsolete entries and the run's counts are snapshot-tracker.ts (in the
// worker) and snapshot-reporter.ts (the line after the run).
//
// Node-only (node:fs, node:os); Bun and Deno provide both.
import path from "node:path";
import { compareHistograms, type CompareOptions, type HistogramComparison } from "../metrics/compare.js";
import { compareRepeats, MIN_REPEATS, type RepeatStats } from "../metrics/compare-repeats.js";
import type { RunCounts, RunSummary, ThroughputSummary } from "../metrics/summary.js";
import type { WorkloadFingerprint } from "../run/fingerprint.js";
import { hostEnvironment, type HostEnvironment } from "../run/run-metadata.js";

export { hostEnvironment, type HostEnvironment };
import { readMetricSnapshotFile, writeMetricSnapshotEntry } from "./metric-snapshot-file.js";
import type { ServerEnvironment, WorkloadRun } from "./run-view.js";

export {
  METRIC_SNAPSHOT_VERSION,
  formatMetricSnapshotFile,
  readMetricSnapshotFile,
  removeMetricSnapshotEntries,
  writeMetricSnapshotEntry,
  type MetricSnapshotFile,
} from "./metric-snapshot-file.js";
export const METRIC_SNAPSHOT_DIR = "__metrics__";
/** Where vitest 5 bench results keep their baselines (vitest's own bench files live beside them). */
export const BENCH_SNAPSHOT_DIR = "__benchmarks__";

export interface MetricSnapshotEntry {
  workload: string;
  /** What was run: a baseline of another workload is not compared with this one. */
  fingerprint?: WorkloadFingerprint;
  /** ISO time the baseline was taken. */
  savedAt: string;
  environment: { server: ServerEnvironment; host: HostEnvironment };
  wallMs: number;
  counts: RunCounts;
  errorRate: number;
  throughput: ThroughputSummary;
  /** The statistics to read in a review (ms, rounded to the µs); the histograms below are what is compared. */
  latency: RunSummary["latency"];
  /** With `repeats: N`: each run's statistics, compared across runs (metrics/compare-repeats.ts). */
  repeats?: RepeatStats[];
  /** Stored apart, in the file's `histograms` section (metric-snapshot-file.ts). */
  histograms: RunSummary["histograms"];
}

/** `benchmarks/coding.workload.ts` -> `benchmarks/__metrics__/coding.workload.ts.json`. */
export function metricSnapshotPath(testFile: string, dir: string = METRIC_SNAPSHOT_DIR): string {
  return path.join(path.dirname(testFile), dir, `${path.basename(testFile)}.json`);
}

/** Numbers a reviewer reads: three decimals (µs for milliseconds), no long float tails in diffs. */
function rounded<T>(value: T): T {
  if (typeof value === "number") return (Number.isFinite(value) ? Math.round(value * 1000) / 1000 : value) as T;
  if (Array.isArray(value)) return value.map(rounded) as T;
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v)])) as T;
  return value;
}

export function snapshotEntryOf(run: SnapshotSource, options: { savedAt?: Date; host?: HostEnvironment } = {}): MetricSnapshotEntry {
  const s = run.summary;
  return {
    workload: run.name,
    ...(run.fingerprint ? { fingerprint: run.fingerprint } : {}),
    savedAt: (options.savedAt ?? new Date()).toISOString(),
    environment: { server: { ...run.environment }, host: options.host ?? hostEnvironment() },
    wallMs: rounded(s.wallMs),
    counts: s.counts,
    errorRate: rounded(s.errors.rate),
    throughput: rounded(s.throughput),
    latency: rounded(s.latency),
    ...(run.repeats ? { repeats: rounded(run.repeats) } : {}),
    histograms: s.histograms,
  };
}

/** vitest's snapshot update setting: "all" with -u, "new" by default, "none" in CI. */
export type SnapshotUpdateMode = "all" | "new" | "none";

/** What a snapshot keeps of a run. */
export type SnapshotSource = Pick<WorkloadRun, "name" | "summary" | "environment" | "fingerprint" | "repeats">;

export interface MetricSnapshotRequest {
  testFile: string;
  key: string;
  run: SnapshotSource;
  /** The folder beside the test file (default __metrics__; bench results: __benchmarks__). */
  dir?: string;
  update: SnapshotUpdateMode;
  /** process.env.CI is set: a missing snapshot fails unless update is "all". */
  ci: boolean;
  compare?: CompareOptions;
  /**
   * A percentile that cannot be compared (too few values, a metric the baseline lacks) passes
   * instead of failing as inconclusive (default false: a snapshot that compared nothing fails).
   */
  allowInconclusive?: boolean;
  /** For tests. */
  savedAt?: Date;
  host?: HostEnvironment;
}

export type MetricSnapshotOutcome = "written" | "updated" | "matched" | "regressed" | "inconclusive" | "different-workload" | "missing";

export interface MetricSnapshotCheck {
  outcome: MetricSnapshotOutcome;
  pass: boolean;
  file: string;
  key: string;
  comparison?: HistogramComparison;
  /** `model: a -> b`, where the baseline was measured differently. */
  environmentChanges: string[];
  message: string;
}

/** Writes, rewrites or compares the run's snapshot entry, as the update mode says. */
export function checkMetricSnapshot(req: MetricSnapshotRequest): MetricSnapshotCheck {
  const file = metricSnapshotPath(req.testFile, req.dir);
  const shown = path.relative(process.cwd(), file) || file;
  const name = JSON.stringify(req.key);
  const entryNow = () => snapshotEntryOf(req.run, { ...(req.savedAt ? { savedAt: req.savedAt } : {}), ...(req.host ? { host: req.host } : {}) });
  const baseline = readMetricSnapshotFile(file).entries[req.key];
  const done = (outcome: MetricSnapshotOutcome, pass: boolean, message: string, extra: Partial<MetricSnapshotCheck> = {}): MetricSnapshotCheck => ({
    outcome,
    pass,
    file,
    key: req.key,
    environmentChanges: [],
    message,
    ...extra,
  });

  if (!baseline) {
    if (req.update !== "all" && (req.update === "none" || req.ci)) {
      const why = req.ci ? "CI is set" : "snapshot updates are off";
      return done("missing", false, `missing metric snapshot ${name} in ${shown}: run vitest -u to write it (${why}, so it was not written)`);
    }
    writeMetricSnapshotEntry(file, req.key, entryNow());
    return done("written", true, `metric snapshot ${name} written to ${shown}`);
  }
  // -u rewrites an entry only when it would fail: a passing one stays byte for byte.
  const rewrite = (why: string): MetricSnapshotCheck => {
    writeMetricSnapshotEntry(file, req.key, entryNow());
    return done("updated", true, `metric snapshot ${name} updated in ${shown} (${why})`);
  };

  const was = baseline.fingerprint;
  const now = req.run.fingerprint;
  if (was && now && (was.spec !== now.spec || was.sessions !== now.sessions)) {
    if (req.update === "all") return rewrite("the workload changed");
    const what = was.spec !== now.spec ? `spec ${was.spec} -> ${now.spec}` : `sessions ${was.sessions} -> ${now.sessions}`;
    return done(
      "different-workload",
      false,
      `metric snapshot ${name} (${shown}) is for a different workload (${what}): not compared; update it with vitest -u once the new workload is what you want to measure`,
    );
  }

  let comparison: HistogramComparison;
  try {
    comparison = compareEntry(baseline, req.run, req.compare);
  } catch (e) {
    throw new Error(`${shown}: entries[${name}]: ${(e as Error).message}`);
  }
  const current = { server: { ...req.run.environment }, host: req.host ?? hostEnvironment() };
  const environmentChanges = environmentDiff(baseline.environment, current);
  const failed = comparison.comparisons.filter((c) => !c.pass);
  const uncompared = req.allowInconclusive ? [] : comparison.skipped;
  // A snapshot that compared nothing at all never passes, allowInconclusive or not.
  const nothing = comparison.comparisons.length === 0;
  const outcome: MetricSnapshotOutcome = failed.length > 0 ? "regressed" : uncompared.length > 0 || nothing ? "inconclusive" : "matched";
  if (outcome !== "matched" && req.update === "all") return rewrite(outcome === "regressed" ? "it had regressed" : "it compared too little");
  const head =
    outcome === "matched"
      ? `metric snapshot ${name} (${shown}) matches the baseline of ${baseline.savedAt}`
      : outcome === "regressed"
        ? `metric snapshot ${name} (${shown}): ${failed.length} of ${comparison.comparisons.length} percentiles changed beyond the allowed effect against the baseline of ${baseline.savedAt}`
        : nothing
          ? `metric snapshot ${name} (${shown}): inconclusive, no percentile could be compared (measure more requests, or compare lower percentiles or other metrics)`
          : `metric snapshot ${name} (${shown}): inconclusive, ${uncompared.length} of ${uncompared.length + comparison.comparisons.length} percentiles could not be compared (measure more requests, compare fewer or lower percentiles, or pass allowInconclusive: true)`;
  const lines = [head, ...comparison.lines.map((l) => `  ${l}`)];
  if (environmentChanges.length > 0) lines.push(`  note: measured differently from the baseline: ${environmentChanges.join(", ")}`);
  if (outcome === "regressed") lines.push("  (rerun with vitest -u to accept the new numbers)");
  return done(outcome, outcome === "matched", lines.join("\n"), { comparison, environmentChanges });
}

/**
 * Across runs when both sides have repeats (run-to-run variance in the interval); otherwise the
 * requests of the pooled histograms, saying so when only one side had repeats.
 */
function compareEntry(baseline: MetricSnapshotEntry, run: SnapshotSource, options: CompareOptions | undefined): HistogramComparison {
  const before = baseline.repeats?.length ?? 1;
  const now = run.repeats?.length ?? 1;
  if (before >= MIN_REPEATS && now >= MIN_REPEATS) return compareRepeats(baseline.repeats!, run.repeats!, options);
  const comparison = compareHistograms(baseline.histograms, run.summary.histograms, options);
  if (before !== now) {
    comparison.lines.push(`- runs: baseline ${before}, new ${now}: judged on the pooled requests (within-run sampling only); take both with the same repeats to judge across runs`);
  }
  return comparison;
}

export function environmentDiff(before: MetricSnapshotEntry["environment"] | undefined, after: MetricSnapshotEntry["environment"]): string[] {
  const changes: string[] = [];
  const diff = (a: object | undefined, b: object) => {
    const x = (a ?? {}) as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (x[k] !== y[k]) changes.push(`${k} ${String(x[k] ?? "unknown")} -> ${String(y[k] ?? "unknown")}`);
    }
  };
  diff(before?.server, after.server);
  diff(before?.host, after.host);
  return changes;
}
