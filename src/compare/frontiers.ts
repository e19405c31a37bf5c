// Two capacity searches compared, as `agentload compare A B` judges search folders: the post's
// case-study-3 table. Each search brackets its frontier: the frontier held, the first failing load
// did not, and the true capacity lies between. So B is lower only when B failed at a load A held
// (B's first failing load <= A's frontier), higher only when B held a load A failed at; brackets
// that overlap are not told apart at the searches' precision. A minimum effect widens that: B is
// lower only when it failed at a load that much below A's frontier (reruns of one search on the
// built-in engine spread 7.3 to 9.5 around 8.0 at precision 10%: benchmarks/search-repeat.ts), so
// a capacity snapshot does not fail on a rerun's noise. The derived rows, at equal demand on
// the searched axis:
//   capacity ratio       B's frontier / A's (the post's useful-work ratio rho_d*/rho_l* = 1.21
//                        when both shapes carry the same fresh tokens per request);
//   fleet fraction       A's frontier / B's: servers B needs per server A needs (0.825);
//   slack                1 - fleet fraction: the share of a fleet sized for A left idle when it
//                        serves B (17.5%).
//
// Plain data in and out: the CLI reads search.json.
import type { CapacityPoint, SearchStop } from "../search/capacity.js";
import type { PointFigures } from "../search/point.js";

/** What a comparison reads of a search.json. */
export interface SearchSide {
  dir: string;
  spec: string;
  over: string;
  unit: string;
  precision: number;
  /** Null while the search had not finished (interrupted) or when no load was healthy. */
  frontier: number | null;
  firstFailing: number | null;
  binding: string | null;
  /** Null when the search did not finish. */
  stopped: SearchStop | null;
  points: CapacityPoint<PointFigures>[];
}

export type FrontierOutcome = "lower" | "higher" | "not-told-apart" | "no-frontier";

export interface FrontierComparison {
  outcome: FrontierOutcome;
  /** B is not shown to be lower: a capacity gate passes. */
  pass: boolean;
  /** Label, A's cell, B's cell. */
  rows: [string, string, string][];
  /** Ratios at equal demand; null where a frontier is missing. */
  capacityRatio: number | null;
  fleetFraction: number | null;
  slack: number | null;
  /** The verdict in a sentence. */
  verdict: string;
}

const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? "-" : Number(x.toPrecision(digits)).toString());
const ms = (x: number | null | undefined) => (x === null || x === undefined ? "-" : `${x.toFixed(1)} ms`);
const pct = (x: number | null | undefined) => (x === null || x === undefined ? "-" : `${(x * 100).toFixed(1)}%`);

/** The last healthy run at the frontier load: its figures are the frontier's. */
export function frontierPoint(side: SearchSide): PointFigures | undefined {
  if (side.frontier === null) return undefined;
  const runs = side.points.filter((p) => p.load === side.frontier && p.healthy && p.detail);
  return runs[runs.length - 1]?.detail;
}

export interface FrontierCompareOptions {
  /**
   * Smallest change that counts, a fraction (default 0): B is lower only when it failed at or below
   * A's frontier x (1 - minEffect), higher only when it held A's first failing load x (1 + minEffect).
   */
  minEffect?: number;
}

export function compareFrontiers(a: SearchSide, b: SearchSide, options: FrontierCompareOptions = {}): FrontierComparison {
  const m = options.minEffect ?? 0;
  if (!(m >= 0 && m < 1)) throw new Error(`compare: minEffect expects a fraction in [0, 1), got ${m}`);
  if (a.over !== b.over) throw new Error(`compare: the searches ran over different axes (${a.dir}: ${a.over}, ${b.dir}: ${b.over}); compare searches over one axis`);
  const pa = frontierPoint(a);
  const pb = frontierPoint(b);
  const bound = (s: SearchSide) => (s.stopped === "max-load" ? " (healthy at the highest load tried)" : "");
  const rows: [string, string, string][] = [
    ["spec", a.spec, b.spec],
    [`frontier (${a.over}, ${a.unit})`, `${num(a.frontier)}${bound(a)}`, `${num(b.frontier)}${bound(b)}`],
    ["first failing", num(a.firstFailing), num(b.firstFailing)],
    ["binding SLO", a.binding ?? "-", b.binding ?? "-"],
    ["search stopped", a.stopped ?? "not finished", b.stopped ?? "not finished"],
    ["at the frontier: requests/s", num(pa?.requestsPerSec), num(pb?.requestsPerSec)],
    ["output tokens/s", num(pa?.outputTokensPerSec), num(pb?.outputTokensPerSec)],
    ["TTFC p95", ms(pa?.ttfcP95), ms(pb?.ttfcP95)],
    ["TBC p95", ms(pa?.tbcP95), ms(pb?.tbcP95)],
    ["E2E p95", ms(pa?.e2eP95), ms(pb?.e2eP95)],
    ["cache hit rate", pct(pa?.cacheHitRate), pct(pb?.cacheHitRate)],
  ];
  const fa = a.frontier;
  const fb = b.frontier;
  // B failed at a load (that much below) A's frontier: lower, whether or not B held any load.
  const lowerAt = fa === null || a.stopped === null ? null : fa * (1 - m);
  const lower = lowerAt !== null && b.firstFailing !== null && b.firstFailing <= lowerAt;
  const by = m > 0 ? ` (${num(lowerAt)} with the minimum effect ${pct(m)})` : "";
  if (lower && fb === null) {
    const verdict = `B is lower: it failed at ${num(b.firstFailing)}, a load A held${by}, and held no load`;
    return { outcome: "lower", pass: false, rows, capacityRatio: null, fleetFraction: null, slack: null, verdict };
  }
  if (fa === null || fb === null || a.stopped === null || b.stopped === null) {
    const missing = [a, b].filter((s) => s.frontier === null || s.stopped === null).map((s) => `${s.dir}: ${s.stopped === null ? "the search did not finish" : "no load was healthy"}`);
    return { outcome: "no-frontier", pass: false, rows, capacityRatio: null, fleetFraction: null, slack: null, verdict: `not compared: ${missing.join("; ")}` };
  }
  const capacityRatio = fb / fa;
  const fleetFraction = fa / fb;
  const slack = 1 - fleetFraction;
  const outcome: FrontierOutcome = lower ? "lower" : a.firstFailing !== null && fb >= a.firstFailing * (1 + m) ? "higher" : "not-told-apart";
  const verdict =
    outcome === "lower"
      ? `B is lower: it failed at ${num(b.firstFailing)}, a load A held${by}`
      : outcome === "higher"
        ? `B is higher: it held ${num(fb)}, a load A failed at${m > 0 ? ` (by more than the minimum effect ${pct(m)})` : ""}`
        : `not told apart: the two frontiers' brackets overlap${m > 0 ? ` within the minimum effect ${pct(m)}` : ""} (A ${num(fa)} to ${a.firstFailing === null ? "beyond" : num(a.firstFailing)}, B ${num(fb)} to ${b.firstFailing === null ? "beyond" : num(b.firstFailing)}); a finer --precision may separate them`;
  rows.push(["capacity ratio B/A", "", `${capacityRatio.toFixed(2)}x`], ["fleet fraction (A/B)", "", fleetFraction.toFixed(3)], ["slack of a fleet sized for A", "", pct(slack)]);
  return { outcome, pass: outcome !== "lower", rows, capacityRatio, fleetFraction, slack, verdict };
}
