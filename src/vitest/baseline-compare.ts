// toMatchBaseline: the workload against a baseline server in the same `vitest run`, judged pair by
// pair. describeWorkload({ repeats: N, baseline: { url } }) interleaves the runs (baseline then
// server, then server then baseline, and so on), so each pair of runs is seconds apart and the
// machine's drift cancels within it. A stored snapshot cannot do that: measured here (`npm run
// bench:regression`), the built-in engine's speed moved 10-30% over an hour (TPOT p50 1.56 ms at
// the baseline, 1.64-2.10 ms in unchanged runs later), and 4 of 9 unchanged snapshot verdicts
// failed at a 10% minimum effect; paired, 3 of 20 did, each on an offset of one engine process
// (TTFC 11-19% in every pair) that pairs of one process per side cannot cancel.
//
// Same verdict rule as a metric snapshot: a percentile fails when its whole interval is beyond
// the minimum effect; one that could not be compared (too few values per run) fails as
// inconclusive unless allowed; a comparison of nothing never passes.
import { compareRepeats, MIN_REPEATS } from "../metrics/compare-repeats.js";
import type { CompareOptions, HistogramComparison } from "../metrics/compare.js";
import type { WorkloadRun } from "./run-view.js";

export interface BaselineOptions extends CompareOptions {
  /** Let a percentile that cannot be compared (too few values per run) pass instead of failing as inconclusive. */
  allowInconclusive?: boolean;
}

export type BaselineOutcome = "matched" | "regressed" | "inconclusive" | "invalid";

export interface BaselineJudgement {
  outcome: BaselineOutcome;
  pass: boolean;
  message: string;
  comparison?: HistogramComparison;
}

export function judgeAgainstBaseline(run: WorkloadRun, options: BaselineOptions = {}): BaselineJudgement {
  const base = run.baseline;
  const name = JSON.stringify(run.name);
  if (!base) {
    throw new Error(`toMatchBaseline: ${name} has no baseline: give describeWorkload a baseline server, e.g. { repeats: 3, baseline: { url: process.env.BASELINE_URL } }`);
  }
  const problems = [...run.result.validity.problems, ...base.result.validity.problems.map((p) => `baseline: ${p}`)];
  if (!run.result.validity.valid || !base.result.validity.valid) {
    return { outcome: "invalid", pass: false, message: `toMatchBaseline: ${name} is not a valid measurement, so it is not compared: ${problems.join("; ")}` };
  }
  const pairs = Math.min(run.repeats?.length ?? 1, base.repeats?.length ?? 1);
  if (pairs < MIN_REPEATS) {
    return {
      outcome: "inconclusive",
      pass: false,
      message: `toMatchBaseline: ${name}: inconclusive, ${pairs} pair of runs has no spread to judge by (repeats: 3 or more; each pair is a run against the baseline and one against the server)`,
    };
  }
  const { allowInconclusive, ...compare } = options;
  const comparison = compareRepeats(base.repeats!, run.repeats!, { ...compare, paired: true });
  const failed = comparison.comparisons.filter((c) => !c.pass);
  const uncompared = allowInconclusive ? [] : comparison.skipped;
  const nothing = comparison.comparisons.length === 0;
  const outcome: BaselineOutcome = failed.length > 0 ? "regressed" : uncompared.length > 0 || nothing ? "inconclusive" : "matched";
  const what = `${name} against its baseline over ${pairs} interleaved pairs of runs`;
  const head =
    outcome === "matched"
      ? `${what}: no percentile changed beyond the allowed effect`
      : outcome === "regressed"
        ? `${what}: ${failed.length} of ${comparison.comparisons.length} percentiles changed beyond the allowed effect`
        : nothing
          ? `${what}: inconclusive, no percentile could be compared (measure more requests per run, or compare lower percentiles or other metrics)`
          : `${what}: inconclusive, ${uncompared.length} of ${uncompared.length + comparison.comparisons.length} percentiles could not be compared (measure more requests per run, compare fewer or lower percentiles, or pass allowInconclusive: true)`;
  const lines = [head, ...comparison.lines.map((l) => `  ${l}`)];
  return { outcome, pass: outcome === "matched", message: lines.join("\n"), comparison };
}
