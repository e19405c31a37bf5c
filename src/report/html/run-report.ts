// A run's report page: the verdict, the summary table, the SLO and validity verdicts, the run's
// metadata (run.json), the failures by kind, and the plots: ECDFs of TTFC, TBC, TPOT, E2E and
// prompt tokens, TTFC against prompt tokens, requests in flight and decoding over time, the
// decode overlap, the client's dispatch lateness, and the swim lanes of the widest session.
import { catalogueOfSummary } from "../../metrics/catalogue.js";
import { formatMs } from "../../metrics/format.js";
import type { RunMetadata } from "../../records/types.js";
import { renderSummary } from "../summary-table.js";
import type { FinishedRun } from "../types.js";
import { concurrencyChart, decodeOverlapChart, ecdfChart, latenessChart, swimLaneChart, ttfcByPromptChart } from "./charts.js";
import { keyValueTable, pre, renderPage, table, type Figure, type Section } from "./page.js";
import { concurrencyOverTime, decodeOverlapCurve, histogramEcdf, latenessOverTime, measured, promptTokens, swimLanes, ttfcByPrompt, valuesEcdf } from "./plot-data.js";
import { renderSvg } from "./svg.js";

/** The latency ECDFs drawn, in this order, when the run measured them. */
const ECDF_METRICS = ["ttfc", "tbc", "tpot", "e2e"] as const;
/** Failure messages shown per kind. */
const MESSAGES_PER_KIND = 3;

export async function renderRunReport(run: FinishedRun, metadata?: RunMetadata): Promise<string> {
  const { summary } = run;
  const figures: Figure[] = [];
  const catalogue = catalogueOfSummary(summary);
  for (const metric of ECDF_METRICS) {
    const h = summary.histograms[metric];
    if (!h || h.count === 0) continue;
    const points = histogramEcdf(metric.toUpperCase(), h);
    const label = catalogue.get(metric)?.label ?? metric.toUpperCase();
    // Log x when the tail spans decades beyond the median (TBC's stalls, TTFC under a queue).
    const p50 = summary.latency[metric]?.p50 ?? 0;
    const wide = p50 > 0 && h.max / p50 > 20;
    figures.push({
      id: `${metric}-ecdf`,
      svg: await renderSvg(ecdfChart(`${label}: ECDF`, points, { xTitle: `${label} (ms${wide ? ", log" : ""})`, logX: wide, subtitle: `p50 ${formatMs(summary.latency[metric]?.p50 ?? NaN)}, p95 ${formatMs(summary.latency[metric]?.p95 ?? NaN)}, p99 ${formatMs(summary.latency[metric]?.p99 ?? NaN)}, n ${h.count}` })),
    });
  }
  const records = run.records;
  const notes: string[] = [];
  if (records && records.length > 0) {
    const prompts = promptTokens(records);
    if (prompts.length > 0) figures.push({ id: "prompt-tokens-ecdf", svg: await renderSvg(ecdfChart("Prompt tokens: ECDF", valuesEcdf("prompt tokens", prompts), { xTitle: "prompt tokens" })) });
    const dots = ttfcByPrompt(records);
    if (dots.length > 0) figures.push({ id: "ttfc-by-prompt", svg: await renderSvg(ttfcByPromptChart(dots)) });
    const overTime = concurrencyOverTime(records.filter((r) => !r.warmup));
    if (overTime.length > 0) figures.push({ id: "concurrency", svg: await renderSvg(concurrencyChart(overTime)) });
    const overlap = decodeOverlapCurve(measured(records));
    if (overlap.points.length > 0) figures.push({ id: "decode-overlap", svg: await renderSvg(decodeOverlapChart(overlap)) });
    figures.push({ id: "dispatch-lateness", svg: await renderSvg(latenessChart(latenessOverTime(records))) });
    const lanes = swimLanes(records);
    if (lanes && lanes.bars.length > 1) {
      const more = lanes.bars.length < records.filter((r) => r.sessionId === lanes.session).length ? " (its first 200 requests)" : "";
      figures.push({ id: "swim-lanes", svg: await renderSvg(swimLaneChart(lanes)), caption: `The session with the most requests at once: ${lanes.lanes} lane${lanes.lanes === 1 ? "" : "s"}${more}.` });
    }
  } else {
    notes.push("The run folder has no records.jsonl: only the latency ECDFs are drawn.");
  }

  const valid = run.validity?.valid ?? true;
  const verdict = !valid ? "invalid" : run.passed ? "pass" : "fail";
  const failedSlos = run.verdicts.filter((v) => !v.pass).length;
  const headline = !valid
    ? `NOT VALID: ${run.validity!.problems[0] ?? "the run cannot be judged"}`
    : run.verdicts.length === 0
      ? "valid; no SLO to judge"
      : run.passed
        ? `PASS: ${run.verdicts.length} SLO objective${run.verdicts.length === 1 ? "" : "s"} held`
        : `FAIL: ${failedSlos} of ${run.verdicts.length} SLO objectives failed`;

  const sections: Section[] = [];
  if (run.verdicts.length > 0) {
    sections.push({
      title: "SLO verdicts",
      html: table(
        ["objective", "limit", "measured", "verdict"],
        run.verdicts.map((v) => [v.name, v.metric === "errorRate" || v.limit < 1 ? String(v.limit) : formatMs(v.limit), v.measured === null ? "-" : v.limit < 1 ? String(v.measured) : formatMs(v.measured), { text: v.pass ? "held" : "failed", ok: v.pass }]),
      ),
    });
  }
  if (run.validity) {
    const rows: [string, string][] = [["valid", run.validity.valid ? "yes" : "no"]];
    for (const p of run.validity.problems) rows.push(["problem", p]);
    for (const w of run.validity.warnings) rows.push(["warning", w]);
    if (run.interrupted) rows.push(["interrupted", "the run was stopped before its workload ended"]);
    sections.push({ title: "Validity", html: keyValueTable(rows) });
  }
  sections.push({ title: "Summary", html: pre(renderSummary(summary, run.verdicts, { ...(run.validity ? { validity: run.validity } : {}) })) });

  const after: Section[] = [];
  if (records) {
    const byKind = new Map<string, string[]>();
    for (const r of records) {
      if (!r.error) continue;
      const list = byKind.get(r.error.kind) ?? [];
      if (list.length < MESSAGES_PER_KIND && !list.includes(r.error.message)) list.push(r.error.message);
      byKind.set(r.error.kind, list);
    }
    if (byKind.size > 0) {
      const counts = summary.errors.byKind as Record<string, number>;
      after.push({ title: "Failed requests", html: table(["kind", "requests", "messages (first distinct)"], [...byKind].map(([kind, messages]) => [kind, String(counts[kind] ?? ""), messages.join("\n")])) });
    }
  }
  after.push({ title: "Run", html: keyValueTable(metadataRows(run, metadata)) });
  if (notes.length > 0) after.push({ title: "Notes", html: notes.map((n) => `<p>${n}</p>`).join("") });

  return renderPage({ title: `agentload report: ${run.name}`, verdict, headline, sections, figures, after });
}

function metadataRows(run: FinishedRun, m: RunMetadata | undefined): [string, string][] {
  const rows: [string, string][] = [["workload", run.name]];
  if (run.dir) rows.push(["run folder", run.dir]);
  if (!m) return [...rows, ["metadata", "no run.json in the run folder (a run written before agentload kept one)"]];
  rows.push(
    ["started", m.startedAt],
    ["server", m.server.url],
    ["model", m.server.model ?? "(the server's)"],
    ["spec hash", m.workload.fingerprint ? `${m.workload.fingerprint.spec} (${m.workload.fingerprint.sessions} sessions)` : "-"],
    ["machine", `${m.host.cpus} CPUs${m.host.cpuModel ? ` (${m.host.cpuModel})` : ""}, ${m.host.platform} ${m.host.arch}, ${m.host.runtime}`],
    ["tool", `${m.tool.name} ${m.tool.version}`],
  );
  return rows;
}
