// The run summary as a compact terminal table (in the spirit of vLLM's benchmark_serving and
// GuideLLM): counts, throughput, latency percentiles, prefix reuse against the server's cache hit
// rate, errors, health and the SLO verdicts.
import { formatMs, formatNumber, formatPercent } from "../metrics/format.js";
import type { DistributionStats } from "../stats/histogram.js";
import { catalogueOfSummary, type MetricCatalogue } from "../metrics/catalogue.js";
import { CPU_BUSY_THRESHOLD, lagLimitText, loadText, ordinal, type ClientChecks } from "../metrics/client-checks.js";
import type { SloVerdict } from "../metrics/slo.js";
import type { RunValidity } from "../metrics/validity.js";
import type { RunSummary } from "../metrics/summary.js";
import { missesByReason } from "../metrics/cache-attribution.js";

export interface RenderOptions {
  /** ANSI colors for verdicts and health (default false). */
  color?: boolean;
  /** Whose latency metrics are rows (default: the built-in catalogue, plus any other metric the summary holds). */
  catalogue?: MetricCatalogue;
  /** The run's validity, shown beside its health. */
  validity?: RunValidity;
}

const NONE = "—";

export function renderSummary(summary: RunSummary, verdicts: SloVerdict[], options: RenderOptions = {}): string {
  const paint = painter(options.color ?? false);
  const out: string[] = [];
  const { counts } = summary;

  out.push(paint.bold("agentload run summary"));
  const warm = counts.warmupRequests > 0 ? `   warm-up ${plural(counts.warmupRequests, "request")}, ${plural(counts.warmupSessions, "session")} (excluded)` : "";
  out.push(
    ...section([
      ["requests", `${counts.requests}   ok ${counts.ok}   failed ${counts.failed}${counts.aborted ? `   aborted ${counts.aborted}` : ""}`],
      ["sessions", `${counts.sessions}${warm}`],
      ["wall time", `${formatNumber(summary.wallMs / 1000, 1)}s`],
    ]),
  );

  const { throughput, goodput } = summary;
  const rates: [string, string][] = [
    ["requests/s", formatNumber(throughput.requestsPerSec, 2)],
    ["output tokens/s", formatNumber(throughput.outputTokensPerSec, 1)],
    ["prompt tokens/s", formatNumber(throughput.promptTokensPerSec, 1)],
  ];
  if (goodput) {
    rates.push(["goodput/s", `${formatNumber(goodput.perSec, 2)}   (${formatPercent(goodput.share)} of ok requests within ${limitsText(goodput.limits)})`]);
  }
  out.push("", paint.bold("Throughput"), ...section(rates));

  out.push("", ...latencyTable(summary, paint, options.catalogue ?? catalogueOfSummary(summary)));

  const { prefix, tokens } = summary;
  const server = prefix.server
    ? `${formatPercent(prefix.server.rate)}   (${prefix.server.engine} ${prefix.server.kind === "gauge" ? "gauge: a recent window, not this run" : "counters over the run"})`
    : NONE;
  const accuracy = tokens.promptAccuracy;
  out.push(
    "",
    paint.bold("Prefix cache"),
    ...section([
      ...idealRows(prefix),
      ["hit rate from usage", ratio(prefix.requestHitRate)],
      ...achievedRows(prefix),
      ["hit rate from server metrics", server],
      [
        "prompt tokens exact",
        accuracy.reported > 0
          ? `${ratio(accuracy.exactShare)} of ${accuracy.reported}   mean |Δ| ${formatNumber(accuracy.meanAbsDeviation!, 1)}   max |Δ| ${accuracy.maxAbsDeviation}`
          : `${NONE} (the server reported no prompt tokens)`,
      ],
    ]),
  );

  const other: [string, string][] = [["decode overlap", overlapText(summary)], ["errors", errorsText(summary)]];
  const lateness = summary.dispatch.lateness;
  const latenessText = lateness
    ? `dispatch lateness p99 ${formatMs(lateness.p99)} <= ${formatMs(summary.dispatch.thresholdMs)}`
    : "no requests dispatched";
  other.push([
    "health",
    summary.health.healthy ? paint.green(`ok (${latenessText})`) : paint.yellow(`UNHEALTHY: ${summary.health.problems.join("; ")}`),
  ]);
  if (options.validity) {
    const v = options.validity;
    if (v.client) other.push(...clientRows(v.client, paint));
    other.push(["validity", v.valid ? paint.green("valid") : paint.red(`NOT VALID: ${v.problems.map((p) => p.split("\n")[0]).join("; ")}`)]);
  }
  out.push("", ...section(other));

  if (verdicts.length > 0) {
    const failed = verdicts.filter((v) => !v.pass).length;
    const head = failed === 0 ? paint.green(`all ${verdicts.length} passed`) : paint.red(`${failed} of ${verdicts.length} failed`);
    out.push("", `${paint.bold("SLOs")}   ${head}`);
    for (const v of verdicts) out.push(`  ${v.pass ? paint.green(v.message) : paint.red(v.message)}`);
  }
  return out.join("\n") + "\n";
}

/**
 * The reuse the workload intends: the ideal (infinite) prefix cache's hit rate when the run
 * computed it (scaffolds and hash-id blocks across sessions, history within them), else the
 * history share alone; the LRU cache when one was simulated.
 */
function idealRows(prefix: RunSummary["prefix"]): [string, string][] {
  const ideal = prefix.ideal;
  if (!ideal) return [["reuse the workload intends", `${ratio(prefix.expectedReuse)}${prefix.expectedReuse === null ? "" : "   (history within sessions)"}`]];
  const inf = ideal.infinite;
  const share = (n: number) => (inf.promptTokens > 0 ? formatPercent(n / inf.promptTokens) : NONE);
  const cold = inf.missed.scaffold > 0 ? `first sight of a scaffold ${share(inf.missed.scaffold)}, ` : "";
  const rows: [string, string][] = [["reuse the workload intends", `${ratio(inf.hitRate)}   (an infinite prefix cache; ${cold}new input ${share(inf.fresh)})`]];
  if (ideal.lru) {
    const lost = missesByReason(ideal.lru.missed).map(([reason, n]) => `${reason} ${share(n)}`);
    rows.push([`LRU cache of ${formatNumber(ideal.lru.blocks)} blocks`, `${ratio(ideal.lru.hitRate)}   (${ideal.lru.blockTokens}-token blocks${lost.length ? `; missed: ${lost.join(", ")}` : ""})`]);
  }
  return rows;
}

/** The server's cached tokens against the ideal's, and the shortfall by reason. */
function achievedRows(prefix: RunSummary["prefix"]): [string, string][] {
  const a = prefix.ideal?.achieved;
  if (!a) return [];
  const lost = missesByReason(a.missed).map(([reason, n]) => `${reason} ${formatNumber(n)}`);
  const beyond = a.beyondIdeal > 0 ? `; beyond ideal ${formatNumber(a.beyondIdeal)}` : "";
  return [["achieved / ideal", `${ratio(a.ratio)}   (${formatNumber(a.cachedTokens)} of ${formatNumber(a.idealTokens)} tokens; short by reason: ${lost.length ? lost.join(", ") : "none"}${beyond})`]];
}

/** The client's own checks (metrics/client-checks.ts), green when they pass. */
function clientRows(c: ClientChecks, paint: Painter): [string, string][] {
  const mark = (ok: boolean, text: string) => (ok ? paint.green(text) : paint.red(text));
  const rows: [string, string][] = [];
  const lag = c.lag;
  rows.push([
    "client lag",
    lag.lateness === null
      ? `${NONE} (${lag.requests} requests: too few to judge)`
      : mark(lag.ok, `the ${ordinal(lag.atLeast)} latest of ${lag.requests} dispatches ${formatMs(lag.lateness)} late ${lag.ok ? "<=" : ">"} ${formatMs(lag.limitMs)} (limit ${lagLimitText(lag)})`),
  ]);
  if (c.cpu) {
    const cpu = c.cpu;
    const what = cpu.source === "eventLoopUtilization" ? "event loop busy" : "CPU";
    rows.push([
      "client CPU",
      cpu.meanBusy === null
        ? (cpu.note ?? `${NONE} (not sampled)`)
        : mark(cpu.ok, `${what} mean ${formatPercent(cpu.meanBusy)}, max ${formatPercent(cpu.maxBusy!)}; over ${formatPercent(CPU_BUSY_THRESHOLD)} in ${formatPercent(cpu.saturatedShare!)} of ${cpu.windows} window${cpu.windows === 1 ? "" : "s"} of ${formatMs(cpu.windowMs)}`),
    ]);
  }
  if (c.load) rows.push(["achieved load", c.load.ratio === null ? loadText(c.load.load) : mark(c.load.ok, loadText(c.load.load))]);
  return rows;
}

/** A row per latency metric of the catalogue (those shown in tables), then each sub-metric the summary holds. */
function latencyTable(summary: RunSummary, paint: Painter, catalogue: MetricCatalogue): string[] {
  const header = ["Latency (ms)", "mean", "p50", "p90", "p95", "p99", "max", "n"];
  const rows = catalogue
    .latency()
    .filter((d) => d.table !== false)
    .map((d) => statsRow(d.label, summary.latency[d.name] ?? null));
  for (const name of Object.keys(summary.latency)) if (name.includes("{")) rows.push(statsRow(name, summary.latency[name] ?? null));
  const table = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ");
  // The header is painted whole, so padding is measured without escape codes.
  return [paint.bold(line(header)), ...rows.map(line)];
}

function statsRow(label: string, s: DistributionStats | null): string[] {
  const name = `  ${label}`;
  if (!s) return [name, NONE, NONE, NONE, NONE, NONE, NONE, "0"];
  return [name, ms(s.mean), ms(s.p50), ms(s.p90), ms(s.p95), ms(s.p99), ms(s.max), String(s.count)];
}

/** Latency cell: two decimals below 10 ms, one above. */
function ms(x: number): string {
  return x.toFixed(Math.abs(x) < 10 ? 2 : 1);
}

function ratio(r: number | null): string {
  return r === null ? NONE : formatPercent(r);
}

function limitsText(limits: Partial<Record<string, number>>): string {
  const parts = Object.entries(limits).map(([metric, limit]) => `${metric} < ${formatMs(limit!)}`);
  return parts.length > 0 ? parts.join(", ") : "the SLO";
}

function overlapText(summary: RunSummary): string {
  const d = summary.decode;
  if (d.maxConcurrent === 0) return NONE;
  const ks: number[] = [];
  for (let k = 1; k <= d.maxConcurrent; k *= 2) ks.push(k);
  if (ks[ks.length - 1] !== d.maxConcurrent) ks.push(d.maxConcurrent);
  const shares = ks.map((k) => `>=${k} ${formatPercent(d.shareAtLeast[k - 1]!)}`).join("  ");
  return `max ${d.maxConcurrent}   mean ${formatNumber(d.meanConcurrent, 2)}   time with k decoding: ${shares}`;
}

function errorsText(summary: RunSummary): string {
  const kinds = Object.entries(summary.errors.byKind);
  if (kinds.length === 0) return `none (rate ${formatPercent(summary.errors.rate)})`;
  const statuses = Object.entries(summary.errors.byStatus)
    .map(([status, n]) => `${status} x${n}`)
    .join(", ");
  const parts = kinds.map(([kind, n]) => (kind === "http" && statuses ? `http ${n} (${statuses})` : `${kind} ${n}`));
  return `rate ${formatPercent(summary.errors.rate)}   ${parts.join("   ")}`;
}

/** Label-value lines with the values aligned. */
function section(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}   ${value}`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

interface Painter {
  bold(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

function painter(color: boolean): Painter {
  const wrap = (code: number) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: wrap(1), green: wrap(32), red: wrap(31), yellow: wrap(33) };
}
