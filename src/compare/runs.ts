// Two measurements of one workload compared, as `agentload compare A B` judges run folders: per
// compared percentile the change, its confidence interval and a verdict. One run per side
// bootstraps the requests of one run against the other's (metrics/compare.ts), which holds the
// spread between requests only; several runs per side judge across whole runs (Welch's interval of
// the runs' percentiles, or the paired interval when the runs were interleaved:
// metrics/compare-repeats.ts), which also holds the spread between runs. Measured here, two runs of
// one unchanged engine differ by more than one run's requests say (npm run bench:regression), so
// the one-run verdict says which of the two it is.
//
// Plain data in and out: the CLI reads the folders.
import { compareHistograms, type CompareOptions, type HistogramComparison, type HistogramSet } from "../metrics/compare.js";
import { compareRepeats, MIN_REPEATS, type RepeatStats } from "../metrics/compare-repeats.js";

/** One run of a side, as a comparison needs it. */
export interface ComparedRun {
  dir: string;
  histograms: HistogramSet;
  /** The run's percentiles per latency metric (a RunSummary's `latency`). */
  latency: RepeatStats;
  valid: boolean;
  /** Why the run is not valid. */
  problems: string[];
}

export type RunsOutcome = "matched" | "changed" | "inconclusive" | "invalid";

export interface RunsComparisonOptions extends CompareOptions {
  /** The runs were interleaved pair by pair (baseline i beside new i): judge the pairs' ratios. */
  paired?: boolean;
  /** Percentiles that cannot be compared (too few values) do not make the verdict inconclusive. */
  allowInconclusive?: boolean;
}

export interface RunsComparison {
  outcome: RunsOutcome;
  /** Passes a gate: matched (a change in the allowed direction included). */
  pass: boolean;
  /** The verdict line first, then one line per percentile (✗ marks a change) and the notes. */
  lines: string[];
  /** What the intervals are built from. */
  basis: "requests of one run per side" | "runs" | "interleaved pairs of runs";
  comparison?: HistogramComparison;
}

/** Compares the new runs against the baseline's; throws when the sides cannot be compared at all. */
export function compareRunSets(baseline: readonly ComparedRun[], current: readonly ComparedRun[], options: RunsComparisonOptions = {}): RunsComparison {
  const { paired = false, allowInconclusive = false, ...compare } = options;
  if (baseline.length === 0 || current.length === 0) throw new Error("compare: each side needs a run");
  const single = baseline.length === 1 && current.length === 1;
  if (!single && (baseline.length < MIN_REPEATS || current.length < MIN_REPEATS)) {
    throw new Error(`compare: give one run per side, or at least ${MIN_REPEATS} per side to judge across runs (baseline ${baseline.length}, new ${current.length})`);
  }
  if (paired && baseline.length !== current.length) throw new Error(`compare: paired runs need as many on each side (baseline ${baseline.length}, new ${current.length})`);
  if (paired && single) throw new Error(`compare: paired needs at least ${MIN_REPEATS} runs per side`);
  const basis: RunsComparison["basis"] = single ? "requests of one run per side" : paired ? "interleaved pairs of runs" : "runs";
  const invalid = [...baseline.map((r) => ["baseline", r] as const), ...current.map((r) => ["new", r] as const)].filter(([, r]) => !r.valid);
  if (invalid.length > 0) {
    const lines = invalid.map(([side, r]) => `  ${side} ${r.dir}: ${r.problems.join("; ")}`);
    return { outcome: "invalid", pass: false, basis, lines: [`not compared: ${invalid.length} run${invalid.length > 1 ? "s are" : " is"} not a valid measurement`, ...lines] };
  }
  const comparison = single ? compareHistograms(baseline[0]!.histograms, current[0]!.histograms, compare) : compareRepeats(baseline.map((r) => r.latency), current.map((r) => r.latency), { ...compare, paired });
  const failed = comparison.comparisons.filter((c) => !c.pass);
  const uncompared = allowInconclusive ? [] : comparison.skipped;
  const nothing = comparison.comparisons.length === 0;
  const outcome: RunsOutcome = failed.length > 0 ? "changed" : nothing || uncompared.length > 0 ? "inconclusive" : "matched";
  const over = single ? "one run per side" : paired ? `${baseline.length} interleaved pairs of runs` : `${baseline.length} and ${current.length} runs`;
  const head =
    outcome === "changed"
      ? `changed: ${failed.length} of ${comparison.comparisons.length} percentiles beyond the allowed effect (${over})`
      : outcome === "matched"
        ? `matched: no percentile changed beyond the allowed effect (${over})`
        : nothing
          ? `inconclusive: no percentile could be compared (${over}; measure more requests per run, or compare lower percentiles or other metrics)`
          : `inconclusive: ${uncompared.length} of ${uncompared.length + comparison.comparisons.length} percentiles could not be compared (${over}; measure more requests per run, compare lower percentiles or metrics the runs hold, or pass --allow-inconclusive)`;
  const lines = [head, ...comparison.lines.map((l) => `  ${l}`)];
  if (single) lines.push("  note: one run per side: the intervals hold the spread between requests, not between runs; compare several runs per side (A1,A2,A3 B1,B2,B3) for that");
  return { outcome, pass: outcome === "matched", lines, basis, comparison };
}
