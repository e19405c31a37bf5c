// The page of `agentload compare A B --html FILE`: the comparison's outcome, its per-percentile
// table (old, new, change, interval, verdict), and ECDFs of TTFC, TBC, TPOT, E2E and prompt tokens
// with one line per run of either side. One line per run rather than one per side: with several
// runs per side, how far the runs of one side lie apart is what the intervals are made of, and the
// plot shows it. Plain data in (the CLI reads the folders), the page out.
import { basename } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { defaultCatalogue } from "../../metrics/catalogue.js";
import { comparisonLines, formatChange, percentileOf, weightedValues, type HistogramSet, type PercentileComparison, type SkippedComparison } from "../../metrics/compare.js";
import { formatMs } from "../../metrics/format.js";
import { ecdfChart } from "./charts.js";
import { keyValueTable, pre, renderPage, table, type Figure, type Page, type Section } from "./page.js";
import { histogramEcdf, valuesEcdf, type EcdfPoint } from "./plot-data.js";
import { renderSvg } from "./svg.js";

/** One run of a side (compare/runs.ts's ComparedRun is one, with the prompt tokens added). */
export interface CompareReportRun {
  /** The run folder; its last segment names the run's line. */
  dir: string;
  /** The run summary's histograms. */
  histograms: HistogramSet;
  valid?: boolean;
  /** Why the run is not valid. */
  problems?: readonly string[];
  /** Prompt tokens of the run's measured requests (plot-data.ts promptTokens); absent without records. */
  promptTokens?: readonly number[];
}

export interface CompareReportInput {
  /** Side A, the baseline, and side B: one run each, or several. */
  baseline: readonly CompareReportRun[];
  current: readonly CompareReportRun[];
  /** What compare/runs.ts compareRunSets returned. */
  outcome: "matched" | "changed" | "inconclusive" | "invalid";
  /** The verdict line first, then one line per percentile and the notes. */
  lines: readonly string[];
  basis?: string;
  /** The structured comparison (absent when a run was not valid and nothing was compared). */
  comparison?: { comparisons: readonly PercentileComparison[]; skipped: readonly SkippedComparison[] };
}

/** The latency ECDFs drawn, in this order, when some run measured them. */
const ECDF_METRICS = ["ttfc", "tbc", "tpot", "e2e"] as const;
const BANNER: Record<CompareReportInput["outcome"], Page["verdict"]> = { matched: "pass", changed: "fail", inconclusive: "info", invalid: "invalid" };
// Shades of one hue per side: the side reads at a glance, the runs of a side apart on a closer look.
const SHADES = {
  A: ["#1f5fa8", "#5b9bd5", "#0b3c6e", "#8cbbe6", "#3a7dc4", "#174a82"],
  B: ["#e8590c", "#f7a35c", "#a63d05", "#ffc58a", "#d9480f", "#c2410c"],
} as const;

interface Line {
  label: string;
  colour: string;
  run: CompareReportRun;
}

/** Each run's line: "A: <folder>", made unique when two folders share a name. */
function linesOf(input: CompareReportInput): Line[] {
  const seen = new Map<string, number>();
  const lines: Line[] = [];
  for (const [side, runs] of [["A", input.baseline], ["B", input.current]] as const) {
    runs.forEach((run, i) => {
      const name = `${side}: ${basename(run.dir) || run.dir}`;
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      lines.push({ label: n === 1 ? name : `${name} (${n})`, colour: SHADES[side][i % SHADES[side].length]!, run });
    });
  }
  return lines;
}

/** ecdfChart's spec with each line's colour fixed (ecdfChart colours by series from a default scheme). */
function coloured(spec: TopLevelSpec, lines: readonly Line[]): TopLevelSpec {
  const s = spec as { encoding: { color: Record<string, unknown> } };
  const scale = { domain: lines.map((l) => l.label), range: lines.map((l) => l.colour) };
  return { ...spec, encoding: { ...s.encoding, color: { ...s.encoding.color, scale } } } as TopLevelSpec;
}

const SUBTITLE = "blue: A (the baseline), orange: B; one line per run";

/** The interval's confidence: "95%". */
const level = (c: PercentileComparison) => `${Math.round(c.confidence * 1000) / 10}%`;

/** "p50 +49% (95% CI +48%..+51%) slower": a percentile's line of the table, short enough for a caption. */
function shortVerdict(c: PercentileComparison): string {
  return `p${c.percentile} ${formatChange(c.ratio)} (${level(c)} CI ${formatChange(c.low)}..${formatChange(c.high)}) ${verdictText(c)}`;
}

function verdictText(c: PercentileComparison): string {
  return c.change === "none" ? "no change" : c.pass ? `${c.change} (allowed)` : c.change;
}

async function latencyFigures(input: CompareReportInput, lines: readonly Line[]): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const metric of ECDF_METRICS) {
    const drawn = lines.filter((l) => (l.run.histograms[metric]?.count ?? 0) > 0);
    if (drawn.length === 0) continue;
    const points: EcdfPoint[] = [];
    let wide = false;
    for (const l of drawn) {
      const w = weightedValues(l.run.histograms[metric]!);
      const p50 = percentileOf(w, 50);
      // Log x when a run's tail spans decades beyond its median, as the run report does.
      if (p50 > 0 && w.hi[w.hi.length - 1]! / p50 > 20) wide = true;
      points.push(...histogramEcdf(l.label, l.run.histograms[metric]!));
    }
    const label = defaultCatalogue.get(metric)?.label ?? metric.toUpperCase();
    const compared = input.comparison?.comparisons.filter((c) => c.metric === metric) ?? [];
    const spec = ecdfChart(`${label}: ECDF`, points, { xTitle: `${label} (ms${wide ? ", log" : ""})`, logX: wide, subtitle: SUBTITLE });
    figures.push({
      id: `${metric}-ecdf`,
      svg: await renderSvg(coloured(spec, drawn)),
      ...(compared.length > 0 ? { caption: `B against A: ${compared.map(shortVerdict).join("; ")}` } : {}),
    });
  }
  return figures;
}

async function promptFigure(lines: readonly Line[]): Promise<Figure[]> {
  const drawn = lines.filter((l) => (l.run.promptTokens?.length ?? 0) > 0);
  if (drawn.length === 0) return [];
  const points = drawn.flatMap((l) => valuesEcdf(l.label, l.run.promptTokens!));
  // Same prompts on both sides is what makes the latencies comparable at all.
  const spec = ecdfChart("Prompt tokens: ECDF", points, { xTitle: "prompt tokens", subtitle: SUBTITLE });
  return [{ id: "prompt-tokens-ecdf", svg: await renderSvg(coloured(spec, drawn)), caption: "The two sides should have sent the same prompts: lines apart here mean different workloads." }];
}

/** The per-percentile table, then what the table does not hold (skipped percentiles, notes). */
function comparisonSection(input: CompareReportInput): Section {
  const rest = input.lines.slice(1).map((l) => l.trim());
  const c = input.comparison;
  if (!c || c.comparisons.length === 0) return { title: "Comparison", html: pre(rest.join("\n")) };
  const rows = c.comparisons.map((x) => [
    x.metric,
    `p${x.percentile}`,
    formatMs(x.old),
    formatMs(x.new),
    formatChange(x.ratio),
    `${formatChange(x.low)}..${formatChange(x.high)}`,
    formatChange(1 + x.minEffect),
    { text: verdictText(x), ok: x.pass },
  ]);
  // The lines the table shows are left out of the text below it.
  const shown = new Set(comparisonLines(c.comparisons, []));
  const others = rest.filter((l) => !shown.has(l));
  return {
    title: "Comparison",
    html: table(["metric", "percentile", "A", "B", "change", `${level(c.comparisons[0]!)} interval`, "min effect", "verdict"], rows) + (others.length > 0 ? `\n${pre(others.join("\n"))}` : ""),
  };
}

function runsSection(input: CompareReportInput, lines: readonly Line[]): Section {
  const count = (r: CompareReportRun) => r.histograms.e2e?.count ?? r.histograms.ttfc?.count ?? 0;
  return {
    title: "Runs",
    html:
      (input.basis ? keyValueTable([["intervals over", input.basis]]) : "") +
      table(
        ["line", "run folder", "requests measured", "valid"],
        lines.map((l) => [l.label, l.run.dir, String(count(l.run)), l.run.valid === false ? { text: `no: ${(l.run.problems ?? []).join("; ")}`, ok: false } : "yes"]),
      ),
  };
}

export async function renderCompareReport(input: CompareReportInput): Promise<string> {
  const lines = linesOf(input);
  const side = (runs: readonly CompareReportRun[]) => `(${runs.length === 1 ? basename(runs[0]!.dir) || runs[0]!.dir : `${runs.length} runs`})`;
  // The verdict line as compare prints it, its outcome word in capitals as the run report's banner.
  const head = input.lines[0] ?? input.outcome;
  const colon = head.indexOf(":");
  const headline = colon > 0 ? `${head.slice(0, colon).toUpperCase()}${head.slice(colon)}` : head;
  const figures = [...(await latencyFigures(input, lines)), ...(await promptFigure(lines))];
  return renderPage({
    title: `agentload compare: B ${side(input.current)} against A ${side(input.baseline)}`,
    verdict: BANNER[input.outcome],
    headline,
    sections: [comparisonSection(input)],
    figures,
    after: [runsSection(input, lines)],
  });
}
