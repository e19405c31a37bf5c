// `agentload compare A B`: B judged against A. Run folders (one per side, or several runs per side
// as comma-separated lists) give per percentile the change, its interval and a verdict
// (compare/runs.ts); two capacity searches give the frontier table of the post's case study 3
// (compare/frontiers.ts).
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareFrontiers } from "../compare/frontiers.js";
import { readSearch } from "./search-folder.js";
import { compareRunSets, type ComparedRun, type RunsComparisonOptions } from "../compare/runs.js";
import type { CompareDirection } from "../metrics/compare.js";
import { renderCompareReport, type CompareReportRun } from "../report/html/compare-report.js";
import { promptTokens } from "../report/html/plot-data.js";
import { CliError, parseFlags, positiveFlag, type Command } from "./args.js";
import { judgeRunFolder } from "./run-folder.js";

const HELP = `usage: agentload compare <A> <B> [options]
Judges B against A (the baseline). Each side is a run folder, several run folders of one
measurement as a comma-separated list (runs/a1,runs/a2,runs/a3), or a capacity search's folder
(the one holding search.json).
Runs: per metric and percentile, the change with its confidence interval and a verdict. One run
per side bootstraps the requests (the spread between requests only); several runs per side judge
across the runs, which holds the spread between runs too (--paired when they were interleaved).
Searches: the frontier table (frontier, first failing load, binding SLO, figures at the frontier),
the capacity ratio, the fleet fraction and the slack.
options:
  --metrics LIST        latency metrics to compare (default ttfc,tpot,e2e)
  --percentiles LIST    percentiles to compare (default 50,90)
  --min-effect F        smallest change that counts, a fraction (runs: default 0.25, 25%;
                        searches: default 0, B lower only when it failed at A's frontier x (1 - F))
  --confidence C        of the intervals (default 0.95)
  --direction D         what fails: slower (default), faster or either
  --paired              the runs of the two sides were interleaved pair by pair (A1 B1 A2 B2 ...)
  --allow-inconclusive  percentiles with too few values per run do not make the verdict inconclusive
  --json                print the comparison as JSON
  --html FILE           runs: also write the comparison as one self-contained HTML page there (the
                        table, and ECDFs of TTFC, TBC, TPOT, E2E and prompt tokens, one line per run)
exit codes: 0 matched (runs: no percentile changed beyond the effect in the failing direction;
  searches: B not shown lower than A); 1 changed (runs) or B's capacity lower (searches: B
  failed at a load A held); 2 usage error or unreadable folder; 4 a run is not valid, or a search
  found no frontier (and B failed at no load A held) or did not finish; 6 inconclusive (percentiles that could not be compared for lack of values)`;

function list(flag: string, value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new CliError(`--${flag} expects a comma-separated list, got '${value}'`);
  return items;
}

/** A run as compared and, with --html, as drawn. */
type SideRun = ComparedRun & CompareReportRun;

/** A run folder as compared; with `prompts`, the prompt tokens its page plots (records are not kept otherwise). */
function readRun(dir: string, prompts: boolean): SideRun {
  const run = judgeRunFolder(dir, { onNote: (line) => console.error(`agentload: ${line}`) });
  return {
    dir,
    histograms: run.summary.histograms,
    latency: run.summary.latency,
    valid: run.validity.valid,
    problems: run.validity.problems,
    ...(prompts ? { promptTokens: promptTokens(run.records) } : {}),
  };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

export const compareCommand: Command = async (argv) => {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(HELP);
    return 0;
  }
  const { values, positionals } = parseFlags(argv, {
    metrics: { type: "string" },
    percentiles: { type: "string" },
    "min-effect": { type: "string" },
    confidence: { type: "string" },
    direction: { type: "string" },
    paired: { type: "boolean" },
    "allow-inconclusive": { type: "boolean" },
    json: { type: "boolean" },
    html: { type: "string" },
  });
  if (positionals.length !== 2) throw new CliError(`compare expects two sides, A and B, got ${positionals.length === 0 ? "none" : positionals.join(" ")}`);
  const sides = positionals.map((p) => p.split(",").map((s) => s.trim()).filter(Boolean));
  for (const [i, dirs] of sides.entries()) {
    if (dirs.length === 0) throw new CliError(`compare: side ${i === 0 ? "A" : "B"} names no folder`);
    for (const d of dirs) if (!existsSync(d)) throw new CliError(`compare: ${d}: no such folder`);
  }
  const minEffect = values["min-effect"] === undefined ? undefined : Number(values["min-effect"]);
  if (minEffect !== undefined && !(Number.isFinite(minEffect) && minEffect >= 0)) throw new CliError(`--min-effect expects a fraction >= 0 (0.1 = 10%), got '${values["min-effect"]}'`);
  const isSearch = (d: string) => existsSync(join(d, "search.json"));
  const kinds = sides.map((dirs) => dirs.map(isSearch));
  const searches = kinds.every((k) => k.every(Boolean));
  if (!searches && kinds.some((k) => k.some(Boolean))) throw new CliError("compare: give two run sides or two searches, not one of each");

  if (searches) {
    if (sides.some((d) => d.length > 1)) throw new CliError("compare: a search side is one search folder");
    if (values.html !== undefined) throw new CliError("compare: --html draws run comparisons; for a search's page, agentload report <search-dir> --html FILE");
    const a = readSearch(sides[0]![0]!);
    const b = readSearch(sides[1]![0]!);
    let c: ReturnType<typeof compareFrontiers>;
    try {
      c = compareFrontiers(a, b, minEffect !== undefined ? { minEffect } : {});
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    if (values.json) console.log(JSON.stringify({ kind: "searches", a: a.dir, b: b.dir, outcome: c.outcome, pass: c.pass, verdict: c.verdict, capacityRatio: c.capacityRatio, fleetFraction: c.fleetFraction, slack: c.slack, rows: c.rows }, null, 2));
    else console.log(`${table([["", `A ${a.dir}`, `B ${b.dir}`], ...c.rows])}\n${c.verdict}`);
    return c.outcome === "no-frontier" ? 4 : c.pass ? 0 : 1;
  }

  const direction = values.direction;
  if (direction !== undefined && !["slower", "faster", "either"].includes(direction)) throw new CliError(`--direction expects slower, faster or either, got '${direction}'`);
  const percentiles = list("percentiles", values.percentiles)?.map((p) => {
    const n = Number(p);
    if (!(Number.isFinite(n) && n > 0 && n < 100)) throw new CliError(`--percentiles expects numbers between 0 and 100, got '${p}'`);
    return n;
  });
  const confidence = positiveFlag("confidence", values.confidence);
  if (confidence !== undefined && confidence >= 1) throw new CliError(`--confidence expects a number between 0 and 1, got '${values.confidence}'`);
  const metrics = list("metrics", values.metrics);
  const options: RunsComparisonOptions = {
    ...(metrics ? { metrics: metrics as RunsComparisonOptions["metrics"] } : {}),
    ...(percentiles ? { percentiles } : {}),
    ...(minEffect !== undefined ? { minEffect } : {}),
    ...(confidence !== undefined ? { confidence } : {}),
    ...(direction ? { direction: direction as CompareDirection } : {}),
    ...(values.paired ? { paired: true } : {}),
    ...(values["allow-inconclusive"] ? { allowInconclusive: true } : {}),
  };
  const [baseline, current] = sides.map((dirs) => dirs.map((d) => readRun(d, values.html !== undefined))) as [SideRun[], SideRun[]];
  let c: ReturnType<typeof compareRunSets>;
  try {
    c = compareRunSets(baseline, current, options);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          kind: "runs",
          baseline: baseline.map((r) => r.dir),
          new: current.map((r) => r.dir),
          outcome: c.outcome,
          pass: c.pass,
          basis: c.basis,
          comparisons: c.comparison?.comparisons ?? [],
          skipped: c.comparison?.skipped ?? [],
          lines: c.lines,
        },
        null,
        2,
      ),
    );
  } else {
    console.log(`A (baseline): ${baseline.map((r) => r.dir).join(", ")}\nB: ${current.map((r) => r.dir).join(", ")}\n${c.lines.join("\n")}`);
  }
  // Written whatever the verdict: a changed or invalid comparison is the one worth looking at.
  if (values.html !== undefined) writeFileSync(values.html, await renderCompareReport({ baseline, current, outcome: c.outcome, lines: c.lines, basis: c.basis, ...(c.comparison ? { comparison: c.comparison } : {}) }));
  return c.outcome === "invalid" ? 4 : c.outcome === "inconclusive" ? 6 : c.pass ? 0 : 1;
};
