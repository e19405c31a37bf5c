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
//
// Sequential (describeWorkload's `repeats: { min, max }`): pairs are added one at a time from
// `min` until every percentile's interval has decided, entirely beyond the minimum effect (a
// regression) or entirely within it (a match), and a percentile still undecided at `max` fails
// as inconclusive. With a fixed number of pairs, an interval that straddles the minimum effect
// passes: measured (`npm run bench:regression`, 5 pairs), that let 5 of 20 verdicts on a 1.2x
// slowdown pass (pairs at E2E x1.03, 1.27, 1.08, 1.33, 1.21) and made an unchanged verdict's
// pass a matter of where a few pairs fell.
import { compareRepeats, MIN_REPEATS, type RepeatStats } from "../metrics/compare-repeats.js";
import { compareSettings, type CompareDirection, type CompareOptions, type HistogramComparison, type PercentileComparison } from "../metrics/compare.js";
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

/** describeWorkload's sequential pairs: the bounds it was given and where it stopped. */
export interface SequentialPairs {
  min: number;
  max: number;
  /** Pairs run. */
  pairs: number;
  /** Whether the last look decided (false: it stopped at max, or on a run that is not valid). */
  decided: boolean;
}

/**
 * Whether a percentile that passed has decided: its whole interval within the minimum effect on
 * the failing side(s), so that more pairs would not turn it into a failure.
 */
export function settled(c: PercentileComparison, direction: CompareDirection): boolean {
  if (!c.pass) return true;
  const slowOk = c.high <= 1 + c.minEffect;
  const fastOk = c.low >= 1 / (1 + c.minEffect);
  return direction === "slower" ? slowOk : direction === "faster" ? fastOk : slowOk && fastOk;
}

/**
 * The stopping rule of sequential pairs, after each pair from `min` on: decided when some
 * percentile is beyond the minimum effect, when every one is settled, or when some cannot be
 * compared at all (too few values per run: more pairs do not add values to a run).
 */
export function pairsDecided(baseline: readonly RepeatStats[], current: readonly RepeatStats[], options: BaselineOptions = {}): boolean {
  const { allowInconclusive, ...compare } = options;
  const { direction } = compareSettings(compare);
  const c = compareRepeats(baseline, current, { ...compare, paired: true });
  if (c.comparisons.some((x) => !x.pass)) return true;
  if (!allowInconclusive && c.skipped.length > 0) return true;
  return c.comparisons.every((x) => settled(x, direction));
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
  // Sequential pairs judge an interval that still straddles the minimum effect as undecided.
  const { direction } = compareSettings(compare);
  const undecided = run.sequential ? comparison.comparisons.filter((c) => !settled(c, direction)) : [];
  const outcome: BaselineOutcome = failed.length > 0 ? "regressed" : uncompared.length > 0 || nothing || undecided.length > 0 ? "inconclusive" : "matched";
  const seq = run.sequential;
  const over = seq ? `${pairs} interleaved pairs of runs (sequential, ${seq.min} to ${seq.max})` : `${pairs} interleaved pairs of runs`;
  const what = `${name} against its baseline over ${over}`;
  const head =
    outcome === "matched"
      ? `${what}: no percentile changed beyond the allowed effect`
      : outcome === "regressed"
        ? `${what}: ${failed.length} of ${comparison.comparisons.length} percentiles changed beyond the allowed effect`
        : nothing
          ? `${what}: inconclusive, no percentile could be compared (measure more requests per run, or compare lower percentiles or other metrics)`
          : uncompared.length > 0
            ? `${what}: inconclusive, ${uncompared.length} of ${uncompared.length + comparison.comparisons.length} percentiles could not be compared (measure more requests per run, compare fewer or lower percentiles, or pass allowInconclusive: true)`
            : `${what}: inconclusive, ${undecided.length} of ${comparison.comparisons.length} percentiles' intervals still reach past the allowed effect after ${pairs} pairs (${undecided.map((c) => c.label).join(", ")}): raise repeats.max, or judge with the options the pairs were stopped by (describeWorkload's compare)`;
  const lines = [head, ...comparison.lines.map((l) => `  ${l}`)];
  return { outcome, pass: outcome === "matched", message: lines.join("\n"), comparison };
}
