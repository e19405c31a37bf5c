// A workload run several times back to back (`repeats: N`), seen as one measurement: the runs'
// requests pooled for the SLOs and the headline figures, and each run's own statistics kept
// apart, so a comparison with a baseline can judge by the spread between whole runs
// (metrics/compare-repeats.ts) instead of by within-run sampling alone. Each run has its own
// content salt (run.ts), so a later run never hits the prefix cache an earlier one filled.
import { mergeRunSummaries } from "../metrics/merge.js";
import { evaluateSlos, type Objective } from "../metrics/slo.js";
import type { MetricCatalogue } from "../metrics/catalogue.js";
import type { RunSummary } from "../metrics/summary.js";
import type { RunResult } from "./run.js";

export interface RepeatedRunResult extends RunResult {
  /** Each run's summary, in the order they ran. */
  repeats: RunSummary[];
  /** Each run's folder. */
  dirs: string[];
}

/** The runs of one workload as one result: pooled summary, SLOs judged on it, valid only when every run is. */
export function combineRepeats(results: readonly RunResult[], objectives: readonly Objective[], catalogue?: MetricCatalogue): RepeatedRunResult {
  const first = results[0];
  if (!first) throw new Error("combineRepeats: no runs");
  const summary = mergeRunSummaries(results.map((r) => r.summary));
  const verdicts = results.length === 1 ? first.verdicts : evaluateSlos(objectives, summary, catalogue);
  // A problem of any run is the measurement's problem; it says which run.
  const label = (i: number, line: string) => (results.length === 1 ? line : `run ${i + 1} of ${results.length}: ${line}`);
  const problems = results.flatMap((r, i) => r.validity.problems.map((p) => label(i, p)));
  const warnings = results.flatMap((r, i) => r.validity.warnings.map((w) => label(i, w)));
  const fingerprints = new Set(results.map((r) => JSON.stringify(r.fingerprint ?? null)));
  if (fingerprints.size > 1) problems.push("the runs did not run the same workload (their fingerprints differ)");
  return {
    dir: first.dir,
    dirs: results.map((r) => r.dir),
    summary,
    verdicts,
    passed: verdicts.every((v) => v.pass),
    interrupted: results.some((r) => r.interrupted),
    validity: { ...first.validity, valid: problems.length === 0, problems, warnings },
    ...(first.fingerprint ? { fingerprint: first.fingerprint } : {}),
    repeats: results.map((r) => r.summary),
  };
}
