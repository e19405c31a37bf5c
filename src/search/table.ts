// A capacity search as text: one row per run (load, verdict, the figures a frontier is read by,
// why it failed) and the outcome lines. Plain data in, lines out.
import { formatMs } from "../metrics/format.js";
import type { CapacityPoint, CapacityResult, SearchStop } from "./capacity.js";
import type { LoadAxis } from "./load.js";
import type { PointFigures } from "./point.js";

/** A load as the table and progress lines show it: whole numbers as they are, others to 3 significant places or 2 decimals. */
export const loadText = (x: number) => (Number.isInteger(x) ? String(x) : x < 10 ? x.toFixed(3) : x.toFixed(2));
const ms = (x: number | null) => (x === null ? "-" : formatMs(x));
const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(0)}%`);

/**
 * Points whose offered load is more than `tolerance` off the target: on a rate axis the seed's
 * arrival draw of a small workload (measured: 24 sessions drew 0.64x their rate), which moves the
 * frontier with it. One line per point, empty when every point offered its load.
 */
export function offeredWarnings(points: readonly CapacityPoint<PointFigures>[], axis: Pick<LoadAxis, "dimension" | "unit">, tolerance = 0.1): string[] {
  const off = points.filter((p) => p.detail?.offered != null && Math.abs(p.detail.offered / p.load - 1) > tolerance);
  if (off.length === 0) return [];
  const worst = off.reduce((a, p) => (Math.abs(p.detail!.offered! / p.load - 1) > Math.abs(a.detail!.offered! / a.load - 1) ? p : a));
  const ratio = worst.detail!.offered! / worst.load;
  return [
    `warning: ${off.length} of ${points.length} runs offered a load more than ${(tolerance * 100).toFixed(0)}% off their ${axis.dimension} (${loadText(worst.load)} ${axis.unit} offered ${loadText(worst.detail!.offered!)}, x${ratio.toFixed(2)}): ` +
      `read the frontier in the offered column; on a rate axis give the spec more sessions (the seed's arrival draw of a few dozen sessions is far from its rate) or constant arrivals`,
  ];
}

export function pointRows(points: readonly CapacityPoint<PointFigures>[], axis: Pick<LoadAxis, "dimension">): string[] {
  const head = [axis.dimension, "run", "offered", "verdict", "req/s", "ttfc p95", "tbc p95", "e2e p95", "hit", "failed", "why not healthy"];
  const rows = points.map((p) => {
    const f = p.detail;
    return [
      loadText(p.load),
      String(p.attempt),
      f?.offered == null ? "-" : loadText(f.offered),
      p.healthy ? "healthy" : "FAILED",
      f ? f.requestsPerSec.toFixed(2) : "-",
      ms(f?.ttfcP95 ?? null),
      ms(f?.tbcP95 ?? null),
      ms(f?.e2eP95 ?? null),
      pct(f?.cacheHitRate ?? null),
      f ? `${f.failed}/${f.requests}` : "-",
      p.reasons.join("; "),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(head), ...rows.map(line)];
}

const STOPPED: Record<SearchStop, string> = {
  precision: "the bracket closed within the precision and the frontier held in every run of it",
  "max-load": "healthy at the highest load allowed (--max): the frontier is at least this",
  "min-load": "not healthy even at the lowest load allowed (--min)",
  "max-points": "ran out of runs (--max-points) before the bracket closed",
};

export function outcomeLines(result: Pick<CapacityResult<PointFigures>, "frontier" | "firstFailing" | "binding" | "reasons" | "stopped">, axis: Pick<LoadAxis, "dimension" | "unit">, precision: number): string[] {
  const lines = [`search: ${STOPPED[result.stopped]}`];
  lines.push(result.frontier === null ? `frontier: none (no ${axis.dimension} was healthy)` : `frontier: ${axis.dimension} ${loadText(result.frontier)} ${axis.unit}${result.stopped === "precision" ? ` (within ${(precision * 100).toFixed(0)}%)` : ""}`);
  if (result.firstFailing !== null) {
    lines.push(`first failing: ${axis.dimension} ${loadText(result.firstFailing)} ${axis.unit}${result.binding ? `, binding SLO ${result.binding}` : ""}`);
    for (const r of result.reasons) lines.push(`  ${r}`);
  }
  return lines;
}
